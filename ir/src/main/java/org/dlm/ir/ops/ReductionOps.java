package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;
import static org.dlm.ir.ops.GradUtil.*;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.InterpreterException;
import org.dlm.ir.interp.NdArray;

/**
 * Reductions over axes ({@code reduce_*}), {@code argmax}/{@code argmin} and {@code cumsum}.
 * An empty {@code axes} list reduces over every axis. Reducing an empty set gives the identity of
 * the reduction (sum 0, prod 1, max -inf, min +inf, mean NaN), as in ONNX.
 */
public final class ReductionOps implements OpTable.Family {
    /** Operand dtypes a reduction accepts (ANY includes bool). */
    private enum Accepts { FLOAT, NUMERIC, ANY }

    /** Folds the values of one reduced group into one value. */
    @FunctionalInterface
    private interface Fold { double apply(double[] values, DType dtype); }

    @Override public List<OpDef> ops() {
        List<OpDef> l = new ArrayList<>();
        l.add(reduce("reduce_sum", Accepts.NUMERIC, (v, d) -> { double s = 0; for (double x : v) s += x; return s; },
                (f, g, axes) -> expandReduced(g, f.input(0).shape(), axes), "sum"));
        l.add(reduce("reduce_mean", Accepts.NUMERIC, (v, d) -> {
                    double s = 0; for (double x : v) s += x;
                    return d.isInteger() ? (v.length == 0 ? 0 : ElementwiseOps.truncDiv(s, v.length)) : s / v.length; },
                ReductionOps::meanGrad, "arithmetic mean (integers truncate)"));
        l.add(reduce("reduce_max", Accepts.ANY, (v, d) -> { double m = lowest(d); for (double x : v) m = Math.max(m, x); return m; },
                ReductionOps::extremumGrad, "maximum; NaN propagates"));
        l.add(reduce("reduce_min", Accepts.ANY, (v, d) -> { double m = highest(d); for (double x : v) m = Math.min(m, x); return m; },
                ReductionOps::extremumGrad, "minimum; NaN propagates"));
        l.add(reduce("reduce_prod", Accepts.NUMERIC, (v, d) -> { double p = 1; for (double x : v) p *= x; return p; },
                (f, g, axes) -> mul(expandReduced(g, f.input(0).shape(), axes),
                        div(expandReduced(f, f.input(0).shape(), axes), f.input(0))),
                "product (gradient y/x is undefined where x = 0)"));
        l.add(reduce("reduce_l2", Accepts.FLOAT, (v, d) -> { double s = 0; for (double x : v) s += x * x; return Math.sqrt(s); },
                (f, g, axes) -> {
                    Node x = f.input(0);
                    Node y = expandReduced(f, x.shape(), axes);
                    Node r = op("where", op("eq", y, scalar(0, f)), scalar(0, f), div(x, y));
                    return mul(expandReduced(g, x.shape(), axes), r);
                }, "Euclidean norm sqrt(sum x^2)"));
        l.add(reduce("reduce_logsumexp", Accepts.FLOAT, (v, d) -> {
                    double m = Double.NEGATIVE_INFINITY;
                    for (double x : v) m = Math.max(m, x);
                    if (Double.isInfinite(m) || Double.isNaN(m)) return m; // empty, all -inf, some +inf, or NaN
                    double s = 0; for (double x : v) s += Math.exp(x - m);
                    return m + Math.log(s); },
                (f, g, axes) -> {
                    Node x = f.input(0);
                    Node p = op("exp", sub(x, expandReduced(f, x.shape(), axes)));
                    return mul(expandReduced(g, x.shape(), axes), p);
                }, "log(sum(exp x)), computed stably"));
        l.add(arg("argmax", true));
        l.add(arg("argmin", false));
        l.add(cumsum());
        return l;
    }

    /** The gradient of a reduction given the forward node, its output gradient and the normalized axes. */
    @FunctionalInterface
    private interface ReduceGrad { Node grad(Node forward, Node g, int[] axes); }

    private static OpDef reduce(String name, Accepts accepts, Fold fold, ReduceGrad grad, String doc) {
        return OpDef.builder(name).inputs(1)
                .attr("axes", INTS, List.of(), "axes to reduce; empty = all")
                .attr("keepdims", BOOL, false, "keep reduced axes as size 1")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    switch (accepts) {
                        case FLOAT -> OpChecks.requireFloat(name, t);
                        case NUMERIC -> OpChecks.requireNumeric(name, t);
                        case ANY -> { }
                    }
                    int[] axes = axes(name, a, t.rank());
                    return t.withShape(reducedShape(t.shape(), axes, a.getBool("keepdims", false)));
                })
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    int[] axes = axes(name, a, x.rank());
                    return reduceKernel(x, axes, a.getBool("keepdims", false), fold);
                })
                .grad((f, g) -> List.of(grad.grad(f, g, axes(name, f.attrs(), f.input(0).shape().rank()))))
                .doc(doc + " over axes").build();
    }

    static int[] axes(String op, Attrs a, int rank) {
        List<Long> given = a.getLongs("axes", List.of());
        if (given.isEmpty()) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) all[i] = i;
            return all;
        }
        return OpChecks.axes(op, given, rank);
    }

    static Shape reducedShape(Shape s, int[] axes, boolean keep) {
        boolean[] red = new boolean[s.rank()];
        for (int ax : axes) red[ax] = true;
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            if (!red[i]) out.add(s.dim(i));
            else if (keep) out.add(Dim.of(1));
        }
        return new Shape(out);
    }

    /** Groups the elements of {@code x} by their position outside {@code axes} and folds each group. */
    private static NdArray reduceKernel(NdArray x, int[] axes, boolean keep, Fold fold) {
        long[] xs = x.shape();
        boolean[] red = new boolean[xs.length];
        for (int ax : axes) red[ax] = true;
        long[] keptShape = new long[xs.length];
        long groupSize = 1;
        for (int i = 0; i < xs.length; i++) {
            keptShape[i] = red[i] ? 1 : xs[i];
            if (red[i]) groupSize *= xs[i];
        }
        int outN = (int) NdArray.numel(keptShape);
        double[][] groups = new double[outN][(int) groupSize];
        int[] fill = new int[outN];
        long[] ks = NdArray.strides(keptShape);
        long[] idx = new long[xs.length];
        for (int f = 0; f < x.size(); f++) {
            long o = 0;
            for (int d = 0; d < xs.length; d++) if (!red[d]) o += idx[d] * ks[d];
            groups[(int) o][fill[(int) o]++] = x.get(f);
            increment(idx, xs);
        }
        double[] r = new double[outN];
        for (int i = 0; i < outN; i++) r[i] = fold.apply(groups[i], x.dtype());
        long[] outShape = keep ? keptShape : dropReduced(xs, red);
        return new NdArray(x.dtype(), outShape, r);
    }

    private static long[] dropReduced(long[] xs, boolean[] red) {
        return java.util.stream.IntStream.range(0, xs.length).filter(i -> !red[i]).mapToLong(i -> xs[i]).toArray();
    }

    /** Advances a row-major multi-index by one. */
    static void increment(long[] idx, long[] shape) {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    static double lowest(DType d) {
        return switch (d) {
            case I8 -> Byte.MIN_VALUE; case U8, BOOL -> 0; case I32 -> Integer.MIN_VALUE; case I64 -> Long.MIN_VALUE;
            default -> Double.NEGATIVE_INFINITY;
        };
    }

    static double highest(DType d) {
        return switch (d) {
            case I8 -> Byte.MAX_VALUE; case U8 -> 255; case BOOL -> 1; case I32 -> Integer.MAX_VALUE; case I64 -> Long.MAX_VALUE;
            default -> Double.POSITIVE_INFINITY;
        };
    }

    private static Node meanGrad(Node f, Node g, int[] axes) {
        Node x = f.input(0);
        Dim count = Dim.of(1);
        for (int a : axes) count = count.times(x.shape().dim(a));
        Node ge = expandReduced(g, x.shape(), axes);
        if (count.isConst()) return mul(ge, 1.0 / count.value());
        // symbolic count: divide by the reduced sum of ones, which every backend evaluates cheaply
        Node ones = Node.of("expand", List.of(scalar(1, x)), Attrs.of("shape", x.shape()));
        Node n = Node.of("reduce_sum", List.of(ones), Attrs.of("axes", toLongs(axes), "keepdims", true));
        return div(ge, n);
    }

    private static Node extremumGrad(Node f, Node g, int[] axes) {
        // the gradient is shared evenly among the elements equal to the extremum
        Node x = f.input(0);
        Node hit = Node.of("cast", List.of(op("eq", x, expandReduced(f, x.shape(), axes))), Attrs.of("dtype", x.dtype()));
        Node count = Node.of("reduce_sum", List.of(hit), Attrs.of("axes", toLongs(axes), "keepdims", true));
        return mul(expandReduced(g, x.shape(), axes), div(hit, count));
    }

    static List<Long> toLongs(int[] a) {
        List<Long> l = new ArrayList<>();
        for (int v : a) l.add((long) v);
        return l;
    }

    private static OpDef arg(String name, boolean max) {
        return OpDef.builder(name).inputs(1)
                .attr("axis", INT, null, "axis to search")
                .attr("keepdims", BOOL, false, "keep the axis as size 1")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    int ax = OpChecks.axis(name, a.getLong("axis"), t.rank());
                    Dim d = t.shape().dim(ax);
                    if (d.isConst() && d.value() == 0)
                        throw new ShapeException(name + " over axis " + ax + " of " + t + " has no elements to choose from");
                    return new TensorType(DType.I64, reducedShape(t.shape(), new int[] {ax}, a.getBool("keepdims", false)));
                })
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    int ax = OpChecks.axis(name, a.getLong("axis"), x.rank());
                    if (x.dim(ax) == 0) throw new InterpreterException(name + " over an empty axis");
                    NdArray r = reduceKernel(x, new int[] {ax}, a.getBool("keepdims", false), (v, d) -> {
                        int best = 0;
                        for (int i = 1; i < v.length; i++) {
                            if (Double.isNaN(v[best])) break; // first NaN wins, as in numpy
                            if (Double.isNaN(v[i]) || (max ? v[i] > v[best] : v[i] < v[best])) best = i;
                        }
                        return best;
                    });
                    return r.cast(DType.I64);
                })
                .doc("index of the first " + (max ? "largest" : "smallest") + " element along axis, i64").build();
    }

    private static OpDef cumsum() {
        return OpDef.builder("cumsum").inputs(1)
                .attr("axis", INT, null, "axis to accumulate along")
                .shape((in, a) -> {
                    OpChecks.requireNumeric("cumsum", in.get(0));
                    OpChecks.axis("cumsum", a.getLong("axis"), in.get(0).rank());
                    return in.get(0);
                })
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    int ax = OpChecks.axis("cumsum", a.getLong("axis"), x.rank());
                    long stride = x.strides()[ax], n = x.dim(ax);
                    double[] r = x.data().clone();
                    for (int f = 0; f < r.length; f++) {
                        long pos = (f / stride) % n;
                        if (pos > 0) r[f] = NdArray.round(x.dtype(), r[f] + r[(int) (f - stride)]);
                    }
                    return new NdArray(x.dtype(), x.shape(), r);
                })
                .grad((f, g) -> {
                    // reverse cumulative sum: flip, cumsum, flip
                    long ax = f.attrs().getLong("axis");
                    Attrs flip = Attrs.of("starts", List.of(-1L), "ends", List.of(Long.MIN_VALUE), "axes", List.of(ax), "steps", List.of(-1L));
                    Node rev = Node.of("slice", List.of(g), flip);
                    Node cs = Node.of("cumsum", List.of(rev), Attrs.of("axis", ax));
                    return List.of(Node.of("slice", List.of(cs), flip));
                })
                .doc("inclusive cumulative sum along axis").build();
    }
}
