package org.dlm.passes.lower;

import java.util.List;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.pass.GraphRewriter;

/**
 * Rewrites a training-mode {@code batch_norm(x, gamma, beta, mean, var)} as the inference form
 * normalizing with the batch statistics, {@code batch_norm(x, gamma, beta, batch_mean(x),
 * batch_var(x))}: the same values (batch_var is the biased variance), so the statistics are two
 * per-channel reductions and the normalization stays a fusable expression. The statistics nodes
 * are the very ones the running-stat update ({@code TrainingMode}) already uses (nodes are
 * hash-consed), so they are computed once.
 */
final class TrainingBatchNorm {
    private TrainingBatchNorm() {}

    static Graph rewrite(Graph g) {
        if (g.topoOrder().stream().noneMatch(TrainingBatchNorm::training)) return g;
        return GraphRewriter.rewrite(g, (old, n) -> {
            if (!training(n)) return n;
            Node x = n.input(0);
            return Node.of("batch_norm", List.of(x, n.input(1), n.input(2), Node.of("batch_mean", x), Node.of("batch_var", x)),
                    n.attrs().with("training", false));
        });
    }

    private static boolean training(Node n) { return n.opName().equals("batch_norm") && n.attrs().getBool("training", false); }
}
