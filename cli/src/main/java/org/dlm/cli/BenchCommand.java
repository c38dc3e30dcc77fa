package org.dlm.cli;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.Tensor;
import org.dlm.runtime.io.Npy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dlmc bench}: inference latency of a model compiled by the llvm backend. Warm-up (at
 * least 3 calls and 0.3 s), then single calls each timed on its own, at least {@code --min-reps}
 * of them and at least {@code --min-time} seconds (at most 2000). {@code --json} prints one line
 * in the schema of the peer benchmarks (bench/README.md).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
         description = {"Time inference of a model compiled natively (llvm backend): median, p10, p90 and min",
                        "of single calls after warm-up, GFLOP/s, compile time and memory plan."},
         footerHeading = "%nExamples:%n",
         footer = {"  dlmc bench resnet20 --batch 64 --threads 1",
                   "  dlmc bench mlp --params weights.npz --input x.npy --expected y.npy --json"})
final class BenchCommand implements Callable<Integer> {
    static final String PEER = "dlmc-llvm";
    private static final int MAX_REPS = 2000;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "a .dlm file, or a shipped model name (resnet20, test-models:resnet20)")
    String file;

    @Option(names = "--model", paramLabel = "NAME", description = "the model to time when MODEL defines several")
    String model;

    @Option(names = "--batch", paramLabel = "N", description = "batch size (default: from --input, else 1)")
    Long batch;

    @Option(names = "--dim", paramLabel = "NAME=VALUE", description = "value of another symbolic dim (repeatable; not needed with --input)")
    Map<String, Long> dims = new LinkedHashMap<>();

    @Option(names = "--threads", paramLabel = "T", split = ",",
            description = "threads (default: all cores); a list (1,2) measures each, compiled once per thread count in this process")
    List<Integer> threads = new ArrayList<>();

    @Option(names = "--params", paramLabel = "FILE",
            description = "weights (.safetensors or .npz); default: the shipped weights, else synthetic values")
    Path params;

    @Option(names = "--input", paramLabel = "[NAME=]FILE.npy",
            description = "input data (repeatable; NAME= may be left out for a one-input model); default: random values")
    List<String> inputFiles = new ArrayList<>();

    @Option(names = "--expected", paramLabel = "FILE.npy", description = "reference for the first output: report max |difference|")
    Path expected;

    @Option(names = "--min-time", paramLabel = "S", defaultValue = "1.5", description = "timed seconds at least (default ${DEFAULT-VALUE})")
    double minTime;

    @Option(names = "--min-reps", paramLabel = "N", defaultValue = "10", description = "timed calls at least (default ${DEFAULT-VALUE})")
    int minReps;

    @Option(names = "--json", description = "print one JSON line (schema of the peer benchmarks) instead of the text report")
    boolean json;

    @Option(names = "--train", description = {"time a compiled training step instead (SGD lr=0.01 momentum 0.9, cross-entropy",
            "on random class ids, fixed seed; the peers' bench_train); batch defaults to 64"})
    boolean train;

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (batch != null && batch < 1) throw CliException.user("--batch must be at least 1, got " + batch);
        for (int t : threads) if (t < 1) throw CliException.user("--threads must be at least 1, got " + t);
        if (!(minTime >= 0) || minTime > 3600) throw CliException.user("--min-time must be between 0 and 3600 seconds, got " + minTime);
        if (minReps < 1 || minReps > MAX_REPS) throw CliException.user("--min-reps must be between 1 and " + MAX_REPS + ", got " + minReps);
        ModelSource src = ModelSource.load(file);
        CheckCommand.printDiagnostics(src.compilation(), err);
        if (!src.compilation().ok()) return CliException.USER_ERROR;
        Graph g = src.pick(model);
        if (train && batch == null && inputFiles.isEmpty()) batch = 64L;
        String modelName = src.shippedName() != null ? src.shippedName() : g.name();

        Map<String, NdArray> in;
        Map<String, Long> bound;
        if (!inputFiles.isEmpty()) {
            in = readInputs(g, err);
            bound = Native.dimsFromInputs(g, in);
            Node first = g.inputs().get(0);
            long lead = in.get(first.attrs().getString("name")).rank() == 0 ? 1 : in.get(first.attrs().getString("name")).dim(0);
            if (batch != null && lead != batch)
                throw CliException.user("--batch " + batch + " but the input holds a batch of " + lead, "drop --batch or give an input of that batch");
        } else {
            bound = Native.dimsFromBatch(g, batch, dims);
            in = Native.syntheticInputs(g, bound);
        }
        long batchSize = batch != null ? batch : leadingSize(g, in);
        CompileCommand.Loaded w = CompileCommand.weights(src, g, params, bound, err);
        NdArray reference = expected == null ? null : Npy.readArray(expected);
        if (train) {
            boolean ok = TrainBench.run(out, g, modelName, batchSize, threads.isEmpty() ? List.of(Native.defaultThreads()) : threads, w.values(), bound, in,
                minTime, minReps, json);
            return ok ? 0 : CliException.UNSUPPORTED;
        }
        long flops = FlopCounter.flops(g, bound);
        for (int t : threads.isEmpty() ? List.of(Native.defaultThreads()) : threads)
            measure(out, g, modelName, batchSize, t, w, bound, in, reference, flops);
        out.flush();
        return 0;
    }

    /** Compiles for {@code t} threads, checks the first call against {@code reference}, times, prints. */
    private void measure(PrintWriter out, Graph g, String modelName, long batchSize, int t, CompileCommand.Loaded w, Map<String, Long> bound,
                         Map<String, NdArray> in, NdArray reference, long flops) {
        Map<String, Object> rec = new LinkedHashMap<>();
        try (LlvmExecutable exe = Native.compile(g, w.values(), bound, t, false)) {
            Map<String, Tensor> feed = new LinkedHashMap<>();
            try {
                for (var e : in.entrySet()) feed.put(e.getKey(), Tensor.of(e.getValue()));
                Double maxDiff = null;
                Map<String, Tensor> first = exe.run(feed);
                try {
                    if (reference != null) maxDiff = diff(first.values().iterator().next().toNdArray(), reference, first.keySet().iterator().next());
                } finally {
                    first.values().forEach(Tensor::close);
                }
                long warmEnd = System.nanoTime() + (long) (Math.min(0.3, minTime) * 1e9);
                for (int n = 0; n < 3 || System.nanoTime() < warmEnd; n++) exe.run(feed).values().forEach(Tensor::close);

                double load1 = load1();
                OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                double[] sys0 = sysCpu();
                long cpu0 = os.getProcessCpuTime(), w0 = System.nanoTime(), stop = w0 + (long) (minTime * 1e9);
                long[] times = new long[MAX_REPS];
                int reps = 0;
                StatementProfile profile = new StatementProfile(exe);   // of the timed calls only
                while (reps < MAX_REPS && (reps < minReps || System.nanoTime() < stop)) {
                    long a = System.nanoTime();
                    Map<String, Tensor> o = exe.run(feed);
                    times[reps++] = System.nanoTime() - a;
                    o.values().forEach(Tensor::close);
                    profile.afterCall();
                }
                long wall = System.nanoTime() - w0, cpu = os.getProcessCpuTime() - cpu0;
                double[] sys1 = sysCpu();
                long[] s = Arrays.copyOf(times, reps);
                Arrays.sort(s);
                profile.print(s[0] / 1e6);
                double median = (reps % 2 == 1 ? s[reps / 2] : (s[reps / 2 - 1] + s[reps / 2]) / 2.0) / 1e6;

                rec.put("bench", "infer");
                rec.put("peer", PEER);
                rec.put("model", modelName);
                rec.put("batch", batchSize);
                rec.put("threads", t);
                rec.put("median_ms", round(median, 4));
                rec.put("p10_ms", round(s[Math.min(reps - 1, (int) (0.1 * reps))] / 1e6, 4));
                rec.put("p90_ms", round(s[Math.min(reps - 1, (int) (0.9 * reps))] / 1e6, 4));
                rec.put("min_ms", round(s[0] / 1e6, 4));
                rec.put("reps", reps);
                rec.put("gflops", round(flops / (median * 1e-3) / 1e9, 2));
                rec.put("samples_per_s", round(batchSize / (median * 1e-3), 1));
                rec.put("max_abs_diff", maxDiff);
                rec.put("cpu_util", round((double) cpu / wall, 2));
                rec.put("load1", load1);
                if (sys0 != null && sys1 != null) {
                    rec.put("other_cpu", round(Math.max(0, (sys1[0] - sys0[0]) - cpu / 1e9) / (wall / 1e9), 2));
                    rec.put("steal", round((sys1[1] - sys0[1]) / (wall / 1e9), 2));
                }
                rec.put("compile_ms", round(exe.compileNanos() / 1e6, 1));
                rec.put("compile_cached_modules", exe.compilePhases().cacheHits());   // > 0: machine code from the object cache, not a cold compile
                rec.put("arena_bytes", exe.arenaBytes());
                rec.put("param_bytes", exe.paramBytes());
                rec.put("flops_per_call", flops);
                rec.put("weights", w.name());
                rec.put("ts", LocalDateTime.now().withNano(0).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
                if (json) out.println(toJson(rec));
                else printReport(out, g, exe, rec);
            } finally {
                feed.values().forEach(Tensor::close);
            }
        }
        out.flush();
    }

    private static void printReport(PrintWriter out, Graph g, LlvmExecutable exe, Map<String, Object> r) {
        out.printf(Locale.ROOT, "%s (%s), batch %s, %s thread%s, weights %s%n", r.get("model"), g.name(), r.get("batch"), r.get("threads"),
            ((Integer) r.get("threads")) == 1 ? "" : "s", r.get("weights"));
        out.printf(Locale.ROOT, "  latency:  median %.3f ms  p10 %.3f ms  p90 %.3f ms  min %.3f ms  (%s timed calls)%n",
            r.get("median_ms"), r.get("p10_ms"), r.get("p90_ms"), r.get("min_ms"), r.get("reps"));
        out.printf(Locale.ROOT, "  speed:    %.2f GFLOP/s (%s per call), %.1f samples/s%n", r.get("gflops"),
            CompileCommand.flops((Long) r.get("flops_per_call")), r.get("samples_per_s"));
        out.printf(Locale.ROOT, "  compile:  %.1f ms (%s)%n", r.get("compile_ms"), exe.compilePhases());
        out.printf(Locale.ROOT, "  memory:   arena peak %s, params %s%n", CompileCommand.bytes(exe.arenaBytes()), CompileCommand.bytes(exe.paramBytes()));
        if (r.get("max_abs_diff") != null) out.printf(Locale.ROOT, "  accuracy: max |output - expected| = %.3g%n", r.get("max_abs_diff"));
        out.printf(Locale.ROOT, "  machine:  load %s, other processes used %s cores during the timed calls%n", r.get("load1"), r.getOrDefault("other_cpu", "?"));
    }

    /** Inputs from --input: FILE for a one-input model, or NAME=FILE. */
    private Map<String, NdArray> readInputs(Graph g, PrintWriter err) throws IOException {
        List<String> names = new ArrayList<>();
        for (Node n : g.inputs()) names.add(n.attrs().getString("name"));
        Map<String, Path> files = new LinkedHashMap<>();
        for (String spec : inputFiles) {
            int eq = spec.indexOf('=');
            String name;
            Path p;
            if (eq > 0 && names.contains(spec.substring(0, eq))) {
                name = spec.substring(0, eq);
                p = Path.of(spec.substring(eq + 1));
            } else if (names.size() == 1) {
                name = names.get(0);
                p = Path.of(spec);
            } else {
                throw CliException.user("model " + g.name() + " has " + names.size() + " inputs (" + String.join(", ", names) + "); give --input NAME=FILE.npy");
            }
            if (files.put(name, p) != null) throw CliException.user("input '" + name + "' is given twice");
        }
        List<String> missing = names.stream().filter(n -> !files.containsKey(n)).toList();
        if (!missing.isEmpty()) throw CliException.user("model " + g.name() + " needs input" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing),
            "give each as --input NAME=FILE.npy, or no --input at all for random inputs");
        Map<String, NdArray> in = new LinkedHashMap<>();
        for (Node n : g.inputs()) {
            String name = n.attrs().getString("name");
            Path p = files.get(name);
            if (!Files.exists(p)) throw CliException.user(p + ": no such file");
            NdArray a = Npy.readArray(p);
            if (a.dtype() != n.dtype()) {
                if (!(a.dtype().isFloating() && n.dtype().isFloating()))
                    throw CliException.user(p + ": holds " + a.dtype() + " but input '" + name + "' of " + g.name() + " is " + n.type());
                err.println("note: " + p + " holds " + a.dtype() + "; converted to " + n.dtype() + " for input '" + name + "'");
                a = a.cast(n.dtype());
            }
            in.put(name, a);
        }
        return in;
    }

    private static long leadingSize(Graph g, Map<String, NdArray> in) {
        NdArray a = in.get(g.inputs().get(0).attrs().getString("name"));
        return a.rank() == 0 ? 1 : a.dim(0);
    }

    private double diff(NdArray got, NdArray want, String output) {
        if (!Arrays.equals(got.shape(), want.shape()))
            throw CliException.user(expected + ": holds " + RunCommand.describe(want) + " but output '" + output + "' is " + RunCommand.describe(got));
        return got.maxAbsDiff(want);
    }

    static double round(double v, int digits) {
        double s = Math.pow(10, digits);
        return Math.round(v * s) / s;
    }

    static double load1() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** (busy, steal) CPU-seconds of the whole machine from /proc/stat (USER_HZ = 100), or null. */
    static double[] sysCpu() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6]) + Long.parseLong(f[7]);
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            return new double[] {busy / 100.0, steal / 100.0};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A flat JSON object: strings, numbers (non-finite as null), booleans, null. */
    static String toJson(Map<String, Object> rec) {
        StringBuilder sb = new StringBuilder("{");
        for (var e : rec.entrySet()) {
            if (sb.length() > 1) sb.append(", ");
            sb.append(quote(e.getKey())).append(": ");
            Object v = e.getValue();
            switch (v) {
                case null -> sb.append("null");
                case Double d when !Double.isFinite(d) -> sb.append("null");
                case Double d -> sb.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? String.format(Locale.ROOT, "%.1f", d) : Double.toString(d));
                case Number n -> sb.append(n);
                case Boolean b -> sb.append(b);
                default -> sb.append(quote(v.toString()));
            }
        }
        return sb.append('}').toString();
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> { if (c < 0x20) sb.append(String.format("\\u%04x", (int) c)); else sb.append(c); }
            }
        }
        return sb.append('"').toString();
    }
}
