package org.dlm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Buffer;
import org.dlm.runtime.io.ParamStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code dlmc compile}: JIT-compile a model with the llvm backend; print time, memory plan, or the IR. */
@Command(name = "compile", mixinStandardHelpOptions = true, sortOptions = false,
         description = {"JIT-compile a model natively (llvm backend, static shapes) and print the compile time",
                        "with its phases and the memory plan, or the Kernel IR / LLVM IR with --emit."},
         footerHeading = "%nExamples:%n",
         footer = {"  dlmc compile resnet20 --batch 64",
                   "  dlmc compile model.dlm --params w.npz --emit=kernel",
                   "  dlmc compile mlp --batch 1 --emit=llvm > mlp.ll"})
final class CompileCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "a .dlm file, or a shipped model name (lenet, test-models:lenet)")
    String file;

    @Option(names = "--model", paramLabel = "NAME", description = "the model to compile when FILE defines several")
    String model;

    @Option(names = "--batch", paramLabel = "N", description = "value of each input's leading symbolic dim (default 1)")
    Long batch;

    @Option(names = "--dim", paramLabel = "NAME=VALUE", description = "value of another symbolic dim (repeatable)")
    Map<String, Long> dims = new LinkedHashMap<>();

    @Option(names = "--threads", paramLabel = "T", description = "threads the executable may use (default: all cores)")
    Integer threads;

    @Option(names = "--params", paramLabel = "FILE",
            description = "weights (.safetensors or .npz); default: the shipped weights, else synthetic values (the code does not depend on them)")
    Path params;

    @Option(names = "--emit", paramLabel = "WHAT", description = "print the Kernel IR (kernel), the optimized LLVM IR (llvm) or the OpenCL C of --backend opencl (opencl) instead of the summary")
    String emit;

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (emit != null && !emit.equals("kernel") && !emit.equals("llvm") && !emit.equals("opencl"))
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid value for option '--emit': '" + emit + "' (expected kernel, llvm or opencl)");
        if (batch != null && batch < 1) throw CliException.user("--batch must be at least 1, got " + batch);
        if (threads != null && threads < 1) throw CliException.user("--threads must be at least 1, got " + threads);
        ModelSource src = ModelSource.load(file);
        CheckCommand.printDiagnostics(src.compilation(), err);
        if (!src.compilation().ok()) return CliException.USER_ERROR;
        Graph g = src.pick(model);
        Map<String, Long> bound = Native.dimsFromBatch(g, batch, dims);
        Loaded w = weights(src, g, params, bound, err);
        if ("opencl".equals(emit)) {
            out.print(Native.openClSource(g, w.values(), bound));
            out.flush();
            return 0;
        }
        int t = threads == null ? Native.defaultThreads() : threads;
        try (LlvmExecutable exe = Native.compile(g, w.values(), bound, t, "llvm".equals(emit))) {
            if ("kernel".equals(emit)) out.print(exe.kernelIr());
            else if ("llvm".equals(emit)) out.print(exe.llvmIr());
            else printSummary(out, g, bound, exe, w.name());
        }
        out.flush();
        return 0;
    }

    private static void printSummary(PrintWriter out, Graph g, Map<String, Long> dims, LlvmExecutable exe, String weights) {
        out.printf("compiled %s for %s (%d thread%s, weights %s) in %.1f ms%n", g.name(), dims.isEmpty() ? "its static shapes" : dims,
            exe.threads(), exe.threads() == 1 ? "" : "s", weights, exe.compileNanos() / 1e6);
        if (exe.compilePhases() != null) out.println("  phases: " + exe.compilePhases());
        long temps = 0, count = 0;
        for (Buffer b : exe.lowered().module().buffers(Buffer.Kind.TEMP)) { temps += b.byteSize(); count++; }
        out.println("memory plan:");
        out.printf("  arena (peak of temporaries): %s, %d temporaries of %s in total%n", bytes(exe.arenaBytes()), count, bytes(temps));
        out.printf("  parameters:                  %s%n", bytes(exe.paramBytes()));
        exe.inputs().forEach((n, ty) -> out.println("  input  " + n + ": " + ty));
        exe.outputs().forEach((n, ty) -> out.println("  output " + n + ": " + ty));
        long flops = FlopCounter.flops(g, dims);
        out.printf("FLOPs per call: %s (2 x MACs of %s)%n", flops(flops), String.join("/", FlopCounter.COUNTED));
    }

    /** Weights and where they came from. */
    record Loaded(Map<String, NdArray> values, String name) {}

    /** --params, else the shipped weights, else synthetic values (with a note on stderr). */
    static Loaded weights(ModelSource src, Graph g, Path params, Map<String, Long> dims, PrintWriter err) throws IOException {
        if (params != null) return new Loaded(ParamStore.load(g, params), params.toString());
        if (g.params().isEmpty()) return new Loaded(Map.of(), "none");
        Map<String, NdArray> shipped = src.shippedWeights(g);
        if (shipped != null) return new Loaded(shipped, ModelSource.shippedWeightsName(src.shippedName()));
        err.println("note: no weights given for " + g.name() + "; using synthetic parameter values (timing and code do not depend on them)");
        return new Loaded(Native.syntheticParams(g, dims), "synthetic");
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format("%d B (%.1f KiB)", b, b / 1024.0);
        return String.format("%d B (%.1f MiB)", b, b / (1024.0 * 1024.0));
    }

    static String flops(long f) {
        if (f >= 1_000_000_000L) return String.format("%.3f GFLOP", f / 1e9);
        if (f >= 1_000_000L) return String.format("%.3f MFLOP", f / 1e6);
        return f + " FLOP";
    }
}
