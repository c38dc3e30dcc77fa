package org.dlm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.lower.LoweringException;
import org.dlm.runtime.data.Dataset;
import org.dlm.runtime.io.AtomicFiles;
import org.dlm.runtime.io.Npy;
import org.dlm.runtime.io.ParamStore;
import org.dlm.runtime.train.StepEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dlmc predict}: run trained weights over many samples in batches and write what the model
 * predicts: for class scores [N, C] the top classes with their softmax probabilities, else the raw
 * outputs.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
         description = {"Predict with trained weights: the model runs over every sample (of --input, or of the",
                        "test data of the model's train block) in batches, compiled by the llvm backend.",
                        "Class scores [N, C] give the top --top classes per sample with softmax probabilities",
                        "(CSV: index,class1,prob1,...); other outputs are written as they are (.npy).",
                        "Without -o, the first 10 predictions are printed."},
         footerHeading = "%nExamples:%n",
         footer = {"  dlmc predict lenet --params runs/lenet/model.safetensors -o preds.csv --top 3",
                   "  dlmc predict model.dlm --params w.safetensors --input x.npy -o y.npy"})
final class PredictCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "a .dlm file, or a shipped model name (mlp, lenet)")
    String file;

    @Option(names = "--params", paramLabel = "W", required = true, description = "weights (.safetensors or .npz), e.g. from dlmc train")
    Path params;

    @Option(names = "--input", paramLabel = "X.npy", description = "samples along axis 0, shaped like the model's input (default: the train block's test data)")
    Path input;

    @Option(names = "--model", paramLabel = "NAME", description = "the model to run when FILE defines several (with --input)")
    String model;

    @Option(names = "--output", paramLabel = "NAME", description = "which model output to predict with (default: the loss's prediction, else the first output)")
    String output;

    @Option(names = {"-o", "--out"}, paramLabel = "OUT", description = "write predictions to OUT.csv (top classes) or OUT.npy (the raw outputs)")
    Path out;

    @Option(names = "--top", paramLabel = "K", defaultValue = "1", description = "classes per sample in the CSV (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--limit", paramLabel = "N", description = "predict only the first N samples")
    Integer limit;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "256", description = "samples per call (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "llvm", description = "llvm (native, default) or interp (reference interpreter)")
    String backend;

    @Option(names = "--threads", paramLabel = "T", description = "threads of the native code (default: all cores)")
    Integer threads;

    @Override public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (top < 1) throw CliException.user("--top must be at least 1, got " + top);
        if (batch < 1) throw CliException.user("--batch must be at least 1, got " + batch);
        if (out != null && !name(out).endsWith(".csv") && !name(out).endsWith(".npy"))
            throw CliException.user("-o must name a .csv or .npy file, got " + out);
        ModelSource src = ModelSource.load(file);
        CheckCommand.printDiagnostics(src.compilation(), err);
        if (!src.compilation().ok()) return CliException.USER_ERROR;

        Graph g;
        String features, prediction;
        NdArray x;
        if (input != null) {
            g = src.pick(model);
            features = g.inputs().getFirst().attrs().getString("name");
            prediction = output != null ? output : g.outputs().getFirst().name();
            if (g.inputs().size() != 1) throw CliException.unsupported("predict feeds one input; " + g.name() + " has " + g.inputs().size(),
                    "use dlmc run for models with several inputs");
            x = Npy.readArray(input);
        } else {
            if (src.compilation().trainSpecs().isEmpty())
                throw CliException.user(src.display() + " has no train block to take test data from", "give the samples with --input X.npy");
            TrainSetup setup = TrainSetup.of(src);
            g = setup.model();
            features = setup.features();
            prediction = output != null ? output : setup.prediction();
            Dataset test = setup.data("t10k");
            x = test.features();
        }
        if (g.outputs().stream().noneMatch(o -> o.name().equals(prediction)))
            throw CliException.user(g.name() + " has no output '" + prediction + "'",
                    "outputs: " + String.join(", ", g.outputs().stream().map(Graph.Output::name).toList()));
        Node in = g.inputs().stream().filter(n -> n.attrs().getString("name").equals(features)).findFirst().orElseThrow();
        if (x.rank() != in.shape().rank())
            throw CliException.user("input " + features + " of " + g.name() + " is " + in.type() + " but the samples have shape " + Arrays.toString(x.shape()),
                    "samples go along axis 0, each shaped like one input row");
        x = x.cast(in.dtype());
        int n = (int) x.shape()[0];
        if (limit != null) {
            if (limit < 1) throw CliException.user("--limit must be at least 1, got " + limit);
            n = Math.min(n, limit);
        }
        if (n == 0) throw CliException.user("no samples to predict");
        Map<String, NdArray> weights = ParamStore.load(g, params);

        List<NdArray> parts = new ArrayList<>();
        Dataset samples = new Dataset(x, NdArray.zeros(DType.I64, x.shape()[0]));
        try (StepEngine engine = Native.engine(backend, threads)) {
            weights.forEach(engine::put);
            for (int from = 0; from < n; from += batch) {
                int to = Math.min(n, from + batch);
                Map<String, NdArray> res = engine.run(g, Map.of(features, samples.slice(from, to).features()));
                parts.add(res.get(prediction));
            }
        } catch (LoweringException e) {
            throw CliException.unsupported("the llvm backend cannot compile " + g.name() + ": " + e.getMessage(), "run it with --backend interp");
        }
        NdArray y = concat(parts);

        boolean classes = y.rank() == 2 && y.dtype().isFloating();
        if (out != null && name(out).endsWith(".npy")) {
            Npy.write(out, y);
            err.printf(Locale.ROOT, "wrote %s: %s %s%n", out, y.dtype().text(), Arrays.toString(y.shape()));
        } else if (out != null) {
            if (!classes) throw CliException.user("output " + prediction + " is " + y.dtype().text() + Arrays.toString(y.shape()) + ", not class scores [N, C]",
                    "write it with -o OUT.npy");
            AtomicFiles.write(out, csv(y, top, n).getBytes(StandardCharsets.UTF_8));
            err.printf(Locale.ROOT, "wrote %s: top %d of %d classes for %d samples%n", out, Math.min(top, y.shape()[1]), y.shape()[1], n);
        } else if (classes) {
            String[] lines = csv(y, top, Math.min(n, 10)).split("\n");
            for (String l : lines) stdout.println(l);
            if (n > 10) stdout.printf(Locale.ROOT, "... %d samples in all (-o OUT.csv writes every one)%n", n);
        } else {
            stdout.printf(Locale.ROOT, "%s: %s %s (-o OUT.npy writes it)%n", prediction, y.dtype().text(), Arrays.toString(y.shape()));
        }
        stdout.flush();
        return 0;
    }

    /** {@code index,class1,prob1,...}: the top k classes of each row by softmax probability. */
    static String csv(NdArray scores, int k, int rows) {
        int c = (int) scores.shape()[1];
        k = Math.min(k, c);
        StringBuilder sb = new StringBuilder("index");
        for (int j = 1; j <= k; j++) sb.append(",class").append(j).append(",prob").append(j);
        sb.append('\n');
        double[] d = scores.data();
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) max = Math.max(max, d[r * c + j]);
            double sum = 0;
            double[] p = new double[c];
            for (int j = 0; j < c; j++) sum += p[j] = Math.exp(d[r * c + j] - max);
            Integer[] order = new Integer[c];
            for (int j = 0; j < c; j++) order[j] = j;
            final int row = r;
            Arrays.sort(order, (a, b) -> Double.compare(d[row * c + b], d[row * c + a]));   // stable: ties keep the lower class first
            sb.append(r);
            for (int j = 0; j < k; j++) sb.append(',').append(order[j]).append(',').append(String.format(Locale.ROOT, "%.6f", p[order[j]] / sum));
            sb.append('\n');
        }
        return sb.toString();
    }

    private static NdArray concat(List<NdArray> parts) {
        NdArray first = parts.getFirst();
        long rows = 0;
        for (NdArray p : parts) rows += p.shape()[0];
        long[] shape = first.shape().clone();
        shape[0] = rows;
        double[] data = new double[Math.toIntExact(rows * (first.data().length / Math.max(1, first.shape()[0])))];
        int at = 0;
        for (NdArray p : parts) {
            System.arraycopy(p.data(), 0, data, at, p.data().length);
            at += p.data().length;
        }
        return new NdArray(first.dtype(), shape, data);
    }

    private static String name(Path p) { return p.getFileName() == null ? "" : p.getFileName().toString(); }
}
