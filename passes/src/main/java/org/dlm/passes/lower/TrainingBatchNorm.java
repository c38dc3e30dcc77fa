package org.dlm.passes.lower;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.pass.GraphRewriter;

/**
 * Rewrites a training-mode {@code batch_norm(x, gamma, beta, mean, var)} into the per-channel
 * affine map it is: {@code scale = gamma / sqrt(batch_var(x) + eps)},
 * {@code shift = beta - batch_mean(x)·scale} (tiny [C] loops), then {@code x·scale + shift}, an
 * elementwise expression that fuses with what follows (relu) and does no sqrt or division per
 * element. The statistics are the very {@code batch_mean}/{@code batch_var} nodes the running-stat
 * update ({@code TrainingMode}) already uses (nodes are hash-consed), so they are computed once.
 */
final class TrainingBatchNorm {
    private TrainingBatchNorm() {}

    static Graph rewrite(Graph g) {
        if (g.topoOrder().stream().noneMatch(TrainingBatchNorm::training)) return g;
        return GraphRewriter.rewrite(g, (old, n) -> training(n) ? affine(n) : n);
    }

    private static boolean training(Node n) { return n.opName().equals("batch_norm") && n.attrs().getBool("training", false); }

    private static Node affine(Node bn) {
        Node x = bn.input(0), gamma = bn.input(1), beta = bn.input(2);
        Node eps = Node.of("const", List.of(), Attrs.of("value", new Constant(new TensorType(x.dtype(), Shape.SCALAR),
                new double[] {bn.attrs().getDouble("eps", 1e-5)})));
        Node scale = Node.of("mul", gamma, Node.of("rsqrt", Node.of("add", Node.of("batch_var", x), eps)));
        Node shift = Node.of("sub", beta, Node.of("mul", Node.of("batch_mean", x), scale));
        return Node.of("add", Node.of("mul", x, perChannel(scale, x)), perChannel(shift, x));
    }

    /** A [C] vector shaped [C, 1, ...] so it broadcasts over x[N, C, ...]. */
    private static Node perChannel(Node v, Node x) {
        if (x.shape().rank() <= 2) return v;
        List<Dim> dims = new ArrayList<>(List.of(v.shape().dim(0)));
        for (int k = 2; k < x.shape().rank(); k++) dims.add(Dim.of(1));
        return Node.of("reshape", List.of(v), Attrs.of("shape", new Shape(dims)));
    }
}
