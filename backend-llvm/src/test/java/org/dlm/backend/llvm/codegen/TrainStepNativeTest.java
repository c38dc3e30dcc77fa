package org.dlm.backend.llvm.codegen;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.dlm.backend.llvm.LlvmBackend;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.autodiff.Autodiff;
import org.dlm.passes.train.Adam;
import org.dlm.passes.train.GradPolicy;
import org.dlm.passes.train.Losses;
import org.dlm.passes.train.Optimizer;
import org.dlm.passes.train.Sgd;
import org.dlm.passes.train.TrainStep;
import org.dlm.passes.train.TrainingMode;
import org.dlm.runtime.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whole training steps (training-mode forward + cross_entropy + backward + gradient policy +
 * optimizer) of the five reference models compiled natively: every output of the step (new
 * parameters, new optimizer state and running statistics, loss, gradient norm) and every
 * parameter gradient equals the reference interpreter's on random parameters and data.
 */
class TrainStepNativeTest {
    static final Optimizer SGD = Sgd.momentum(0.9), ADAM = Adam.adam(0.9, 0.999, 1e-8, 0);
    /** Error of an element relative to the largest magnitude in its tensor (f32 sums in another order than the f64 interpreter's). */
    static final double TOL = 2e-4;

    /** The model in training mode with cross_entropy on its logits. */
    static Graph training(String file, String name) {
        Graph g = org.dlm.runtime.testkit.ReferenceModels.model(file, name);
        Graph withLoss = Losses.attach(g, g.outputs().get(0).name(), "cross_entropy", Attrs.EMPTY);
        return TrainingMode.apply(withLoss, TrainingMode.DEFAULT_MOMENTUM);
    }

    /** The fused step with the parameter gradients as extra outputs (the same nodes the update uses). */
    static Graph stepWithGradients(Graph training, Optimizer opt, GradPolicy policy) {
        Graph step = TrainStep.fused(training, "loss", Set.of(), opt, policy);
        List<Graph.Output> outs = new ArrayList<>(step.outputs());
        for (Graph.Output o : Autodiff.differentiate(training, "loss", Set.of()).outputs())
            if (o.name().startsWith(Autodiff.GRAD_PREFIX)) outs.add(o);
        return new Graph(step.name(), step.inputs(), step.params(), outs, step.meta());
    }

    @ParameterizedTest
    @CsvSource({"mlp,MLP,3,sgd,1", "mlp,MLP,2,adam-clip-l2-inplace,1", "lenet,LeNet,2,adam-inplace,1", "lenet,LeNet,3,sgd-clip-l2,1",
            "resnet20,ResNet20,2,sgd-inplace,1", "mobilenet,MobileNet,2,adam,1", "transformer,Transformer,2,adam-clip-l2-inplace,1",
            // every parallel loop and GEMM threaded: outlined loop bodies (bounded outer variables,
            // private im2col scratch with alias scopes) compute what the one-thread statements do
            "resnet20,ResNet20,3,sgd,2", "mobilenet,MobileNet,3,adam-inplace,2"})
    void stepMatchesTheInterpreter(String file, String name, long batch, String variant, int threads) {
        Optimizer opt = variant.startsWith("sgd") ? SGD : ADAM;
        GradPolicy policy = variant.contains("clip-l2") ? GradPolicy.NONE.withClipNorm(1.0).withL2(1e-3) : GradPolicy.NONE;
        // "-inplace": compiled for training with every new/<p> output written straight into p (Options.updatingInPlace)
        boolean inPlace = variant.endsWith("-inplace");
        Graph step = stepWithGradients(training(file, name), opt, policy);
        Random r = new Random(7);
        Map<String, NdArray> ps = org.dlm.runtime.testkit.ReferenceModels.params(step, r);
        for (Node p : step.params()) {   // optimizer state: small positive second moments, random momenta
            String n = p.attrs().getString("name");
            if (n.startsWith(TrainStep.STATE)) ps.put(n, Diff.random(r, p.dtype(), p.shape().sizes(), n.contains("sq") ? 0 : -0.01, 0.01));
        }
        Map<String, NdArray> in = new LinkedHashMap<>();
        Map<String, Double> hp = opt.scalars(3, 0.01);
        for (Node x : step.inputs()) {
            String n = x.attrs().getString("name");
            long[] s = x.shape().substitute(Map.of("B", batch)).sizes();
            if (n.startsWith(TrainStep.HP)) in.put(n, NdArray.scalar(x.dtype(), hp.get(n.substring(TrainStep.HP.length()))));
            else if (n.equals(Losses.LABELS)) in.put(n, Diff.random(r, DType.I64, s, 0, 10));
            else in.put(n, Diff.random(r, x.dtype(), s, -1, 1));
        }
        Map<String, NdArray> want = Interpreter.run(step, in, ps);
        LlvmBackend.Options options = LlvmBackend.Options.dims(Map.of("B", batch)).withThreads(threads)
                .withMinParallelWork(threads > 1 ? 0 : KernelCodegen.DEFAULT_MIN_PARALLEL_WORK);
        try (LlvmExecutable exe = LlvmBackend.compile(step, ps, inPlace ? options.updatingInPlace() : options)) {
            Map<String, Tensor> tin = new LinkedHashMap<>();
            in.forEach((k, v) -> tin.put(k, Tensor.of(v)));
            Map<String, Tensor> out = exe.run(tin);
            double worst = 0;
            String worstAt = "";
            Map<String, NdArray> returned = new LinkedHashMap<>();
            for (var e : want.entrySet()) {
                NdArray w = e.getValue();
                try (Tensor t = out.get(e.getKey())) {
                    NdArray got = t.toNdArray();
                    returned.put(e.getKey(), got);
                    assertArrayEquals(w.shape(), got.shape(), e.getKey());
                    double scale = 1e-6;
                    for (int i = 0; i < w.size(); i++) scale = Math.max(scale, Math.abs(w.get(i)));
                    for (int i = 0; i < w.size(); i++) {
                        assertTrue(Double.isFinite(got.get(i)), e.getKey() + "[" + i + "] = " + got.get(i));
                        double err = Math.abs(w.get(i) - got.get(i)) / scale;
                        if (err > worst) {
                            worst = err;
                            worstAt = e.getKey() + "[" + i + "]: want " + w.get(i) + ", got " + got.get(i) + " (scale " + scale + ")";
                        }
                    }
                }
            }
            tin.values().forEach(Tensor::close);
            if (inPlace) {   // every update went into its parameter, which now holds exactly the returned value
                List<String> updates = want.keySet().stream().filter(n -> n.startsWith(TrainStep.NEW)).toList();
                assertEquals(updates, exe.inPlaceOutputs());
                for (String u : updates)
                    assertArrayEquals(returned.get(u).data(), exe.readParam(u.substring(TrainStep.NEW.length())).data(), u);
            }
            System.out.printf("%s %s B=%d, %d thread(s): compile %.0f ms, %d outputs, worst error %.2e at %s%n", name, variant, batch, threads,
                    exe.compileNanos() / 1e6, want.size(), worst, worstAt);
            assertTrue(worst < TOL, "worst error " + worst + " at " + worstAt);
        }
    }
}
