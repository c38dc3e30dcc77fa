package org.dlm.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
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
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.train.Adam;
import org.dlm.passes.train.GradPolicy;
import org.dlm.passes.train.Optimizer;
import org.dlm.passes.train.TrainStep;
import org.dlm.runtime.data.BatchLoader;
import org.dlm.runtime.data.GaussianNoise;
import org.dlm.runtime.data.Dataset;
import org.dlm.runtime.train.schedule.Cosine;
import org.dlm.runtime.train.schedule.Warmup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end on the reference interpreter: autodiff + Adam step graph, data pipeline, loop, checkpoints. */
class TrainerTest {
    static final Dim B = Dim.sym("B");

    static Node param(String name, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", Shape.of(shape)));
    }

    /** [B, i] x [o, i]ᵀ + b with broadcasting (no matmul needed). */
    static Node dense(Node x, Node w, Node b) {
        long i = x.shape().dim(1).value();
        Node x3 = Node.of("reshape", List.of(x), Attrs.of("shape", Shape.of(B, Dim.of(1), Dim.of(i))));
        return Node.of("add", Node.of("reduce_sum", List.of(Node.of("mul", x3, w)), Attrs.of("axes", List.of(2L))), b);
    }

    /** 2-8-2 tanh MLP with softmax cross-entropy, batch dimension symbolic. */
    static Graph mlp() {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(B, Dim.of(2))));
        Node y = Node.of("input", List.of(), Attrs.of("name", "labels", "dtype", DType.I64, "shape", Shape.of(B)));
        Node w1 = param("fc1.weight", 8, 2), b1 = param("fc1.bias", 8), w2 = param("fc2.weight", 2, 8), b2 = param("fc2.bias", 2);
        Node logits = dense(Node.of("tanh", dense(x, w1, b1)), w2, b2);
        Node lse = Node.of("reduce_logsumexp", List.of(logits), Attrs.of("axes", List.of(1L)));
        Node onehot = Node.of("one_hot", List.of(y), Attrs.of("depth", 2L, "dtype", DType.F32));
        Node picked = Node.of("reduce_sum", List.of(Node.of("mul", logits, onehot)), Attrs.of("axes", List.of(1L)));
        Node loss = Node.of("reduce_mean", Node.of("sub", lse, picked));
        return new Graph("blobs", List.of(x, y), List.of(w1, b1, w2, b2),
                List.of(new Graph.Output("loss", loss), new Graph.Output("logits", logits)));
    }

    static Dataset blobs(int n, long seed) {
        Random r = new Random(seed);
        double[] x = new double[n * 2], y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            double c = y[i] == 0 ? -1 : 1;
            x[2 * i] = c + 0.6 * r.nextGaussian();
            x[2 * i + 1] = c + 0.6 * r.nextGaussian();
        }
        return new Dataset("blobs", NdArray.of(DType.F32, new long[] {n, 2}, x), NdArray.of(DType.I64, new long[] {n}, y), List.of());
    }

    static Map<String, NdArray> init(Graph g, long seed) {
        Random r = new Random(seed);
        Map<String, NdArray> m = new LinkedHashMap<>();
        for (Node p : g.params()) {
            long[] s = p.shape().sizes();
            double[] d = new double[(int) NdArray.numel(s)];
            for (int i = 0; i < d.length; i++) d[i] = 0.5 * r.nextGaussian();
            m.put(p.attrs().getString("name"), new NdArray(DType.F32, s, d));
        }
        return m;
    }

    static final Optimizer ADAM = Adam.adam(0.9, 0.999, 1e-8, 0);

    static Trainer trainer(Graph model, int epochs, Path ckpt) {
        Graph step = TrainStep.fused(model, "loss", Set.of(), ADAM, GradPolicy.NONE.withClipNorm(5));
        var cfg = new Trainer.Config(epochs, "x", "labels", "loss", "logits", new Warmup(2, new Cosine(0.05, 60, 0.005)),
                "val.loss", ckpt, ADAM.name());
        return new Trainer(model, step, Interpreter::run, ADAM::scalars, cfg, init(model, 1));
    }

    static Dataset.Split data() { return blobs(160, 3).split(0.75, 4); }

    static BatchLoader loader(Dataset d, boolean train) {
        return new BatchLoader(d, 16, train, false, 9, train ? new GaussianNoise(0.05) : null, 2);
    }

    @Test void learnsSeparableBlobs() throws Exception {
        Graph model = mlp();
        Trainer t = trainer(model, 5, null);
        double before = t.evaluate(loader(data().validation(), false)).get("val.loss");
        List<String> epochsSeen = new ArrayList<>();
        List<Map<String, Double>> h = t.fit(loader(data().train(), true), loader(data().validation(), false), List.of(new TrainCallback() {
            @Override public void onEpochEnd(EpochEvent e) { epochsSeen.add(e.epoch() + "/" + e.epochs()); }
        }));
        assertEquals(List.of("0/5", "1/5", "2/5", "3/5", "4/5"), epochsSeen);
        assertEquals(5 * 8, t.steps());
        assertTrue(h.get(4).get("val.loss") < before / 3, h + " vs initial " + before);
        assertTrue(h.get(4).get("val.accuracy") >= 0.95, h.toString());
        assertTrue(h.get(4).get("val.macro_f1") >= 0.94, h.toString());
        assertEquals(List.of("train.loss", "val.loss", "val.accuracy", "val.macro_f1"), List.copyOf(h.get(4).keySet()));
        assertTrue(h.get(4).get("train.loss") < h.get(0).get("train.loss"), h.toString());
    }

    @Test void resumingFromACheckpointEqualsTrainingStraightThrough(@TempDir Path dir) throws Exception {
        Graph model = mlp();
        Trainer straight = trainer(model, 2, null);
        straight.fit(loader(data().train(), true), null, List.of());

        Path ckpt = dir.resolve("ckpt.safetensors");
        Trainer first = trainer(model, 1, ckpt);
        first.fit(loader(data().train(), true), null, List.of());
        Trainer resumed = trainer(model, 2, null);
        resumed.restore(Checkpoint.load(ckpt, model));
        assertEquals(1, resumed.epoch());
        resumed.fit(loader(data().train(), true), null, List.of());

        assertEquals(straight.steps(), resumed.steps());
        assertEquals(straight.modelParams(), resumed.modelParams());   // bit for bit
        assertEquals(straight.checkpoint().optimizerState(), resumed.checkpoint().optimizerState());
    }

    @Test void gradientAccumulationMatchesOneBigBatch() throws Exception {
        Graph model = mlp();
        Dataset train = data().train();
        Trainer big = trainer(model, 1, null);
        big.fit(new BatchLoader(train, 12, false, false, 0, null, 2), null, List.of());

        var cfg = new Trainer.Config(1, "x", "labels", "loss", "logits", new Warmup(2, new Cosine(0.05, 60, 0.005)), "val.loss", null, "adam");
        GradPolicy clip = GradPolicy.NONE.withClipNorm(5);
        Trainer acc = new Trainer(model, TrainStep.accumulate(model, "loss", Set.of()), TrainStep.apply(model, Set.of(), ADAM, clip, 2), 2,
                Interpreter::run, ADAM::scalars, cfg, init(model, 1));
        List<StepEvent> events = new ArrayList<>();
        acc.fit(new BatchLoader(train, 6, false, false, 0, null, 2), null, List.of(new TrainCallback() {
            @Override public void onStep(StepEvent e) { events.add(e); }
        }));
        assertEquals(big.steps(), acc.steps());
        assertEquals(big.steps(), events.size());
        assertEquals(12, events.get(0).samples());
        big.modelParams().forEach((k, v) -> assertTrue(v.maxAbsDiff(acc.modelParams().get(k)) < 1e-5, k));
        Trainer odd = new Trainer(model, TrainStep.accumulate(model, "loss", Set.of()), TrainStep.apply(model, Set.of(), ADAM, clip, 4), 4,
                Interpreter::run, ADAM::scalars, cfg, init(model, 1));
        assertEquals("15 batches per epoch is not a multiple of 4 micro-batches; change the batch size or drop the last batch",
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> odd.fit(new BatchLoader(train, 8, false, false, 0, null, 2), null, List.of())).getMessage());
    }

    @Test void plateauScheduleIsFedTheValidationMetricEvenBehindAWarmup() throws Exception {
        Graph model = mlp();
        var plateau = new org.dlm.runtime.train.schedule.ReduceOnPlateau(0.05, org.dlm.runtime.train.schedule.ReduceOnPlateau.Mode.MAX, 0.5, 0, 0, 0, 0);
        var cfg = new Trainer.Config(3, "x", "labels", "loss", "logits", new Warmup(2, plateau), "val.accuracy", null, "adam");
        Trainer t = new Trainer(model, TrainStep.fused(model, "loss", Set.of(), ADAM, GradPolicy.NONE), Interpreter::run, ADAM::scalars, cfg, init(model, 1));
        List<Map<String, Double>> h = t.fit(loader(data().train(), true), loader(data().validation(), false), List.of());
        assertEquals(h.stream().mapToDouble(m -> m.get("val.accuracy")).max().orElseThrow(), plateau.best());
    }

    @Test void earlyStoppingRestoresTheBestEpoch() throws Exception {
        Graph model = mlp();
        Trainer t = trainer(model, 30, null);
        Map<Integer, Map<String, NdArray>> seen = new LinkedHashMap<>();
        var stop = new EarlyStopping("val.loss", false, 2, 1e-3, t::modelParams);
        List<Map<String, Double>> h = t.fit(loader(data().train(), true), loader(data().validation(), false), List.of(stop,
                new TrainCallback() {
                    @Override public void onEpochEnd(EpochEvent e) { seen.put(e.epoch(), t.modelParams()); }
                }));
        assertTrue(h.size() < 30, "stopped early after " + h.size() + " epochs");
        assertEquals(h.size() - 3, stop.bestEpoch());
        assertEquals(seen.get(stop.bestEpoch()), t.modelParams());
    }
}
