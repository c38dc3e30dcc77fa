package org.dlm.ir.ops;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;

/** Gradient rules of matmul, gemm and linear, written with matmul/gemm and shape ops. */
final class LinalgGrads {
    private LinalgGrads() {}

    /** dA = G·Bᵀ, dB = Aᵀ·G, summed over broadcast batch dims; 1-D operands promoted as in the forward. */
    static List<Node> matmul(Node f, Node g) {
        Node a = f.input(0), b = f.input(1);
        if (a.shape().rank() == 2 && b.shape().rank() == 2)
            return List.of(gemm(g, b, false, true, 1), gemm(a, g, true, false, 1));
        Node a2 = a.shape().rank() == 1 ? GradNodes.reshapeIfNeeded(a, Shape.of(Dim.of(1), a.shape().dim(0))) : a;
        Node b2 = b.shape().rank() == 1 ? GradNodes.reshapeIfNeeded(b, Shape.of(b.shape().dim(0), Dim.of(1))) : b;
        List<Dim> gd = new ArrayList<>(g.shape().dims());
        if (a.shape().rank() == 1) gd.add(gd.size() - (b.shape().rank() == 1 ? 0 : 1), Dim.of(1));
        if (b.shape().rank() == 1) gd.add(Dim.of(1));
        Node g2 = GradNodes.reshapeIfNeeded(g, new Shape(gd));
        Node da = GradUtil.unbroadcast(Node.of("matmul", g2, GradNodes.transposeLast2(b2)), a2.shape());
        Node db = GradUtil.unbroadcast(Node.of("matmul", GradNodes.transposeLast2(a2), g2), b2.shape());
        return List.of(GradNodes.reshapeIfNeeded(da, a.shape()), GradNodes.reshapeIfNeeded(db, b.shape()));
    }

    private static Node gemm(Node a, Node b, boolean ta, boolean tb, double alpha) {
        Attrs at = Attrs.of("trans_a", ta, "trans_b", tb);
        if (alpha != 1) at = at.with("alpha", alpha);
        return Node.of("gemm", List.of(a, b), at);
    }

    /** Y = α·op(A)·op(B) + β·C. */
    static List<Node> gemm(Node f, Node g) {
        Node a = f.input(0), b = f.input(1);
        boolean ta = f.attrs().getBool("trans_a", false), tb = f.attrs().getBool("trans_b", false);
        double alpha = f.attrs().getDouble("alpha", 1), beta = f.attrs().getDouble("beta", 1);
        Node da = ta ? gemm(b, g, tb, true, alpha) : gemm(g, b, false, !tb, alpha);
        Node db = tb ? gemm(g, a, true, ta, alpha) : gemm(a, g, !ta, false, alpha);
        if (f.inputs().size() == 2) return List.of(da, db);
        return List.of(da, db, GradNodes.scale(GradUtil.unbroadcast(g, f.input(2).shape()), beta));
    }

    /** y = x·wᵀ + b: dx = g·w, dw = gᵀ·x over all leading dims, db = Σ g. */
    static List<Node> linear(Node f, Node g) {
        Node x = f.input(0), w = f.input(1);
        Node dx = Node.of("matmul", g, w);
        Dim outF = w.shape().dim(0), inF = w.shape().dim(1);
        Dim rows = Dim.of(1);
        for (Dim d : x.shape().dims().subList(0, x.shape().rank() - 1)) rows = rows.times(d);
        Node g2 = GradNodes.reshapeIfNeeded(g, Shape.of(rows, outF)), x2 = GradNodes.reshapeIfNeeded(x, Shape.of(rows, inF));
        Node dw = gemm(g2, x2, true, false, 1);
        if (f.inputs().size() == 2) return List.of(dx, dw);
        return List.of(dx, dw, GradUtil.unbroadcast(g, f.input(2).shape()));
    }
}
