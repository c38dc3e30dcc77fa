package org.dlm.ir.ops;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;

/**
 * Node-building steps of the linalg, nn and loss gradient rules that {@link GradUtil} does not
 * already provide.
 */
final class GradNodes {
    private GradNodes() {}

    /** {@code x} reshaped to {@code shape}, or {@code x} itself when it already has that shape. */
    static Node reshapeIfNeeded(Node x, Shape shape) {
        return x.shape().equals(shape) ? x : GradUtil.reshape(x, shape);
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

    /** {@code x · c} for a scalar constant ({@code x} itself when c = 1). */
    static Node scale(Node x, double c) { return c == 1 ? x : GradUtil.mul(x, c); }

    /** The forward node's attributes plus {@code wrt}. */
    static Attrs wrt(Node f, int which) { return f.attrs().with("wrt", (long) which); }
}
