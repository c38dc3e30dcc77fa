package org.dlm.passes.lower;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Buffer;
import org.dlm.passes.train.AdaGrad;
import org.dlm.passes.train.Adam;
import org.dlm.passes.train.GradPolicy;
import org.dlm.passes.train.Losses;
import org.dlm.passes.train.Optimizer;
import org.dlm.passes.train.RmsProp;
import org.dlm.passes.train.Sgd;
import org.dlm.passes.train.TrainStep;
import org.dlm.passes.train.TrainingMode;
import org.junit.jupiter.api.Test;

/**
 * Every training-step graph form (fused, accumulate, apply) of a small conv/batch-norm/pool/
 * layer-norm/softmax model lowers to verified Kernel IR with every optimizer and gradient policy,
 * and a training batch_norm normalizes with the same batch_mean/batch_var the running-stat
 * update reads (computed once).
 */
class TrainStepLoweringTest {
    static Node param(String name, boolean trainable, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", Shape.of(shape), "trainable", trainable));
    }

    static List<Long> ints(long... v) { return java.util.Arrays.stream(v).boxed().toList(); }

    /** conv → batch_norm → relu → max_pool → layer_norm → softmax·x → linear, B symbolic. */
    static Graph model() {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(org.dlm.ir.Dim.sym("B"), org.dlm.ir.Dim.of(3), org.dlm.ir.Dim.of(8), org.dlm.ir.Dim.of(8))));
        Node conv = Node.of("conv2d", List.of(x, param("conv.weight", true, 4, 3, 3, 3)), Attrs.of("padding", ints(1, 1, 1, 1), "stride", ints(1, 1)));
        Node bn = Node.of("batch_norm", List.of(conv, param("bn.weight", true, 4), param("bn.bias", true, 4),
                param("bn.running_mean", false, 4), param("bn.running_var", false, 4)), Attrs.EMPTY);
        Node pool = Node.of("max_pool2d", List.of(Node.of("relu", bn)), Attrs.of("kernel", ints(2, 2)));
        Node dw = Node.of("conv2d", List.of(pool, param("dw.weight", true, 4, 1, 3, 3)), Attrs.of("groups", 4L, "padding", ints(1, 1, 1, 1)));
        Node h = Node.of("flatten", List.of(Node.of("global_avg_pool", List.of(dw), Attrs.EMPTY)), Attrs.EMPTY);
        Node ln = Node.of("layer_norm", List.of(h, param("ln.weight", true, 4), param("ln.bias", true, 4)), Attrs.EMPTY);
        Node att = Node.of("mul", ln, Node.of("softmax", List.of(ln), Attrs.EMPTY));
        Node logits = Node.of("linear", att, param("fc.weight", true, 10, 4), param("fc.bias", true, 10));
        List<Node> params = new Graph("probe", List.of(x), List.of(), List.of(new Graph.Output("logits", logits))).topoOrder().stream()
                .filter(n -> n.opName().equals("param")).toList();
        return new Graph("Small", List.of(x), params, List.of(new Graph.Output("logits", logits)));
    }

    static Map<String, NdArray> values(Graph g) {
        Map<String, NdArray> ps = new LinkedHashMap<>();
        for (Node p : g.params()) ps.put(p.attrs().getString("name"), NdArray.full(p.dtype(), 0.5, p.shape().sizes()));
        return ps;
    }

    static Graph training() {
        return TrainingMode.apply(Losses.attach(model(), "logits", "cross_entropy", Attrs.of("label_smoothing", 0.1)), 0.1);
    }

    @Test
    void everyOptimizerAndPolicyLowers() {
        Graph t = training();
        Optimizer[] opts = {Sgd.nesterov(0.9), new Sgd(0.9, 0.1, false, 1e-4), Adam.adam(0.9, 0.999, 1e-8, 1e-4),
                Adam.adamW(0.9, 0.999, 1e-8, 1e-2), new Adam(0.9, 0.999, 1e-8, 0, false, true), RmsProp.defaults(),
                new RmsProp(0.9, 1e-8, 1e-4, 0.9, true), AdaGrad.defaults()};
        GradPolicy all = GradPolicy.NONE.withL1(1e-4).withL2(1e-4).withClipValue(1).withClipNorm(5).withDecoupledWeightDecay(1e-3);
        for (Optimizer opt : opts)
            for (GradPolicy policy : new GradPolicy[] {GradPolicy.NONE, all}) {
                Graph step = TrainStep.fused(t, "loss", Set.of(), opt, policy);
                Lowered low = GraphLowering.lower(step, Map.of("B", 3L), values(step));
                assertTrue(low.outputs().stream().anyMatch(p -> p.name().equals("new/conv.weight")), opt.name());
            }
        Graph acc = TrainStep.accumulate(t, "loss", Set.of());
        GraphLowering.lower(acc, Map.of("B", 2L), values(acc));
        Graph apply = TrainStep.apply(t, Set.of(), Adam.adam(0.9, 0.999, 1e-8, 0), all, 4);
        GraphLowering.lower(apply, Map.of("B", 2L), values(apply));
    }

    @Test
    void trainingBatchNormSharesTheBatchStatistics() {
        Graph step = TrainStep.fused(training(), "loss", Set.of(), Sgd.momentum(0.9), GradPolicy.NONE);
        Graph rewritten = TrainingBatchNorm.rewrite(step);
        long means = rewritten.topoOrder().stream().filter(n -> n.opName().equals("batch_mean")).count();
        long vars = rewritten.topoOrder().stream().filter(n -> n.opName().equals("batch_var")).count();
        assertEquals(1, means);
        assertEquals(1, vars);
        assertTrue(rewritten.topoOrder().stream().noneMatch(n -> n.opName().equals("batch_norm") && n.attrs().getBool("training", false)));
        Lowered low = GraphLowering.lower(step, Map.of("B", 2L), values(step));
        assertEquals(1, low.module().buffers().stream().map(Buffer::name).filter(s -> s.startsWith("batch_mean")).count(), low.module().toString());
    }
}
