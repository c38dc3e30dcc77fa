package org.dlm.passes.lower;

import static org.dlm.ir.kernel.Expr.*;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Microkernels;
import org.dlm.ir.kernel.Stmt;

/**
 * matmul, gemm, linear and attention as calls of the backend's GEMM microkernel (batched
 * products as a loop of calls), with bias added in the GEMM's epilogue where it fits.
 */
final class LinalgLowering {
    private LinalgLowering() {}

    static void register(LoweringTable t) {
        t.statements("matmul", LinalgLowering::matmul);
        t.statements("linear", LinalgLowering::linear);
        t.statements("gemm", LinalgLowering::gemm);
        t.statements("attention", LinalgLowering::attention);
    }

    static void requireF32(Node n) {
        if (n.dtype() != DType.F32) throw new UnsupportedOperationException(n.opName() + " on " + n.dtype().text() + " (only f32 has a GEMM microkernel)");
    }

    /** A call of sgemm: C[m×n] = A·B with the given leading dims, flags and bias. */
    static Stmt sgemm(boolean ta, boolean tb, long m, long n, long k, Buffer a, Expr aOff, long lda, Buffer b, Expr bOff, long ldb,
                      Buffer c, Expr cOff, long ldc, int flags, Buffer bias) {
        return new Stmt.Call(Microkernels.sgemm(ta, tb), List.of(
                new Stmt.ScalarArg(i64(m)), new Stmt.ScalarArg(i64(n)), new Stmt.ScalarArg(i64(k)),
                new Stmt.PtrArg(a, aOff), new Stmt.ScalarArg(i64(lda)),
                new Stmt.PtrArg(b, bOff), new Stmt.ScalarArg(i64(ldb)),
                new Stmt.PtrArg(c, cOff), new Stmt.ScalarArg(i64(ldc)),
                new Stmt.ScalarArg(c(DType.I32, flags)),
                bias == null ? new Stmt.NullArg() : new Stmt.PtrArg(bias, i64(0))));
    }

    static long[] batch(long[] s, int matrixDims) { return java.util.Arrays.copyOf(s, Math.max(0, s.length - matrixDims)); }

    /** Element offset of the batch part of an operand with batch shape {@code bs}, matrix size {@code size}, for output batch index {@code idx}. */
    static Expr batchOffset(Index idx, long[] bs, long size) {
        if (Lowerer.numel(bs) <= 1) return i64(0);
        return mul(Lowerer.broadcast(idx, bs).flat(), i64(size));
    }

    static void matmul(Node n, Lowerer cx) {
        requireF32(n);
        Node a = n.input(0), b = n.input(1);
        long[] as = cx.shape(a), bs = cx.shape(b);
        if (as.length == 1) as = new long[] {1, as[0]};
        if (bs.length == 1) bs = new long[] {bs[0], 1};
        long m = as[as.length - 2], k = as[as.length - 1], nn = bs[bs.length - 1];
        long[] ab = batch(as, 2), bb = batch(bs, 2);
        long[] ob = org.dlm.ir.ops.Broadcast.sizes(ab, bb);
        Buffer ba = cx.storage(a), bbuf = cx.storage(b), out = cx.storage(n);
        if (Lowerer.numel(bb) == 1 && Lowerer.numel(ab) > 1) {
            // one matrix on the right ([B, T, K]·[K, N], a linear layer's input gradient): the batch entries of the left
            // operand are consecutive rows, so one GEMM of B·T rows instead of B GEMMs that each pack the right operand again
            cx.emit(sgemm(false, false, Lowerer.numel(ab) * m, nn, k, ba, i64(0), k, bbuf, i64(0), nn, out, i64(0), nn, 0, null));
            return;
        }
        cx.loops(ob, true, idx -> List.of(sgemm(false, false, m, nn, k,
                ba, batchOffset(idx, ab, m * k), k, bbuf, batchOffset(idx, bb, k * nn), nn,
                out, mul(idx.flat(), i64(m * nn)), nn, 0, null)));
    }

    static void linear(Node n, Lowerer cx) {
        requireF32(n);
        Node x = n.input(0), w = n.input(1);
        long[] ws = cx.shape(w);
        long out = ws[0], in = ws[1];
        long m = Lowerer.numel(cx.shape(x)) / Math.max(1, in);
        Buffer bias = n.inputs().size() > 2 ? cx.storage(n.input(2)) : null;
        int flags = (bias == null ? 0 : Microkernels.BIAS_COLUMNS) | (cx.fusedRelu(n) != null ? Microkernels.RELU : 0);
        if (cx.isLinearWeight(w)) {   // w = transpose(wt) with wt[in, out] stored at compile time: no transposed operand
            cx.emit(sgemm(false, false, m, out, in, cx.storage(x), i64(0), in, cx.storage(w.input(0)), i64(0), out,
                    cx.storage(n), i64(0), out, flags, bias));
            return;
        }
        cx.emit(sgemm(false, true, m, out, in, cx.storage(x), i64(0), in, cx.storage(w), i64(0), in,
                cx.storage(n), i64(0), out, flags, bias));
    }

    static void gemm(Node n, Lowerer cx) {
        requireF32(n);
        boolean ta = n.attrs().getBool("trans_a", false), tb = n.attrs().getBool("trans_b", false);
        double alpha = n.attrs().getDouble("alpha", 1), beta = n.attrs().getDouble("beta", 1);
        long[] os = cx.shape(n);
        long m = os[0], nn = os[1];
        long[] as = cx.shape(n.input(0)), bs = cx.shape(n.input(1));
        long k = ta ? as[0] : as[1];
        Node c = n.inputs().size() > 2 ? n.input(2) : null;
        long[] cs = c == null ? null : cx.shape(c);
        boolean biasRow = c != null && alpha == 1 && beta == 1 && Lowerer.numel(cs) == nn && (cs.length == 1 || cs[0] == 1) && cx.hasStorage(c);
        Buffer out = cx.storage(n);
        cx.emit(sgemm(ta, tb, m, nn, k, cx.storage(n.input(0)), i64(0), as[1], cx.storage(n.input(1)), i64(0), bs[1],
                out, i64(0), nn, biasRow ? Microkernels.BIAS_COLUMNS : 0, biasRow ? cx.storage(c) : null));
        if ((c != null && !biasRow) || alpha != 1) {
            DType t = n.dtype();
            cx.loops(os, true, idx -> {
                Expr y = mul(c(t, alpha), load(out, idx.flat()));
                if (c != null && !biasRow && beta != 0) y = add(y, mul(c(t, beta), cx.read(c, Lowerer.broadcast(idx, cs))));
                return List.of(new Stmt.Store(out, idx.flat(), y));
            });
        }
    }

    static void attention(Node n, Lowerer cx) {
        requireF32(n);
        Node q = n.input(0), k = n.input(1), v = n.input(2);
        Node mask = n.inputs().size() > 3 ? n.input(3) : null;
        long[] qs = cx.shape(q), ks = cx.shape(k), vs = cx.shape(v), os = cx.shape(n);
        int r = qs.length;
        long tq = qs[r - 2], d = qs[r - 1], tk = ks[ks.length - 2], dv = vs[vs.length - 1];
        double scale = n.attrs().getDouble("scale", 0);
        if (scale == 0) scale = 1 / Math.sqrt(d);
        boolean causal = n.attrs().getBool("causal", false);
        long[] ob = batch(os, 2), qb = batch(qs, 2), kb = batch(ks, 2), vb = batch(vs, 2);
        long[] ms = mask == null ? null : cx.shape(mask);
        DType t = DType.F32;
        // Each batch entry gets its own scores matrix (unless that is huge), so entries are independent and run in parallel.
        long batches = Lowerer.numel(ob);
        boolean own = batches > 1 && batches * tq * tk <= (1L << 24);
        Buffer scores = cx.temp("scores", t, (own ? batches : 1) * tq * tk), out = cx.storage(n);
        double s0 = scale;
        cx.loops(ob, own, idx -> cx.collect(() -> {
            Buffer sc = scores;
            Expr so = own ? mul(idx.flat(), i64(tq * tk)) : i64(0);
            cx.emit(sgemm(false, true, tq, tk, d, cx.storage(q), batchOffset(idx, qb, tq * d), d, cx.storage(k), batchOffset(idx, kb, tk * d), d,
                    sc, so, tk, 0, null));
            cx.loop(tq, i -> cx.collect(() -> {
                var m = cx.local("max", t, c(t, Double.NEGATIVE_INFINITY));
                cx.loop(tk, j -> {
                    Expr at = add(so, add(mul(i, i64(tk)), j));
                    Expr s = mul(load(sc, at), c(t, s0));
                    Expr keep = attentionKeep(cx, mask, ms, idx, ob, tq, tk, i, j, causal);
                    Expr masked = keep == null ? s : select(keep, s, c(t, Double.NEGATIVE_INFINITY));
                    return cx.collect(() -> {
                        var sv = cx.local("s", t, masked);   // a local: the store below changes what the load reads
                        cx.emit(new Stmt.Store(sc, at, sv));
                        cx.assign(m, max(m, sv));
                    });
                });
                var sum = cx.local("sum", t, c(t, 0));
                Expr safeM = select(bin(BinOp.EQ, m, c(t, Double.NEGATIVE_INFINITY)), c(t, 0), m);
                cx.loop(tk, j -> {
                    Expr at = add(so, add(mul(i, i64(tk)), j));
                    return cx.collect(() -> {
                        var e = cx.local("e", t, un(UnOp.EXP, sub(load(sc, at), safeM)));
                        cx.emit(new Stmt.Store(sc, at, e));
                        cx.assign(sum, add(sum, e));
                    });
                });
                // a row with every key masked has sum 0: zeros, not NaN
                Expr rs = select(bin(BinOp.GT, sum, c(t, 0)), div(c(t, 1), sum), c(t, 0));
                cx.loop(tk, j -> {
                    Expr at = add(so, add(mul(i, i64(tk)), j));
                    return List.of(new Stmt.Store(sc, at, mul(load(sc, at), rs)));
                });
            }));
            cx.emit(sgemm(false, false, tq, dv, tk, sc, so, tk, cx.storage(v), batchOffset(idx, vb, tk * dv), dv,
                    out, mul(idx.flat(), i64(tq * dv)), dv, 0, null));
        }));
    }

    /**
     * Whether attention score (i, j) of batch entry {@code idx} is kept: the mask (broadcast to
     * [..ob, tq, tk]) and, when causal, j <= i; null when every score is kept.
     */
    static Expr attentionKeep(Lowerer cx, Node mask, long[] ms, Index idx, long[] ob, long tq, long tk, Expr i, Expr j, boolean causal) {
        Expr keep = null;
        if (mask != null) {
            List<Expr> full = new ArrayList<>(idx.dims());
            full.add(i);
            full.add(j);
            long[] fullShape = java.util.Arrays.copyOf(ob, ob.length + 2);
            fullShape[ob.length] = tq;
            fullShape[ob.length + 1] = tk;
            keep = cx.read(mask, Lowerer.broadcast(Index.ofDims(fullShape, full), ms));
        }
        if (causal) keep = keep == null ? bin(BinOp.LE, j, i) : bin(BinOp.AND, keep, bin(BinOp.LE, j, i));
        return keep;
    }
}
