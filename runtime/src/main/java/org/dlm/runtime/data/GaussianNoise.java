package org.dlm.runtime.data;

import java.util.random.RandomGenerator;
import org.dlm.ir.interp.NdArray;

/** Adds independent normal noise of standard deviation {@code std} to every element. */
public record GaussianNoise(double std) implements Augmentation {
    @Override public NdArray apply(NdArray x, RandomGenerator rnd) {
        double[] out = new double[x.size()];
        for (int i = 0; i < out.length; i++) out[i] = x.get(i) + std * rnd.nextGaussian();
        return new NdArray(x.dtype(), x.shape(), out);
    }
}
