package org.dlm.ir.ops;

import java.util.Arrays;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/** Reference kernel of scaled dot-product attention: softmax(q kᵀ · scale, masked) v, one query row at a time. */
final class AttentionKernel {
    private AttentionKernel() {}

    static NdArray eval(List<NdArray> in, Attrs a, TensorType out) {
        long[] outShape = out.shape().sizes();
        AttentionRows at = new AttentionRows(in.get(0), in.get(1), in.get(2), in.size() > 3 ? in.get(3) : null,
                Arrays.copyOf(outShape, outShape.length - 2), a);
        int tq = at.tq, tk = at.tk, dv = at.dv;
        double[] r = new double[at.batches() * tq * dv], w = new double[tk];
        boolean[] keep = new boolean[tk];
        for (int b = 0; b < at.batches(); b++)
            for (int i = 0; i < tq; i++) {
                if (!at.weights(b, i, w, keep)) continue;   // every key masked: the row stays zero
                for (int j = 0; j < tk; j++) {
                    if (!keep[j]) continue;
                    for (int c = 0; c < dv; c++) r[(b * tq + i) * dv + c] += w[j] * at.v.get((at.iv[b] * tk + j) * dv + c);
                }
            }
        return new NdArray(out.dtype(), outShape, r);
    }
}
