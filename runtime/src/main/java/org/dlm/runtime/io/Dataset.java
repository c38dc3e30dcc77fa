package org.dlm.runtime.io;

import java.util.Arrays;
import java.util.List;
import org.dlm.ir.interp.NdArray;

/**
 * An in-memory labelled data set: {@code features} with the sample index first, {@code labels}
 * (one per sample; i64 class indices or f32 targets), and class names when the labels were
 * names in the source file.
 *
 * @param name     where it came from, for messages
 * @param features e.g. f32[N, 1, 28, 28] or f32[N, C]
 * @param labels   i64[N] class indices, or f32[N] regression targets
 * @param classes  class names by index, empty when the source held numbers
 */
public record Dataset(String name, NdArray features, NdArray labels, List<String> classes) {
    public Dataset {
        classes = List.copyOf(classes);
        if (features.rank() == 0 || labels.rank() == 0 || features.dim(0) != labels.dim(0))
            throw new IllegalArgumentException(name + ": " + features.dim(0) + " samples but " + labels.dim(0) + " labels");
    }

    public int size() { return (int) features.dim(0); }

    /** Samples {@code [from, to)} as a new data set. */
    public Dataset slice(int from, int to) {
        if (from < 0 || to > size() || from > to) throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + size() + " samples");
        return new Dataset(name, rows(features, from, to), rows(labels, from, to), classes);
    }

    private static NdArray rows(NdArray a, int from, int to) {
        long[] shape = a.shape();
        int row = a.size() / (int) Math.max(1, shape[0]);
        shape[0] = to - from;
        return new NdArray(a.dtype(), shape, Arrays.copyOfRange(a.data(), from * row, to * row));
    }
}
