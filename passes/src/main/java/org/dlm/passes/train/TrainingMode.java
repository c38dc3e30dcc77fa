package org.dlm.passes.train;

import static org.dlm.passes.train.NodeMath.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.pass.GraphRewriter;
import org.dlm.ir.pass.Pass;
import org.dlm.ir.pass.PassContext;

/**
 * Turns an inference graph into its training form: every {@code batch_norm} normalizes with
 * batch statistics ({@code training=true}), and its running statistics get update outputs that
 * follow {@link TrainStep}'s convention ({@code new/<param>}), with PyTorch's rule
 * <pre>
 *   running_mean ← (1 − m)·running_mean + m·batch_mean(x)
 *   running_var  ← (1 − m)·running_var  + m·batch_var(x)·n/(n − 1)     (n = elements per channel)
 * </pre>
 * The model's own graph stays the inference graph used for evaluation and checkpoints.
 *
 * <p>Every {@code dropout} turns on ({@code training=true}) and takes the scalar input
 * {@value #SEED} (i64) as its seed operand, so each step draws a new mask (seed = the
 * attribute + the step's seed, which the trainer feeds: the step number).
 *
 * <pre>{@code
 * Graph step = TrainStep.fused(TrainingMode.apply(model, 0.1), "loss", Set.of(), adam, GradPolicy.NONE);
 * }</pre>
 */
public final class TrainingMode implements Pass {
    /** PyTorch's default batch-norm momentum. */
    public static final double DEFAULT_MOMENTUM = 0.1;
    /** The per-step dropout seed input. */
    public static final String SEED = "hp/seed";

    @Override public String name() { return "training-mode"; }

    /** Option {@code training-mode.bn-momentum} (default 0.1). */
    @Override public Graph run(Graph g, PassContext cx) {
        return apply(g, Double.parseDouble(cx.option("training-mode.bn-momentum", Double.toString(DEFAULT_MOMENTUM))));
    }

    public static Graph apply(Graph g, double momentum) {
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException("batch-norm momentum must be in [0, 1], got " + momentum);
        Map<Node, Node> runningOf = new LinkedHashMap<>();   // running-stat param -> its update
        List<String> problems = new ArrayList<>();
        Node seed = Node.of("input", List.of(), org.dlm.ir.Attrs.of("name", SEED, "dtype", org.dlm.ir.DType.I64, "shape", org.dlm.ir.Shape.SCALAR));
        boolean[] dropout = {false};
        Graph r = GraphRewriter.rewrite(g, (old, n) -> {
            if (n.opName().equals("dropout") && n.inputs().size() == 1) {
                dropout[0] = true;
                return Node.of("dropout", List.of(n.input(0), seed), n.attrs().with("training", true));
            }
            if (!n.opName().equals("batch_norm") || n.attrs().getBool("training", false)) return n;
            Node bn = Node.of("batch_norm", n.inputs(), n.attrs().with("training", true));
            Node x = n.input(0), mean = n.input(3), var = n.input(4);
            if (!isBuffer(mean) || !isBuffer(var)) {
                problems.add("batch_norm running statistics must be non-trainable params, got " + mean.opName() + " and " + var.opName());
                return bn;
            }
            Node bm = Node.of("batch_mean", x), bv = Node.of("batch_var", x);
            Node unbiased = mul(bv, besselFactor(x));
            for (Node[] pair : new Node[][] {{mean, lerp(1 - momentum, mean, momentum, bm)}, {var, lerp(1 - momentum, var, momentum, unbiased)}})
                if (runningOf.put(pair[0], pair[1]) != null)
                    problems.add("running statistic '" + pair[0].attrs().getString("name") + "' is shared by two batch_norm ops");
            return bn;
        });
        if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
        if (runningOf.isEmpty() && !dropout[0]) return g;
        List<Node> inputs = new ArrayList<>(r.inputs());
        if (dropout[0] && r.input(SEED) == null) inputs.add(seed);
        List<Graph.Output> outs = new ArrayList<>(r.outputs());
        runningOf.forEach((p, upd) -> outs.add(new Graph.Output(TrainStep.NEW + p.attrs().getString("name"), upd)));
        Map<String, String> meta = new LinkedHashMap<>(r.meta());
        meta.put("train.mode", "training");
        return new Graph(r.name(), inputs, r.params(), outs, meta);
    }

    private static boolean isBuffer(Node n) { return n.opName().equals("param") && !n.attrs().getBool("trainable", true); }

    /** n/(n − 1) with n = numel(x)/C, as a literal for static shapes, else from {@code shape_of}. */
    private static Node besselFactor(Node x) {
        long c = x.shape().dim(1).value();
        if (x.shape().isStatic()) {
            double n = (double) x.shape().numel().value() / c;
            return scalar(x.dtype(), n > 1 ? n / (n - 1) : 1);
        }
        Node total = cast(Node.of("reduce_prod", List.of(Node.of("shape_of", x)), Attrs.EMPTY), x.dtype());
        Node n = div(total, scalar(x.dtype(), c));
        return div(n, max(sub(n, scalar(x.dtype(), 1)), scalar(x.dtype(), 1)));
    }
}
