package org.dlm.backend.llvm.codegen;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.train.Adam;
import org.dlm.passes.train.GradPolicy;
import org.dlm.passes.train.Losses;
import org.dlm.passes.train.Optimizer;
import org.dlm.passes.train.Sgd;
import org.dlm.passes.train.TrainStep;
import org.dlm.passes.train.TrainingMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whole training steps (forward + cross-entropy + backward + optimizer) of the five reference
 * models compiled natively: every output (new parameters, new optimizer state, loss) equals the
 * reference interpreter's on random parameters.
 */
class TrainStepNativeTest {
    static final Optimizer SGD = Sgd.momentum(0.9), ADAM = Adam.adam(0.9, 0.999, 1e-8, 0);

    /** The model's training step: training mode, cross_entropy on its logits, the optimizer and policy. */
    static Graph step(String file, String name, Optimizer opt, GradPolicy policy) {
        Graph g = ReferenceModelsNativeTest.model(file, name);
        Graph withLoss = Losses.attach(g, g.outputs().get(0).name(), "cross_entropy", Attrs.EMPTY);
        return TrainStep.fused(TrainingMode.apply(withLoss, TrainingMode.DEFAULT_MOMENTUM), "loss", Set.of(), opt, policy);
    }

    @ParameterizedTest
    @CsvSource({"mlp,MLP,3,sgd", "mlp,MLP,2,adam-clip-l2", "lenet,LeNet,2,adam", "lenet,LeNet,3,sgd-clip-l2",
            "resnet20,ResNet20,2,sgd", "mobilenet,MobileNet,2,adam", "transformer,Transformer,2,adam-clip-l2"})
    void stepMatchesTheInterpreter(String file, String name, long batch, String variant) {
        Optimizer opt = variant.startsWith("sgd") ? SGD : ADAM;
        GradPolicy policy = variant.endsWith("clip-l2") ? GradPolicy.NONE.withClipNorm(1.0).withL2(1e-3) : GradPolicy.NONE;
        Graph step = step(file, name, opt, policy);
        Random r = new Random(7);
        Map<String, NdArray> ps = ReferenceModelsNativeTest.params(step, r);
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
        double worst = Diff.compare(step, in, ps, Map.of("B", batch), 2e-3);
        assertTrue(worst < 2e-3, "worst relative error " + worst);
    }
}
