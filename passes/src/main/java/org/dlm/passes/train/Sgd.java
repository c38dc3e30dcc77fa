package org.dlm.passes.train;

import static org.dlm.passes.train.NodeMath.*;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Node;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
 * weight decay, as PyTorch's {@code torch.optim.SGD}:
 * <pre>
 *   g ← g + wd·p
 *   b ← μ·b + (1 − τ)·g        (b ← g on the first step)
 *   g ← nesterov ? g + μ·b : b
 *   p ← p − lr·g
 * </pre>
 * The first step's {@code b ← g} is the scalar input {@code damp}: 1 on step 1, 1 − τ after.
 */
public record Sgd(double momentum, double dampening, boolean nesterov, double weightDecay) implements Optimizer {
    public Sgd {
        if (momentum < 0) throw new IllegalArgumentException("SGD momentum must be >= 0, got " + momentum);
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new IllegalArgumentException("Nesterov momentum needs momentum > 0 and dampening 0");
    }

    /** Plain SGD. */
    public static Sgd plain() { return new Sgd(0, 0, false, 0); }
    public static Sgd momentum(double mu) { return new Sgd(mu, 0, false, 0); }
    public static Sgd nesterov(double mu) { return new Sgd(mu, 0, true, 0); }

    @Override public String name() { return nesterov ? "nesterov" : momentum > 0 ? "momentum" : "sgd"; }

    @Override public List<Slot> slots() { return momentum > 0 ? List.of(new Slot("momentum", 0)) : List.of(); }

    @Override public List<String> scalarNames() { return momentum > 0 ? List.of("lr", "damp") : List.of("lr"); }

    @Override public Map<String, Double> scalars(long t, double lr) {
        return momentum > 0 ? Map.of("lr", lr, "damp", t <= 1 ? 1.0 : 1 - dampening) : Map.of("lr", lr);
    }

    @Override public Update apply(Node p, Node g, Map<String, Node> state, Map<String, Node> s) {
        if (weightDecay != 0) g = add(g, scale(p, weightDecay));
        if (momentum == 0) return new Update(sub(p, mul(s.get("lr"), g)), Map.of());
        Node b = add(scale(state.get("momentum"), momentum), mul(s.get("damp"), g));
        Node step = nesterov ? add(g, scale(b, momentum)) : b;
        return new Update(sub(p, mul(s.get("lr"), step)), Map.of("momentum", b));
    }
}
