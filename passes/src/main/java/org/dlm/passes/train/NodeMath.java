package org.dlm.passes.train;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Node;

/** Short names for building update rules out of catalogue ops; scalars are {@code const} nodes. */
final class NodeMath {
    private NodeMath() {}

    static Node add(Node a, Node b) { return Node.of("add", a, b); }
    static Node sub(Node a, Node b) { return Node.of("sub", a, b); }
    static Node mul(Node a, Node b) { return Node.of("mul", a, b); }
    static Node div(Node a, Node b) { return Node.of("div", a, b); }
    static Node sqrt(Node a) { return Node.of("sqrt", a); }
    static Node sign(Node a) { return Node.of("sign", a); }
    static Node max(Node a, Node b) { return Node.of("max", a, b); }
    static Node min(Node a, Node b) { return Node.of("min", a, b); }
    static Node square(Node a) { return mul(a, a); }

    static Node clip(Node a, double lo, double hi) { return Node.of("clip", List.of(a), Attrs.of("min", lo, "max", hi)); }

    static Node sumAll(Node a) { return Node.of("reduce_sum", List.of(a), Attrs.EMPTY); }

    static Node scalar(DType t, double v) { return Node.of("const", List.of(), Attrs.of("value", Constant.scalar(t, v))); }

    /** {@code a * c} for a literal {@code c}. */
    static Node scale(Node a, double c) { return mul(a, scalar(a.dtype(), c)); }

    /** {@code a * x + b * y} for literals {@code a, b}: the moving-average shape every optimizer uses. */
    static Node lerp(double a, Node x, double b, Node y) { return add(scale(x, a), scale(y, b)); }

    static Node cast(Node a, DType to) {
        return a.dtype() == to ? a : Node.of("cast", List.of(a), Attrs.of("dtype", to));
    }
}
