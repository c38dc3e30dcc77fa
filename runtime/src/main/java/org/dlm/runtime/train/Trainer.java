package org.dlm.runtime.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Batch;
import org.dlm.runtime.data.BatchLoader;
import org.dlm.runtime.train.metrics.Classification;
import org.dlm.runtime.train.schedule.ReduceOnPlateau;
import org.dlm.runtime.train.schedule.Schedule;

/**
 * The training loop around a compiled (or interpreted) training-step graph. It knows the step
 * graph's conventions (built by {@code org.dlm.passes.train.TrainStep}), not the optimizer:
 * scalar inputs {@code hp/<name>} get values from {@link HyperScalars}, and each output
 * {@code new/<name>} replaces param {@code <name>} after the step. Between epochs it evaluates
 * the forward model on validation data ({@code val.loss}, and {@code val.accuracy} and
 * {@code val.macro_f1} when the model has a logits output), tells the callbacks, feeds a {@link ReduceOnPlateau} schedule, writes
 * checkpoints, stops when a callback asks, and restores the best parameters of an
 * {@link EarlyStopping} callback.
 *
 * <pre>{@code
 * Graph step = TrainStep.fused(model, "loss", Set.of(), adam, GradPolicy.NONE);
 * var t = new Trainer(model, step, Interpreter::run, adam::scalars, config, initialParams);
 * t.fit(trainLoader, valLoader, List.of(Progress.forConsole()));
 * }</pre>
 */
public final class Trainer {
    /** Runs a graph on given parameters ({@code Interpreter::run}); see {@link StepEngine} for compiled steps. */
    @FunctionalInterface
    public interface Executor { Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs, Map<String, NdArray> params); }

    /** The optimizer's per-step scalars for 1-based step {@code t} at learning rate {@code lr}. */
    @FunctionalInterface
    public interface HyperScalars { Map<String, Double> at(long t, double lr); }

    /**
     * @param epochs         epochs to run (in total, counting those before a resume)
     * @param featuresInput  model input that takes a batch's features
     * @param labelsInput    model input that takes its labels
     * @param lossOutput     scalar loss output of the model
     * @param logitsOutput   class scores output for accuracy, or null
     * @param schedule       learning rate by step
     * @param plateauMetric  metric fed to a {@link ReduceOnPlateau} schedule, e.g. "val.loss"
     * @param checkpoint     file to save after every epoch, or null
     * @param optimizer      optimizer name recorded in checkpoints
     */
    public record Config(int epochs, String featuresInput, String labelsInput, String lossOutput, String logitsOutput,
                         Schedule schedule, String plateauMetric, Path checkpoint, String optimizer) {}

    private static final String HP = "hp/", STATE = "opt/", SEED = "hp/seed";

    private final Graph model, step;
    /** With gradient accumulation: the micro-batch graph, and micro-batches per step; else null and 1. */
    private final Graph accumulate;
    private final int microBatches;
    private int pending;
    private double pendingLoss;
    private final StepEngine engine;
    private final HyperScalars hyper;
    private final Config cfg;
    /** Names of the state the engine holds: model parameters, then optimizer buffers. */
    private final java.util.Set<String> state = new java.util.LinkedHashSet<>();
    private long steps;
    private int epoch;

    /** {@code initial} holds the model's parameters; optimizer state starts from each buffer's {@code init}. */
    public Trainer(Graph model, Graph step, Executor exec, HyperScalars hyper, Config cfg, Map<String, NdArray> initial) {
        this(model, null, step, 1, StepEngine.interpreter(exec), hyper, cfg, initial);
    }

    /** Steps run on {@code engine} (e.g. compiled), which holds the parameters and optimizer state between steps. */
    public Trainer(Graph model, Graph step, StepEngine engine, HyperScalars hyper, Config cfg, Map<String, NdArray> initial) {
        this(model, null, step, 1, engine, hyper, cfg, initial);
    }

    /**
     * With gradient accumulation: {@code accumulate} runs on every batch (a micro-batch) and
     * {@code apply} updates the parameters after every {@code microBatches} of them (graphs from
     * {@code TrainStep.accumulate} / {@code TrainStep.apply}). A step event reports the mean loss
     * of its micro-batches.
     */
    public Trainer(Graph model, Graph accumulate, Graph apply, int microBatches, Executor exec, HyperScalars hyper, Config cfg,
                   Map<String, NdArray> initial) {
        this(model, accumulate, apply, microBatches, StepEngine.interpreter(exec), hyper, cfg, initial);
    }

    /** Gradient accumulation on {@code engine}. */
    public Trainer(Graph model, Graph accumulate, Graph apply, int microBatches, StepEngine engine, HyperScalars hyper, Config cfg,
                   Map<String, NdArray> initial) {
        if (microBatches < 1 || (accumulate == null) != (microBatches == 1))
            throw new IllegalArgumentException("gradient accumulation needs an accumulate graph and more than one micro-batch");
        this.accumulate = accumulate;
        this.microBatches = microBatches;
        this.model = model;
        this.step = apply;
        this.engine = engine;
        this.hyper = hyper;
        this.cfg = cfg;
        for (Node p : model.params()) {
            String n = name(p);
            NdArray v = initial.get(n);
            if (v == null) throw new IllegalArgumentException("no initial value for parameter '" + n + "' of model '" + model.name() + "'");
            engine.put(n, v);
            state.add(n);
        }
        for (Graph g : accumulate == null ? List.of(step) : List.of(accumulate, step))
            for (Node p : g.params()) {
                if (!state.add(name(p))) continue;
                engine.put(name(p), NdArray.full(p.dtype(), initValue(p), p.shape().sizes()));
            }
    }

    /** Initial value of an optimizer buffer: {@code zeros} or {@code constant(v)}. */
    static double initValue(Node p) {
        String init = p.attrs().getString("init", "zeros");
        if (init.equals("zeros")) return 0;
        if (init.startsWith("constant(") && init.endsWith(")")) return Double.parseDouble(init.substring(9, init.length() - 1));
        throw new IllegalArgumentException("buffer '" + name(p) + "' has initializer " + init + "; the trainer knows zeros and constant(v)");
    }

    /** Runs the remaining epochs; returns the metrics of every epoch run. */
    public List<Map<String, Double>> fit(BatchLoader train, BatchLoader validation, List<TrainCallback> callbacks) throws IOException {
        List<Map<String, Double>> history = new ArrayList<>();
        callbacks.forEach(c -> c.onTrainBegin(cfg.epochs()));
        try {
            while (epoch < cfg.epochs()) {
                long t0 = System.nanoTime();
                if (train.batchesPerEpoch() % microBatches != 0)
                    throw new IllegalArgumentException(train.batchesPerEpoch() + " batches per epoch is not a multiple of "
                            + microBatches + " micro-batches; change the batch size or drop the last batch");
                int perEpoch = train.batchesPerEpoch() / microBatches;
                for (TrainCallback c : callbacks) c.onEpochBegin(epoch, perEpoch);
                double lossSum = 0;
                long samples = 0;
                try (var it = train.epoch(epoch)) {
                    int s = 0, stepSamples = 0;
                    while (it.hasNext()) {
                        Batch b = it.next();
                        double lr = cfg.schedule().at(steps);
                        double loss = accumulate == null ? trainStep(b, lr) : microStep(b, lr);
                        lossSum += loss * b.size();
                        samples += b.size();
                        stepSamples += b.size();
                        if (accumulate != null && pending > 0) continue;
                        StepEvent e = new StepEvent(epoch, s++, perEpoch, steps, stepSamples, accumulate == null ? loss : pendingLoss, lr);
                        stepSamples = 0;
                        for (TrainCallback c : callbacks) c.onStep(e);
                    }
                }
                Map<String, Double> metrics = new LinkedHashMap<>();
                metrics.put("train.loss", lossSum / samples);
                if (validation != null) metrics.putAll(evaluate(validation));
                ReduceOnPlateau plateau = plateauOf(cfg.schedule());
                if (plateau != null && metrics.containsKey(cfg.plateauMetric())) plateau.observe(metrics.get(cfg.plateauMetric()));
                epoch++;
                history.add(metrics);
                EpochEvent ev = new EpochEvent(epoch - 1, cfg.epochs(), metrics, (System.nanoTime() - t0) / 1e9);
                for (TrainCallback c : callbacks) c.onEpochEnd(ev);
                if (cfg.checkpoint() != null) Checkpoint.save(cfg.checkpoint(), model, checkpoint());
                if (callbacks.stream().anyMatch(TrainCallback::shouldStop)) break;
            }
        } finally {
            callbacks.forEach(TrainCallback::onTrainEnd);
        }
        for (TrainCallback c : callbacks)
            if (c instanceof EarlyStopping es && es.best() != null) es.best().forEach(engine::put);
        return history;
    }

    /** The plateau schedule in {@code s}, also behind a warmup, or null. */
    static ReduceOnPlateau plateauOf(Schedule s) {
        return switch (s) {
            case ReduceOnPlateau p -> p;
            case org.dlm.runtime.train.schedule.Warmup w -> plateauOf(w.after());
            default -> null;
        };
    }

    /** One optimizer step on {@code b}; returns the batch loss. */
    public double trainStep(Batch b, double lr) {
        if (accumulate != null) throw new IllegalStateException("this trainer accumulates gradients; use fit");
        steps++;
        Map<String, NdArray> inputs = batchInputs(step, b);
        inputs.putAll(hyperInputs(lr));
        seedInput(step, steps, inputs);
        return engine.run(step, inputs).get(cfg.lossOutput()).get(0);
    }

    /**
     * Runs the accumulate graph on one micro-batch and, after the last micro-batch of a step,
     * the apply graph; returns the micro-batch loss ({@link #pendingLoss} holds the step's mean).
     */
    private double microStep(Batch b, double lr) {
        Map<String, NdArray> in = batchInputs(accumulate, b);
        seedInput(accumulate, steps * microBatches + pending + 1, in);
        double loss = engine.run(accumulate, in).get(cfg.lossOutput()).get(0);
        pendingLoss = (pending == 0 ? 0 : pendingLoss) + loss / microBatches;
        if (++pending == microBatches) {
            pending = 0;
            steps++;
            engine.run(step, hyperInputs(lr));
        }
        return loss;
    }

    /**
     * Dropout's per-step seed ({@code hp/seed}, from {@code TrainingMode}): the number of the
     * step (or micro-batch), so a resumed run draws the masks it would have drawn.
     */
    private static void seedInput(Graph g, long n, Map<String, NdArray> inputs) {
        Node in = g.input(SEED);
        if (in != null) inputs.put(SEED, NdArray.scalar(in.dtype(), n));
    }

    private Map<String, NdArray> hyperInputs(double lr) {
        Map<String, NdArray> inputs = new LinkedHashMap<>();
        for (var e : hyper.at(steps, lr).entrySet()) {
            Node in = step.input(HP + e.getKey());
            if (in != null) inputs.put(HP + e.getKey(), NdArray.scalar(in.dtype(), e.getValue()));
        }
        return inputs;
    }

    /**
     * Mean loss of the current parameters over {@code data}, and with a logits output accuracy
     * and macro F1; keys {@code val.loss}, {@code val.accuracy}, {@code val.macro_f1}.
     */
    public Map<String, Double> evaluate(BatchLoader data) {
        double loss = 0;
        long n = 0;
        org.dlm.runtime.train.metrics.ConfusionMatrix cm = null;
        try (var it = data.epoch(0)) {
            while (it.hasNext()) {
                Batch b = it.next();
                Map<String, NdArray> out = engine.run(model, batchInputs(model, b));
                loss += out.get(cfg.lossOutput()).get(0) * b.size();
                if (cfg.logitsOutput() != null) {
                    var batchCm = Classification.confusion(out.get(cfg.logitsOutput()), b.labels());
                    if (cm == null) cm = batchCm;
                    else cm.add(batchCm);
                }
                n += b.size();
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val.loss", loss / n);
        if (cm != null) {
            m.put("val.accuracy", cm.accuracy());
            m.put("val.macro_f1", cm.macroF1());
        }
        return m;
    }

    private Map<String, NdArray> batchInputs(Graph g, Batch b) {
        Map<String, NdArray> in = new LinkedHashMap<>();
        in.put(cfg.featuresInput(), as(g, cfg.featuresInput(), b.features()));
        in.put(cfg.labelsInput(), as(g, cfg.labelsInput(), b.labels()));
        return in;
    }

    private static NdArray as(Graph g, String input, NdArray v) {
        Node n = g.input(input);
        if (n == null) throw new IllegalArgumentException("model '" + g.name() + "' has no input '" + input + "'");
        return v.dtype() == n.dtype() ? v : v.cast(n.dtype());
    }

    /** The model's parameters (no optimizer state). */
    public Map<String, NdArray> modelParams() {
        Map<String, NdArray> m = new LinkedHashMap<>();
        for (Node p : model.params()) m.put(name(p), engine.get(name(p)));
        return m;
    }

    public long steps() { return steps; }
    public int epoch() { return epoch; }

    /** Everything needed to resume: parameters, optimizer state, step and epoch counters. */
    public Checkpoint checkpoint() {
        Map<String, NdArray> state = new LinkedHashMap<>();
        for (String k : this.state) if (k.startsWith(STATE)) state.put(k, engine.get(k));
        return new Checkpoint(modelParams(), state, steps, epoch, cfg.optimizer(), Map.of());
    }

    /** Continues from {@code c} (as loaded by {@link Checkpoint#load}). */
    public void restore(Checkpoint c) {
        for (Node p : step.params())
            if (name(p).startsWith(STATE) && !c.optimizerState().containsKey(name(p)))
                throw new IllegalArgumentException("checkpoint lacks optimizer state '" + name(p) + "' (it was written by optimizer '" + c.optimizer() + "')");
        c.params().forEach(engine::put);
        c.optimizerState().forEach(engine::put);
        steps = c.step();
        epoch = c.epoch();
    }

    private static String name(Node p) { return p.attrs().getString("name"); }
}
