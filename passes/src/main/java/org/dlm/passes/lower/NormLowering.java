package org.dlm.passes.lower;

import static org.dlm.ir.kernel.Expr.*;

import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * Row-wise normalizations (softmax, log_softmax, layer_norm) as loops over rows with accumulator
 * passes, and inference batch norm as a fusable per-channel scale and shift (folded from the
 * parameters at compile time when they are known).
 */
final class NormLowering {
    private NormLowering() {}

    static void register(LoweringTable t) {
        t.statements("softmax", (n, cx) -> softmax(n, cx, false));
        t.statements("log_softmax", (n, cx) -> softmax(n, cx, true));
        t.statements("layer_norm", NormLowering::layerNorm);
        t.elementwise("batch_norm", false, NormLowering::batchNorm);
    }

    static void softmax(Node n, Lowerer cx, boolean log) {
        Node x = n.input(0);
        long[] xs = cx.shape(x);
        int ax = ShapeLowering.axis(n.attrs().getLong("axis", -1), xs.length);
        long outer = 1, inner = 1, len = xs[ax];
        for (int k = 0; k < ax; k++) outer *= xs[k];
        for (int k = ax + 1; k < xs.length; k++) inner *= xs[k];
        long in = inner;
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        cx.loops(new long[] {outer, inner}, true, oi -> cx.collect(() -> {
            Expr base = add(mul(oi.dim(0), i64(len * in)), oi.dim(1));
            java.util.function.Function<Expr, Expr> at = k -> add(base, mul(k, i64(in)));
            java.util.function.Function<Expr, Expr> xv = k -> cx.read(x, Index.ofFlat(xs, at.apply(k)));
            // independent partial max/sum chains (NormGradLowering.laneReduce): one f32 chain neither vectorizes nor pipelines;
            // each exp is computed once, stored, summed from memory and rescaled in place
            Expr m = NormGradLowering.laneMax(cx, "max", t, len, xv);
            cx.loop(len, k -> List.of(new Stmt.Store(out, at.apply(k), un(UnOp.EXP, sub(xv.apply(k), m)))));
            Expr s = NormGradLowering.laneSum(cx, "sum", t, len, k -> load(out, at.apply(k)));
            if (log) {
                var lse = cx.local("lse", t, add(m, un(UnOp.LOG, s)));
                cx.loop(len, k -> List.of(new Stmt.Store(out, at.apply(k), sub(xv.apply(k), lse))));
            } else {
                var r = cx.local("r", t, div(c(t, 1), s));
                cx.loop(len, k -> List.of(new Stmt.Store(out, at.apply(k), mul(load(out, at.apply(k)), r))));
            }
        }));
    }

    static void layerNorm(Node n, Lowerer cx) {
        Node x = n.input(0);
        long[] xs = cx.shape(x);
        int ax = ShapeLowering.axis(n.attrs().getLong("axis", -1), xs.length);
        long rows = 1, cols = 1;
        for (int k = 0; k < ax; k++) rows *= xs[k];
        for (int k = ax; k < xs.length; k++) cols *= xs[k];
        long cl = cols;
        double eps = n.attrs().getDouble("eps", 1e-5);
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        Node gamma = n.inputs().size() > 1 ? n.input(1) : null, beta = n.inputs().size() > 2 ? n.input(2) : null;
        cx.loop(rows, true, r -> cx.collect(() -> {
            Expr base = mul(r, i64(cl));
            java.util.function.Function<Expr, Expr> xv = j -> cx.read(x, Index.ofFlat(xs, add(base, j)));
            Expr s = NormGradLowering.laneSum(cx, "sum", t, cl, xv);
            var mean = cx.local("mean", t, mul(s, c(t, 1.0 / cl)));
            Expr q = NormGradLowering.laneSum(cx, "sq", t, cl, j -> {
                Expr d = sub(xv.apply(j), mean);
                return mul(d, d);
            });
            var rstd = cx.local("rstd", t, div(c(t, 1), un(UnOp.SQRT, add(mul(q, c(t, 1.0 / cl)), c(t, eps)))));
            cx.loop(cl, j -> {
                Expr y = mul(sub(xv.apply(j), mean), rstd);
                if (gamma != null) y = mul(y, cx.read(gamma, Index.ofFlat(cx.shape(gamma), j)));
                if (beta != null) y = add(y, cx.read(beta, Index.ofFlat(cx.shape(beta), j)));
                return List.of(new Stmt.Store(out, add(base, j), y));
            });
        }));
    }

    static Expr batchNorm(Node n, Index idx, Lowerer cx) {
        if (n.attrs().getBool("training", false)) throw new UnsupportedOperationException("batch_norm in training mode");
        double eps = n.attrs().getDouble("eps", 1e-5);
        Expr x = cx.read(n.input(0), idx);
        long[] cs = cx.shape(n.input(1));
        Index ch = Index.ofDims(cs, List.of(idx.rank() > 1 ? idx.dim(1) : i64(0)));
        NdArray g = cx.constant(n.input(1)), b = cx.constant(n.input(2)), m = cx.constant(n.input(3)), v = cx.constant(n.input(4));
        DType t = n.dtype();
        if (g != null && b != null && m != null && v != null) {
            // Folded at compile time: y = x * scale + shift.
            int c = g.size();
            double[] scale = new double[c], shift = new double[c];
            for (int i = 0; i < c; i++) {
                scale[i] = NdArray.round(t, g.get(i) / Math.sqrt(v.get(i) + eps));
                shift[i] = NdArray.round(t, b.get(i) - m.get(i) * g.get(i) / Math.sqrt(v.get(i) + eps));
            }
                        Buffer sc = cx.derived(List.of(n, "scale"), "bn_scale", () -> new NdArray(t, cs, scale));
            Buffer sh = cx.derived(List.of(n, "shift"), "bn_shift", () -> new NdArray(t, cs, shift));
            return add(mul(x, load(sc, ch.flat())), load(sh, ch.flat()));
        }
        Expr gamma = cx.read(n.input(1), ch), beta = cx.read(n.input(2), ch), mean = cx.read(n.input(3), ch), var = cx.read(n.input(4), ch);
        return add(mul(sub(x, mean), div(gamma, un(UnOp.SQRT, add(var, c(t, eps))))), beta);
    }
}
