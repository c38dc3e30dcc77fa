package org.dlm.passes.lower;

import static org.dlm.ir.kernel.Expr.*;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.kernel.Expr;

/**
 * Shape ops: reshape-like ops are views of their operand's storage (no copy); the others are
 * index remappings expressed as fusable expressions, materialized as a copy loop only when their
 * consumer cannot take an expression.
 */
final class ShapeLowering {
    private ShapeLowering() {}

    static void register(LoweringTable t) {
        for (String op : new String[] {"reshape", "flatten", "squeeze", "unsqueeze"}) t.view(op);

        t.elementwise("shape_of", false, (n, idx, cx) -> {   // static shapes: a select over constants
            long[] xs = cx.shape(n.input(0));
            Expr v = c(n.dtype(), 0);
            for (int k = xs.length - 1; k >= 0; k--) v = select(bin(BinOp.EQ, idx.flat(), i64(k)), c(n.dtype(), xs[k]), v);
            return v;
        });

        t.elementwise("transpose", false, (n, idx, cx) -> {
            int r = idx.rank();
            long[] perm = n.attrs().getLongArray("perm");
            if (perm.length == 0) {
                perm = new long[r];
                for (int k = 0; k < r; k++) perm[k] = r - 1 - k;
            }
            Expr[] in = new Expr[r];
            for (int k = 0; k < r; k++) in[(int) perm[k]] = idx.dim(k);
            return cx.read(n.input(0), Index.ofDims(cx.shape(n.input(0)), List.of(in)));
        });

        t.elementwise("slice", false, (n, idx, cx) -> {
            long[] xs = cx.shape(n.input(0));
            int r = xs.length;
            long[] starts = n.attrs().getLongArray("starts"), ends = n.attrs().getLongArray("ends");
            long[] axes = n.attrs().getLongArray("axes"), steps = n.attrs().getLongArray("steps");
            List<Expr> in = new ArrayList<>(idx.dims());
            for (int i = 0; i < starts.length; i++) {
                int ax = axes.length == 0 ? i : axis(axes[i], r);
                long step = steps.length == 0 ? 1 : steps[i];
                long first = first(xs[ax], starts[i], step);
                in.set(ax, add(i64(first), mul(idx.dim(ax), i64(step))));
            }
            return cx.read(n.input(0), Index.ofDims(xs, in));
        });

        t.elementwise("concat", false, (n, idx, cx) -> {
            int ax = axis(n.attrs().getLong("axis"), idx.rank());
            Expr pos = idx.dim(ax);
            Expr result = null;
            long end = 0;
            List<Long> ends = new ArrayList<>();
            for (Node in : n.inputs()) ends.add(end += cx.shape(in)[ax]);
            long start = end;
            for (int j = n.inputs().size() - 1; j >= 0; j--) {
                Node in = n.inputs().get(j);
                long size = cx.shape(in)[ax];
                start = ends.get(j) - size;
                if (size == 0) continue;
                List<Expr> d = new ArrayList<>(idx.dims());
                d.set(ax, max(i64(0), min(sub(pos, i64(start)), i64(size - 1))));
                Expr v = cx.read(in, Index.ofDims(cx.shape(in), d));
                result = result == null ? v : select(bin(BinOp.LT, pos, i64(ends.get(j))), v, result);
            }
            return result == null ? c(n.dtype(), 0) : result;
        });

        t.elementwise("pad", false, (n, idx, cx) -> {
            long[] xs = cx.shape(n.input(0));
            long[] pads = n.attrs().getLongArray("pads");
            String mode = n.attrs().getString("mode", "constant");
            List<Expr> in = new ArrayList<>();
            Expr valid = null;
            for (int k = 0; k < xs.length; k++) {
                Expr i = sub(idx.dim(k), i64(pads[k]));
                long d = xs[k];
                if (pads[k] == 0 && pads[k + xs.length] <= 0) { in.add(i); continue; }
                switch (mode) {
                    case "reflect" -> {
                        Expr a = select(bin(BinOp.LT, i, i64(0)), sub(i64(0), i), i);
                        in.add(select(bin(BinOp.GE, a, i64(d)), sub(i64(2 * (d - 1)), a), a));
                    }
                    case "edge" -> in.add(max(i64(0), min(i, i64(d - 1))));
                    default -> {
                        Expr ok = bin(BinOp.AND, bin(BinOp.GE, i, i64(0)), bin(BinOp.LT, i, i64(d)));
                        valid = valid == null ? ok : bin(BinOp.AND, valid, ok);
                        in.add(max(i64(0), min(i, i64(d - 1))));
                    }
                }
            }
            Expr v = cx.read(n.input(0), Index.ofDims(xs, in));
            return valid == null ? v : select(valid, v, c(n.dtype(), n.attrs().getDouble("value", 0)));
        });

        t.elementwise("tile", false, (n, idx, cx) -> {
            long[] xs = cx.shape(n.input(0));
            List<Expr> in = new ArrayList<>();
            for (int k = 0; k < xs.length; k++) in.add(xs[k] == idx.shape()[k] ? idx.dim(k) : rem(idx.dim(k), i64(xs[k])));
            return cx.read(n.input(0), Index.ofDims(xs, in));
        });

        t.elementwise("gather", false, (n, idx, cx) -> {
            Node x = n.input(0), ind = n.input(1);
            long[] xs = cx.shape(x), is = cx.shape(ind);
            int ax = axis(n.attrs().getLong("axis", 0), xs.length);
            List<Expr> id = new ArrayList<>();
            for (int k = 0; k < is.length; k++) id.add(idx.dim(ax + k));
            Expr i = cast(DType.I64, cx.read(ind, Index.ofDims(is, id)));
            i = select(bin(BinOp.LT, i, i64(0)), add(i, i64(xs[ax])), i);
            List<Expr> in = new ArrayList<>();
            for (int k = 0; k < ax; k++) in.add(idx.dim(k));
            in.add(max(i64(0), min(i, i64(xs[ax] - 1))));   // out-of-range ids are clamped, not reported
            for (int k = ax + 1; k < xs.length; k++) in.add(idx.dim(k + is.length - 1));
            return cx.read(x, Index.ofDims(xs, in));
        });

        t.elementwise("embedding", false, (n, idx, cx) -> {
            Node table = n.input(0), ids = n.input(1);
            long[] ts = cx.shape(table), is = cx.shape(ids);
            Expr id = cast(DType.I64, cx.read(ids, Index.ofDims(is, idx.dims().subList(0, is.length))));
            id = max(i64(0), min(id, i64(ts[0] - 1)));
            return cx.read(table, Index.ofDims(ts, List.of(id, idx.dim(idx.rank() - 1))));
        });

        t.elementwise("one_hot", false, (n, idx, cx) -> {
            Node ind = n.input(0);
            long[] is = cx.shape(ind);
            long depth = n.attrs().getLong("depth");
            Expr i = cast(DType.I64, cx.read(ind, Index.ofDims(is, idx.dims().subList(0, is.length))));
            i = select(bin(BinOp.LT, i, i64(0)), add(i, i64(depth)), i);
            return select(bin(BinOp.EQ, i, idx.dim(idx.rank() - 1)), c(n.dtype(), 1), c(n.dtype(), 0));
        });

        t.elementwise("iota", false, (n, idx, cx) -> cast(n.dtype(), idx.dim(axis(n.attrs().getLong("axis", 0), idx.rank()))));
    }

    static int axis(long a, int rank) { return (int) (a < 0 ? a + rank : a); }

    /** ONNX Slice's first index on a dim of size {@code dim}. */
    static long first(long dim, long start, long step) {
        if (start < 0) start += dim;
        return step > 0 ? Math.max(0, Math.min(dim, start)) : Math.max(0, Math.min(dim - 1, start));
    }
}
