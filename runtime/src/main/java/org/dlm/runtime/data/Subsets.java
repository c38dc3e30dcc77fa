package org.dlm.runtime.data;

import java.util.Arrays;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.io.Dataset;

/**
 * Subsets of a {@link Dataset} (as read by {@code org.dlm.runtime.io}): samples by index and a
 * seeded train/validation split.
 *
 * <pre>{@code
 * Subsets.Split s = Subsets.split(MnistData.load(dir, "train"), 0.9, 42);   // 90 % train
 * }</pre>
 */
public final class Subsets {
    private Subsets() {}

    /** A training and a validation part. */
    public record Split(Dataset train, Dataset validation) {}

    /** The samples at {@code indices}, in that order. */
    public static Dataset select(Dataset d, int[] indices) {
        return new Dataset(d.name(), rows(d.features(), indices), rows(d.labels(), indices), d.classes());
    }

    /**
     * Shuffles with {@code seed} and puts the first {@code round(trainFraction · N)} samples in
     * the training part, the rest in the validation part.
     */
    public static Split split(Dataset d, double trainFraction, long seed) {
        if (!(trainFraction > 0 && trainFraction < 1))
            throw new IllegalArgumentException("train fraction must be in (0, 1), got " + trainFraction);
        int[] perm = Shuffle.permutation(d.size(), seed);
        int n = (int) Math.round(trainFraction * d.size());
        return new Split(select(d, Arrays.copyOfRange(perm, 0, n)), select(d, Arrays.copyOfRange(perm, n, perm.length)));
    }

    /** Rows {@code indices} of {@code a} along its first axis. */
    static NdArray rows(NdArray a, int[] indices) {
        long[] shape = a.shape();
        int row = (int) (a.size() / Math.max(1, shape[0]));
        double[] out = new double[indices.length * row];
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= shape[0])
                throw new IndexOutOfBoundsException("sample " + indices[i] + " of " + shape[0]);
            System.arraycopy(a.data(), indices[i] * row, out, i * row, row);
        }
        shape[0] = indices.length;
        return new NdArray(a.dtype(), shape, out);
    }

    /** Sample {@code i} of {@code a} without its leading axis. */
    static NdArray row(NdArray a, int i) {
        long[] shape = a.shape();
        int row = (int) (a.size() / shape[0]);
        return new NdArray(a.dtype(), Arrays.copyOfRange(shape, 1, shape.length), Arrays.copyOfRange(a.data(), i * row, (i + 1) * row));
    }
}
