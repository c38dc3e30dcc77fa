package org.dlm.onnx;

import java.util.List;
import java.util.function.BiFunction;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;

/** ONNX Reduce*, ArgMax/ArgMin and CumSum. Axes are an attribute in older opsets and an operand in newer ones. */
final class ReductionConverters {
    private ReductionConverters() {}

    static void register(ConverterTable t) {
        String[][] direct = {
            {"ReduceSum", "reduce_sum"}, {"ReduceMean", "reduce_mean"}, {"ReduceMax", "reduce_max"}, {"ReduceMin", "reduce_min"},
            {"ReduceProd", "reduce_prod"}, {"ReduceL2", "reduce_l2"}, {"ReduceLogSumExp", "reduce_logsumexp"},
        };
        for (String[] d : direct) t.one(d[0], cx -> reduce(cx, (x, a) -> cx.op(d[1], List.of(x), a)));
        t.one("ReduceL1", cx -> reduce(cx, (x, a) -> cx.op("reduce_sum", List.of(cx.op("abs", x)), a)));
        t.one("ReduceSumSquare", cx -> reduce(cx, (x, a) -> cx.op("reduce_sum", List.of(cx.op("mul", x, x)), a)));
        t.one("ReduceLogSum", cx -> reduce(cx, (x, a) -> cx.op("log", cx.op("reduce_sum", List.of(x), a))));
        t.one("ArgMax", cx -> arg(cx, "argmax"));
        t.one("ArgMin", cx -> arg(cx, "argmin"));
        t.one("CumSum", cx -> {
            Node x = cx.in(0);
            long axis = cx.axis((long) cx.constIn(1, "axis").get(0), x.shape().rank());
            boolean reverse = cx.attrInt("reverse", 0) != 0, exclusive = cx.attrInt("exclusive", 0) != 0;
            Node v = reverse ? flip(cx, x, axis) : x;
            Node c = cx.op("cumsum", List.of(v), "axis", axis);
            if (exclusive) c = cx.op("sub", c, v);
            return reverse ? flip(cx, c, axis) : c;
        });
    }

    /** Reverses {@code x} along {@code axis} (Slice with step -1). */
    static Node flip(OpContext cx, Node x, long axis) {
        return cx.op("slice", List.of(x), "starts", List.of(-1L), "ends", List.of(Long.MIN_VALUE), "axes", List.of(axis), "steps", List.of(-1L));
    }

    private static Node reduce(OpContext cx, BiFunction<Node, org.dlm.ir.Attrs, Node> build) {
        Node x = cx.in(0);
        long[] axes = cx.intsFromAttrOrInput("axes", 1, "axes");
        boolean keep = cx.attrInt("keepdims", 1) != 0;
        if ((axes == null || axes.length == 0) && cx.attrInt("noop_with_empty_axes", 0) != 0) return x;
        org.dlm.ir.Attrs a = org.dlm.ir.Attrs.of("axes", axes == null ? new long[0] : axes, "keepdims", keep);
        return build.apply(x, a);
    }

    private static Node arg(OpContext cx, String op) {
        Node x = cx.in(0);
        int rank = x.shape().rank();
        long axis = cx.axis(cx.attrInt("axis", 0), Math.max(rank, 1));
        boolean keep = cx.attrInt("keepdims", 1) != 0;
        if (cx.attrInt("select_last_index", 0) == 0) return cx.op(op, List.of(x), "axis", axis, "keepdims", keep);
        // last index of the extreme = (n - 1) - first index in the reversed tensor
        Dim n = x.shape().dim((int) axis);
        if (!n.isConst()) throw cx.unsupported("select_last_index on symbolic dim " + n);
        Node first = cx.op(op, List.of(flip(cx, x, axis)), "axis", axis, "keepdims", keep);
        return cx.op("sub", cx.scalar(DType.I64, n.value() - 1), first);
    }
}
