package org.dlm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dlm.passes.lower.LoweringException;
import org.dlm.runtime.train.StepEngine;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Batch;
import org.dlm.runtime.data.BatchLoader;
import org.dlm.runtime.data.Dataset;
import org.dlm.runtime.io.ParamStore;
import org.dlm.runtime.train.metrics.Classification;
import org.dlm.runtime.train.metrics.ConfusionMatrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dlmc eval}: accuracy, loss and macro F1 of trained weights on the train block's test data. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
         description = {"Evaluate weights on the test data of the model's train block: accuracy, mean loss and macro F1.",
                        "Compiled by the llvm backend (--backend interp: the reference interpreter)."},
         footerHeading = "%nExample:%n",
         footer = {"  dlmc eval mlp --params train-out/model.safetensors --limit 500"})
final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "a .dlm file with a train block, or a shipped model name (mlp, lenet)")
    String file;

    @Option(names = "--params", paramLabel = "W", required = true, description = "weights (.safetensors or .npz), e.g. from dlmc train")
    Path params;

    @Option(names = "--limit", paramLabel = "N", description = "evaluate only the first N test samples")
    Integer limit;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "llvm", description = "llvm (native, default) or interp (reference interpreter)")
    String backend;

    @Option(names = "--threads", paramLabel = "T", description = "threads of the native code (default: all cores)")
    Integer threads;

    /** Test metrics; accuracy and macro F1 are NaN for a loss without class scores. */
    record Result(int samples, double loss, double accuracy, double macroF1) {
        String describe(String what) {
            return String.format(Locale.ROOT, "%s accuracy %.2f %% (%d samples), loss %.4f, macro F1 %.4f", what, 100 * accuracy, samples, loss, macroF1);
        }
    }

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        ModelSource src = ModelSource.load(file);
        CheckCommand.printDiagnostics(src.compilation(), err);
        if (!src.compilation().ok()) return CliException.USER_ERROR;
        TrainSetup setup = TrainSetup.of(src);
        Map<String, NdArray> values = ParamStore.load(setup.model(), params);
        Dataset test = setup.data("t10k");
        if (limit != null) {
            if (limit < 1) throw CliException.user("--limit must be at least 1, got " + limit);
            test = test.slice(0, Math.min(limit, test.size()));
        }
        Result r;
        try (StepEngine engine = Native.engine(backend, threads)) {
            values.forEach(engine::put);
            r = evaluate(setup, engine, test);
        } catch (LoweringException e) {
            throw CliException.unsupported("the llvm backend cannot compile " + setup.model().name() + ": " + e.getMessage(), "run it with --backend interp");
        }
        out.println(r.describe("test"));
        out.flush();
        return 0;
    }

    /** Runs the model with its loss over {@code data} in batches of 250 on {@code engine}, which holds the parameters. */
    static Result evaluate(TrainSetup setup, StepEngine engine, Dataset data) {
        double loss = 0;
        ConfusionMatrix cm = null;
        boolean classes = data.labels().rank() == 1;
        try (var it = new BatchLoader(data, 250, false, false, 0, null, 2).epoch(0)) {
            while (it.hasNext()) {
                Batch b = it.next();
                Map<String, NdArray> in = new LinkedHashMap<>();
                in.put(setup.features(), b.features());
                in.put("labels", b.labels().cast(setup.withLoss().input("labels").dtype()));
                Map<String, NdArray> res = engine.run(setup.withLoss(), in);
                loss += res.get("loss").get(0) * b.size();
                if (classes) {
                    ConfusionMatrix c = Classification.confusion(res.get(setup.prediction()), b.labels());
                    if (cm == null) cm = c;
                    else cm.add(c);
                }
            }
        }
        int n = data.size();
        return new Result(n, loss / n, cm == null ? Double.NaN : cm.accuracy(), cm == null ? Double.NaN : cm.macroF1());
    }
}
