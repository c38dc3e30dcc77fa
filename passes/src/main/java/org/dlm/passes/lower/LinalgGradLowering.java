package org.dlm.passes.lower;

import static org.dlm.ir.kernel.Expr.*;

import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Microkernels;
import org.dlm.ir.kernel.Stmt;

/**
 * {@code attention_grad} as GEMM calls per broadcast batch, recomputing the weights:
 * P = softmax(mask(Q·Kᵀ·scale)), dV += Pᵀ·gy; dP = gy·Vᵀ, dS = P∘(dP - rowsum(P∘dP))·scale,
 * dQ += dS·K, dK += dSᵀ·Q (accumulating over the batch dims an operand was broadcast along).
 * {@code embedding_grad} adds each row of gy into its id's row (serial over ids, which may repeat;
 * contiguous inner loop).
 */
final class LinalgGradLowering {
    private LinalgGradLowering() {}

    static void register(LoweringTable t) {
        t.statements("attention_grad", LinalgGradLowering::attentionGrad);
        t.statements("embedding_grad", LinalgGradLowering::embeddingGrad);
    }

    static void embeddingGrad(Node n, Lowerer cx) {
        Node ids = n.input(1), gy = n.input(2);
        long[] ts = cx.shape(n);
        long v = ts[0], d = ts[1], count = Lowerer.numel(cx.shape(ids));
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        cx.flatLoop(ts, true, i -> List.of(new Stmt.Store(out, i.flat(), c(t, 0))));
        cx.loop(count, i -> cx.collect(() -> {
            var row = cx.local("row", DType.I64, max(i64(0), min(cast(DType.I64, cx.read(ids, Index.ofFlat(cx.shape(ids), i))), i64(v - 1))));
            cx.loop(d, c -> {
                Expr at = add(mul(row, i64(d)), c);
                return List.of(new Stmt.Store(out, at, add(load(out, at), cx.read(gy, Index.ofFlat(cx.shape(gy), add(mul(i, i64(d)), c))))));
            });
        }));
    }

    static void attentionGrad(Node n, Lowerer cx) {
        LinalgLowering.requireF32(n);
        Node q = n.input(0), k = n.input(1), v = n.input(2), gy = n.input(3);
        Node mask = n.inputs().size() > 4 ? n.input(4) : null;
        long[] qs = cx.shape(q), ks = cx.shape(k), vs = cx.shape(v), gs = cx.shape(gy);
        long tq = qs[qs.length - 2], d = qs[qs.length - 1], tk = ks[ks.length - 2], dv = vs[vs.length - 1];
        double scale = n.attrs().getDouble("scale", 0);
        if (scale == 0) scale = 1 / Math.sqrt(d);
        double s0 = scale;
        boolean causal = n.attrs().getBool("causal", false);
        int wrt = (int) n.attrs().getLong("wrt", 0);
        long[] ob = LinalgLowering.batch(gs, 2), qb = LinalgLowering.batch(qs, 2), kb = LinalgLowering.batch(ks, 2), vb = LinalgLowering.batch(vs, 2);
        long[] ms = mask == null ? null : cx.shape(mask);
        DType t = DType.F32;
        Buffer out = cx.storage(n), p = cx.temp("weights", t, tq * tk), dp = wrt == 2 ? null : cx.temp("dweights", t, tq * tk);
        Buffer bq = cx.storage(q), bk = cx.storage(k), bv = cx.storage(v), bg = cx.storage(gy);
        cx.flatLoop(cx.shape(n), true, i -> List.of(new Stmt.Store(out, i.flat(), f32(0))));
        cx.loops(ob, false, idx -> cx.collect(() -> {
            Expr qOff = LinalgLowering.batchOffset(idx, qb, tq * d), kOff = LinalgLowering.batchOffset(idx, kb, tk * d);
            Expr vOff = LinalgLowering.batchOffset(idx, vb, tk * dv), gOff = mul(idx.flat(), i64(tq * dv));
            cx.emit(LinalgLowering.sgemm(false, true, tq, tk, d, bq, qOff, d, bk, kOff, d, p, i64(0), tk, 0, null));
            cx.loop(tq, i -> cx.collect(() -> {
                var m = cx.local("max", t, c(t, Double.NEGATIVE_INFINITY));
                cx.loop(tk, j -> {
                    Expr at = add(mul(i, i64(tk)), j);
                    Expr keep = LinalgLowering.attentionKeep(cx, mask, ms, idx, ob, tq, tk, i, j, causal);
                    Expr s = mul(load(p, at), c(t, s0));
                    Expr masked = keep == null ? s : select(keep, s, c(t, Double.NEGATIVE_INFINITY));
                    return cx.collect(() -> {
                        var sv = cx.local("s", t, masked);
                        cx.emit(new Stmt.Store(p, at, sv));
                        cx.assign(m, max(m, sv));
                    });
                });
                var sum = cx.local("sum", t, c(t, 0));
                Expr safeM = select(bin(BinOp.EQ, m, c(t, Double.NEGATIVE_INFINITY)), c(t, 0), m);
                cx.loop(tk, j -> {
                    Expr at = add(mul(i, i64(tk)), j);
                    return cx.collect(() -> {
                        var e = cx.local("e", t, un(UnOp.EXP, sub(load(p, at), safeM)));
                        cx.emit(new Stmt.Store(p, at, e));
                        cx.assign(sum, add(sum, e));
                    });
                });
                Expr rs = select(bin(BinOp.GT, sum, c(t, 0)), div(c(t, 1), sum), c(t, 0));
                cx.loop(tk, j -> List.of(new Stmt.Store(p, add(mul(i, i64(tk)), j), mul(load(p, add(mul(i, i64(tk)), j)), rs))));
            }));
            if (wrt == 2) {
                cx.emit(LinalgLowering.sgemm(true, false, tk, dv, tq, p, i64(0), tk, bg, gOff, dv, out, vOff, dv, Microkernels.ACCUMULATE, null));
                return;
            }
            cx.emit(LinalgLowering.sgemm(false, true, tq, tk, dv, bg, gOff, dv, bv, vOff, dv, dp, i64(0), tk, 0, null));
            cx.loop(tq, i -> cx.collect(() -> {
                Expr row = mul(i, i64(tk));
                var tot = cx.local("t", t, c(t, 0));
                cx.loop(tk, j -> List.of(new Stmt.Assign(tot.name(), add(tot, mul(load(p, add(row, j)), load(dp, add(row, j)))))));
                cx.loop(tk, j -> List.of(new Stmt.Store(dp, add(row, j), mul(mul(load(p, add(row, j)), sub(load(dp, add(row, j)), tot)), c(t, s0)))));
            }));
            if (wrt == 0) cx.emit(LinalgLowering.sgemm(false, false, tq, d, tk, dp, i64(0), tk, bk, kOff, d, out, qOff, d, Microkernels.ACCUMULATE, null));
            else cx.emit(LinalgLowering.sgemm(true, false, tk, d, tq, dp, i64(0), tk, bq, qOff, d, out, kOff, d, Microkernels.ACCUMULATE, null));
        }));
    }
}
