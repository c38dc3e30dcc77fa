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
 * The losses and their gradient ops (docs/ops.md, LossOps). Class losses view the logits as
 * [N, C, S] (class axis 1, S = the product of the dims after it) and run one row loop per item
 * (n, s) over the classes with a stable max/exp-sum; a reduced loss is a serial accumulator over
 * the items, the gradients are parallel item loops. Elementwise losses are expressions (their
 * gradient fuses into its consumer). A class id outside [0, C) is read clamped (the interpreter
 * rejects it at run time; compiled code has no error path).
 */
final class LossLowering {
    private LossLowering() {}

    static void register(LoweringTable t) {
        t.statements("cross_entropy", (n, cx) -> classLoss(n, cx, true));
        t.statements("nll_loss", (n, cx) -> classLoss(n, cx, false));
        t.statements("cross_entropy_grad", (n, cx) -> classLossGrad(n, cx, true));
        t.statements("nll_loss_grad", (n, cx) -> classLossGrad(n, cx, false));
        for (String op : new String[] {"binary_cross_entropy", "bce_with_logits", "mse_loss", "l1_loss", "huber_loss"})
            t.statements(op, LossLowering::elementwiseLoss);
        t.elementwise("elementwise_loss_grad", true, LossLowering::elementwiseLossGrad);
    }

    /** Logits viewed as [n, c, s]. */
    record Rows(long n, long c, long s) {
        static Rows of(long[] xs) {
            if (xs.length == 1) return new Rows(1, xs[0], 1);
            long s = 1;
            for (int k = 2; k < xs.length; k++) s *= xs[k];
            return new Rows(xs[0], xs[1], s);
        }
        long items() { return n * s; }
        /** Flat index of class k of item (i, j). */
        Expr at(Expr i, Expr j, Expr k) { return add(add(mul(i, i64(c * s)), mul(k, i64(s))), j); }
    }

    static String reduction(Node n) { return n.attrs().getString("reduction", "mean"); }

    /** Whether a class loss's target holds class ids (else probabilities shaped like the logits). */
    private static boolean ids(Node n) { return !n.input(1).dtype().isFloating(); }

    /** The class id of item (i, j), clamped into [0, c) so the loads stay inside the logits. */
    private static Expr classOf(Lowerer cx, Node target, Rows r, Expr i, Expr j) {
        Expr id = cx.read(target, Index.ofFlat(cx.shape(target), add(mul(i, i64(r.s())), j)));
        return cast(DType.I64, id);
    }

    private static Expr keep(Node n, Expr cls) {
        return bin(BinOp.NE, cls, i64(n.attrs().getLong("ignore_index", -100)));
    }

    /** max over the classes of item (i, j) and log Σ exp(x - max); returns lse = max + log(sum). */
    private static Expr logSumExp(Lowerer cx, Node x, Rows r, Expr i, Expr j) {
        DType t = x.dtype();
        long[] xs = cx.shape(x);
        Function<Expr, Expr> xv = k -> cx.read(x, Index.ofFlat(xs, r.at(i, j, k)));
        var m = cx.local("max", t, c(t, Double.NEGATIVE_INFINITY));
        cx.loop(r.c(), k -> List.of(new Stmt.Assign(m.name(), max(m, xv.apply(k)))));
        var s = cx.local("sum", t, c(t, 0));
        cx.loop(r.c(), k -> List.of(new Stmt.Assign(s.name(), add(s, un(UnOp.EXP, sub(xv.apply(k), m))))));
        return cx.local("lse", t, add(m, un(UnOp.LOG, s)));
    }

    /** The loss of item (i, j) (0 for an ignored target) and whether it counts for the mean. */
    private static Expr[] itemLoss(Node n, Lowerer cx, boolean crossEntropy, Rows r, Expr i, Expr j) {
        Node x = n.input(0), target = n.input(1);
        DType t = x.dtype();
        long[] xs = cx.shape(x);
        Function<Expr, Expr> xv = k -> cx.read(x, Index.ofFlat(xs, r.at(i, j, k)));
        if (!crossEntropy) {
            var cls = cx.local("cls", DType.I64, classOf(cx, target, r, i, j));
            Expr safe = max(i64(0), min(cls, i64(r.c() - 1)));
            return new Expr[] {select(keep(n, cls), un(UnOp.NEG, xv.apply(safe)), c(t, 0)), keep(n, cls)};
        }
        double eps = n.attrs().getDouble("label_smoothing", 0);
        Expr lse = logSumExp(cx, x, r, i, j);
        if (!ids(n)) {   // -Σ (t·(1-eps) + eps/c)·(x - lse)
            var acc = cx.local("ce", t, c(t, 0));
            cx.loop(r.c(), k -> {
                Expr tk = add(mul(cx.read(target, Index.ofFlat(xs, r.at(i, j, k))), c(t, 1 - eps)), c(t, eps / r.c()));
                return List.of(new Stmt.Assign(acc.name(), sub(acc, mul(tk, sub(xv.apply(k), lse)))));
            });
            return new Expr[] {acc, null};
        }
        var cls = cx.local("cls", DType.I64, classOf(cx, target, r, i, j));
        Expr safe = max(i64(0), min(cls, i64(r.c() - 1)));
        Expr loss = mul(c(t, 1 - eps), sub(lse, xv.apply(safe)));
        if (eps != 0) {
            var sx = cx.local("sumx", t, c(t, 0));
            cx.loop(r.c(), k -> List.of(new Stmt.Assign(sx.name(), add(sx, xv.apply(k)))));
            loss = add(loss, mul(c(t, eps / r.c()), sub(mul(c(t, r.c()), lse), sx)));
        }
        return new Expr[] {select(keep(n, cls), loss, c(t, 0)), keep(n, cls)};
    }

    static void classLoss(Node n, Lowerer cx, boolean crossEntropy) {
        Rows r = Rows.of(cx.shape(n.input(0)));
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        if (reduction(n).equals("none")) {
            cx.loops(new long[] {r.n(), r.s()}, true, it -> cx.collect(() ->
                    cx.emit(new Stmt.Store(out, it.flat(), itemLoss(n, cx, crossEntropy, r, it.dim(0), it.dim(1))[0]))));
            return;
        }
        var total = cx.local("loss", t, c(t, 0));
        var count = cx.local("count", t, c(t, 0));
        cx.loops(new long[] {r.n(), r.s()}, false, it -> cx.collect(() -> {
            Expr[] l = itemLoss(n, cx, crossEntropy, r, it.dim(0), it.dim(1));
            cx.assign(total, add(total, l[0]));
            cx.assign(count, add(count, l[1] == null ? c(t, 1) : select(l[1], c(t, 1), c(t, 0))));
        }));
        cx.emit(new Stmt.Store(out, i64(0), reduction(n).equals("sum") ? total : div(total, count)));
    }

    /** The gradient reaching item {@code item}: gy itself ("none"), gy ("sum") or gy / count ("mean"). */
    private static Expr weight(Node n, Lowerer cx, Node gy, Expr item, Expr count) {
        return switch (reduction(n)) {
            case "none" -> cx.read(gy, Index.ofFlat(cx.shape(gy), item));
            case "sum" -> cx.read(gy, Index.ofFlat(cx.shape(gy), i64(0)));
            default -> div(cx.read(gy, Index.ofFlat(cx.shape(gy), i64(0))), count);
        };
    }

    static void classLossGrad(Node n, Lowerer cx, boolean crossEntropy) {
        Node x = n.input(0), target = n.input(1), gy = n.input(2);
        long[] xs = cx.shape(x);
        Rows r = Rows.of(xs);
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        boolean ids = ids(n);
        Expr count;
        if (ids && reduction(n).equals("mean")) {   // the mean is over the non-ignored targets
            var cnt = cx.local("count", t, c(t, 0));
            cx.loops(new long[] {r.n(), r.s()}, false, it -> cx.collect(() ->
                    cx.assign(cnt, add(cnt, select(keep(n, classOf(cx, target, r, it.dim(0), it.dim(1))), c(t, 1), c(t, 0))))));
            // through memory, not a local: the parallel loop below may run as separate tasks
            Buffer cb = cx.temp("count", t, 1);
            cx.emit(new Stmt.Store(cb, i64(0), cnt));
            count = load(cb, i64(0));
        } else {
            count = c(t, r.items());
        }
        double eps = n.attrs().getDouble("label_smoothing", 0);
        cx.loops(new long[] {r.n(), r.s()}, true, it -> cx.collect(() -> {
            Expr i = it.dim(0), j = it.dim(1);
            Function<Expr, Expr> xv = k -> cx.read(x, Index.ofFlat(xs, r.at(i, j, k)));
            Expr w0 = weight(n, cx, gy, it.flat(), count);
            if (!crossEntropy) {
                var cls = cx.local("cls", DType.I64, classOf(cx, target, r, i, j));
                var w = cx.local("w", t, select(keep(n, cls), w0, c(t, 0)));
                cx.loop(r.c(), k -> List.of(new Stmt.Store(out, r.at(i, j, k), select(bin(BinOp.EQ, k, cls), un(UnOp.NEG, w), c(t, 0)))));
                return;
            }
            Expr lse = logSumExp(cx, x, r, i, j);
            if (!ids) {
                var tsum = cx.local("tsum", t, c(t, 0));
                Function<Expr, Expr> tk = k -> add(mul(cx.read(target, Index.ofFlat(xs, r.at(i, j, k))), c(t, 1 - eps)), c(t, eps / r.c()));
                cx.loop(r.c(), k -> List.of(new Stmt.Assign(tsum.name(), add(tsum, tk.apply(k)))));
                var w = cx.local("w", t, w0);
                cx.loop(r.c(), k -> List.of(new Stmt.Store(out, r.at(i, j, k),
                        mul(w, sub(mul(un(UnOp.EXP, sub(xv.apply(k), lse)), tsum), tk.apply(k))))));
                return;
            }
            var cls = cx.local("cls", DType.I64, classOf(cx, target, r, i, j));
            var w = cx.local("w", t, select(keep(n, cls), w0, c(t, 0)));
            cx.loop(r.c(), k -> {
                Expr onehot = select(bin(BinOp.EQ, k, cls), c(t, 1 - eps + eps / r.c()), c(t, eps / r.c()));
                return List.of(new Stmt.Store(out, r.at(i, j, k), mul(w, sub(un(UnOp.EXP, sub(xv.apply(k), lse)), onehot))));
            });
        }));
    }

    /** The per-element value of an elementwise loss. */
    private static Expr pointLoss(Node n, Expr a, Expr b) {
        DType t = a.type();
        return switch (n.opName()) {
            case "mse_loss" -> mul(sub(a, b), sub(a, b));
            case "l1_loss" -> un(UnOp.ABS, sub(a, b));
            case "huber_loss" -> {
                double delta = n.attrs().getDouble("delta", 1);
                Expr d = un(UnOp.ABS, sub(a, b));
                yield select(bin(BinOp.LT, d, c(t, delta)), mul(c(t, 0.5), mul(d, d)), mul(c(t, delta), sub(d, c(t, 0.5 * delta))));
            }
            case "bce_with_logits" -> add(sub(max(a, c(t, 0)), mul(a, b)),
                    un(UnOp.LOG, add(c(t, 1), un(UnOp.EXP, un(UnOp.NEG, un(UnOp.ABS, a))))));
            default -> un(UnOp.NEG, add(mul(b, max(un(UnOp.LOG, a), c(t, -100))),
                    mul(sub(c(t, 1), b), max(un(UnOp.LOG, sub(c(t, 1), a)), c(t, -100)))));
        };
    }

    static void elementwiseLoss(Node n, Lowerer cx) {
        long[] xs = cx.shape(n.input(0));
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        if (reduction(n).equals("none")) {
            cx.flatLoop(xs, true, idx -> List.of(new Stmt.Store(out, idx.flat(), pointLoss(n, cx.operand(n, 0, idx), cx.operand(n, 1, idx)))));
            return;
        }
        var total = cx.local("loss", t, c(t, 0));
        cx.flatLoop(xs, false, idx -> List.of(new Stmt.Assign(total.name(), add(total, pointLoss(n, cx.operand(n, 0, idx), cx.operand(n, 1, idx))))));
        long count = Lowerer.numel(xs);
        cx.emit(new Stmt.Store(out, i64(0), reduction(n).equals("sum") ? total : mul(total, c(t, 1.0 / count))));
    }

    static Expr elementwiseLossGrad(Node n, Index idx, Lowerer cx) {
        Expr u = cx.operand(n, 0, idx), v = cx.operand(n, 1, idx);
        DType t = u.type();
        boolean first = n.attrs().getLong("wrt", 0) == 0;
        Expr d = sub(u, v), one = c(t, 1);
        Expr g = switch (n.attrs().getString("loss")) {
            case "mse_loss" -> mul(c(t, first ? 2 : -2), d);
            case "l1_loss" -> {
                Expr sign = select(bin(BinOp.GT, d, c(t, 0)), one, select(bin(BinOp.LT, d, c(t, 0)), c(t, -1), c(t, 0)));
                yield first ? sign : un(UnOp.NEG, sign);
            }
            case "huber_loss" -> {
                double delta = n.attrs().getDouble("delta", 1);
                Expr cl = max(c(t, -delta), min(c(t, delta), d));
                yield first ? cl : un(UnOp.NEG, cl);
            }
            case "bce_with_logits" -> first ? sub(ElementwiseLowering.sigmoid(u), v) : un(UnOp.NEG, u);
            default -> first ? div(d, max(mul(sub(one, u), u), c(t, 1e-12)))
                    : sub(max(un(UnOp.LOG, sub(one, u)), c(t, -100)), max(un(UnOp.LOG, u), c(t, -100)));
        };
        Node gy = n.input(2);
        long count = Lowerer.numel(idx.shape());
        Expr w = switch (reduction(n)) {
            case "none" -> cx.operand(n, 2, idx);
            case "sum" -> cx.read(gy, Index.ofFlat(cx.shape(gy), i64(0)));
            default -> mul(cx.read(gy, Index.ofFlat(cx.shape(gy), i64(0))), c(t, 1.0 / count));
        };
        return mul(g, w);
    }
}
