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
        NdArray q = in.get(0), k = in.get(1), v = in.get(2), gy = in.get(3);
        AttentionRows at = new AttentionRows(q, k, v, in.size() > 4 ? in.get(4) : null, Arrays.copyOf(gy.shape(), gy.rank() - 2), a);
        int wrt = (int) a.getLong("wrt");
        int tq = at.tq, d = at.d, tk = at.tk, dv = at.dv;
        int[] iq = at.iq, ik = at.ik, iv = at.iv;
        double scale = at.scale;
        double[] dq = new double[q.size()], dk = new double[k.size()], dvv = new double[v.size()];
        double[] p = new double[tk], dp = new double[tk];
        boolean[] keep = new boolean[tk];
        for (int b = 0; b < at.batches(); b++)
            for (int i = 0; i < tq; i++) {
                if (!at.weights(b, i, p, keep)) continue;
                double t = 0;
                for (int j = 0; j < tk; j++) {
                    if (!keep[j]) { dp[j] = 0; continue; }
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
