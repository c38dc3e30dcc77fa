package org.dlm.passes.lower;

import static org.dlm.ir.kernel.Expr.*;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * Reductions as accumulator loops: the kept dims outside (outermost parallel), the reduced dims
 * inside, one local accumulator per output element. Also argmax/argmin, cumsum and the global
 * pools, which are reductions over the spatial dims.
 */
final class ReductionLowering {
    private ReductionLowering() {}

    enum Kind { SUM, MEAN, MAX, MIN, PROD, L2, LOGSUMEXP }

    static void register(LoweringTable t) {
        for (Kind k : Kind.values()) {
            String op = "reduce_" + k.name().toLowerCase();
            t.statements(op, (n, cx) -> reduce(n, cx, axes(n.attrs().getLongArray("axes"), cx.shape(n.input(0)).length), k));
        }
        t.statements("global_avg_pool", (n, cx) -> reduce(n, cx, spatial(cx.shape(n.input(0)).length), Kind.MEAN));
        t.statements("global_max_pool", (n, cx) -> reduce(n, cx, spatial(cx.shape(n.input(0)).length), Kind.MAX));
        t.statements("argmax", (n, cx) -> argExtremum(n, cx, BinOp.GT));
        t.statements("argmin", (n, cx) -> argExtremum(n, cx, BinOp.LT));
        t.statements("cumsum", ReductionLowering::cumsum);
    }

    static TreeSet<Integer> axes(long[] given, int rank) {
        TreeSet<Integer> s = new TreeSet<>();
        if (given.length == 0) for (int k = 0; k < rank; k++) s.add(k);
        for (long a : given) s.add(ShapeLowering.axis(a, rank));
        return s;
    }

    static TreeSet<Integer> spatial(int rank) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int k = 2; k < rank; k++) s.add(k);
        return s;
    }

    /** Splits {@code xs} into the kept and the reduced dims. */
    private static long[][] split(long[] xs, TreeSet<Integer> axes) {
        List<Long> kept = new ArrayList<>(), red = new ArrayList<>();
        for (int k = 0; k < xs.length; k++) (axes.contains(k) ? red : kept).add(xs[k]);
        return new long[][] {kept.stream().mapToLong(Long::longValue).toArray(), red.stream().mapToLong(Long::longValue).toArray()};
    }

    /** The index into x combining an index over the kept dims and one over the reduced dims. */
    private static Index merge(long[] xs, TreeSet<Integer> axes, Index kept, Index red) {
        List<Expr> d = new ArrayList<>();
        int a = 0, b = 0;
        for (int k = 0; k < xs.length; k++) d.add(axes.contains(k) ? red.dim(b++) : kept.dim(a++));
        return Index.ofDims(xs, d);
    }

    static Expr lowest(DType t) {
        return switch (t) {
            case I32 -> c(t, Integer.MIN_VALUE);
            case I64 -> c(t, Long.MIN_VALUE);
            case I8 -> c(t, Byte.MIN_VALUE);
            case U8, BOOL -> c(t, 0);
            default -> c(t, Double.NEGATIVE_INFINITY);
        };
    }

    static Expr highest(DType t) {
        return switch (t) {
            case I32 -> c(t, Integer.MAX_VALUE);
            case I64 -> c(t, Long.MAX_VALUE);
            case I8 -> c(t, Byte.MAX_VALUE);
            case U8 -> c(t, 255);
            case BOOL -> c(t, 1);
            default -> c(t, Double.POSITIVE_INFINITY);
        };
    }

    static void reduce(Node n, Lowerer cx, TreeSet<Integer> axes, Kind kind) {
        Node x = n.input(0);
        long[] xs = cx.shape(x);
        long[][] kr = split(xs, axes);
        long count = Lowerer.numel(kr[1]);
        DType t = n.dtype();
        var out = cx.storage(n);
        boolean additive = t.isFloating() && (kind == Kind.SUM || kind == Kind.MEAN || kind == Kind.L2) && count > 0;
        int rank = xs.length, reduced = axes.size();
        boolean leading = axes.equals(new TreeSet<>(java.util.stream.IntStream.range(0, reduced).boxed().toList()));
        boolean trailing = axes.equals(new TreeSet<>(java.util.stream.IntStream.range(rank - reduced, rank).boxed().toList()));
        long keptCount = Lowerer.numel(kr[0]);
        if (additive && leading && !trailing && keptCount >= 8) {
            // e.g. a bias gradient, sum over [B, T] of [B, T, D]: rows added into the result (contiguous, vectorizable) instead of column walks
            cx.flatLoop(kr[0], true, k -> List.of(new Stmt.Store(out, k.flat(), c(t, 0))));
            cx.loop(count, r -> cx.collect(() -> cx.loop(keptCount, k -> {
                Expr v = cx.read(x, Index.ofFlat(xs, add(mul(r, i64(keptCount)), k)));
                return List.of(new Stmt.Store(out, k, add(load(out, k), kind == Kind.L2 ? mul(v, v) : v)));
            })));
            if (kind != Kind.SUM)
                cx.flatLoop(kr[0], true, k -> List.of(new Stmt.Store(out, k.flat(),
                        kind == Kind.MEAN ? mul(load(out, k.flat()), c(t, 1.0 / count)) : un(UnOp.SQRT, load(out, k.flat())))));
            return;
        }
        // additive reductions over contiguous blocks: lane sums of the term, then the kind's finish
        Function<Expr, Expr> term = v -> kind == Kind.L2 ? mul(v, v) : v;
        Function<Expr, Expr> finish = s -> switch (kind) {
            case MEAN -> mul(s, c(t, 1.0 / count));
            case L2 -> un(UnOp.SQRT, s);
            default -> s;
        };
        if (additive && trailing) {
            // contiguous reduced block per kept index: independent partial sums (no fast-math reassociation otherwise)
            cx.loops(kr[0], true, kept -> cx.collect(() -> {
                Expr base = mul(kept.flat(), i64(count));
                Expr s = NormGradLowering.laneSum(cx, "acc", t, count, j -> term.apply(cx.read(x, Index.ofFlat(xs, add(base, j)))));
                cx.emit(new Stmt.Store(out, kept.flat(), finish.apply(s)));
            }));
            return;
        }
        int a = 0;
        while (a < rank && axes.contains(a)) a++;
        int b = a;
        while (b < rank && !axes.contains(b)) b++;
        if (additive && a > 0 && b < rank && axes.tailSet(b).size() == rank - b) {
            // kept dims in the middle, e.g. a convolution's bias gradient, sum over [N, H, W] of [N, C, H, W]:
            // x seen as [outer, kept, inner], per kept index lane sums over the contiguous inner blocks
            long inner = 1;
            for (int k = b; k < rank; k++) inner *= xs[k];
            long outer = count / inner, in = inner;
            cx.loop(keptCount, true, k -> cx.collect(() -> {
                var acc = cx.local("acc", t, c(t, 0));
                cx.loop(outer, o -> cx.collect(() -> {
                    Expr base = mul(add(mul(o, i64(keptCount)), k), i64(in));
                    cx.assign(acc, add(acc, NormGradLowering.laneSum(cx, "acc", t, in, j -> term.apply(cx.read(x, Index.ofFlat(xs, add(base, j)))))));
                }));
                cx.emit(new Stmt.Store(out, k, finish.apply(acc)));
            }));
            return;
        }
        cx.loops(kr[0], true, kept -> cx.collect(() -> {
            Expr result;
            if (kind == Kind.LOGSUMEXP) {
                var m = cx.local("max", t, lowest(t));
                cx.loops(kr[1], false, red -> List.of(new Stmt.Assign(m.name(), max(m, cx.read(x, merge(xs, axes, kept, red))))));
                var s = cx.local("sum", t, c(t, 0));
                Expr safeM = select(bin(BinOp.EQ, m, lowest(t)), c(t, 0), m);
                cx.loops(kr[1], false, red -> List.of(new Stmt.Assign(s.name(), add(s, un(UnOp.EXP, sub(cx.read(x, merge(xs, axes, kept, red)), safeM))))));
                result = add(safeM, un(UnOp.LOG, s));
            } else {
                Expr init = switch (kind) {
                    case MAX -> lowest(t);
                    case MIN -> highest(t);
                    case PROD -> c(t, 1);
                    default -> c(t, 0);
                };
                var acc = cx.local("acc", t, init);
                cx.loops(kr[1], false, red -> {
                    Expr v = cx.read(x, merge(xs, axes, kept, red));
                    Expr next = switch (kind) {
                        case MAX -> max(acc, v);
                        case MIN -> min(acc, v);
                        case PROD -> mul(acc, v);
                        case L2 -> add(acc, mul(v, v));
                        default -> add(acc, v);
                    };
                    return List.of(new Stmt.Assign(acc.name(), next));
                });
                result = switch (kind) {
                    case MEAN -> t.isFloating() ? mul(acc, c(t, 1.0 / count)) : div(acc, c(t, count));
                    case L2 -> un(UnOp.SQRT, acc);
                    default -> acc;
                };
                if (kind == Kind.MEAN && count == 0) result = c(t, Double.NaN);
            }
            cx.emit(new Stmt.Store(out, kept.flat(), result));
        }));
    }

    static void argExtremum(Node n, Lowerer cx, BinOp better) {
        Node x = n.input(0);
        long[] xs = cx.shape(x);
        int ax = ShapeLowering.axis(n.attrs().getLong("axis"), xs.length);
        TreeSet<Integer> axes = new TreeSet<>(List.of(ax));
        long[][] kr = split(xs, axes);
        DType t = x.dtype();
        var out = cx.storage(n);
        cx.loops(kr[0], true, kept -> cx.collect(() -> {
            var best = cx.local("best", t, cx.read(x, merge(xs, axes, kept, Index.ofDims(kr[1], List.of(i64(0))))));
            var at = cx.local("at", DType.I64, i64(0));
            cx.loop(xs[ax], k -> {
                Expr v = cx.read(x, merge(xs, axes, kept, Index.ofDims(kr[1], List.of(k))));
                Expr take = bin(better, v, best);
                if (t.isFloating()) take = bin(BinOp.OR, take, bin(BinOp.AND, un(UnOp.ISNAN, v), un(UnOp.NOT, un(UnOp.ISNAN, best))));
                return List.of(new Stmt.If(take, List.of(new Stmt.Assign(best.name(), v), new Stmt.Assign(at.name(), k))));
            });
            cx.emit(new Stmt.Store(out, kept.flat(), cast(n.dtype(), at)));
        }));
    }

    static void cumsum(Node n, Lowerer cx) {
        Node x = n.input(0);
        long[] xs = cx.shape(x);
        int ax = ShapeLowering.axis(n.attrs().getLong("axis"), xs.length);
        TreeSet<Integer> axes = new TreeSet<>(List.of(ax));
        long[][] kr = split(xs, axes);
        var out = cx.storage(n);
        cx.loops(kr[0], true, kept -> cx.collect(() -> {
            var acc = cx.local("acc", n.dtype(), c(n.dtype(), 0));
            cx.loop(xs[ax], k -> {
                Index at = merge(xs, axes, kept, Index.ofDims(kr[1], List.of(k)));
                return List.of(new Stmt.Assign(acc.name(), add(acc, cx.read(x, at))), new Stmt.Store(out, at.flat(), acc));
            });
        }));
    }
}
