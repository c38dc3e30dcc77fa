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
 * Batch statistics, group_norm and the backward ops of the normalizations and softmax.
 * A group of M values normalized together (a channel over [N, S] for batch norm, a row for layer
 * norm, a channel group of one sample for group norm) is one iteration of a parallel loop that
 * makes its passes (mean, variance, the two gradient sums, the write) with locals; the innermost
 * loops run over contiguous elements. With xhat = (x - mean)·inv and dxhat = gy·gamma:
 * dx = inv/M · (M·dxhat - Σ dxhat - xhat·Σ dxhat·xhat), dgamma = Σ gy·xhat, dbeta = Σ gy.
 */
final class NormGradLowering {
    private NormGradLowering() {}

    static void register(LoweringTable t) {
        t.statements("batch_mean", (n, cx) -> batchStat(n, cx, false));
        t.statements("batch_var", (n, cx) -> batchStat(n, cx, true));
        t.statements("batch_norm_grad", NormGradLowering::batchNormGrad);
        t.statements("layer_norm_grad", NormGradLowering::layerNormGrad);
        t.statements("group_norm", NormGradLowering::groupNorm);
        t.statements("group_norm_grad", NormGradLowering::groupNormGrad);
        t.statements("softmax_grad", NormGradLowering::softmaxGrad);
    }

    /** x[N, C, S...] seen as [n, c, s]. */
    record Channels(long n, long c, long s) {
        static Channels of(long[] xs) {
            long s = 1;
            for (int k = 2; k < xs.length; k++) s *= xs[k];
            return new Channels(xs[0], xs.length > 1 ? xs[1] : 1, s);
        }
        long count() { return n * s; }
    }

    /**
     * The flat indices {@code base + o·outerStride + j·stride} for o in [0, outer), j in [0, inner):
     * a channel over the batch, a row, a group.
     */
    record Span(long outer, long outerStride, Expr base, long inner, long stride) {
        static Span channel(Channels g, Expr ch) { return new Span(g.n(), g.c() * g.s(), mul(ch, i64(g.s())), g.s(), 1); }
        static Span row(Expr base, long len) { return new Span(1, 0, base, len, 1); }

        Expr at(Expr o, Expr j) { return add(add(base, mul(o, i64(outerStride))), mul(j, i64(stride))); }

        /** Emits {@code body(flat index)} for every index, the contiguous dim innermost. */
        void each(Lowerer cx, Function<Expr, List<Stmt>> body) {
            cx.loops(new long[] {outer, inner}, false, it -> body.apply(at(it.dim(0), it.dim(1))));
        }
    }

    /** Independent partial sums per inner loop: without fast-math a single f32 accumulator serializes on the add latency and never vectorizes. */
    static final int LANES = 8;

    /** Declares the sum of {@code f(i)} over {@code span} as a local. */
    private static Expr.Var sum(Lowerer cx, String hint, DType t, Span span, Function<Expr, Expr> f) {
        var acc = cx.local(hint, t, c(t, 0));
        cx.loop(span.outer(), o -> cx.collect(() -> cx.assign(acc, add(acc, laneSum(cx, hint, t, span.inner(), j -> f.apply(span.at(o, j)))))));
        return acc;
    }

    /** The sums of several functions over {@code span} in one pass, as locals. */
    private static Expr[] sums(Lowerer cx, String hint, DType t, Span span, List<Function<Expr, Expr>> fs) {
        Expr.Var[] acc = new Expr.Var[fs.size()];
        for (int k = 0; k < acc.length; k++) acc[k] = cx.local(hint, t, c(t, 0));
        cx.loop(span.outer(), o -> cx.collect(() -> {
            Expr[] part = laneSums(cx, hint, t, span.inner(), fs.stream().<Function<Expr, Expr>>map(f -> j -> f.apply(span.at(o, j))).toList());
            for (int k = 0; k < acc.length; k++) cx.assign(acc[k], add(acc[k], part[k]));
        }));
        return acc;
    }

    /** {@link #laneSum} of several functions in one loop. */
    static Expr[] laneSums(Lowerer cx, String hint, DType t, long n, List<Function<Expr, Expr>> fs) {
        long blocks = n / LANES, done = blocks * LANES;
        int m = fs.size();
        Expr[] total = new Expr[m];
        java.util.Arrays.fill(total, c(t, 0));
        if (blocks > 0) {
            Expr.Var[][] acc = new Expr.Var[m][LANES];
            for (int k = 0; k < m; k++)
                for (int l = 0; l < LANES; l++) acc[k][l] = cx.local(hint + "_l", t, c(t, 0));
            cx.loop(blocks, b -> cx.collect(() -> {
                for (int k = 0; k < m; k++)
                    for (int l = 0; l < LANES; l++) cx.assign(acc[k][l], add(acc[k][l], fs.get(k).apply(add(mul(b, i64(LANES)), i64(l)))));
            }));
            for (int k = 0; k < m; k++) {
                Expr[] level = java.util.Arrays.copyOf(acc[k], LANES, Expr[].class);
                for (int w = LANES; w > 1; w /= 2)
                    for (int l = 0; l < w / 2; l++) level[l] = add(level[2 * l], level[2 * l + 1]);
                total[k] = level[0];
            }
        }
        Expr.Var[] r = new Expr.Var[m];
        for (int k = 0; k < m; k++) r[k] = cx.local(hint + "_s", t, total[k]);
        if (n > done) cx.loop(n - done, j -> cx.collect(() -> {
            for (int k = 0; k < m; k++) cx.assign(r[k], add(r[k], fs.get(k).apply(add(j, i64(done)))));
        }));
        return r;
    }

    /** Σ f(j) for j in [0, n) with {@link #LANES} accumulators over blocks (combined pairwise), then the remainder. */
    static Expr laneSum(Lowerer cx, String hint, DType t, long n, Function<Expr, Expr> f) {
        return laneReduce(cx, hint, t, n, c(t, 0), Expr::add, f);
    }

    /** max over j in [0, n) of f(j), NaN-propagating like {@code max}; exact in any order. */
    static Expr laneMax(Lowerer cx, String hint, DType t, long n, Function<Expr, Expr> f) {
        return laneReduce(cx, hint, t, n, c(t, Double.NEGATIVE_INFINITY), Expr::max, f);
    }

    static Expr laneReduce(Lowerer cx, String hint, DType t, long n, Expr init, java.util.function.BinaryOperator<Expr> op, Function<Expr, Expr> f) {
        long blocks = n / LANES, done = blocks * LANES;
        Expr total = init;
        if (blocks > 0) {
            Expr.Var[] acc = new Expr.Var[LANES];
            for (int l = 0; l < LANES; l++) acc[l] = cx.local(hint + "_l", t, init);
            cx.loop(blocks, b -> cx.collect(() -> {
                for (int l = 0; l < LANES; l++) cx.assign(acc[l], op.apply(acc[l], f.apply(add(mul(b, i64(LANES)), i64(l)))));
            }));
            Expr[] level = java.util.Arrays.copyOf(acc, LANES, Expr[].class);
            for (int w = LANES; w > 1; w /= 2)
                for (int l = 0; l < w / 2; l++) level[l] = op.apply(level[2 * l], level[2 * l + 1]);
            total = level[0];
        }
        var r = cx.local(hint + "_s", t, total);
        if (n > done) cx.loop(n - done, j -> List.of(new Stmt.Assign(r.name(), op.apply(r, f.apply(add(j, i64(done)))))));
        return r;
    }

    private static Expr at(Lowerer cx, Node n, Expr flat) { return cx.read(n, Index.ofFlat(cx.shape(n), flat)); }

    /**
     * batch_mean / batch_var: per channel, the mean (and the biased variance, two-pass); batch_var
     * also stores the mean as the graph's batch_mean of the same operand, when there is one.
     */
    static void batchStat(Node n, Lowerer cx, boolean var) {
        Node x = n.input(0);
        Channels g = Channels.of(cx.shape(x));
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        Buffer meanOut = var ? cx.sibling(Node.of("batch_mean", x)) : null;
        cx.loops(new long[] {g.c()}, true, chi -> cx.collect(() -> {
            Expr ch = chi.dim(0);
            var mean = cx.local("mean", t, mul(sum(cx, "sum", t, Span.channel(g, ch), i -> at(cx, x, i)), c(t, 1.0 / g.count())));
            if (meanOut != null) cx.emit(new Stmt.Store(meanOut, ch, mean));
            if (!var) {
                cx.emit(new Stmt.Store(out, ch, mean));
                return;
            }
            Expr sq = sum(cx, "sq", t, Span.channel(g, ch), i -> {
                Expr d = sub(at(cx, x, i), mean);
                return mul(d, d);
            });
            cx.emit(new Stmt.Store(out, ch, mul(sq, c(t, 1.0 / g.count()))));
        }));
    }

    /**
     * batch_norm_grad. In training mode the batch statistics are read from the forward pass's
     * {@code batch_mean(x)}/{@code batch_var(x)} when those were computed (the training-mode batch
     * norm's rewrite computes them), else recomputed; the input gradient (wrt 0) makes one pass
     * for both sums (Σ gy, Σ gy·(x - mean)) and one for the write, and, being those sums, stores the
     * gamma and beta gradients (wrt 1 and 2 of the same operands) too when the graph has them.
     */
    static void batchNormGrad(Node n, Lowerer cx) {
        Node x = n.input(0), gamma = n.input(1), rmean = n.input(2), rvar = n.input(3), gy = n.input(4);
        Channels g = Channels.of(cx.shape(x));
        DType t = n.dtype();
        double eps = n.attrs().getDouble("eps", 1e-5);
        boolean training = n.attrs().getBool("training", false);
        int wrt = (int) n.attrs().getLong("wrt", 0);
        Buffer out = cx.storage(n);
        Buffer fwdMean = null, fwdVar = null, dgamma = null, dbeta = null;
        if (training) {
            Node bm = Node.of("batch_mean", x), bv = Node.of("batch_var", x);
            if (cx.hasStorage(bm) && cx.hasStorage(bv)) {
                fwdMean = cx.storage(bm);
                fwdVar = cx.storage(bv);
            }
            if (wrt == 0) {
                dgamma = cx.sibling(Node.of(n.opName(), n.inputs(), n.attrs().with("wrt", 1L)));
                dbeta = cx.sibling(Node.of(n.opName(), n.inputs(), n.attrs().with("wrt", 2L)));
            }
        }
        Buffer fm = fwdMean, fv = fwdVar, dg = dgamma, db = dbeta;
        cx.loops(new long[] {g.c()}, true, chi -> cx.collect(() -> {
            Expr ch = chi.dim(0);
            Span over = Span.channel(g, ch);
            Expr mean, var;
            if (training && fm != null) {
                mean = cx.local("mean", t, load(fm, ch));
                var = cx.local("var", t, load(fv, ch));
            } else if (training) {
                mean = cx.local("mean", t, mul(sum(cx, "sum", t, over, i -> at(cx, x, i)), c(t, 1.0 / g.count())));
                Expr m0 = mean;
                var = cx.local("var", t, mul(sum(cx, "sq", t, over, i -> {
                    Expr d = sub(at(cx, x, i), m0);
                    return mul(d, d);
                }), c(t, 1.0 / g.count())));
            } else {
                mean = cx.local("mean", t, at(cx, rmean, ch));
                var = cx.local("var", t, at(cx, rvar, ch));
            }
            var inv = cx.local("inv", t, div(c(t, 1), un(UnOp.SQRT, add(var, c(t, eps)))));
            var gm = cx.local("gamma", t, at(cx, gamma, ch));
            Function<Expr, Expr> xhat = i -> mul(sub(at(cx, x, i), mean), inv);
            switch (wrt) {
                case 1 -> cx.emit(new Stmt.Store(out, ch, mul(sum(cx, "dgamma", t, over, i -> mul(at(cx, gy, i), sub(at(cx, x, i), mean))), inv)));
                case 2 -> cx.emit(new Stmt.Store(out, ch, sum(cx, "dbeta", t, over, i -> at(cx, gy, i))));
                case 3 -> cx.emit(new Stmt.Store(out, ch, mul(un(UnOp.NEG, mul(gm, inv)), sum(cx, "dsum", t, over, i -> at(cx, gy, i)))));
                case 4 -> cx.emit(new Stmt.Store(out, ch, mul(mul(c(t, -0.5), mul(gm, mul(inv, mul(inv, inv)))),
                        sum(cx, "dvar", t, over, i -> mul(at(cx, gy, i), sub(at(cx, x, i), mean))))));
                default -> {
                    if (!training) {
                        var scale = cx.local("scale", t, mul(gm, inv));
                        over.each(cx, i -> List.of(new Stmt.Store(out, i, mul(at(cx, gy, i), scale))));
                        return;
                    }
                    Expr[] sums = sums(cx, "sumd", t, over, List.of(i -> at(cx, gy, i), i -> mul(at(cx, gy, i), sub(at(cx, x, i), mean))));
                    var sd = sums[0];
                    var sdx = cx.local("sumdx", t, mul(sums[1], inv));   // Σ gy·xhat
                    if (dg != null) cx.emit(new Stmt.Store(dg, ch, sdx));
                    if (db != null) cx.emit(new Stmt.Store(db, ch, sd));
                    // dx = gamma·inv/M · (M·gy - Σgy - xhat·Σ gy·xhat)
                    var k = cx.local("k", t, mul(gm, mul(inv, c(t, 1.0 / g.count()))));
                    over.each(cx, i -> List.of(new Stmt.Store(out, i,
                            mul(k, sub(sub(mul(c(t, g.count()), at(cx, gy, i)), sd), mul(xhat.apply(i), sdx))))));
                }
            }
        }));
    }

    /** Rows × cols of a layer norm over dims axis..end. */
    private static long[] rowsCols(long[] xs, int ax) {
        long rows = 1, cols = 1;
        for (int k = 0; k < ax; k++) rows *= xs[k];
        for (int k = ax; k < xs.length; k++) cols *= xs[k];
        return new long[] {rows, cols};
    }

    static void layerNormGrad(Node n, Lowerer cx) {
        Node x = n.input(0), gy = n.input(1), gamma = n.inputs().size() > 2 ? n.input(2) : null;
        long[] xs = cx.shape(x);
        long[] rc = rowsCols(xs, ShapeLowering.axis(n.attrs().getLong("axis", -1), xs.length));
        long rows = rc[0], cols = rc[1];
        DType t = n.dtype();
        double eps = n.attrs().getDouble("eps", 1e-5);
        int wrt = (int) n.attrs().getLong("wrt", 0);
        Buffer out = cx.storage(n);
        Function<Expr, Expr> gammaAt = j -> gamma == null ? c(t, 1) : at(cx, gamma, j);
        if (wrt == 0) {
            cx.loops(new long[] {rows}, true, ri -> cx.collect(() -> {
                Expr base = mul(ri.dim(0), i64(cols));
                Span over = Span.row(i64(0), cols);
                Expr[] stats = stats(cx, x, base, cols, eps);
                Expr mean = stats[0], inv = stats[1];
                Function<Expr, Expr> xhat = j -> mul(sub(at(cx, x, add(base, j)), mean), inv);
                Function<Expr, Expr> d = j -> mul(at(cx, gy, add(base, j)), gammaAt.apply(j));
                var sd = sum(cx, "sumd", t, over, d);
                var sdx = sum(cx, "sumdx", t, over, j -> mul(d.apply(j), xhat.apply(j)));
                var k = cx.local("k", t, mul(inv, c(t, 1.0 / cols)));
                cx.loop(cols, j -> List.of(new Stmt.Store(out, add(base, j),
                        mul(k, sub(sub(mul(c(t, cols), d.apply(j)), sd), mul(xhat.apply(j), sdx))))));
            }));
            return;
        }
        // dgamma / dbeta over rows: per-row statistics first, then rows accumulated into the result (inner loop contiguous)
        Buffer stats = wrt == 1 ? cx.temp("ln_stats", t, 2 * rows) : null;
        if (wrt == 1) blockStats(cx, x, stats, rows, cols, eps);
        cx.flatLoop(new long[] {cols}, true, j -> List.of(new Stmt.Store(out, j.flat(), c(t, 0))));
        cx.loop(rows, r -> cx.collect(() -> {
            Expr base = mul(r, i64(cols));
            cx.loop(cols, j -> {
                Expr g = at(cx, gy, add(base, j));
                if (wrt == 1) g = mul(g, mul(sub(at(cx, x, add(base, j)), load(stats, mul(r, i64(2)))), load(stats, add(mul(r, i64(2)), i64(1)))));
                return List.of(new Stmt.Store(out, j, add(load(out, j), g)));
            });
        }));
    }

    /** Per (sample, group): mean and 1/sqrt(var + eps) of the cg·s contiguous elements, into {@code stats[2·k], stats[2·k+1]}. */
    private static void groupStats(Node n, Lowerer cx, Node x, Buffer stats) {
        Channels ch = Channels.of(cx.shape(x));
        long groups = n.attrs().getLong("groups");
        blockStats(cx, x, stats, ch.n() * groups, ch.c() / groups * ch.s(), n.attrs().getDouble("eps", 1e-5));
    }

    /** For each of {@code blocks} contiguous runs of {@code m} elements of x: mean and 1/sqrt(var + eps) into {@code stats[2·k], stats[2·k+1]}. */
    private static void blockStats(Lowerer cx, Node x, Buffer stats, long blocks, long m, double eps) {
        DType t = x.dtype();
        cx.loops(new long[] {blocks}, true, bi -> cx.collect(() -> {
            Expr[] ms = stats(cx, x, mul(bi.dim(0), i64(m)), m, eps);
            cx.emit(new Stmt.Store(stats, mul(bi.dim(0), i64(2)), ms[0]));
            cx.emit(new Stmt.Store(stats, add(mul(bi.dim(0), i64(2)), i64(1)), ms[1]));
        }));
    }

    /** Locals holding the mean and 1/sqrt(var + eps) of the {@code m} contiguous elements of x from {@code base} (two passes). */
    private static Expr[] stats(Lowerer cx, Node x, Expr base, long m, double eps) {
        DType t = x.dtype();
        Span over = Span.row(i64(0), m);
        var mean = cx.local("mean", t, mul(sum(cx, "sum", t, over, j -> at(cx, x, add(base, j))), c(t, 1.0 / m)));
        var q = sum(cx, "sq", t, over, j -> {
            Expr d = sub(at(cx, x, add(base, j)), mean);
            return mul(d, d);
        });
        var inv = cx.local("inv", t, div(c(t, 1), un(UnOp.SQRT, add(mul(q, c(t, 1.0 / m)), c(t, eps)))));
        return new Expr[] {mean, inv};
    }

    static void groupNorm(Node n, Lowerer cx) {
        Node x = n.input(0), gamma = n.input(1), beta = n.input(2);
        long[] xs = cx.shape(x);
        Channels ch = Channels.of(xs);
        long groups = n.attrs().getLong("groups");
        DType t = n.dtype();
        Buffer stats = cx.temp("gn_stats", t, 2 * ch.n() * groups), out = cx.storage(n);
        groupStats(n, cx, x, stats);
        long cg = ch.c() / groups;
        cx.loops(new long[] {ch.n(), ch.c(), ch.s()}, true, idx -> {
            Expr k = add(mul(idx.dim(0), i64(groups)), div(idx.dim(1), i64(cg)));
            Expr xhat = mul(sub(at(cx, x, idx.flat()), load(stats, mul(k, i64(2)))), load(stats, add(mul(k, i64(2)), i64(1))));
            return List.of(new Stmt.Store(out, idx.flat(), add(mul(xhat, at(cx, gamma, idx.dim(1))), at(cx, beta, idx.dim(1)))));
        });
    }

    static void groupNormGrad(Node n, Lowerer cx) {
        Node x = n.input(0), gamma = n.input(1), gy = n.input(2);
        long[] xs = cx.shape(x);
        Channels ch = Channels.of(xs);
        long groups = n.attrs().getLong("groups"), cg = ch.c() / groups, m = cg * ch.s();
        DType t = n.dtype();
        int wrt = (int) n.attrs().getLong("wrt", 0);
        Buffer stats = cx.temp("gn_stats", t, 2 * ch.n() * groups), out = cx.storage(n);
        groupStats(n, cx, x, stats);
        Function<Expr, Expr> meanOf = k -> load(stats, mul(k, i64(2))), invOf = k -> load(stats, add(mul(k, i64(2)), i64(1)));
        if (wrt != 0) {   // per channel: Σ over samples and positions
            cx.loops(new long[] {ch.c()}, true, ci -> cx.collect(() -> {
                Expr c0 = ci.dim(0);
                var acc = cx.local("acc", t, c(t, 0));
                cx.loop(ch.n(), s -> cx.collect(() -> {
                    Expr k = add(mul(s, i64(groups)), div(c0, i64(cg)));
                    var mean = cx.local("mean", t, meanOf.apply(k));
                    var inv = cx.local("inv", t, invOf.apply(k));
                    Expr base = mul(add(mul(s, i64(ch.c())), c0), i64(ch.s()));
                    cx.loop(ch.s(), j -> {
                        Expr g = at(cx, gy, add(base, j));
                        if (wrt == 1) g = mul(g, mul(sub(at(cx, x, add(base, j)), mean), inv));
                        return List.of(new Stmt.Assign(acc.name(), add(acc, g)));
                    });
                }));
                cx.emit(new Stmt.Store(out, c0, acc));
            }));
            return;
        }
        cx.loops(new long[] {ch.n() * groups}, true, gi -> cx.collect(() -> {
            Expr k = gi.dim(0);
            Expr base = mul(k, i64(m));
            Expr g0 = mul(rem(k, i64(groups)), i64(cg));
            var mean = cx.local("mean", t, meanOf.apply(k));
            var inv = cx.local("inv", t, invOf.apply(k));
            Span over = Span.row(i64(0), m);
            Function<Expr, Expr> d = j -> mul(at(cx, gy, add(base, j)), at(cx, gamma, add(g0, div(j, i64(ch.s())))));
            Function<Expr, Expr> xhat = j -> mul(sub(at(cx, x, add(base, j)), mean), inv);
            var sd = sum(cx, "sumd", t, over, d);
            var sdx = sum(cx, "sumdx", t, over, j -> mul(d.apply(j), xhat.apply(j)));
            var kk = cx.local("k", t, mul(inv, c(t, 1.0 / m)));
            cx.loop(m, j -> List.of(new Stmt.Store(out, add(base, j), mul(kk, sub(sub(mul(c(t, m), d.apply(j)), sd), mul(xhat.apply(j), sdx))))));
        }));
    }

    /** softmax: dx = y·(gy - Σ gy·y); log_softmax (y = log p): dx = gy - exp(y)·Σ gy. */
    static void softmaxGrad(Node n, Lowerer cx) {
        Node y = n.input(0), gy = n.input(1);
        long[] ys = cx.shape(y);
        int ax = ShapeLowering.axis(n.attrs().getLong("axis", -1), ys.length);
        long outer = 1, inner = 1, len = ys[ax];
        for (int k = 0; k < ax; k++) outer *= ys[k];
        for (int k = ax + 1; k < ys.length; k++) inner *= ys[k];
        long in = inner;
        boolean log = n.attrs().getBool("log", false);
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        cx.loops(new long[] {outer, inner}, true, oi -> cx.collect(() -> {
            Expr base = add(mul(oi.dim(0), i64(len * in)), oi.dim(1));
            Function<Expr, Expr> pos = k -> add(base, mul(k, i64(in)));
            var s = sum(cx, "sum", t, Span.row(i64(0), len), k -> log ? at(cx, gy, pos.apply(k)) : mul(at(cx, gy, pos.apply(k)), at(cx, y, pos.apply(k))));
            cx.loop(len, k -> {
                Expr yk = at(cx, y, pos.apply(k)), gk = at(cx, gy, pos.apply(k));
                return List.of(new Stmt.Store(out, pos.apply(k), log ? sub(gk, mul(un(UnOp.EXP, yk), s)) : mul(yk, sub(gk, s))));
            });
        }));
    }
}
