package org.dlm.ir.ops;

import java.util.Arrays;
import java.util.List;
import org.dlm.ir.Node;

/**
 * Gradient rules of the losses. Class targets (ids or probabilities) are data and get no gradient;
 * both operands of the elementwise losses do.
 */
final class LossGrads {
    private LossGrads() {}

    static List<Node> crossEntropy(Node f, Node g) {
        return Arrays.asList(Node.of("cross_entropy_grad", List.of(f.input(0), f.input(1), g), f.attrs()), null);
    }

    static List<Node> nllLoss(Node f, Node g) {
        return Arrays.asList(Node.of("nll_loss_grad", List.of(f.input(0), f.input(1), g), f.attrs()), null);
    }

    static List<Node> elementwise(Node f, Node g) {
        var a = f.attrs().with("loss", f.opName());
        List<Node> ops = List.of(f.input(0), f.input(1), g);
        return List.of(Node.of("elementwise_loss_grad", ops, a.with("wrt", 0L)), Node.of("elementwise_loss_grad", ops, a.with("wrt", 1L)));
    }
}
