package org.dlm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Dataset;
import org.dlm.runtime.io.MnistData;
import org.dlm.runtime.io.Npy;
import org.dlm.runtime.io.Npz;
import org.dlm.runtime.io.ParamStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code dlmc run}: run a model on .npy inputs (or shipped MNIST digits) and write its outputs. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
         description = {"Run a model on inputs from .npy files and write each output as OUT/<name>.npy.",
                        "Inputs are given by name (--input x=x.npy) or by position after FILE, in the model's input order."},
         footerHeading = "%nExamples:%n",
         footer = {"  dlmc run lenet --digits 16",
                   "  dlmc run model.dlm --params w.safetensors --input x=x.npy --output-dir out",
                   "  dlmc run model.dlm --model Encoder --params w.npz x.npy mask.npy",
                   "  dlmc run model.dlm --params w.npz --inputs batch.npz -o out"})
final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "a .dlm file, or a shipped model name (lenet, test-models:lenet)")
    String file;

    @Parameters(index = "1..*", paramLabel = "INPUT.npy", description = "inputs by position, in the model's input order")
    List<Path> positional = new ArrayList<>();

    @Option(names = "--model", paramLabel = "NAME", description = "the model to run when FILE defines several")
    String model;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "llvm",
            description = "llvm (native code for this CPU; default), interp (the reference interpreter) or opencl (an OpenCL device; pick one with DLM_OPENCL_DEVICE)")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "threads for --backend llvm (default: all cores)")
    Integer threads;

    @Option(names = "--params", paramLabel = "FILE",
            description = "weights as .safetensors or .npz, by parameter name (default for a shipped model: its shipped weights)")
    Path params;

    @Option(names = "--input", paramLabel = "NAME=FILE.npy", description = "an input by name (repeatable)")
    Map<String, Path> inputs = new LinkedHashMap<>();

    @Option(names = "--inputs", paramLabel = "FILE.npz", description = "every input by name from one .npz archive")
    Path inputArchive;

    @Option(names = "--digits", paramLabel = "N",
            description = "feed the first N shipped MNIST test digits to the model's one input and report accuracy")
    Integer digits;

    @Option(names = {"-o", "--output-dir"}, paramLabel = "OUT", description = "write each output to OUT/<name>.npy")
    Path outputDir;

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        switch (backend) {
            case "interp", "llvm", "opencl" -> { }
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                "Invalid value for option '--backend': '" + backend + "' (expected interp, llvm or opencl)");
        }
        if (threads != null && threads < 1) throw CliException.user("--threads must be at least 1, got " + threads);
        ModelSource src = ModelSource.load(file);
        CheckCommand.printDiagnostics(src.compilation(), err);
        if (!src.compilation().ok()) return CliException.USER_ERROR;
        Graph g = src.pick(model);

        String weightsName = null;
        Map<String, NdArray> paramValues;
        if (params != null) {
            paramValues = ParamStore.load(g, params);
            weightsName = params.toString();
        } else if (g.params().isEmpty()) {
            paramValues = Map.of();
        } else {
            paramValues = src.shippedWeights(g);
            if (paramValues == null)
                throw CliException.user("model " + g.name() + " has " + g.params().size() + " parameter tensors but no weights were given",
                    "pass --params weights.safetensors (or .npz) holding " + String.join(", ", paramNames(g, 4)));
            weightsName = ModelSource.shippedWeightsName(src.shippedName());
        }

        Dataset data = null;
        Map<String, NdArray> in;
        if (digits != null) {
            if (!inputs.isEmpty() || !positional.isEmpty() || inputArchive != null) throw CliException.user("--digits feeds the model's input itself; drop the input files");
            data = MnistData.shipped("t10k");
            if (digits < 1 || digits > data.size()) throw CliException.user("--digits must be between 1 and " + data.size() + ", got " + digits);
            data = data.slice(0, digits);
            in = digitInputs(g, data);
        } else {
            in = fileInputs(g, err);
        }

        if (outputDir != null && Files.exists(outputDir) && !Files.isDirectory(outputDir))
            throw CliException.user(outputDir + ": exists and is not a directory", "give --output-dir a directory (it is created if missing)");
        Map<String, NdArray> results = switch (backend) {
            case "llvm" -> Native.runOnce(g, paramValues, in, threads == null ? Native.defaultThreads() : threads);
            case "opencl" -> Native.runOnceOpenCl(g, paramValues, in);
            default -> Interpreter.run(g, in, paramValues);
        };

        if (outputDir != null) {
            Files.createDirectories(outputDir);
            for (var e : results.entrySet()) {
                NdArray v = e.getValue().dtype() == DType.BF16 ? e.getValue().cast(DType.F32) : e.getValue();
                Path p = outputDir.resolve(fileName(e.getKey()) + ".npy");
                Npy.write(p, v);
                out.println(e.getKey() + ": " + describe(e.getValue()) + " -> " + p);
            }
        } else if (data == null) {
            for (var e : results.entrySet()) {
                NdArray v = e.getValue();
                out.println(e.getKey() + ": " + describe(v) + (v.size() <= 64 ? " = " + values(v) : " (save it with --output-dir OUT)"));
            }
        }
        if (data != null) reportDigits(out, g, data, results.values().iterator().next(), weightsName, backend);
        out.flush();
        return 0;
    }

    private Map<String, NdArray> fileInputs(Graph g, PrintWriter err) throws IOException {
        List<String> names = new ArrayList<>();
        for (Node n : g.inputs()) names.add(n.attrs().getString("name"));
        if (positional.size() > names.size())
            throw CliException.user("model " + g.name() + " takes " + names.size() + " input" + (names.size() == 1 ? "" : "s")
                + " (" + String.join(", ", names) + ") but " + positional.size() + " files were given");
        Map<String, NdArray> archived = new LinkedHashMap<>();
        if (inputArchive != null) {
            Map<String, NdArray> all = Npz.readArrays(inputArchive);
            for (String n : all.keySet())
                if (!names.contains(n))
                    throw CliException.user(inputArchive + ": tensor '" + n + "' is not an input of model " + g.name(), "its inputs: " + String.join(", ", names));
            archived.putAll(all);
        }
        Map<String, Path> files = new LinkedHashMap<>();
        for (int i = 0; i < positional.size(); i++) files.put(names.get(i), positional.get(i));
        for (var e : inputs.entrySet()) {
            if (!names.contains(e.getKey()))
                throw CliException.user("model " + g.name() + " has no input '" + e.getKey() + "'", "its inputs: " + String.join(", ", names));
            if (files.put(e.getKey(), e.getValue()) != null)
                throw CliException.user("input '" + e.getKey() + "' is given twice (by position and by --input)");
        }
        for (String n : archived.keySet())
            if (files.containsKey(n)) throw CliException.user("input '" + n + "' is given twice (in " + inputArchive + " and as a file)");
        List<String> missing = names.stream().filter(n -> !files.containsKey(n) && !archived.containsKey(n)).toList();
        if (!missing.isEmpty())
            throw CliException.user("model " + g.name() + " needs input" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing),
                "give them as --input NAME=FILE.npy, by position after the model file, or in --inputs FILE.npz");
        Map<String, NdArray> in = new LinkedHashMap<>();
        for (Node n : g.inputs()) {
            String name = n.attrs().getString("name");
            Path p = files.get(name);
            String where = p != null ? p.toString() : inputArchive + ": tensor '" + name + "'";
            NdArray a = p != null ? Npy.readArray(p) : archived.get(name);
            if (a.dtype() != n.dtype()) {
                if (!(a.dtype().isFloating() && n.dtype().isFloating()))
                    throw CliException.user(where + ": holds " + a.dtype() + " but input '" + name + "' of " + g.name() + " is " + n.type());
                err.println("note: " + where + " holds " + a.dtype() + "; converted to " + n.dtype() + " for input '" + name + "'");
                a = a.cast(n.dtype());
            }
            in.put(name, a);
        }
        return in;
    }

    /** MNIST digits as the model's one input: [B, 1, 28, 28], [B, 28, 28] or [B, 784]. */
    private static Map<String, NdArray> digitInputs(Graph g, Dataset data) {
        if (g.inputs().size() != 1)
            throw CliException.user("--digits needs a model with one input; " + g.name() + " has " + g.inputs().size());
        Node x = g.inputs().get(0);
        List<Dim> dims = x.shape().dims();
        long per = 1;
        for (int i = 1; i < dims.size(); i++) per = dims.get(i).isConst() ? per * dims.get(i).value() : -1;
        if (dims.size() < 2 || per != 784 || !x.dtype().isFloating())
            throw CliException.user("--digits needs an input of 28x28 floats per sample, but " + g.name() + " takes " + x.type());
        long[] shape = new long[dims.size()];
        shape[0] = data.size();
        for (int i = 1; i < shape.length; i++) shape[i] = dims.get(i).value();
        return Map.of(x.attrs().getString("name"), data.features().reshape(shape).cast(x.dtype()));
    }

    private static void reportDigits(PrintWriter out, Graph g, Dataset data, NdArray logits, String weights, String backend) {
        int n = data.size();
        if (logits.rank() != 2 || logits.dim(0) != n)
            throw CliException.user("--digits expects the first output of " + g.name() + " to be [" + n + ", classes], got " + describe(logits));
        int k = (int) logits.dim(1);
        StringBuilder labels = new StringBuilder(), preds = new StringBuilder();
        int correct = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) if (logits.get(i * k + j) > logits.get(i * k + best)) best = j;
            int label = (int) data.labels().get(i);
            if (best == label) correct++;
            labels.append(String.format("%2d", label));
            preds.append(String.format("%2s", best == label ? Integer.toString(best) : best + "!"));
        }
        out.println(g.name() + " on the first " + n + " shipped MNIST test digits (backend " + backend + ", weights " + weights + ")");
        if (n <= 40) {
            out.println("  label:    " + labels);
            out.println("  predicted:" + preds);
        }
        out.printf("accuracy: %d/%d = %.1f%%%n", correct, n, 100.0 * correct / n);
    }

    private static List<String> paramNames(Graph g, int max) {
        List<String> names = new ArrayList<>();
        for (Node p : g.params()) {
            if (names.size() == max) { names.add("..."); break; }
            names.add(p.attrs().getString("name"));
        }
        return names;
    }

    static String describe(NdArray a) { return a.dtype() + Arrays.toString(a.shape()); }

    private static String values(NdArray a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < a.size(); i++) {
            if (i > 0) sb.append(", ");
            double v = a.get(i);
            sb.append(a.dtype().isFloating() ? Float.toString((float) v) : Long.toString((long) v));
        }
        return sb.append(']').toString();
    }

    /** Output names become file names: keep them readable but never a path. */
    static String fileName(String output) {
        String s = output.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() || s.startsWith(".") ? "_" + s : s;
    }
}
