package org.dlm.ir.ops;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;

/**
 * Small node builders for gradient rules. Gradients are ordinary graph nodes built with
 * {@link Node#of}, so they are shape-checked and hash-consed like everything else.
 *
 * <pre>{@code
 * Node ga = GradUtil.unbroadcast(g, a.shape());   // sum g back to the shape a had before broadcasting
 * }</pre>
 */
public final class GradUtil {
    private GradUtil() {}

    /**
     * Sums {@code g} over the dimensions that broadcasting added or stretched, so the result has
     * shape {@code target}. Returns {@code g} itself when nothing was broadcast.
     */
    public static Node unbroadcast(Node g, Shape target) {
        Shape gs = g.shape();
        if (gs.equals(target)) return g;
        int lead = gs.rank() - target.rank();
        List<Long> axes = new ArrayList<>();
        for (int i = 0; i < gs.rank(); i++) {
            if (i < lead) { axes.add((long) i); continue; }
            Dim t = target.dim(i - lead);
            if (t.isConst() && t.value() == 1 && !(gs.dim(i).isConst() && gs.dim(i).value() == 1)) axes.add((long) i);
        }
        Node r = axes.isEmpty() ? g : Node.of("reduce_sum", List.of(g), Attrs.of("axes", axes, "keepdims", true));
        return r.shape().equals(target) ? r : reshape(r, target);
    }

    /** A scalar constant of {@code dtype}. */
    public static Node scalar(double v, DType dtype) {
        return Node.of("const", List.of(), Attrs.of("value", Constant.scalar(dtype, v)));
    }

    /** A scalar constant with the dtype of {@code like}. */
    public static Node scalar(double v, Node like) { return scalar(v, like.dtype()); }

    /** Zeros with the type of {@code like} (shape may be symbolic). */
    public static Node zerosLike(Node like) {
        return Node.of("expand", List.of(scalar(0, like)), Attrs.of("shape", like.shape()));
    }

    public static Node reshape(Node x, Shape s) { return Node.of("reshape", List.of(x), Attrs.of("shape", s)); }

    public static Node op(String name, Node... in) { return Node.of(name, in); }
    public static Node add(Node a, Node b) { return op("add", a, b); }
    public static Node sub(Node a, Node b) { return op("sub", a, b); }
    public static Node mul(Node a, Node b) { return op("mul", a, b); }
    public static Node div(Node a, Node b) { return op("div", a, b); }
    public static Node neg(Node a) { return op("neg", a); }
    public static Node mul(Node a, double c) { return mul(a, scalar(c, a)); }

    /** where(cond, g, 0): passes the gradient where {@code cond} holds. */
    public static Node mask(Node cond, Node g) { return op("where", cond, g, scalar(0, g)); }

    /** {@code g} brought to {@code x}'s shape after a reduction over {@code axes} (keepdims or not). */
    public static Node expandReduced(Node g, Shape xShape, int[] axes) {
        List<Dim> keep = new ArrayList<>(xShape.dims());
        for (int a : axes) keep.set(a, Dim.of(1));
        Node k = g.shape().equals(new Shape(keep)) ? g : reshape(g, new Shape(keep));
        return Node.of("expand", List.of(k), Attrs.of("shape", xShape));
    }

    /** A constant i64 vector. */
    public static Node indices(long... v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return Node.of("const", List.of(), Attrs.of("value", new Constant(TensorType.of(DType.I64, v.length), d)));
    }

    /**
     * The adjoint of {@code gather(x, idx, axis)} for an operand with {@code n} entries on
     * {@code axis}: adds each slice of {@code g} into the row its index names. Built from
     * {@code one_hot}, a broadcast multiply and a sum, so it needs no scatter op (its cost is
     * |g|·n; indices outside [-n, n) contribute nothing).
     */
    public static Node scatterAlong(Node g, int axis, Node idx, long n) {
        int ir = idx.shape().rank();
        int post = g.shape().rank() - axis - ir;
        Node oh = Node.of("one_hot", List.of(idx), Attrs.of("depth", n, "dtype", g.dtype()));
        List<Dim> ohShape = new ArrayList<>();
        for (int i = 0; i < axis; i++) ohShape.add(Dim.of(1));
        ohShape.addAll(idx.shape().dims());
        ohShape.add(Dim.of(n));
        for (int i = 0; i < post; i++) ohShape.add(Dim.of(1));
        Node gu = Node.of("unsqueeze", List.of(g), Attrs.of("axes", List.of((long) (axis + ir))));
        Node prod = mul(gu, reshape(oh, new Shape(ohShape)));
        if (ir == 0) return prod;
        List<Long> axes = new ArrayList<>();
        for (int i = 0; i < ir; i++) axes.add((long) (axis + i));
        return Node.of("reduce_sum", List.of(prod), Attrs.of("axes", axes, "keepdims", false));
    }
}
