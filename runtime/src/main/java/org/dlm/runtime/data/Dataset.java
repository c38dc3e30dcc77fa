package org.dlm.runtime.data;

import java.util.Arrays;
import java.util.List;
import org.dlm.ir.interp.NdArray;

/**
 * An in-memory data set: {@code features[N, ...]} and {@code labels[N, ...]}, one sample per
 * leading index, with the name of its source (for messages) and class names when the labels were
 * names in the source file. Immutable; selecting, splitting and normalizing return new data sets.
 * The one data-set type of the project: readers in {@code org.dlm.runtime.io} produce it, the data
 * pipeline and the trainer consume it.
 *
 * <pre>{@code
 * Dataset all = new Dataset(images, labels);
 * Dataset.Split s = all.split(0.9, 42);     // seeded shuffle, 90 % train
 * }</pre>
 */
public record Dataset(String name, NdArray features, NdArray labels, List<String> classes) {
    public Dataset {
        classes = List.copyOf(classes);
        if (features.rank() < 1 || labels.rank() < 1 || features.dim(0) != labels.dim(0))
            throw new IllegalArgumentException("features " + Arrays.toString(features.shape()) + " and labels "
                    + Arrays.toString(labels.shape()) + " must have the same number of samples (first dimension)");
    }

    /** A data set without a source name or class names. */
    public Dataset(NdArray features, NdArray labels) { this("data", features, labels, List.of()); }

    /** A training and a validation part. */
    public record Split(Dataset train, Dataset validation) {}

    public int size() { return (int) features.dim(0); }

    /** The samples at {@code indices}, in that order. */
    public Dataset select(int[] indices) { return new Dataset(name, rows(features, indices), rows(labels, indices), classes); }

    /** Samples {@code [from, to)}. */
    public Dataset slice(int from, int to) {
        if (from < 0 || to > size() || from > to) throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + size() + " samples");
        return select(java.util.stream.IntStream.range(from, to).toArray());
    }

    /** The same samples with other features (e.g. normalized). */
    public Dataset withFeatures(NdArray f) { return new Dataset(name, f, labels, classes); }

    /**
     * Shuffles with {@code seed} and puts the first {@code round(trainFraction · N)} samples in
     * the training part, the rest in the validation part.
     */
    public Split split(double trainFraction, long seed) {
        if (!(trainFraction > 0 && trainFraction < 1))
            throw new IllegalArgumentException("train fraction must be in (0, 1), got " + trainFraction);
        int[] perm = Shuffle.permutation(size(), seed);
        int n = (int) Math.round(trainFraction * size());
        return new Split(select(Arrays.copyOfRange(perm, 0, n)), select(Arrays.copyOfRange(perm, n, perm.length)));
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
        return new NdArray(a.dtype(), Arrays.copyOfRange(shape, 1, shape.length),
                Arrays.copyOfRange(a.data(), i * row, (i + 1) * row));
    }
}
