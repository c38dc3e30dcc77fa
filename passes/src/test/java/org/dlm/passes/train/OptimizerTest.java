package org.dlm.passes.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/**
 * Optimizer update graphs against PyTorch 1.13: three (amsgrad: four) steps of {@code torch.optim}
 * on {@code mse_loss(linear(X, W, b), Y)} in f32; the expected W (row-major) and b were printed by
 * PyTorch and pasted here.
 */
class OptimizerTest {
    static final long[] XS = {4, 3}, YS = {4, 2};
    static final double[] X = {0.5, -1.0, 2.0, 1.5, 0.25, -0.5, -0.75, 1.0, 0.3, 0.2, -0.4, 1.1};
    static final double[] Y = {1.0, -0.5, 0.3, 0.8, -1.2, 0.4, 0.6, 0.1};
    static final double[] W0 = {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}, B0 = {0.05, -0.05};

    static Graph model(long rows) {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(rows, 3)));
        Node y = Node.of("input", List.of(), Attrs.of("name", "y", "dtype", DType.F32, "shape", Shape.of(rows, 2)));
        Node w = Node.of("param", List.of(), Attrs.of("name", "w", "dtype", DType.F32, "shape", Shape.of(2, 3)));
        Node b = Node.of("param", List.of(), Attrs.of("name", "b", "dtype", DType.F32, "shape", Shape.of(2)));
        Node d = Node.of("sub", org.dlm.passes.autodiff.AutodiffTest.dense(x, w, b), y);   // linear(x, w, b) - y
        Node loss = Node.of("reduce_mean", Node.of("mul", d, d));                           // mse_loss
        return new Graph("lin", List.of(x, y), List.of(w, b), List.of(new Graph.Output("loss", loss)));
    }

    static StepRunner runner() {
        return new StepRunner(Map.of("w", StepRunner.f32(new long[] {2, 3}, W0), "b", StepRunner.f32(new long[] {2}, B0)));
    }

    static Map<String, NdArray> data(int from, int rows) {
        double[] x = new double[rows * 3], y = new double[rows * 2];
        System.arraycopy(X, from * 3, x, 0, x.length);
        System.arraycopy(Y, from * 2, y, 0, y.length);
        return Map.of("x", StepRunner.f32(new long[] {rows, 3}, x), "y", StepRunner.f32(new long[] {rows, 2}, y));
    }

    static double[] train(Optimizer opt, GradPolicy policy, double lr, int steps) {
        Graph step = TrainStep.fused(model(4), "loss", Set.of(), opt, policy);
        assertEquals(List.of(), org.dlm.ir.Verifier.verify(step));
        StepRunner r = runner();
        for (int t = 1; t <= steps; t++) r.run(step, data(0, 4), opt.scalars(t, lr));
        return concat(r.params.get("w"), r.params.get("b"));
    }

    static double[] concat(NdArray w, NdArray b) {
        double[] out = new double[8];
        System.arraycopy(w.data(), 0, out, 0, 6);
        System.arraycopy(b.data(), 0, out, 6, 2);
        return out;
    }

    static void assertClose(double[] want, double[] got) {
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got[i], 2e-6 + 2e-5 * Math.abs(want[i]), "element " + i);
    }

    @Test void sgd() {
        assertClose(new double[] {0.19127215445041656, -0.2791782021522522, 0.28880444169044495, 0.400204062461853, 0.440218061208725, -0.3972777724266052, 0.010145418345928192, 0.08464392274618149},
                train(Sgd.plain(), GradPolicy.NONE, 0.1, 3));
    }

    @Test void momentumWithDampeningAndWeightDecay() {
        assertClose(new double[] {0.26398521661758423, -0.3414759933948517, 0.27902185916900635, 0.4010751247406006, 0.3860107660293579, -0.2229282408952713, -0.021190635859966278, 0.199113667011261},
                train(new Sgd(0.9, 0.1, false, 0.01), GradPolicy.NONE, 0.1, 3));
    }

    @Test void nesterov() {
        assertClose(new double[] {0.32995131611824036, -0.40083029866218567, 0.26860037446022034, 0.38460686802864075, 0.37133148312568665, -0.14128395915031433, -0.05471118912100792, 0.2525591254234314},
                train(Sgd.nesterov(0.9), GradPolicy.NONE, 0.1, 3));
    }

    @Test void adam() {
        assertClose(new double[] {0.12998071312904358, -0.22999262809753418, 0.27198073267936707, 0.4262014627456665, 0.47006726264953613, -0.570037305355072, 0.02015138417482376, -0.020044557750225067},
                train(Adam.adam(0.9, 0.999, 1e-8, 0.01), GradPolicy.NONE, 0.01, 3));
    }

    @Test void adamW() {
        assertClose(new double[] {0.1296520084142685, -0.22936467826366425, 0.271699458360672, 0.4261098802089691, 0.4686031639575958, -0.5682711005210876, 0.020035244524478912, -0.019925441592931747},
                train(Adam.adamW(0.9, 0.999, 1e-8, 0.1), GradPolicy.NONE, 0.01, 3));
    }

    @Test void amsgrad() {
        assertClose(new double[] {0.13995486497879028, -0.23998171091079712, 0.26675960421562195, 0.4319959878921509, 0.4601640999317169, -0.5600895881652832, 0.010362224653363228, -0.01010575145483017},
                train(new Adam(0.9, 0.999, 1e-8, 0, false, true), GradPolicy.NONE, 0.01, 4));
    }

    @Test void rmsprop() {
        assertClose(new double[] {0.30646446347236633, -0.406293660402298, 0.25098469853401184, 0.3519032299518585, 0.3291706144809723, -0.4046785533428192, -0.11076536774635315, 0.14307160675525665},
                train(RmsProp.defaults(), GradPolicy.NONE, 0.01, 3));
    }

    @Test void rmspropCenteredWithMomentum() {
        assertClose(new double[] {0.40934908390045166, -0.5150197148323059, 0.2781938314437866, 0.3514217734336853, 0.25427383184432983, -0.3112405240535736, -0.1494019627571106, 0.23212291300296783},
                train(new RmsProp(0.99, 1e-8, 0.01, 0.5, true), GradPolicy.NONE, 0.01, 3));
    }

    @Test void adagrad() {
        assertClose(new double[] {0.2622022330760956, -0.3526685833930969, 0.26947149634361267, 0.38198789954185486, 0.373366117477417, -0.4115612506866455, -0.04678521677851677, 0.12609301507472992},
                train(new AdaGrad(0.01, 0.01, 0.1, 1e-10), GradPolicy.NONE, 0.1, 3));
    }

    @Test void clipByGlobalNorm() {
        assertClose(new double[] {0.14600902795791626, -0.23973682522773743, 0.2947976887226105, 0.4022979140281677, 0.466840535402298, -0.4906407296657562, 0.03049602545797825, 0.02293238788843155},
                train(Sgd.plain(), GradPolicy.NONE.withClipNorm(0.5), 0.1, 3));
    }

    @Test void clipByValue() {
        assertClose(new double[] {0.11500000953674316, -0.2149999886751175, 0.2911916673183441, 0.4077679216861725, 0.48500001430511475, -0.5850000381469727, 0.03500000387430191, -0.03500000387430191},
                train(Sgd.plain(), GradPolicy.NONE.withClipValue(0.05), 0.1, 3));
    }

    /** L1, L2 and decoupled decay checked against a plain-Java SGD step on the graph's own gradients. */
    @Test void regularizationAndDecoupledDecay() {
        double l1 = 0.03, l2 = 0.02, wd = 0.05, lr = 0.1;
        Graph grads = org.dlm.passes.autodiff.Autodiff.differentiate(model(4), "loss", Set.of());
        Map<String, NdArray> g0 = org.dlm.passes.autodiff.GraphEval.run(grads, merge(data(0, 4), runner().params));
        double[] p = concat(runner().params.get("w"), runner().params.get("b"));
        double[] g = concat(g0.get("grad/w"), g0.get("grad/b"));
        double[] want = new double[8];
        for (int i = 0; i < 8; i++) {
            double gi = g[i] + l1 * Math.signum(p[i]) + l2 * p[i];
            want[i] = p[i] - lr * gi - lr * wd * p[i];
        }
        assertClose(want, train(Sgd.plain(), GradPolicy.NONE.withL1(l1).withL2(l2).withDecoupledWeightDecay(wd), lr, 1));
    }

    @Test void accumulationOverMicroBatchesEqualsOneBigBatch() {
        Optimizer opt = Adam.adam(0.9, 0.999, 1e-8, 0);
        Graph acc = TrainStep.accumulate(model(2), "loss", Set.of());
        Graph apply = TrainStep.apply(model(2), Set.of(), opt, GradPolicy.NONE, 2);
        assertEquals(List.of(), org.dlm.ir.Verifier.verify(acc));
        assertEquals(List.of(), org.dlm.ir.Verifier.verify(apply));
        StepRunner r = runner();
        for (int t = 1; t <= 3; t++) {
            r.run(acc, data(0, 2), Map.of());
            r.run(acc, data(2, 2), Map.of());
            r.run(apply, Map.of(), opt.scalars(t, 0.01));
            assertEquals(0.0, r.params.get("acc/w").maxAbsDiff(NdArray.zeros(DType.F32, 2, 3)));
        }
        assertClose(train(opt, GradPolicy.NONE, 0.01, 3), concat(r.params.get("w"), r.params.get("b")));
    }

    @Test void frozenParamsStayAndHaveNoState() {
        Optimizer opt = Adam.adam(0.9, 0.999, 1e-8, 0);
        Graph step = TrainStep.fused(model(4), "loss", Set.of("w"), opt, GradPolicy.NONE.withClipNorm(1));
        assertNull(step.param("opt/exp_avg/w"));
        assertTrue(step.param("opt/exp_avg/b") != null);
        assertNull(step.output("new/w"));
        StepRunner r = runner();
        Map<String, NdArray> out = r.run(step, data(0, 4), opt.scalars(1, 0.01));
        assertTrue(out.get(TrainStep.GRAD_NORM).get(0) > 0);
        assertEquals(runner().params.get("w"), r.params.get("w"));
        assertFalse(runner().params.get("b").equals(r.params.get("b")));
        assertEquals("adam", step.meta().get("train.optimizer"));
    }

    private static Map<String, NdArray> merge(Map<String, NdArray> a, Map<String, NdArray> b) {
        Map<String, NdArray> m = new java.util.HashMap<>(a);
        m.putAll(b);
        return m;
    }
}
