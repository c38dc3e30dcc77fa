package org.dlm.backend.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dlm.backend.llvm.codegen.KernelCodegen;
import org.dlm.ir.Graph;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Buffer;
import org.dlm.passes.lower.GraphLowering;
import org.dlm.passes.lower.Lowered;
import org.dlm.runtime.Executable;
import org.dlm.runtime.HugePages;
import org.dlm.runtime.Tensor;

/**
 * A whole graph compiled to one native function by the LLVM backend (static mode: every symbolic
 * dim bound at compile time). Owns the JIT'd code, the parameter block (filled once, with folded
 * and derived parameters) and the arena of temporaries (with one set of GEMM packing buffers per
 * thread); closing it frees all of them. {@link #run} may be called from any thread, one call at a
 * time (calls are serialized); parallel parts run on the process-wide native thread pool.
 *
 * <pre>{@code
 * try (LlvmExecutable exe = LlvmBackend.compile(graph, params, LlvmBackend.Options.dims(Map.of("B", 1L)));
 *      Tensor x = Tensor.zeros(exe.inputs().get("x"))) {
 *     Map<String, Tensor> out = exe.run(Map.of("x", x));
 * }
 * }</pre>
 */
public final class LlvmExecutable implements Executable {
    static final String ENTRY = "dlm_run";
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG);

    private final Lowered lowered;
    private final Map<String, TensorType> inputs = new LinkedHashMap<>(), outputs = new LinkedHashMap<>();
    private final int threads;
    private final Jit jit;
    private final MethodHandle entry;
    private final Arena memory = Arena.ofShared();
    private final MemorySegment params, arena, inputTable, outputTable;
    private final long compileNanos;
    private final String llvmIr;
    private boolean closed;
    private CompilePhases phases;

    /** Where compile time went: graph → Kernel IR (with memory planning), Kernel IR → LLVM IR, LLVM O3, machine code. */
    public record CompilePhases(long lowerNanos, long codegenNanos, long optimizeNanos, long machineCodeNanos) {
        @Override public String toString() {
            return String.format("lower %.0f ms, codegen %.0f ms, O3 %.0f ms, machine code %.0f ms",
                    lowerNanos / 1e6, codegenNanos / 1e6, optimizeNanos / 1e6, machineCodeNanos / 1e6);
        }
    }

    public CompilePhases compilePhases() { return phases; }

    private LlvmExecutable(Lowered lowered, long arenaBytes, int threads, Jit jit, MethodHandle entry, long compileNanos, String llvmIr) {
        this.lowered = lowered;
        this.threads = threads;
        this.jit = jit;
        this.entry = entry;
        this.compileNanos = compileNanos;
        this.llvmIr = llvmIr;
        for (Lowered.Port p : lowered.inputs()) inputs.put(p.name(), p.type());
        for (Lowered.Port p : lowered.outputs()) outputs.put(p.name(), p.type());
        params = HugePages.allocate(memory, Math.max(64, lowered.module().paramBytes()));
        arena = HugePages.allocate(memory, Math.max(64, arenaBytes));
        inputTable = memory.allocate(8L * Math.max(1, inputs.size()), 8);
        outputTable = memory.allocate(8L * Math.max(1, outputs.size()), 8);
        for (Buffer b : lowered.module().buffers(Buffer.Kind.PARAM)) fill(params, b, lowered.paramData().get(b.name()));
    }

    static LlvmExecutable compile(Graph g, Map<String, NdArray> params, LlvmBackend.Options options) {
        long t0 = System.nanoTime();
        Lowered lowered = GraphLowering.lower(g, options.dims(), params);
        long t1 = System.nanoTime();
        Jit jit = new Jit();
        try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder(lowered.module().name(), host)) {
            long arenaBytes = KernelCodegen.emit(mb, lowered.module(), ENTRY, options.threads(), options.minParallelWork());
            long t2 = System.nanoTime();
            mb.optimize();
            long t3 = System.nanoTime();
            String ir = options.keepLlvmIr() ? mb.llvmIr() : null;
            jit.add(mb);
            MethodHandle entry = jit.function(ENTRY, SIGNATURE);
            long t4 = System.nanoTime();
            LlvmExecutable exe = new LlvmExecutable(lowered, arenaBytes, options.threads(), jit, entry, System.nanoTime() - t0, ir);
            exe.phases = new CompilePhases(t1 - t0, t2 - t1, t3 - t2, t4 - t3);
            return exe;
        } catch (RuntimeException | Error e) {
            jit.close();
            throw e;
        }
    }

    private static void fill(MemorySegment block, Buffer b, NdArray data) {
        double[] d = data.data();
        long off = b.offset();
        switch (b.dtype()) {
            case F32 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_FLOAT, off + 4L * i, (float) d[i]); }
            case F64 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_DOUBLE, off + 8L * i, d[i]); }
            case I32 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_INT, off + 4L * i, (int) d[i]); }
            case I64 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_LONG, off + 8L * i, (long) d[i]); }
            case I8, U8 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_BYTE, off + i, (byte) d[i]); }
            case BOOL -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_BYTE, off + i, (byte) (d[i] != 0 ? 1 : 0)); }
            default -> throw new IllegalArgumentException("parameter %" + b.name() + " has unsupported dtype " + b.dtype().text());
        }
    }

    @Override public Map<String, TensorType> inputs() { return inputs; }
    @Override public Map<String, TensorType> outputs() { return outputs; }

    /** Wall time from the graph to a callable native function: lowering, LLVM O3 and machine code. */
    public long compileNanos() { return compileNanos; }
    /** Bytes of the temporaries' arena after memory planning. */
    public long arenaBytes() { return lowered.module().arenaBytes(); }
    public long paramBytes() { return lowered.module().paramBytes(); }
    public int threads() { return threads; }
    /** The lowered program (Kernel IR text via {@code kernelIr()}). */
    public Lowered lowered() { return lowered; }
    public String kernelIr() { return lowered.module().toString(); }
    /** Optimized LLVM IR, when compiled with {@code keepLlvmIr}; else null. */
    public String llvmIr() { return llvmIr; }

    @Override public synchronized Map<String, Tensor> run(Map<String, Tensor> given) {
        if (closed) throw new IllegalStateException("executable is closed");
        Executable.checkInputs(inputs, given);
        int i = 0;
        for (Lowered.Port p : lowered.inputs()) inputTable.setAtIndex(ADDRESS, i++, given.get(p.name()).segment());
        Map<String, Tensor> result = new LinkedHashMap<>();
        try {
            i = 0;
            for (Lowered.Port p : lowered.outputs()) {
                Tensor t = Tensor.zeros(p.type());
                result.put(p.name(), t);
                outputTable.setAtIndex(ADDRESS, i++, t.segment());
            }
            entry.invokeExact(inputTable, outputTable, params, arena, (long) threads);
            return result;
        } catch (Throwable e) {
            result.values().forEach(Tensor::close);
            if (e instanceof RuntimeException r) throw r;
            if (e instanceof Error err) throw err;
            throw new IllegalStateException("native call failed", e);
        }
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        jit.close();
        memory.close();
    }

}
