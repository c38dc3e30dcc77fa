package org.dlm.ir.ops;

import java.util.Arrays;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Backward of {@link AttentionKernel}, recomputing the weights P row by row:
 * dV = Pᵀ·gy, dS = P ∘ (gy·Vᵀ - rowsum(P ∘ gy·Vᵀ)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
 * Gradients of broadcast operands are summed over the dims they were broadcast along.
 */
final class AttentionGradKernel {
    private AttentionGradKernel() {}

    /** Operands q, k, v, gy, mask?; attribute wrt selects dq (0), dk (1) or dv (2). */
    static NdArray eval(List<NdArray> in, Attrs a, TensorType out) {
        NdArray q = in.get(0), k = in.get(1), v = in.get(2), gy = in.get(3), mask = in.size() > 4 ? in.get(4) : null;
        int wrt = (int) a.getLong("wrt");
        int tq = (int) q.dim(-2), d = (int) q.dim(-1), tk = (int) k.dim(-2), dv = (int) v.dim(-1);
        long[] batch = Arrays.copyOf(gy.shape(), gy.rank() - 2);
        int[] iq = Broadcast.indexMap(Arrays.copyOf(q.shape(), q.rank() - 2), batch);
        int[] ik = Broadcast.indexMap(Arrays.copyOf(k.shape(), k.rank() - 2), batch);
        int[] iv = Broadcast.indexMap(Arrays.copyOf(v.shape(), v.rank() - 2), batch);
        long[] scoreShape = Arrays.copyOf(batch, batch.length + 2);
        scoreShape[batch.length] = tq;
        scoreShape[batch.length + 1] = tk;
        int[] im = mask == null ? null : Broadcast.indexMap(mask.shape(), scoreShape);
        double scale = a.getDouble("scale", 0) == 0 ? 1 / Math.sqrt(d) : a.getDouble("scale");
        boolean causal = a.getBool("causal", false);
        double[] dq = new double[q.size()], dk = new double[k.size()], dvv = new double[v.size()];
        double[] p = new double[tk], dp = new double[tk];
        boolean[] keep = new boolean[tk];
        for (int b = 0; b < iq.length; b++)
            for (int i = 0; i < tq; i++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tk; j++) {
                    keep[j] = (!causal || j <= i) && (im == null || mask.get(im[(b * tq + i) * tk + j]) != 0);
                    if (!keep[j]) continue;
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q.get((iq[b] * tq + i) * d + c) * k.get((ik[b] * tk + j) * d + c);
                    p[j] = dot * scale;
                    m = Math.max(m, p[j]);
                }
                if (m == Double.NEGATIVE_INFINITY) continue;
                double sum = 0;
                for (int j = 0; j < tk; j++) if (keep[j]) sum += (p[j] = Math.exp(p[j] - m));
                double t = 0;
                for (int j = 0; j < tk; j++) {
                    if (!keep[j]) { p[j] = 0; dp[j] = 0; continue; }
                    p[j] /= sum;
                    double s = 0;
                    for (int c = 0; c < dv; c++) {
                        double g = gy.get((b * tq + i) * dv + c);
                        s += g * v.get((iv[b] * tk + j) * dv + c);
                        dvv[(iv[b] * tk + j) * dv + c] += p[j] * g;
                    }
                    dp[j] = s;
                    t += p[j] * s;
                }
                for (int j = 0; j < tk; j++) {
                    if (!keep[j]) continue;
                    double ds = p[j] * (dp[j] - t) * scale;
                    for (int c = 0; c < d; c++) {
                        dq[(iq[b] * tq + i) * d + c] += ds * k.get((ik[b] * tk + j) * d + c);
                        dk[(ik[b] * tk + j) * d + c] += ds * q.get((iq[b] * tq + i) * d + c);
                    }
                }
            }
        double[] r = wrt == 0 ? dq : wrt == 1 ? dk : dvv;
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }
}
