package org.dlm.backend.llvm;

import java.util.Map;
import org.dlm.backend.llvm.codegen.KernelCodegen;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.ParamBlock;
import org.dlm.runtime.Tensor;

/**
 * The LLVM CPU backend's entry point: a graph and its parameter values in, a native
 * {@link LlvmExecutable} out.
 *
 * <pre>{@code
 * Map<String, NdArray> params = ...;   // or Tensors, by parameter name
 * try (LlvmExecutable exe = LlvmBackend.compile(graph, params, LlvmBackend.Options.dims(Map.of("B", 64L)))) {
 *     System.out.printf("compiled in %.1f ms, arena %d bytes%n", exe.compileNanos() / 1e6, exe.arenaBytes());
 * }
 * }</pre>
 */
public final class LlvmBackend {
    private LlvmBackend() {}

    /**
     * @param dims            a value for every symbolic dim of the graph (static mode)
     * @param threads         threads the executable uses: parallel loops and large GEMMs run on the
     *                        process-wide native thread pool with this many threads (1 = all inline)
     * @param keepLlvmIr      keep the optimized LLVM IR text for inspection ({@link LlvmExecutable#llvmIr})
     * @param mutableParams   parameters may be rewritten between runs ({@link LlvmExecutable#writeParam},
     *                        {@link LlvmExecutable#runUpdating}): no compile-time parameter rewrites
     *                        (batch-norm folding, pre-transposed weights), each parameter keeps its buffer
     * @param minParallelWork work (about scalar operations; a GEMM counts 2mnk/16) from which a
     *                        parallel loop or GEMM always runs on the pool; from a tenth of it, it
     *                        runs there only while the pool's workers are hot (spinning in an
     *                        executable call on a calm machine), below that inline on the calling
     *                        thread; tests use 0 to thread everything
     * @param updateInPlace   with {@code mutableParams}: a {@code new/<p>} output is written straight
     *                        into parameter {@code p} wherever no statement reads the old value after
     *                        it is overwritten ({@link org.dlm.passes.lower.InPlaceUpdates}), so every
     *                        run — {@link LlvmExecutable#run} too — advances the parameters; the other
     *                        {@code new/} outputs are copied by {@link LlvmExecutable#runUpdating}
     */
    public record Options(Map<String, Long> dims, int threads, boolean keepLlvmIr, boolean mutableParams, long minParallelWork,
                          boolean updateInPlace) {
        public Options {
            dims = Map.copyOf(dims);
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            if (minParallelWork < 0) throw new IllegalArgumentException("minParallelWork must be >= 0, got " + minParallelWork);
        }
        public Options(Map<String, Long> dims, int threads, boolean keepLlvmIr) {
            this(dims, threads, keepLlvmIr, false, KernelCodegen.DEFAULT_MIN_PARALLEL_WORK, false);
        }
        public static Options dims(Map<String, Long> dims) { return new Options(dims, 1, false); }
        public Options withThreads(int t) { return new Options(dims, t, keepLlvmIr, mutableParams, minParallelWork, updateInPlace); }
        public Options withLlvmIr() { return new Options(dims, threads, true, mutableParams, minParallelWork, updateInPlace); }
        public Options withMinParallelWork(long work) { return new Options(dims, threads, keepLlvmIr, mutableParams, work, updateInPlace); }
        /** For training: parameters stay writable (see {@link #mutableParams}). */
        public Options trainable() { return new Options(dims, threads, keepLlvmIr, true, minParallelWork, updateInPlace); }
        /** For a training step: writable parameters, {@code new/<p>} outputs written into them in place where safe (see {@link #updateInPlace}). */
        public Options updatingInPlace() { return new Options(dims, threads, keepLlvmIr, true, minParallelWork, true); }
    }

    /**
     * Compiles {@code g}; {@code params} maps parameter names to {@link NdArray} or {@link Tensor}
     * values (tensors are copied; the caller keeps them). Throws
     * {@link org.dlm.passes.lower.LoweringException} listing every op or parameter problem.
     */
    public static LlvmExecutable compile(Graph g, Map<String, ?> params, Options options) {
        Map<String, NdArray> values = ParamBlock.values(params);
        return LlvmExecutable.compile(g, values, options);
    }
}
