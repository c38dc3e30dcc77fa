package org.dlm.runtime.data;

import org.dlm.ir.interp.NdArray;

/** One mini-batch: stacked features and labels, and the data-set indices they came from. */
public record Batch(NdArray features, NdArray labels, int[] indices) {
    public int size() { return indices.length; }
}
