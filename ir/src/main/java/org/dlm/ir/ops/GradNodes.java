package org.dlm.ir.ops;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;

/** Small node-building steps shared by the gradient rules of the linalg, nn and loss families. */
final class GradNodes {
    private GradNodes() {}

    /** Sums {@code g} down to {@code target}, undoing numpy broadcasting (leading dims and stretched 1s). */
    static Node sumTo(Node g, Shape target) {
        Shape s = g.shape();
        if (s.equals(target)) return g;
        int lead = s.rank() - target.rank();
        List<Long> axes = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++)
            if (i < lead || (target.dim(i - lead).isConst() && target.dim(i - lead).value() == 1 && !s.dim(i).equals(Dim.of(1))))
                axes.add((long) i);
        Node r = axes.isEmpty() ? g : Node.of("reduce_sum", List.of(g), Attrs.of("axes", axes, "keepdims", true));
        return r.shape().equals(target) ? r : reshape(r, target);
    }

    static Node reshape(Node x, Shape shape) {
        return x.shape().equals(shape) ? x : Node.of("reshape", List.of(x), Attrs.of("shape", shape));
    }

    /** Swaps the last two axes. */
    static Node transposeLast2(Node x) {
        int r = x.shape().rank();
        long[] perm = new long[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        perm[r - 2] = r - 1;
        perm[r - 1] = r - 2;
        return Node.of("transpose", List.of(x), Attrs.of("perm", perm));
    }

    /** {@code x · c} for a scalar constant (x itself when c = 1). */
    static Node scale(Node x, double c) {
        if (c == 1) return x;
        Node k = Node.of("const", List.of(), Attrs.of("value", Constant.scalar(x.dtype(), c)));
        return Node.of("mul", x, k);
    }

    /** The forward node's attributes plus {@code wrt}. */
    static Attrs wrt(Node f, int which) { return f.attrs().with("wrt", (long) which); }
}
