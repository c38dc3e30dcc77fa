package org.dlm.runtime.data;

import java.util.random.RandomGenerator;
import org.dlm.ir.interp.NdArray;

/**
 * Random brightness and contrast: {@code x·b}, then {@code (x − m)·c + m} with {@code m} the
 * sample's mean, {@code b} and {@code c} uniform in {@code [max(0, 1 − brightness), 1 + brightness]}
 * and {@code [max(0, 1 − contrast), 1 + contrast]}. No clamping, so it also suits normalized data.
 */
public record ColorJitter(double brightness, double contrast) implements Augmentation {
    @Override public NdArray apply(NdArray x, RandomGenerator rnd) {
        double b = factor(brightness, rnd), c = factor(contrast, rnd);
        return adjust(x, b, c);
    }

    static NdArray adjust(NdArray x, double b, double c) {
        double m = 0;
        for (int i = 0; i < x.size(); i++) m += x.get(i) * b;
        m /= x.size();
        double[] out = new double[x.size()];
        for (int i = 0; i < out.length; i++) out[i] = (x.get(i) * b - m) * c + m;
        return new NdArray(x.dtype(), x.shape(), out);
    }

    private static double factor(double amount, RandomGenerator rnd) {
        return amount == 0 ? 1 : rnd.nextDouble(Math.max(0, 1 - amount), 1 + amount);
    }
}
