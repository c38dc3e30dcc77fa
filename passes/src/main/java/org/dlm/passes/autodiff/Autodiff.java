package org.dlm.passes.autodiff;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;

/**
 * Reverse-mode automatic differentiation on Graph IR. For a graph with a scalar loss output it
 * builds a graph that computes the same outputs plus, for every trainable parameter, an output
 * {@code grad/<param name>} holding d loss / d param. Each op's gradient comes from its
 * {@link OpDef#gradRule()}: nothing here knows a particular op except {@code add} (to sum the
 * gradients of a node used more than once), {@code reduce_sum}/{@code reshape} (to undo
 * broadcasting when a rule returns a gradient of the broadcast shape) and {@code const}.
 *
 * <p><b>Recompute or store.</b> The backward nodes reference the forward nodes directly, so
 * forward activations are <em>stored</em>: one graph holds forward and backward, and the backend's
 * memory planner sees each activation's last use (in the backward half) and frees or reuses its
 * buffer after it. Recomputation (checkpointing) would be a later, separate pass that clones
 * cheap forward subgraphs next to their backward users; nothing here prevents it.
 *
 * <pre>{@code
 * Graph g = ...;                         // outputs: "loss" (scalar), maybe "logits"
 * Graph withGrads = Autodiff.differentiate(g, "loss", Set.of("embed.weight"));
 * Node dW = withGrads.output("grad/fc1.weight");
 * }</pre>
 */
public final class Autodiff {
    /** Prefix of the gradient outputs: {@code grad/fc1.weight}. */
    public static final String GRAD_PREFIX = "grad/";

    private Autodiff() {}

    /**
     * Adds {@code grad/<name>} outputs for every trainable parameter not in {@code frozen}.
     * Parameters the loss does not depend on get a zero gradient.
     *
     * @throws AutodiffException for a missing or non-scalar loss, unknown frozen names, or ops
     *     without a gradient rule on the way from the loss to a trainable parameter (all listed)
     */
    public static Graph differentiate(Graph g, String lossOutput, Set<String> frozen) {
        Node loss = g.output(lossOutput);
        if (loss == null)
            throw new AutodiffException("model " + g.name() + " has no output '" + lossOutput + "' to differentiate",
                    "outputs are: " + String.join(", ", g.outputs().stream().map(Graph.Output::name).toList()));
        if (loss.shape().rank() != 0)
            throw new AutodiffException("loss '" + lossOutput + "' must be a scalar, got " + loss.type(),
                    "reduce it first, e.g. with reduce_mean");
        if (!loss.dtype().isFloating())
            throw new AutodiffException("loss '" + lossOutput + "' must be floating point, got " + loss.type(), null);
        List<Node> wrt = trainable(g, frozen);
        Map<Node, Node> grads = gradients(loss, constScalar(loss.dtype(), 1.0), wrt);
        List<Graph.Output> outs = new ArrayList<>(g.outputs());
        for (Node p : wrt) outs.add(new Graph.Output(GRAD_PREFIX + paramName(p), grads.get(p)));
        Map<String, String> meta = new TreeMap<>(g.meta());
        meta.put("autodiff.loss", lossOutput);
        return new Graph(g.name(), g.inputs(), g.params(), outs, meta);
    }

    /**
     * The floating-point parameters of {@code g} marked trainable and not named in {@code frozen},
     * in declaration order.
     *
     * @throws AutodiffException when {@code frozen} names a parameter {@code g} does not have
     */
    public static List<Node> trainable(Graph g, Set<String> frozen) {
        Set<String> names = new HashSet<>();
        for (Node p : g.params()) names.add(paramName(p));
        List<String> unknown = frozen.stream().filter(f -> !names.contains(f)).sorted().toList();
        if (!unknown.isEmpty())
            throw new AutodiffException("cannot freeze unknown parameter" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown),
                    "parameters are: " + String.join(", ", names.stream().sorted().toList()));
        List<Node> wrt = new ArrayList<>();
        for (Node p : g.params())
            if (p.attrs().getBool("trainable", true) && !frozen.contains(paramName(p)) && p.dtype().isFloating()) wrt.add(p);
        return wrt;
    }

    /**
     * The vector-Jacobian product: for each node in {@code wrt}, the gradient of
     * {@code sum(seed * y)} with respect to it ({@code seed} has {@code y}'s type). Nodes of
     * {@code wrt} that {@code y} does not depend on get a zero gradient.
     */
    public static Map<Node, Node> gradients(Node y, Node seed, List<Node> wrt) {
        if (!seed.type().equals(y.type()))
            throw new IllegalArgumentException("seed of type " + seed.type() + " for a value of type " + y.type());
        Set<Node> targets = new HashSet<>(wrt);
        List<Node> order = new Graph("vjp", List.of(), List.of(), List.of(new Graph.Output("y", y))).topoOrder();

        // forward: which nodes depend on a target (only those need a gradient)
        Set<Node> needs = new HashSet<>();
        for (Node n : order) {
            if (targets.contains(n)) { needs.add(n); continue; }
            if (!n.dtype().isFloating()) continue;
            for (Node in : n.inputs()) if (needs.contains(in)) { needs.add(n); break; }
        }

        // all ops without a rule between y and the targets, reported together
        Map<String, Integer> missing = new TreeMap<>();
        for (Node n : order)
            if (needs.contains(n) && !targets.contains(n) && n.op().gradRule() == null) missing.merge(n.opName(), 1, Integer::sum);
        if (!missing.isEmpty()) {
            List<String> parts = new ArrayList<>();
            missing.forEach((op, k) -> parts.add(op + (k > 1 ? " (" + k + " uses)" : "")));
            throw new AutodiffException("cannot differentiate: no gradient rule for " + String.join(", ", parts),
                    "these ops lie between the loss and trainable parameters; freeze the parameters before them, "
                            + "or give the op a gradient rule in its OpDef");
        }

        Map<Node, List<Node>> contrib = new HashMap<>();
        if (needs.contains(y)) contrib.computeIfAbsent(y, k -> new ArrayList<>()).add(seed);
        Map<Node, Node> total = new HashMap<>();
        for (int i = order.size() - 1; i >= 0; i--) {
            Node n = order.get(i);
            List<Node> cs = contrib.remove(n);
            if (cs == null) continue;
            Node gn = sum(cs);
            if (targets.contains(n)) { total.put(n, gn); continue; }
            List<Node> gIn = n.op().gradRule().grad(n, gn);
            if (gIn.size() != n.inputs().size())
                throw new IllegalStateException("gradient rule of " + n.opName() + " returned " + gIn.size()
                        + " gradients for " + n.inputs().size() + " operands");
            for (int k = 0; k < gIn.size(); k++) {
                Node in = n.input(k), gk = gIn.get(k);
                if (gk == null || !needs.contains(in)) continue;
                contrib.computeIfAbsent(in, x -> new ArrayList<>()).add(unbroadcast(gk, in.type(), n.opName()));
            }
        }
        Map<Node, Node> out = new LinkedHashMap<>();
        for (Node t : wrt) out.put(t, total.containsKey(t) ? total.get(t) : zeros(t.type()));
        return out;
    }

    private static Node sum(List<Node> terms) {
        Node acc = terms.get(0);
        for (int i = 1; i < terms.size(); i++) acc = Node.of("add", acc, terms.get(i));
        return acc;
    }

    /**
     * Sums a gradient of a broadcast result back to its operand's shape. Rules may return either
     * the operand's shape or the broadcast one; summing here keeps every binary rule a one-liner.
     */
    static Node unbroadcast(Node grad, TensorType want, String op) {
        if (grad.dtype() != want.dtype())
            throw new IllegalStateException("gradient rule of " + op + " returned " + grad.type() + " for an operand of type " + want);
        Shape gs = grad.shape(), ws = want.shape();
        if (gs.equals(ws)) return grad;
        int lead = gs.rank() - ws.rank();
        if (lead < 0)
            throw new IllegalStateException("gradient rule of " + op + " returned " + grad.type() + " for an operand of type " + want);
        List<Long> axes = new ArrayList<>();
        for (int i = 0; i < gs.rank(); i++) {
            if (i < lead) { axes.add((long) i); continue; }
            Dim w = ws.dim(i - lead), d = gs.dim(i);
            if (w.equals(d)) continue;
            if (w.isConst() && w.value() == 1) axes.add((long) i);
            else throw new IllegalStateException("gradient rule of " + op + " returned " + grad.type() + " for an operand of type " + want);
        }
        Node r = axes.isEmpty() ? grad : Node.of("reduce_sum", List.of(grad), Attrs.of("axes", axes, "keepdims", false));
        return r.shape().equals(ws) ? r : Node.of("reshape", List.of(r), Attrs.of("shape", ws));
    }

    static Node constScalar(DType t, double v) {
        return Node.of("const", List.of(), Attrs.of("value", Constant.scalar(t, v)));
    }

    /** Zeros of type {@code t} as a broadcast scalar, so a large unused parameter costs no literal. */
    static Node zeros(TensorType t) {
        Node z = constScalar(t.dtype(), 0.0);
        return t.shape().rank() == 0 ? z : Node.of("expand", List.of(z), Attrs.of("shape", t.shape()));
    }

    private static String paramName(Node p) { return p.attrs().getString("name"); }
}
