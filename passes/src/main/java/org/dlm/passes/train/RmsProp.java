package org.dlm.passes.train;

import static org.dlm.passes.train.NodeMath.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Node;

/**
 * RMSProp, as PyTorch's {@code torch.optim.RMSprop}:
 * <pre>
 *   g ← g + wd·p
 *   s ← α·s + (1 − α)·g²
 *   centered: a ← α·a + (1 − α)·g;  d ← √(s − a²) + ε    else  d ← √s + ε
 *   momentum μ > 0: b ← μ·b + g / d;  p ← p − lr·b       else  p ← p − lr·g / d
 * </pre>
 */
public record RmsProp(double alpha, double eps, double weightDecay, double momentum, boolean centered) implements Optimizer {
    /** PyTorch's defaults: α 0.99, ε 1e-8. */
    public static RmsProp defaults() { return new RmsProp(0.99, 1e-8, 0, 0, false); }

    @Override public String name() { return "rmsprop"; }

    @Override public List<Slot> slots() {
        List<Slot> s = new ArrayList<>(List.of(new Slot("square_avg", 0)));
        if (momentum > 0) s.add(new Slot("momentum", 0));
        if (centered) s.add(new Slot("grad_avg", 0));
        return s;
    }

    @Override public List<String> scalarNames() { return List.of("lr"); }

    @Override public Map<String, Double> scalars(long t, double lr) { return Map.of("lr", lr); }

    @Override public Update apply(Node p, Node g, Map<String, Node> state, Map<String, Node> s) {
        if (weightDecay != 0) g = add(g, scale(p, weightDecay));
        Map<String, Node> next = new LinkedHashMap<>();
        Node sq = lerp(alpha, state.get("square_avg"), 1 - alpha, square(g));
        next.put("square_avg", sq);
        Node var = sq;
        if (centered) {
            Node a = lerp(alpha, state.get("grad_avg"), 1 - alpha, g);
            next.put("grad_avg", a);
            var = sub(sq, square(a));
        }
        Node d = add(sqrt(var), scalar(p.dtype(), eps));
        Node step;
        if (momentum > 0) {
            step = add(scale(state.get("momentum"), momentum), div(g, d));
            next.put("momentum", step);
        } else {
            step = div(g, d);
        }
        return new Update(sub(p, mul(s.get("lr"), step)), next);
    }
}
