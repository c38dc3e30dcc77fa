package org.dlm.onnx;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.runtime.io.Npy;
import org.dlm.runtime.io.RawTensor;

/**
 * {@code onnx-run MODEL --input-dir IN --output-dir OUT [--backend interp|llvm|opencl] [--timeout SECONDS]},
 * without a CLI framework so {@code dlmc onnx-run} can delegate to {@link #run(String[])}.
 *
 * <p>Inputs: for each graph input (initializers excluded) {@code IN/<name>.npy}, where every
 * character of the name outside {@code [A-Za-z0-9_.-]} is replaced by {@code _}; when that file is
 * missing, {@code IN/input_<i>.npy} by position. Outputs: {@code OUT/<name>.npy} per graph output
 * (same name rule) in the ONNX type: float16 as {@code <f2}, bfloat16 as {@code <u2} bit patterns,
 * bool as {@code |b1}.
 *
 * <p>Exit codes: 0 success; 1 error (one line on stderr); 2 usage error; 3 unsupported content, one
 * stderr line per problem: {@code UNSUPPORTED: <OpType> <detail>}. No stack traces, no hangs:
 * {@code --timeout} bounds the whole run.
 */
public final class OnnxRunCommand {
    private OnnxRunCommand() {}

    static final String USAGE = "usage: onnx-run MODEL --input-dir IN --output-dir OUT [--backend interp|llvm|opencl] [--timeout SECONDS]";

    /** Parsed arguments. {@code timeoutSeconds <= 0} means none. */
    record Args(Path model, Path inputDir, Path outputDir, String backend, double timeoutSeconds) {}

    /** A usage or user error with its exit code. */
    private static final class Exit extends Exception {
        final int code;
        Exit(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    public static int run(String[] args) { return run(args, System.out, System.err); }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Args a;
        try {
            a = parse(args);
        } catch (Exit e) {
            err.println(e.getMessage());
            if (e.code == 2) err.println(USAGE);
            return e.code;
        }
        if (a == null) {
            out.println(USAGE);
            return 0;
        }
        // a thread with a large stack: deep models recurse in the importer and the interpreter
        CompletableFuture<Integer> job = new CompletableFuture<>();
        Thread worker = new Thread(null, () -> {
            try {
                job.complete(execute(a, out, err));
            } catch (Throwable t) {
                job.completeExceptionally(t);
            }
        }, "onnx-run", 512L << 20);
        worker.setDaemon(true);
        worker.start();
        try {
            return a.timeoutSeconds() > 0 ? job.get((long) Math.ceil(a.timeoutSeconds() * 1000), TimeUnit.MILLISECONDS) : job.get();
        } catch (TimeoutException e) {
            worker.interrupt();
            err.println("error: onnx-run did not finish within the timeout of " + fmt(a.timeoutSeconds()) + " s");
            return 1;
        } catch (InterruptedException e) {
            worker.interrupt();
            Thread.currentThread().interrupt();
            err.println("error: interrupted");
            return 1;
        } catch (ExecutionException e) {
            err.println("error: " + describe(e.getCause()));
            return 1;
        }
    }

    private static String fmt(double s) { return s == Math.rint(s) ? String.valueOf((long) s) : String.valueOf(s); }

    private static String describe(Throwable t) {
        if (t instanceof OutOfMemoryError) return "out of memory (the model or its inputs are too large for the interpreter; raise -Xmx)";
        if (t instanceof StackOverflowError) return "the model is nested too deeply to import";
        String m = t.getMessage();
        return "internal error (" + t.getClass().getSimpleName() + (m == null ? "" : ": " + m) + ")";
    }

    static Args parse(String[] args) throws Exit {
        Path model = null, in = null, out = null;
        String backend = "interp";
        double timeout = 0;
        for (int i = 0; i < args.length; i++) {
            String s = args[i];
            switch (s) {
                case "-h", "--help" -> { return null; }
                case "--input-dir", "--output-dir", "--backend", "--timeout" -> {
                    if (i + 1 >= args.length) throw new Exit(2, "error: " + s + " needs a value");
                    String v = args[++i];
                    switch (s) {
                        case "--input-dir" -> in = Path.of(v);
                        case "--output-dir" -> out = Path.of(v);
                        case "--backend" -> {
                            if (!List.of("interp", "llvm", "opencl").contains(v))
                                throw new Exit(2, "error: unknown backend '" + v + "' (choose interp, llvm or opencl)");
                            backend = v;
                        }
                        default -> {
                            try {
                                timeout = Double.parseDouble(v);
                            } catch (NumberFormatException e) {
                                throw new Exit(2, "error: --timeout needs a number of seconds, got '" + v + "'");
                            }
                            if (!(timeout > 0) || Double.isInfinite(timeout)) throw new Exit(2, "error: --timeout must be a positive number of seconds, got '" + v + "'");
                        }
                    }
                }
                default -> {
                    if (s.startsWith("-") && s.length() > 1) throw new Exit(2, "error: unknown option '" + s + "'");
                    if (model != null) throw new Exit(2, "error: more than one model given ('" + model + "' and '" + s + "')");
                    model = Path.of(s);
                }
            }
        }
        if (model == null) throw new Exit(2, "error: no model given");
        if (in == null) throw new Exit(2, "error: --input-dir is required");
        if (out == null) throw new Exit(2, "error: --output-dir is required");
        return new Args(model, in, out, backend, timeout);
    }

    private static int execute(Args a, PrintStream out, PrintStream err) {
        try {
            if (!Files.isDirectory(a.inputDir())) throw new Exit(1, "error: input directory '" + a.inputDir() + "' does not exist");
            ModelProto m = OnnxImporter.load(a.model());
            Map<String, NdArray> inputs = readInputs(m, a.inputDir());
            Map<String, NdArray> results = OnnxRunner.run(m, a.model().toAbsolutePath().getParent(), inputs, a.backend());
            writeOutputs(m, results, a.outputDir(), out);
            return 0;
        } catch (OnnxException e) {
            List<OnnxIssue> issues = e.isUnsupported() ? e.issues().stream().filter(OnnxIssue::unsupported).toList() : e.issues();
            for (OnnxIssue i : issues) err.println(i.render());
            return e.exitCode();
        } catch (Exit e) {
            err.println(e.getMessage());
            return e.code;
        } catch (org.dlm.backend.opencl.OpenClException e) {   // no OpenCL driver or device: a user error
            err.println("error: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private static Map<String, NdArray> readInputs(ModelProto m, Path dir) throws IOException, Exit {
        List<String> names = OnnxRunner.inputNames(m);
        Map<String, Integer> declared = new LinkedHashMap<>();
        m.getGraph().getInputList().forEach(vi -> declared.put(vi.getName(), vi.getType().getTensorType().getElemType()));
        Map<String, NdArray> inputs = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            Path byName = dir.resolve(OnnxImporter.safeName(name) + ".npy"), byPos = dir.resolve("input_" + i + ".npy");
            Path f = Files.isRegularFile(byName) ? byName : byPos;
            if (!Files.isRegularFile(f))
                throw new Exit(1, "error: no file for input '" + name + "': expected " + byName + " or " + byPos);
            DType want = OnnxDTypes.toDType(declared.getOrDefault(name, 0));
            Npy.Options opt = want == DType.BF16 ? Npy.Options.BF16_AS_U2 : Npy.Options.DEFAULT;
            inputs.put(name, Npy.read(f, opt).toNdArray());
        }
        return inputs;
    }

    private static void writeOutputs(ModelProto m, Map<String, NdArray> results, Path dir, PrintStream out) throws IOException, Exit {
        Map<String, Integer> types = OnnxRunner.outputTypes(m);
        Set<String> files = new HashSet<>();
        List<Runnable> report = new ArrayList<>();
        Files.createDirectories(dir);
        for (var e : types.entrySet()) {
            String safe = OnnxImporter.safeName(e.getKey());
            if (!files.add(safe)) throw new Exit(1, "error: outputs '" + e.getKey() + "' and another output both map to file " + safe + ".npy");
            NdArray v = results.get(e.getKey());
            DType want = OnnxDTypes.toDType(e.getValue());
            if (want != null && v.dtype() != want) v = v.cast(want);
            Path f = dir.resolve(safe + ".npy");
            Npy.write(f, RawTensor.of(v), v.dtype() == DType.BF16 ? Npy.Options.BF16_AS_U2 : Npy.Options.DEFAULT);
            NdArray w = v;
            report.add(() -> out.println("wrote " + f + " " + w.dtype() + java.util.Arrays.toString(w.shape())));
        }
        report.forEach(Runnable::run);
    }
}
