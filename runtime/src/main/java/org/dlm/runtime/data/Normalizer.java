package org.dlm.runtime.data;

import java.util.Arrays;
import org.dlm.ir.interp.NdArray;

/**
 * Per-channel standardization {@code (x - mean[c]) / std[c]} of features {@code [N, C, ...]}
 * (or {@code [N, C]}), with statistics fitted on a training set and reused for validation.
 *
 * <pre>{@code
 * Normalizer n = Normalizer.fit(split.train().features());
 * Dataset train = n.apply(split.train());
 * }</pre>
 */
public record Normalizer(double[] mean, double[] std) {
    public Normalizer {
        if (mean.length != std.length) throw new IllegalArgumentException("mean and std lengths differ");
        for (double s : std) if (!(s > 0)) throw new IllegalArgumentException("std must be > 0, got " + s);
        mean = mean.clone();
        std = std.clone();
    }

    /** Mean and (population) standard deviation per channel, axis 1; a constant channel gets std 1. */
    public static Normalizer fit(NdArray x) {
        if (x.rank() < 2) throw new IllegalArgumentException("features must be [N, C, ...], got " + Arrays.toString(x.shape()));
        int n = (int) x.dim(0), c = (int) x.dim(1), inner = (int) (x.size() / ((long) n * c));
        double[] mean = new double[c], std = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double s = 0, s2 = 0;
            for (int i = 0; i < n; i++) for (int k = 0; k < inner; k++) s += x.get((i * c + ch) * inner + k);
            double m = s / ((double) n * inner);
            for (int i = 0; i < n; i++) for (int k = 0; k < inner; k++) { double d = x.get((i * c + ch) * inner + k) - m; s2 += d * d; }
            mean[ch] = m;
            double sd = Math.sqrt(s2 / ((double) n * inner));
            std[ch] = sd > 0 ? sd : 1;
        }
        return new Normalizer(mean, std);
    }

    public NdArray apply(NdArray x) {
        int n = (int) x.dim(0), c = (int) x.dim(1), inner = (int) (x.size() / ((long) n * c));
        if (c != mean.length) throw new IllegalArgumentException("normalizer has " + mean.length + " channels, features have " + c);
        double[] out = new double[x.size()];
        for (int i = 0; i < out.length; i++) {
            int ch = (i / inner) % c;
            out[i] = (x.get(i) - mean[ch]) / std[ch];
        }
        return new NdArray(x.dtype(), x.shape(), out);
    }

    public Dataset apply(Dataset d) { return d.withFeatures(apply(d.features())); }

    @Override public double[] mean() { return mean.clone(); }
    @Override public double[] std() { return std.clone(); }
}
