package org.dlm.backend.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.train.GradPolicy;
import org.dlm.passes.train.Optimizers;
import org.dlm.passes.train.TrainStep;
import org.dlm.runtime.data.BatchLoader;
import org.dlm.runtime.data.Dataset;
import org.dlm.runtime.train.Checkpoint;
import org.dlm.runtime.train.StepEngine;
import org.dlm.runtime.train.Trainer;
import org.dlm.runtime.train.schedule.Cosine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiled training steps (mutable parameters, state kept native) against the reference interpreter. */
class CompiledStepsTest {
    static final Dim B = Dim.sym("B");
    static final int IN = 12, HIDDEN = 20, CLASSES = 5;

    static Node param(String name, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", Shape.of(shape)));
    }

    /** linear-relu-linear with cross-entropy on class ids: what dlmc train builds for an MLP. */
    static Graph mlp() { return mlp(false); }

    /** With {@code dropout}, dropout(p = 0.3) after the relu (inference form: TrainingMode turns it on). */
    static Graph mlp(boolean dropout) {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(B, Dim.of(IN))));
        Node y = Node.of("input", List.of(), Attrs.of("name", "labels", "dtype", DType.I64, "shape", Shape.of(B)));
        Node w1 = param("fc1.weight", HIDDEN, IN), b1 = param("fc1.bias", HIDDEN), w2 = param("fc2.weight", CLASSES, HIDDEN), b2 = param("fc2.bias", CLASSES);
        Node h = Node.of("relu", Node.of("linear", x, w1, b1));
        if (dropout) h = Node.of("dropout", List.of(h), Attrs.of("p", 0.3, "seed", 5));
        Node logits = Node.of("linear", h, w2, b2);
        Node loss = Node.of("cross_entropy", logits, y);
        return new Graph("mlp", List.of(x, y), List.of(w1, b1, w2, b2), List.of(new Graph.Output("loss", loss), new Graph.Output("logits", logits)));
    }

    static Map<String, NdArray> init(Graph g, long seed) {
        Random r = new Random(seed);
        Map<String, NdArray> m = new LinkedHashMap<>();
        for (Node p : g.params()) {
            long[] s = p.shape().sizes();
            double[] d = new double[(int) NdArray.numel(s)];
            for (int i = 0; i < d.length; i++) d[i] = 0.3 * r.nextGaussian();
            m.put(p.attrs().getString("name"), NdArray.of(DType.F32, s, d));
        }
        return m;
    }

    static Dataset data(int n, long seed) {
        Random r = new Random(seed);
        double[] x = new double[n * IN], y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % CLASSES;
            for (int j = 0; j < IN; j++) x[i * IN + j] = (j % CLASSES == y[i] ? 1.5 : 0) + r.nextGaussian();
        }
        return new Dataset("toy", NdArray.of(DType.F32, new long[] {n, IN}, x), NdArray.of(DType.I64, new long[] {n}, y), List.of());
    }

    static final Optimizers.Choice SGD = Optimizers.create("sgd", List.of(), Map.of("lr", 0.05, "momentum", 0.9));

    /** Step {@code t}'s batch with the optimizer's scalars (hp/lr, ...). */
    static Map<String, NdArray> batch(Dataset d, int from, int n, long t) {
        Dataset s = d.slice(from, from + n);
        Map<String, NdArray> in = new LinkedHashMap<>(Map.of("x", s.features(), "labels", s.labels()));
        SGD.optimizer().scalars(t, 0.05).forEach((k, v) -> in.put("hp/" + k, NdArray.scalar(DType.F32, v)));
        return in;
    }

    static Graph sgdStep(Graph g) {
        return TrainStep.fused(g, "loss", Set.of(), SGD.optimizer(), GradPolicy.NONE);
    }

    @Test void sgdStepsEqualTheInterpretersStepByStep() {
        Graph g = mlp(), step = sgdStep(g);
        Dataset d = data(64, 3);
        try (StepEngine ref = StepEngine.interpreter(Interpreter::run); CompiledSteps native_ = new CompiledSteps(1)) {
            for (var e : init(g, 7).entrySet()) { ref.put(e.getKey(), e.getValue()); native_.put(e.getKey(), e.getValue()); }
            for (Node p : step.params()) {
                String n = p.attrs().getString("name");
                if (n.startsWith("opt/")) {
                    NdArray z = NdArray.zeros(p.dtype(), p.shape().sizes());
                    ref.put(n, z);
                    native_.put(n, z);
                }
            }
            // 6 steps of 16, then a last partial batch of 8 (a second executable takes the state over), then 16 again
            int[] sizes = {16, 16, 16, 16, 8, 16};
            int at = 0;
            long t = 0;
            for (int size : sizes) {
                var in = batch(d, at % 48, size, ++t);
                at += size;
                double a = ref.run(step, in).get("loss").get(0), b = native_.run(step, in).get("loss").get(0);
                assertEquals(a, b, 1e-5 * Math.max(1, Math.abs(a)), "loss at batch of " + size);
            }
            assertEquals(2, native_.compilations(), "one executable per batch size");
            for (Node p : step.params()) {
                String n = p.attrs().getString("name");
                double diff = ref.get(n).maxAbsDiff(native_.get(n));
                assertTrue(diff < 1e-5, n + " differs by " + diff);
            }
            // the model graph sees the updated parameters (copied natively from the step executable)
            var eval = batch(d, 48, 16, 1);
            eval.keySet().removeIf(k -> k.startsWith("hp/"));
            assertTrue(ref.run(g, eval).get("logits").maxAbsDiff(native_.run(g, eval).get("logits")) < 1e-4);
        }
    }

    @Test void parametersAreReadAndWrittenByNameWithTypeChecks() {
        Graph g = mlp();
        try (LlvmExecutable exe = LlvmBackend.compile(g, init(g, 1), LlvmBackend.Options.dims(Map.of("B", 4L)).trainable())) {
            assertEquals(Set.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), exe.params().keySet());
            NdArray w = NdArray.full(DType.F32, 0.25, HIDDEN, IN);
            exe.writeParam("fc1.weight", w);
            assertEquals(0.0, exe.readParam("fc1.weight").maxAbsDiff(w));
            var bad = assertThrows(IllegalArgumentException.class, () -> exe.writeParam("fc1.weight", NdArray.zeros(DType.F32, IN, HIDDEN)));
            assertTrue(bad.getMessage().contains("f32[20, 12]"), bad.getMessage());
            var unknown = assertThrows(IllegalArgumentException.class, () -> exe.readParam("fc9.weight"));
            assertTrue(unknown.getMessage().contains("no parameter 'fc9.weight'") && unknown.getMessage().contains("fc2.bias"), unknown.getMessage());
        }
        try (LlvmExecutable frozen = LlvmBackend.compile(g, init(g, 1), LlvmBackend.Options.dims(Map.of("B", 4L)))) {
            var e = assertThrows(IllegalArgumentException.class, () -> frozen.readParam("fc1.weight"));
            assertTrue(e.getMessage().contains("trainable()"), e.getMessage());
        }
    }

    Trainer trainer(Graph g, Graph step, StepEngine engine, Path ckpt, int epochs) {
        var cfg = new Trainer.Config(epochs, "x", "labels", "loss", "logits", new Cosine(0.05, 40, 0), "val.loss", ckpt, "sgd");
        return new Trainer(g, step, engine, SGD.optimizer()::scalars, cfg, init(g, 5));
    }

    @Test void compiledTrainingMatchesTheInterpreterAndResumesExactly(@TempDir Path dir) throws Exception {
        Graph g = mlp(), step = sgdStep(g);
        Dataset train = data(100, 1), val = data(40, 2);   // 100 = 6 batches of 16 and one of 4
        List<Map<String, Double>> ref, straight;
        try (StepEngine e = StepEngine.interpreter(Interpreter::run)) {
            ref = trainer(g, step, e, null, 3).fit(new BatchLoader(train, 16, true, false, 9, null, 1), new BatchLoader(val, 16, false, false, 0, null, 1), List.of());
        }
        try (CompiledSteps e = new CompiledSteps(1)) {
            straight = trainer(g, step, e, null, 3).fit(new BatchLoader(train, 16, true, false, 9, null, 1), new BatchLoader(val, 16, false, false, 0, null, 1), List.of());
        }
        for (int i = 0; i < 3; i++)
            for (String k : List.of("train.loss", "val.loss", "val.accuracy"))
                assertEquals(ref.get(i).get(k), straight.get(i).get(k), 1e-4, k + " of epoch " + (i + 1));
        assertTrue(straight.get(2).get("val.accuracy") > 0.5, "learns: " + straight.get(2));

        // two epochs, a new process-like trainer restored from the checkpoint, one more: the same numbers as three straight
        Path ckpt = dir.resolve("c.safetensors");
        try (CompiledSteps e = new CompiledSteps(1)) {
            trainer(g, step, e, ckpt, 2).fit(new BatchLoader(train, 16, true, false, 9, null, 1), new BatchLoader(val, 16, false, false, 0, null, 1), List.of());
        }
        try (CompiledSteps e = new CompiledSteps(1)) {
            Trainer t = trainer(g, step, e, ckpt, 3);
            t.restore(Checkpoint.load(ckpt, g));
            var resumed = t.fit(new BatchLoader(train, 16, true, false, 9, null, 1), new BatchLoader(val, 16, false, false, 0, null, 1), List.of());
            assertEquals(1, resumed.size());
            assertEquals(straight.get(2).get("train.loss"), resumed.get(0).get("train.loss"), 0.0, "bit-exact resume");
            assertEquals(straight.get(2).get("val.loss"), resumed.get(0).get("val.loss"), 0.0);
        }
    }

    @Test void compiledDropoutDropsTheInterpretersElements() {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(B, Dim.of(37))));
        Node seed = Node.of("input", List.of(), Attrs.of("name", "hp/seed", "dtype", DType.I64, "shape", Shape.SCALAR));
        Node y = Node.of("dropout", List.of(x, seed), Attrs.of("p", 0.3, "training", true, "seed", 11));
        Graph g = new Graph("drop", List.of(x, seed), List.of(), List.of(new Graph.Output("y", y)));
        NdArray in = NdArray.full(DType.F32, 2, 9, 37);
        try (CompiledSteps native_ = new CompiledSteps(1)) {
            for (long s : new long[] {1, 2, 12345, -7}) {
                Map<String, NdArray> feed = Map.of("x", in, "hp/seed", NdArray.scalar(DType.I64, s));
                NdArray want = Interpreter.run(g, feed, Map.of()).get("y"), got = native_.run(g, feed).get("y");
                int dropped = 0;
                for (int i = 0; i < want.size(); i++) {
                    assertEquals(want.get(i) == 0, got.get(i) == 0, "element " + i + " with seed " + s);
                    assertEquals(want.get(i), got.get(i), 1e-6);
                    if (want.get(i) == 0) dropped++;
                }
                assertTrue(dropped > 60 && dropped < 140, dropped + " of 333 dropped at p = 0.3");
            }
        }
    }

    @Test void dropoutTrainingCompiledMatchesTheInterpreter() throws Exception {
        Graph g = mlp(true), step = TrainStep.fused(org.dlm.passes.train.TrainingMode.apply(g, 0.1), "loss", Set.of(), SGD.optimizer(), GradPolicy.NONE);
        assertTrue(step.input("hp/seed") != null, "the step takes a per-step seed");
        Dataset train = data(64, 4), val = data(32, 5);
        List<Map<String, Double>> ref, compiled;
        try (StepEngine e = StepEngine.interpreter(Interpreter::run)) {
            ref = trainer(g, step, e, null, 2).fit(new BatchLoader(train, 16, true, false, 3, null, 1), new BatchLoader(val, 16, false, false, 0, null, 1), List.of());
        }
        try (CompiledSteps e = new CompiledSteps(1)) {
            compiled = trainer(g, step, e, null, 2).fit(new BatchLoader(train, 16, true, false, 3, null, 1), new BatchLoader(val, 16, false, false, 0, null, 1), List.of());
        }
        for (int i = 0; i < 2; i++)
            for (String k : List.of("train.loss", "val.loss"))
                assertEquals(ref.get(i).get(k), compiled.get(i).get(k), 1e-4, k + " of epoch " + (i + 1));
    }
}
