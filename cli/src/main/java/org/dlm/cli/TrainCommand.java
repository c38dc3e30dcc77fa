package org.dlm.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import org.dlm.frontend.Initializers;
import org.dlm.frontend.TrainSpec;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.backend.llvm.CompiledSteps;
import org.dlm.passes.autodiff.AutodiffException;
import org.dlm.passes.lower.LoweringException;
import org.dlm.runtime.train.StepEngine;
import org.dlm.passes.train.GradPolicy;
import org.dlm.passes.train.Optimizers;
import org.dlm.passes.train.TrainStep;
import org.dlm.passes.train.TrainingMode;
import org.dlm.runtime.data.BatchLoader;
import org.dlm.runtime.data.Dataset;
import org.dlm.runtime.io.ParamStore;
import org.dlm.runtime.train.Checkpoint;
import org.dlm.runtime.train.EarlyStopping;
import org.dlm.runtime.train.JsonLinesLog;
import org.dlm.runtime.train.Progress;
import org.dlm.runtime.train.TrainCallback;
import org.dlm.runtime.train.Trainer;
import org.dlm.runtime.train.TrainingCurves;
import org.dlm.runtime.train.schedule.Schedule;
import org.dlm.runtime.train.schedule.Schedules;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dlmc train}: run a model's {@code train} block, compiled by the LLVM backend (or on the reference interpreter). */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
         description = {"Train a model as its train block says (data, loss, optimizer, schedule,",
                        "epochs, batch, early_stop, grad_clip), then print test accuracy. Writes",
                        "  OUT/model.safetensors       trained parameters (for dlmc run/eval --params)",
                        "  OUT/checkpoint.safetensors  everything --resume needs, after every epoch",
                        "  OUT/train.jsonl             per-step and per-epoch log",
                        "  OUT/plot.svg                training curves",
                        "The training step and the evaluation model are compiled once by the LLVM",
                        "backend (a second executable for the last partial batch); parameters and",
                        "optimizer state stay in native memory between steps. A model whose step the",
                        "backend cannot compile yet trains on the reference interpreter (with a note)."},
         footerHeading = "%nExamples:%n",
         footer = {"  dlmc train mlp --epochs 1 --limit-train 1000 --out runs/mlp",
                   "  dlmc train mlp --epochs 2 --out runs/mlp --resume",
                   "  dlmc eval mlp --params runs/mlp/model.safetensors"})
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "a .dlm file with a train block, or a shipped model name (mlp, lenet)")
    String file;

    @Option(names = "--epochs", paramLabel = "N", description = "epochs in total (default: the train block's epochs)")
    Integer epochs;

    @Option(names = "--limit-train", paramLabel = "N", description = "use only the first N training samples (before the validation split)")
    Integer limitTrain;

    @Option(names = "--limit-test", paramLabel = "N", description = "use only the first N test samples")
    Integer limitTest;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "train-out", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--resume", description = "continue from OUT/checkpoint.safetensors")
    boolean resume;

    @Option(names = "--seed", paramLabel = "S", description = "seed for initialization, shuffling and the split (default: the train block's seed, else 0)")
    Long seed;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "llvm", description = "llvm (compiled, default) or interp (reference interpreter)")
    String backend;

    @Option(names = "--threads", paramLabel = "T", description = "threads for compiled steps (default: all cores)")
    Integer threads;

    @Override public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        ModelSource src = ModelSource.load(file);
        CheckCommand.printDiagnostics(src.compilation(), err);
        if (!src.compilation().ok()) return CliException.USER_ERROR;
        TrainSetup setup = TrainSetup.of(src);
        TrainSpec ts = setup.spec();
        String where = "train block of " + ts.model();

        int nEpochs = epochs != null ? positive("--epochs", epochs) : (int) positiveSetting(ts, "epochs", 1);
        int batch = (int) positiveSetting(ts, "batch", 32);
        int logEvery = (int) positiveSetting(ts, "log_every", 1);
        long s = seed != null ? seed : TrainSetup.longSetting(ts, "seed", 0);

        TrainSpec.Call o = TrainSetup.call(ts, "optimizer");
        if (o == null) throw CliException.user(where + " has no 'optimizer' setting", "add optimizer = adam(lr = 1e-3)");
        Optimizers.Choice opt;
        try {
            opt = Optimizers.create(o.name(), o.args(), o.named());
        } catch (IllegalArgumentException e) {
            throw CliException.user(where + ": optimizer: " + e.getMessage());
        }
        GradPolicy policy = GradPolicy.NONE;
        if (ts.settings().containsKey("grad_clip")) {
            double clip = TrainSetup.doubleSetting(ts, "grad_clip", 0);
            if (!(clip > 0)) throw CliException.user(where + ": grad_clip must be positive, got " + clip);
            policy = policy.withClipNorm(clip);
        }

        // data: train (optionally split into train/validation) and test
        Dataset train = setup.data("train"), test = setup.data("t10k");
        if (limitTrain != null) train = train.slice(0, Math.min(positive("--limit-train", limitTrain), train.size()));
        if (limitTest != null) test = test.slice(0, Math.min(positive("--limit-test", limitTest), test.size()));
        Dataset val = null;
        if (setup.trainFraction() > 0) {
            Dataset.Split split = train.split(setup.trainFraction(), s);
            if (split.validation().size() > 0 && split.train().size() > 0) {
                train = split.train();
                val = split.validation();
            }
        }
        if (train.size() < batch) batch = train.size();

        Graph step;
        try {
            step = TrainStep.fused(TrainingMode.apply(setup.withLoss(), TrainingMode.DEFAULT_MOMENTUM), "loss", Set.of(), opt.optimizer(), policy);
        } catch (AutodiffException e) {
            throw new CliException(CliException.USER_ERROR, "cannot train " + ts.model() + ": " + e.getMessage(), e.hint());
        }
        long batchesPerEpoch = (train.size() + batch - 1) / batch;
        Schedule schedule;
        try {
            schedule = Schedules.create(scheduleChain(ts), opt.lr(), batchesPerEpoch * nEpochs);
        } catch (IllegalArgumentException e) {
            throw CliException.user(where + ": schedule: " + e.getMessage());
        }

        if (Files.exists(out) && !Files.isDirectory(out)) throw CliException.user(out + ": exists and is not a directory");
        Files.createDirectories(out);
        Path ckpt = out.resolve("checkpoint.safetensors");
        Random rnd = new Random(s);
        Map<String, NdArray> init = new LinkedHashMap<>();
        for (Node p : setup.withLoss().params()) {
            try {
                init.put(p.attrs().getString("name"), Initializers.create(p, rnd));
            } catch (IllegalArgumentException e) {
                throw CliException.user("cannot initialize parameter '" + p.attrs().getString("name") + "': " + e.getMessage());
            }
        }
        var cfg = new Trainer.Config(nEpochs, setup.features(), "labels", "loss", setup.prediction(), schedule, "val.loss", ckpt, opt.optimizer().name());
        try (StepEngine engine = Native.engine(backend, threads)) {
            return train(setup, ts, step, engine, opt, cfg, init, train, val, test, batch, nEpochs, logEvery, s, ckpt, stdout, err);
        }
    }

    private Integer train(TrainSetup setup, TrainSpec ts, Graph step, StepEngine engine, Optimizers.Choice opt, Trainer.Config cfg,
                          Map<String, NdArray> init, Dataset train, Dataset val, Dataset test, int batch, int nEpochs, int logEvery, long s,
                          Path ckpt, PrintWriter stdout, PrintWriter err) throws IOException {
        Trainer trainer = new Trainer(setup.withLoss(), step, engine, opt.optimizer()::scalars, cfg, init);
        if (resume) {
            if (!Files.exists(ckpt)) throw CliException.user("--resume: no checkpoint " + ckpt, "train once without --resume to create it");
            try {
                trainer.restore(Checkpoint.load(ckpt, setup.withLoss()));
            } catch (IllegalArgumentException e) {
                throw CliException.user(ckpt + ": " + e.getMessage(), "train without --resume to start over");
            }
        }

        String engineName = "interpreter";
        if (engine instanceof CompiledSteps compiled) {
            try {
                compiled.prepare(step, Map.of(batchDim(step, setup.features()), (long) batch));
                engineName = "llvm, " + compiled.threads() + " thread" + (compiled.threads() == 1 ? "" : "s") + String.format(Locale.ROOT, ", step compiled in %.1f s", compiled.compileNanos() / 1e9);
            } catch (LoweringException e) {
                err.println("note: the LLVM backend cannot compile this training step yet (" + String.join("; ", e.problems())
                    + "); training on the reference interpreter");
                engine.close();
                StepEngine interp = StepEngine.interpreter(Interpreter::run);
                return train(setup, ts, step, interp, opt, cfg, init, train, val, test, batch, nEpochs, logEvery, s, ckpt, stdout, err);
            }
        } else {
            err.println("note: training runs on the reference interpreter (--backend interp)");
        }
        stdout.printf(Locale.ROOT, "training %s (%s): %d train / %d validation / %d test samples, batch %d, %s(lr=%s), epochs %d%s%n",
            ts.model(), engineName, train.size(), val == null ? 0 : val.size(), test.size(), batch, opt.optimizer().name(), opt.lr(), nEpochs,
            resume ? " (resuming at epoch " + (trainer.epoch() + 1) + ", step " + trainer.steps() + ")" : "");
        if (trainer.epoch() >= nEpochs)
            err.println("note: the checkpoint has already trained " + trainer.epoch() + " epoch" + (trainer.epoch() == 1 ? "" : "s")
                + " of " + nEpochs + "; nothing to train (raise --epochs to continue)");
        stdout.flush();

        List<TrainCallback> callbacks = new ArrayList<>();
        var console = System.console();
        callbacks.add(console != null && console.isTerminal() ? Progress.forConsole()
            : new Progress(new PrintStream(new WriterStream(err), true, StandardCharsets.UTF_8), false, System::nanoTime));
        Path logFile = out.resolve("train.jsonl");
        JsonLinesLog log = new JsonLinesLog(Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            resume ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), logEvery);
        callbacks.add(log);
        callbacks.add(new TrainingCurves(out.resolve("plot.svg")));
        EarlyStopping stopper = earlyStopping(ts, trainer, val != null);
        if (stopper != null) callbacks.add(stopper);

        long t0 = System.nanoTime();
        int startEpoch = trainer.epoch();
        try (log) {
            trainer.fit(new BatchLoader(train, batch, true, false, s, setup.augmentation(), 2), val == null ? null : new BatchLoader(val, 250, false, false, 0, null, 2), callbacks);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        int ran = trainer.epoch() - startEpoch;
        Path model = out.resolve("model.safetensors");
        ParamStore.save(model, setup.model(), trainer.modelParams());
        if (!Files.exists(out.resolve("plot.svg"))) Files.writeString(out.resolve("plot.svg"), new TrainingCurves(out.resolve("plot.svg")).svg());
        if (!Files.exists(ckpt)) Checkpoint.save(ckpt, setup.withLoss(), trainer.checkpoint());

        EvalCommand.Result r = EvalCommand.evaluate(setup, engine, test);
        stdout.printf(Locale.ROOT, "trained %d epoch%s in %.1f s (%.1f s/epoch, %.0f samples/s)%s%n", ran, ran == 1 ? "" : "s", secs, ran == 0 ? 0.0 : secs / ran,
            secs == 0 ? 0.0 : (double) ran * train.size() / secs,
            stopper != null && stopper.shouldStop() ? ", stopped early (best epoch " + (stopper.bestEpoch() + 1) + ")" : "");
        stdout.println(r.describe("test"));
        stdout.println("wrote " + model + ", " + ckpt + ", " + logFile + ", " + out.resolve("plot.svg"));
        stdout.flush();
        return 0;
    }

    /** The symbol of the features input's first dim (B in f32[B, 784]). */
    private static String batchDim(Graph step, String features) {
        var d = step.input(features).shape().dim(0);
        if (d.isConst() || d.symbols().size() != 1)
            throw CliException.unsupported("input " + features + " of the training step has batch dim " + d + "; dlmc train needs a symbol such as B", null);
        return d.symbols().get(0);
    }

    private static int positive(String option, int v) {
        if (v < 1) throw CliException.user(option + " must be at least 1, got " + v);
        return v;
    }

    private static long positiveSetting(TrainSpec ts, String setting, long dflt) {
        long v = TrainSetup.longSetting(ts, setting, dflt);
        if (v < 1 || v > Integer.MAX_VALUE) throw CliException.user("train block of " + ts.model() + ": '" + setting + "' must be a positive integer, got " + v);
        return v;
    }

    /** {@code warmup(100) then cosine()} is {@code Call("then", [warmup(100), cosine()])}. */
    private static List<Schedules.Spec> scheduleChain(TrainSpec ts) {
        List<Schedules.Spec> chain = new ArrayList<>();
        Object v = ts.settings().get("schedule");
        if (v != null) flatten(ts, v, chain);
        return chain;
    }

    private static void flatten(TrainSpec ts, Object v, List<Schedules.Spec> chain) {
        switch (v) {
            case TrainSpec.Call c when c.name().equals("then") -> { for (Object a : c.args()) flatten(ts, a, chain); }
            case TrainSpec.Call c -> chain.add(new Schedules.Spec(c.name(), c.args(), c.named()));
            case String s -> chain.add(new Schedules.Spec(s, List.of(), Map.of()));
            default -> throw CliException.user("train block of " + ts.model() + ": schedule must be a call such as cosine(), got " + v);
        }
    }

    /** {@code early_stop = patience(n, on = metric)}; needs validation data. */
    private static EarlyStopping earlyStopping(TrainSpec ts, Trainer trainer, boolean haveValidation) {
        TrainSpec.Call c = TrainSetup.call(ts, "early_stop");
        if (c == null) return null;
        String where = "train block of " + ts.model() + ": early_stop";
        if (!c.name().equals("patience") || c.args().isEmpty() || !(c.args().get(0) instanceof Long n) || n < 0)
            throw CliException.user(where + " must be patience(n, on = metric) with n >= 0, got " + c.name() + c.args());
        String metric = String.valueOf(c.named().getOrDefault("on", "val.loss"));
        if (!metric.startsWith("val.")) metric = "val." + metric;
        if (!List.of("val.loss", "val.accuracy", "val.macro_f1").contains(metric))
            throw CliException.user(where + ": unknown metric '" + metric + "'", "use val.loss, val.accuracy or val.macro_f1");
        if (!haveValidation)
            throw CliException.user(where + " needs validation data", "add split = 0.9 to the data call, e.g. mnist(\"data/mnist\", split = 0.9)");
        return new EarlyStopping(metric, !metric.equals("val.loss"), (int) (long) n, 0, trainer::modelParams);
    }

    /** Bytes to a PrintWriter, decoded as UTF-8 on every flush (Progress writes to a PrintStream). */
    static final class WriterStream extends ByteArrayOutputStream {
        private final PrintWriter w;

        WriterStream(PrintWriter w) { this.w = w; }

        @Override public synchronized void flush() {
            w.write(toString(StandardCharsets.UTF_8));
            w.flush();
            reset();
        }
    }
}
