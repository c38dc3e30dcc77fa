package org.dlm.passes.train;

import static org.dlm.passes.train.NodeMath.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Node;

/**
 * Adam and AdamW, as PyTorch's {@code torch.optim.Adam} / {@code AdamW}:
 * <pre>
 *   Adam:  g ← g + wd·p             AdamW: p ← p·(1 − lr·wd)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²          (amsgrad: v̂ ← max(v̂, v), used below instead of v)
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * </pre>
 * The step size {@code lr / (1 − β1^t)}, {@code √(1 − β2^t)} and AdamW's {@code 1 − lr·wd} are
 * per-step scalar inputs computed on the host in double precision, as PyTorch does.
 */
public record Adam(double beta1, double beta2, double eps, double weightDecay, boolean decoupled, boolean amsgrad) implements Optimizer {
    public Adam {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }

    public static Adam adam(double beta1, double beta2, double eps, double weightDecay) {
        return new Adam(beta1, beta2, eps, weightDecay, false, false);
    }

    public static Adam adamW(double beta1, double beta2, double eps, double weightDecay) {
        return new Adam(beta1, beta2, eps, weightDecay, true, false);
    }

    @Override public String name() { return decoupled ? "adamw" : "adam"; }

    @Override public List<Slot> slots() {
        List<Slot> s = new ArrayList<>(List.of(new Slot("exp_avg", 0), new Slot("exp_avg_sq", 0)));
        if (amsgrad) s.add(new Slot("max_exp_avg_sq", 0));
        return s;
    }

    @Override public List<String> scalarNames() {
        return decoupled ? List.of("lr", "step_size", "bc2_sqrt", "decay") : List.of("lr", "step_size", "bc2_sqrt");
    }

    @Override public Map<String, Double> scalars(long t, double lr) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("lr", lr);
        m.put("step_size", lr / (1 - Math.pow(beta1, t)));
        m.put("bc2_sqrt", Math.sqrt(1 - Math.pow(beta2, t)));
        if (decoupled) m.put("decay", 1 - lr * weightDecay);
        return m;
    }

    @Override public Update apply(Node p, Node g, Map<String, Node> state, Map<String, Node> s) {
        if (decoupled) {
            if (weightDecay != 0) p = mul(p, s.get("decay"));
        } else if (weightDecay != 0) {
            g = add(g, scale(p, weightDecay));
        }
        Node m = lerp(beta1, state.get("exp_avg"), 1 - beta1, g);
        Node v = lerp(beta2, state.get("exp_avg_sq"), 1 - beta2, square(g));
        Map<String, Node> next = new LinkedHashMap<>();
        next.put("exp_avg", m);
        next.put("exp_avg_sq", v);
        Node vHat = v;
        if (amsgrad) {
            vHat = max(state.get("max_exp_avg_sq"), v);
            next.put("max_exp_avg_sq", vHat);
        }
        Node denom = add(div(sqrt(vHat), s.get("bc2_sqrt")), scalar(p.dtype(), eps));
        return new Update(sub(p, mul(s.get("step_size"), div(m, denom))), next);
    }
}
