package org.dlm.runtime.data;

import java.util.List;
import java.util.random.RandomGenerator;
import org.dlm.ir.interp.NdArray;

/**
 * A random transformation of one image sample {@code [C, H, W]} (a {@code [H, W]} sample is
 * treated as one channel). The random stream is given, never owned, so the same seed, epoch and
 * sample index give the same result on any thread.
 *
 * <pre>{@code
 * Augmentation aug = Augmentation.compose(new RandomCrop(28, 28, 2), new HorizontalFlip(0.5));
 * }</pre>
 */
@FunctionalInterface
public interface Augmentation {
    NdArray apply(NdArray sample, RandomGenerator rnd);

    /** Applies {@code steps} in order. */
    static Augmentation compose(Augmentation... steps) {
        List<Augmentation> l = List.of(steps);
        return (x, r) -> {
            for (Augmentation a : l) x = a.apply(x, r);
            return x;
        };
    }

    /** {C, H, W} of a sample. */
    static int[] chw(NdArray x) {
        return switch (x.rank()) {
            case 2 -> new int[] {1, (int) x.dim(0), (int) x.dim(1)};
            case 3 -> new int[] {(int) x.dim(0), (int) x.dim(1), (int) x.dim(2)};
            default -> throw new IllegalArgumentException("image augmentation needs [C, H, W] or [H, W] samples, got rank " + x.rank());
        };
    }
}
