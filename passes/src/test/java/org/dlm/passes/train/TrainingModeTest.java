package org.dlm.passes.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.autodiff.GraphEval;
import org.junit.jupiter.api.Test;

class TrainingModeTest {
    static Node param(String name, boolean trainable, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F64, "shape", Shape.of(shape), "trainable", trainable));
    }

    static Graph bnModel(Shape xShape) {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F64, "shape", xShape));
        Node g = param("bn.weight", true, 2), b = param("bn.bias", true, 2);
        Node rm = param("bn.running_mean", false, 2), rv = param("bn.running_var", false, 2);
        Node y = Node.of("batch_norm", List.of(x, g, b, rm, rv), Attrs.EMPTY);
        Node loss = Node.of("reduce_mean", Node.of("mul", y, y));
        return new Graph("bn", List.of(x), List.of(g, b, rm, rv), List.of(new Graph.Output("loss", loss), new Graph.Output("y", y)));
    }

    @Test void batchNormUsesBatchStatisticsAndUpdatesRunningOnes() {
        for (Shape xs : List.of(Shape.of(3, 2, 2), Shape.of(Dim.sym("B"), Dim.of(2), Dim.of(2)))) {
            Graph t = TrainingMode.apply(bnModel(xs), 0.1);
            assertEquals(List.of("loss", "y", "new/bn.running_mean", "new/bn.running_var"), t.outputs().stream().map(Graph.Output::name).toList());
            Random r = new Random(2);
            double[] xv = new double[12];
            for (int i = 0; i < 12; i++) xv[i] = r.nextGaussian() * 2 + 1;
            Map<String, NdArray> v = new LinkedHashMap<>();
            v.put("x", NdArray.of(DType.F64, new long[] {3, 2, 2}, xv));
            v.put("bn.weight", NdArray.of(DType.F64, new long[] {2}, 1.5, 0.5));
            v.put("bn.bias", NdArray.of(DType.F64, new long[] {2}, 0.1, -0.2));
            v.put("bn.running_mean", NdArray.of(DType.F64, new long[] {2}, 0.0, 1.0));
            v.put("bn.running_var", NdArray.of(DType.F64, new long[] {2}, 1.0, 2.0));
            Map<String, NdArray> out = GraphEval.run(t, v);
            for (int c = 0; c < 2; c++) {
                double s = 0, s2 = 0;
                for (int n = 0; n < 3; n++) for (int k = 0; k < 2; k++) s += xv[(n * 2 + c) * 2 + k];
                double mean = s / 6;
                for (int n = 0; n < 3; n++) for (int k = 0; k < 2; k++) s2 += Math.pow(xv[(n * 2 + c) * 2 + k] - mean, 2);
                double varBiased = s2 / 6, varUnbiased = s2 / 5;
                assertEquals(0.9 * v.get("bn.running_mean").get(c) + 0.1 * mean, out.get("new/bn.running_mean").get(c), 1e-12);
                assertEquals(0.9 * v.get("bn.running_var").get(c) + 0.1 * varUnbiased, out.get("new/bn.running_var").get(c), 1e-12);
                double want = (xv[c * 2] - mean) / Math.sqrt(varBiased + 1e-5) * v.get("bn.weight").get(c) + v.get("bn.bias").get(c);
                assertEquals(want, out.get("y").get(0, c, 0), 1e-9);
            }
        }
    }

    @Test void dropoutTrainsWithThePerStepSeedInput() {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F64, "shape", Shape.of(Dim.sym("B"), Dim.of(8))));
        Node w = param("w", true, 8);
        Node y = Node.of("reduce_sum", List.of(Node.of("dropout", List.of(Node.of("mul", x, w)), Attrs.of("p", 0.5, "seed", 3))), Attrs.EMPTY);
        Graph g = new Graph("drop", List.of(x), List.of(w), List.of(new Graph.Output("loss", y)));
        Graph t = TrainingMode.apply(g, TrainingMode.DEFAULT_MOMENTUM);
        Node seed = t.input(TrainingMode.SEED);
        assertEquals("i64[]", seed.type().toString());
        Node d = t.outputs().get(0).node().input(0);
        assertEquals("dropout", d.opName());
        assertSame(seed, d.input(1));
        assertEquals(true, d.attrs().getBool("training", false));
        assertEquals(3L, d.attrs().getLong("seed"));
        // its gradient applies the same mask: the step graph takes the seed too
        Graph step = TrainStep.fused(t, "loss", Set.of(), Optimizers.create("sgd", List.of(), Map.of("lr", 0.1)).optimizer(), GradPolicy.NONE);
        assertSame(seed, step.input(TrainingMode.SEED));
        // a model without dropout or batch norm is returned as it is
        Graph plain = new Graph("plain", List.of(x), List.of(w), List.of(new Graph.Output("loss", Node.of("reduce_sum", List.of(Node.of("mul", x, w)), Attrs.EMPTY))));
        assertSame(plain, TrainingMode.apply(plain, TrainingMode.DEFAULT_MOMENTUM));
    }

    @Test void trainStepCarriesTheRunningStatisticUpdates() {
        Graph t = TrainingMode.apply(bnModel(Shape.of(3, 2, 2)), 0.1);
        Graph step = TrainStep.fused(t, "loss", Set.of(), Sgd.plain(), GradPolicy.NONE);
        assertEquals(List.of(), org.dlm.ir.Verifier.verify(step));
        assertEquals(List.of("loss", "y", "new/bn.running_mean", "new/bn.running_var", "new/bn.weight", "new/bn.bias"),
                step.outputs().stream().map(Graph.Output::name).toList());
        Graph noBn = new Graph("m", List.of(), List.of(), List.of());
        assertSame(noBn, TrainingMode.apply(noBn, 0.1));
    }
}
