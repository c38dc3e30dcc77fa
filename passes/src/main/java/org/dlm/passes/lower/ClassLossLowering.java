package org.dlm.passes.lower;

import static org.dlm.ir.kernel.Expr.*;

import java.util.List;
import java.util.function.Function;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * cross_entropy and its gradient for what classifiers train with: logits {@code [N, C]}, integer
 * class-id targets {@code [N]}, reduction mean or sum, label smoothing and ignore_index (the
 * formulas of {@code LossOps}/{@code LossGradOps}: a row's loss is
 * {@code -(1-ε)·lp[t] - ε/C·Σ lp}, lp = log_softmax; the mean divides by the rows whose target
 * is not ignored). Probability targets, spatial dims and reduction none are refused with a reason.
 * Rows are a sequential loop: the loss is one scalar and the batch is small next to the GEMMs.
 */
final class ClassLossLowering {
    private ClassLossLowering() {}

    /**
     * Registers both ops unless the table already lowers them: this covers what MLP training
     * needs and steps aside for the general loss lowerings when those are registered.
     */
    static LoweringTable registerMissing(LoweringTable t) {
        t.statementsIfAbsent("cross_entropy", (n, cx) -> emit(n, cx, false));
        t.statementsIfAbsent("cross_entropy_grad", (n, cx) -> emit(n, cx, true));
        return t;
    }

    private static void emit(Node n, Lowerer cx, boolean grad) {
        Node x = n.input(0), target = n.input(1);
        long[] xs = cx.shape(x);
        String reduction = n.attrs().getString("reduction", "mean");
        if (xs.length != 2) throw new UnsupportedOperationException("logits of rank " + xs.length + " (only [N, C] so far)");
        if (target.dtype().isFloating()) throw new UnsupportedOperationException("probability targets (only class ids so far)");
        if (!reduction.equals("mean") && !reduction.equals("sum")) throw new UnsupportedOperationException("reduction " + reduction);
        long rows = xs[0], classes = xs[1];
        double eps = n.attrs().getDouble("label_smoothing", 0.0);
        long ignore = n.attrs().getLong("ignore_index", -100L);
        DType t = x.dtype();
        long[] ts = cx.shape(target);
        Buffer out = cx.storage(n);
        Function<Expr, Expr> cls = i -> cast(DType.I64, cx.read(target, Index.ofFlat(ts, i)));
        // the divisor of a mean: rows whose target is not ignore_index
        Expr.Var count = cx.local("count", t, c(t, reduction.equals("mean") ? 0 : 1));
        if (reduction.equals("mean"))
            cx.loop(rows, i -> List.of(new Stmt.Assign(count.name(), add(count, select(bin(BinOp.NE, cls.apply(i), i64(ignore)), c(t, 1), c(t, 0))))));
        Expr.Var total = grad ? null : cx.local("total", t, c(t, 0));
        Expr scale = grad ? div(cx.read(n.input(2), Index.ofFlat(new long[0], i64(0))), count) : null;
        cx.loop(rows, i -> cx.collect(() -> {
            Expr base = mul(i, i64(classes));
            Function<Expr, Expr> xv = k -> cx.read(x, Index.ofFlat(xs, add(base, k)));
            Expr ti = cx.local("cls", DType.I64, cls.apply(i));
            var m = cx.local("max", t, c(t, Double.NEGATIVE_INFINITY));
            cx.loop(classes, k -> List.of(new Stmt.Assign(m.name(), max(m, xv.apply(k)))));
            var s = cx.local("sum", t, c(t, 0));
            cx.loop(classes, k -> List.of(new Stmt.Assign(s.name(), add(s, un(UnOp.EXP, sub(xv.apply(k), m))))));
            Expr lse = cx.local("lse", t, add(m, un(UnOp.LOG, s)));
            Expr keep = bin(BinOp.NE, ti, i64(ignore));
            if (grad) {
                Expr w = cx.local("w", t, select(keep, scale, c(t, 0)));
                cx.loop(classes, k -> {
                    Expr p = un(UnOp.EXP, sub(xv.apply(k), lse));
                    Expr want = add(select(bin(BinOp.EQ, k, ti), c(t, 1 - eps), c(t, 0)), c(t, eps / classes));
                    return List.of(new Stmt.Store(out, add(base, k), mul(w, sub(p, want))));
                });
            } else {
                var picked = cx.local("picked", t, c(t, 0));
                var all = cx.local("all", t, c(t, 0));
                cx.loop(classes, k -> {
                    Expr lp = sub(xv.apply(k), lse);
                    return List.of(new Stmt.Assign(picked.name(), add(picked, select(bin(BinOp.EQ, k, ti), lp, c(t, 0)))),
                                   new Stmt.Assign(all.name(), add(all, lp)));
                });
                Expr row = sub(mul(c(t, -(1 - eps)), picked), mul(c(t, eps / classes), all));
                cx.assign(total, add(total, select(keep, row, c(t, 0))));
            }
        }));
        if (!grad) cx.emit(new Stmt.Store(out, i64(0), div(total, count)));
    }
}
