package org.dlm.passes.train;

import static org.dlm.passes.train.NodeMath.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.passes.autodiff.Autodiff;

/**
 * Builds training-step graphs: forward, backward ({@link Autodiff}), gradient policy and the
 * optimizer update in Graph IR, ready for a backend to compile as one program.
 *
 * <p>Conventions every step graph follows, so the host loop needs no knowledge of the optimizer:
 * <ul>
 *   <li>optimizer state is held in non-trainable params named {@code opt/<slot>/<param>}
 *       (initial value {@link Optimizer.Slot#init}); accumulated gradients in {@code acc/<param>};</li>
 *   <li>per-step scalars are scalar inputs named {@code hp/<name>} (values from
 *       {@link Optimizer#scalars}, all of the first trainable parameter's dtype);</li>
 *   <li>each output {@code new/<name>} is the next value of param {@code <name>}: after a step the
 *       host replaces the param's value with it;</li>
 *   <li>the model's own outputs (the loss, logits) pass through; with a norm clip, output
 *       {@code grad_norm} is the global gradient norm before clipping.</li>
 * </ul>
 *
 * <pre>{@code
 * Graph step = TrainStep.fused(model, "loss", Set.of(), Adam.adam(0.9, 0.999, 1e-8, 0), GradPolicy.NONE);
 * }</pre>
 */
public final class TrainStep {
    public static final String NEW = "new/", STATE = "opt/", ACC = "acc/", HP = "hp/", GRAD_NORM = "grad_norm";

    private TrainStep() {}

    /** One graph for a whole step: forward, backward, gradient policy, update. */
    public static Graph fused(Graph model, String loss, Set<String> frozen, Optimizer opt, GradPolicy policy) {
        Graph dg = Autodiff.differentiate(model, loss, frozen);
        List<Node> wrt = Autodiff.trainable(model, frozen);
        Map<Node, Node> grads = new LinkedHashMap<>();
        for (Node p : wrt) grads.put(p, dg.output(Autodiff.GRAD_PREFIX + name(p)));
        return withUpdate(model, model.inputs(), model.outputs(), model.params(), grads, opt, policy, "fused");
    }

    /**
     * Micro-batch half of gradient accumulation: forward and backward, adding each gradient into
     * {@code acc/<param>}. Run it once per micro-batch, then {@link #apply} once.
     */
    public static Graph accumulate(Graph model, String loss, Set<String> frozen) {
        Graph dg = Autodiff.differentiate(model, loss, frozen);
        List<Node> params = new ArrayList<>(model.params());
        List<Graph.Output> outs = new ArrayList<>(model.outputs());
        for (Node p : Autodiff.trainable(model, frozen)) {
            Node acc = buffer(ACC + name(p), p, 0);
            params.add(acc);
            outs.add(new Graph.Output(NEW + ACC + name(p), add(acc, dg.output(Autodiff.GRAD_PREFIX + name(p)))));
        }
        return new Graph(model.name(), model.inputs(), params, outs, meta(model, "accumulate"));
    }

    /**
     * Update half of gradient accumulation: the gradient is the mean of the {@code microBatches}
     * accumulated ones (right for mean losses over equal micro-batches); the accumulators are reset.
     */
    public static Graph apply(Graph model, Set<String> frozen, Optimizer opt, GradPolicy policy, int microBatches) {
        if (microBatches < 1) throw new IllegalArgumentException("micro-batch count must be >= 1, got " + microBatches);
        List<Node> params = new ArrayList<>(model.params());
        Map<Node, Node> grads = new LinkedHashMap<>();
        List<Graph.Output> outs = new ArrayList<>();
        for (Node p : Autodiff.trainable(model, frozen)) {
            Node acc = buffer(ACC + name(p), p, 0);
            params.add(acc);
            grads.put(p, scale(acc, 1.0 / microBatches));
            outs.add(new Graph.Output(NEW + ACC + name(p), zerosLike(p)));
        }
        return withUpdate(model, List.of(), outs, params, grads, opt, policy, "apply");
    }

    private static Graph withUpdate(Graph model, List<Node> inputs, List<Graph.Output> passThrough, List<Node> params,
                                    Map<Node, Node> grads, Optimizer opt, GradPolicy policy, String kind) {
        List<Node> allInputs = new ArrayList<>(inputs);
        List<Node> allParams = new ArrayList<>(params);
        List<Graph.Output> outs = new ArrayList<>(passThrough);
        if (grads.isEmpty()) return new Graph(model.name(), allInputs, allParams, outs, meta(model, kind));
        DType hpType = grads.keySet().iterator().next().dtype();
        Map<String, Node> hp = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(opt.scalarNames());
        if (!names.contains("lr")) names.add(0, "lr");
        for (String n : names) {
            Node in = Node.of("input", List.of(), Attrs.of("name", HP + n, "dtype", hpType, "shape", Shape.SCALAR));
            hp.put(n, in);
            allInputs.add(in);
        }

        // regularization, as gradients of terms added to the loss
        Map<Node, Node> g = new LinkedHashMap<>();
        for (var e : grads.entrySet()) {
            Node p = e.getKey(), gp = e.getValue();
            if (policy.l1() != 0) gp = add(gp, scale(sign(p), policy.l1()));
            if (policy.l2() != 0) gp = add(gp, scale(p, policy.l2()));
            if (policy.clipValue() != 0) gp = clip(gp, -policy.clipValue(), policy.clipValue());
            g.put(p, gp);
        }
        if (policy.clipNorm() != 0) {
            Node sq = null;
            for (Node gp : g.values()) {
                Node s = cast(sumAll(square(gp)), hpType);
                sq = sq == null ? s : add(sq, s);
            }
            Node norm = sqrt(sq);
            outs.add(new Graph.Output(GRAD_NORM, norm));
            Node coef = min(div(scalar(hpType, policy.clipNorm()), add(norm, scalar(hpType, 1e-6))), scalar(hpType, 1.0));
            g.replaceAll((p, gp) -> mul(gp, cast(coef, p.dtype())));
        }

        for (var e : g.entrySet()) {
            Node p = e.getKey();
            Map<String, Node> state = new LinkedHashMap<>();
            for (Optimizer.Slot s : opt.slots()) {
                Node b = buffer(STATE + s.name() + "/" + name(p), p, s.init());
                state.put(s.name(), b);
                allParams.add(b);
            }
            Map<String, Node> scalars = new LinkedHashMap<>();
            hp.forEach((k, v) -> scalars.put(k, cast(v, p.dtype())));
            Optimizer.Update u = opt.apply(p, e.getValue(), state, scalars);
            Node np = u.param();
            if (policy.decoupledWeightDecay() != 0)
                np = sub(np, mul(scalars.get("lr"), scale(p, policy.decoupledWeightDecay())));
            outs.add(new Graph.Output(NEW + name(p), np));
            for (Optimizer.Slot s : opt.slots())
                outs.add(new Graph.Output(NEW + STATE + s.name() + "/" + name(p), u.state().get(s.name())));
        }
        return new Graph(model.name(), allInputs, allParams, outs, meta(model, kind, opt));
    }

    /** A non-trainable buffer shaped like {@code p}; {@code init} is recorded as its initializer. */
    static Node buffer(String name, Node p, double init) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", p.dtype(), "shape", p.shape(),
                "init", init == 0 ? "zeros" : "constant(" + init + ")", "trainable", false));
    }

    private static Node zerosLike(Node p) {
        return Node.of("expand", List.of(scalar(p.dtype(), 0)), Attrs.of("shape", p.shape()));
    }

    private static Map<String, String> meta(Graph model, String kind, Optimizer... opt) {
        Map<String, String> m = new TreeMap<>(model.meta());
        m.put("train.step", kind);
        if (opt.length > 0) m.put("train.optimizer", opt[0].name());
        return m;
    }

    private static String name(Node p) { return p.attrs().getString("name"); }
}
