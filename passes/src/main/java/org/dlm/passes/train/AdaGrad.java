package org.dlm.passes.train;

import static org.dlm.passes.train.NodeMath.*;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Node;

/**
 * AdaGrad, as PyTorch's {@code torch.optim.Adagrad}:
 * <pre>
 *   g ← g + wd·p
 *   clr ← lr / (1 + (t − 1)·lr_decay)      (host-computed scalar)
 *   s ← s + g²                              (s starts at initial_accumulator_value)
 *   p ← p − clr · g / (√s + ε)
 * </pre>
 */
public record AdaGrad(double lrDecay, double weightDecay, double initialAccumulator, double eps) implements Optimizer {
    /** PyTorch's defaults: no decay, accumulator starts at 0, ε 1e-10. */
    public static AdaGrad defaults() { return new AdaGrad(0, 0, 0, 1e-10); }

    @Override public String name() { return "adagrad"; }

    @Override public List<Slot> slots() { return List.of(new Slot("sum", initialAccumulator)); }

    @Override public List<String> scalarNames() { return List.of("lr", "clr"); }

    @Override public Map<String, Double> scalars(long t, double lr) {
        return Map.of("lr", lr, "clr", lr / (1 + (t - 1) * lrDecay));
    }

    @Override public Update apply(Node p, Node g, Map<String, Node> state, Map<String, Node> s) {
        if (weightDecay != 0) g = add(g, scale(p, weightDecay));
        Node sum = add(state.get("sum"), square(g));
        Node std = add(sqrt(sum), scalar(p.dtype(), eps));
        return new Update(sub(p, mul(s.get("clr"), div(g, std))), Map.of("sum", sum));
    }
}
