package org.dlm.ir.ops;

import java.util.Arrays;
import org.dlm.ir.Attrs;
import org.dlm.ir.interp.NdArray;

/**
 * The part of scaled dot-product attention that forward and backward share: operand geometry with
 * broadcast batch index maps, and the masked softmax weights of one query row. Keeping it in one
 * place means the gradient recomputes exactly the weights the forward kernel used.
 */
final class AttentionRows {
    final NdArray q, k, v, mask;
    final int tq, d, tk, dv;
    /** Per broadcast batch index: the batch index into q, k, v; {@code im} maps score elements to mask elements. */
    final int[] iq, ik, iv, im;
    final double scale;
    final boolean causal;

    /** {@code batch} is the broadcast batch shape of q, k and v (the output's leading dims). */
    AttentionRows(NdArray q, NdArray k, NdArray v, NdArray mask, long[] batch, Attrs a) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.mask = mask;
        tq = (int) q.dim(-2);
        d = (int) q.dim(-1);
        tk = (int) k.dim(-2);
        dv = (int) v.dim(-1);
        iq = Broadcast.indexMap(Arrays.copyOf(q.shape(), q.rank() - 2), batch);
        ik = Broadcast.indexMap(Arrays.copyOf(k.shape(), k.rank() - 2), batch);
        iv = Broadcast.indexMap(Arrays.copyOf(v.shape(), v.rank() - 2), batch);
        long[] scoreShape = Arrays.copyOf(batch, batch.length + 2);
        scoreShape[batch.length] = tq;
        scoreShape[batch.length + 1] = tk;
        im = mask == null ? null : Broadcast.indexMap(mask.shape(), scoreShape);
        scale = a.getDouble("scale", 0) == 0 ? 1 / Math.sqrt(d) : a.getDouble("scale");
        causal = a.getBool("causal", false);
    }

    int batches() { return iq.length; }

    /**
     * Fills {@code p[j]} with the softmax weight of key j for query row i of batch b, and
     * {@code keep[j]} with whether key j is visible (not masked, not in the causal future); hidden
     * keys get weight 0. Returns false when every key is hidden: the row has no weights.
     */
    boolean weights(int b, int i, double[] p, boolean[] keep) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < tk; j++) {
            keep[j] = (!causal || j <= i) && (im == null || mask.get(im[(b * tq + i) * tk + j]) != 0);
            if (!keep[j]) continue;
            double dot = 0;
            for (int c = 0; c < d; c++) dot += q.get((iq[b] * tq + i) * d + c) * k.get((ik[b] * tk + j) * d + c);
            p[j] = dot * scale;
            m = Math.max(m, p[j]);
        }
        if (m == Double.NEGATIVE_INFINITY) return false;
        double sum = 0;
        for (int j = 0; j < tk; j++) if (keep[j]) sum += (p[j] = Math.exp(p[j] - m));
        for (int j = 0; j < tk; j++) p[j] = keep[j] ? p[j] / sum : 0;
        return true;
    }
}
