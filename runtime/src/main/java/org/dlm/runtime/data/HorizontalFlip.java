package org.dlm.runtime.data;

import java.util.random.RandomGenerator;
import org.dlm.ir.interp.NdArray;

/** Mirrors the width axis with probability {@code p}. */
public record HorizontalFlip(double p) implements Augmentation {
    @Override public NdArray apply(NdArray x, RandomGenerator rnd) {
        if (rnd.nextDouble() >= p) return x;
        int[] s = Augmentation.chw(x);
        int w = s[2];
        double[] out = new double[x.size()];
        for (int row = 0; row < s[0] * s[1]; row++)
            for (int i = 0; i < w; i++) out[row * w + i] = x.get(row * w + (w - 1 - i));
        return new NdArray(x.dtype(), x.shape(), out);
    }
}
