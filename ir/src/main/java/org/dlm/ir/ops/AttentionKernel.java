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
        NdArray q = in.get(0), k = in.get(1), v = in.get(2), mask = in.size() > 3 ? in.get(3) : null;
        int tq = (int) q.dim(-2), d = (int) q.dim(-1), tk = (int) k.dim(-2), dv = (int) v.dim(-1);
        long[] outShape = out.shape().sizes();
        long[] batch = Arrays.copyOf(outShape, outShape.length - 2);
        int[] iq = Broadcast.indexMap(Arrays.copyOf(q.shape(), q.rank() - 2), batch);
        int[] ik = Broadcast.indexMap(Arrays.copyOf(k.shape(), k.rank() - 2), batch);
        int[] iv = Broadcast.indexMap(Arrays.copyOf(v.shape(), v.rank() - 2), batch);
        long[] scoreShape = Arrays.copyOf(batch, batch.length + 2);
        scoreShape[batch.length] = tq;
        scoreShape[batch.length + 1] = tk;
        int[] im = mask == null ? null : Broadcast.indexMap(mask.shape(), scoreShape);
        double scale = a.getDouble("scale", 0) == 0 ? 1 / Math.sqrt(d) : a.getDouble("scale");
        boolean causal = a.getBool("causal", false);
        double[] r = new double[iq.length * tq * dv], s = new double[tk];
        boolean[] keep = new boolean[tk];
        for (int b = 0; b < iq.length; b++)
            for (int i = 0; i < tq; i++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tk; j++) {
                    keep[j] = (!causal || j <= i) && (im == null || mask.data()[im[(b * tq + i) * tk + j]] != 0);
                    if (!keep[j]) continue;
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q.data()[(iq[b] * tq + i) * d + c] * k.data()[(ik[b] * tk + j) * d + c];
                    s[j] = dot * scale;
                    m = Math.max(m, s[j]);
                }
                if (m == Double.NEGATIVE_INFINITY) continue;   // every key masked: the row stays zero
                double sum = 0;
                for (int j = 0; j < tk; j++) if (keep[j]) sum += (s[j] = Math.exp(s[j] - m));
                for (int j = 0; j < tk; j++) {
                    if (!keep[j]) continue;
                    double w = s[j] / sum;
                    for (int c = 0; c < dv; c++) r[(b * tq + i) * dv + c] += w * v.data()[(iv[b] * tk + j) * dv + c];
                }
            }
        return new NdArray(out.dtype(), outShape, r);
    }
}
