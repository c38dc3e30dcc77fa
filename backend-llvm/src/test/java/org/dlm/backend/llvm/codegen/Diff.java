package org.dlm.backend.llvm.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.backend.llvm.LlvmBackend;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.KernelParser;
import org.dlm.runtime.testkit.BackendDiff;

/**
 * The LLVM backend against the reference interpreter ({@link BackendDiff}, shared with the OpenCL
 * backend's tests); every compiled module's Kernel IR text must also parse back to the same module.
 */
final class Diff {
    private Diff() {}

    static Node input(String name, DType t, long... shape) { return BackendDiff.input(name, t, shape); }
    static Node param(String name, long... shape) { return BackendDiff.param(name, shape); }
    static NdArray random(Random r, DType t, long[] shape, double lo, double hi) { return BackendDiff.random(r, t, shape, lo, hi); }

    /** Runs graph {@code g} (outputs = {@code outs}) natively and in the interpreter on random inputs/params; returns the worst error. */
    static double check(long seed, List<Node> outs, double tol) {
        return check(seed, outs, tol, LlvmBackend.Options.dims(Map.of()));
    }

    /** Like {@link #check} with the given thread count, every parallel loop and GEMM threaded (no work threshold). */
    static double checkThreaded(long seed, List<Node> outs, double tol, int threads) {
        return check(seed, outs, tol, LlvmBackend.Options.dims(Map.of()).withThreads(threads).withMinParallelWork(0));
    }

    static double check(long seed, List<Node> outs, double tol, LlvmBackend.Options options) {
        return BackendDiff.check(seed, outs, tol, compiler(options), LlvmExecutable::kernelIr);
    }

    static double compare(Graph g, Map<String, NdArray> in, Map<String, NdArray> ps, double tol) {
        return compare(g, in, ps, Map.of(), tol);
    }

    static double compare(Graph g, Map<String, NdArray> in, Map<String, NdArray> ps, Map<String, Long> dims, double tol) {
        return compare(g, in, ps, LlvmBackend.Options.dims(dims), tol);
    }

    static double compare(Graph g, Map<String, NdArray> in, Map<String, NdArray> ps, LlvmBackend.Options options, double tol) {
        return BackendDiff.compare(g, in, ps, tol, compiler(options), LlvmExecutable::kernelIr);
    }

    private static BackendDiff.Compiler<LlvmExecutable> compiler(LlvmBackend.Options options) {
        return (g, ps) -> {
            long t0 = System.nanoTime();
            LlvmExecutable exe = LlvmBackend.compile(g, ps, options);
            if (!options.dims().isEmpty()) System.out.printf("%s %s: compile %.0f ms, arena %d KiB%n", g.name(), options.dims(),
                    (System.nanoTime() - t0) / 1e6, exe.arenaBytes() / 1024);
            assertEquals(exe.lowered().module(), KernelParser.parse(exe.kernelIr()), "Kernel IR text round trip");
            return exe;
        };
    }
}
