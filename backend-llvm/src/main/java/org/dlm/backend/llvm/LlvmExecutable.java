package org.dlm.backend.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.LinkedHashMap;
import java.util.List;
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
import org.dlm.runtime.ParamBlock;
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
    /** Outputs reused by every {@link #runUpdating} call (allocated on first use). */
    private MemorySegment[] stepOutputs;
    private boolean mutableParams;
    private final int prepackedOperands;
    private final MethodHandle prepack;   // packs the constant GEMM operands from the parameters; null without any
    private final long prepackedBytes;

    /**
     * Where compile time went, as wall time of each step: graph → Kernel IR with memory planning
     * ({@code lower}), LLVM start-up and target machines ({@code llvmSetup}), Kernel IR → LLVM IR
     * ({@code irBuild}), then the modules' verification, O3 and machine code, which run
     * concurrently ({@code backend} is that step's wall time; the three parts are summed over
     * modules), waiting for the process-wide GEMM kernels and thread pool ({@code sharedKernels}:
     * they compile in the background from the start) and JIT linking ({@code link}). {@code cacheHits}
     * of the {@code modules} came from the {@link ObjectCache}.
     */
    public record CompilePhases(long lowerNanos, long llvmSetupNanos, long irBuildNanos, long backendNanos, long verifyNanos,
                                long optimizeNanos, long machineCodeNanos, long sharedKernelNanos, long linkNanos, int modules, int cacheHits) {
        @Override public String toString() {
            return String.format(java.util.Locale.ROOT,
                    "lower %.0f ms, LLVM setup %.0f ms, IR build %.0f ms, %d module%s in %.0f ms (verify %.0f, O3 %.0f, machine code %.0f ms summed%s), waiting for shared GEMM kernels %.0f ms, link %.0f ms",
                    lowerNanos / 1e6, llvmSetupNanos / 1e6, irBuildNanos / 1e6, modules, modules == 1 ? "" : "s", backendNanos / 1e6,
                    verifyNanos / 1e6, optimizeNanos / 1e6, machineCodeNanos / 1e6,
                    cacheHits == 0 ? "" : ", " + cacheHits + " from the object cache", sharedKernelNanos / 1e6, linkNanos / 1e6);
        }
    }

    public CompilePhases compilePhases() { return phases; }

    private LlvmExecutable(Lowered lowered, KernelCodegen.Emitted code, int threads, Jit jit, MethodHandle entry, long compileNanos, String llvmIr) {
        this.lowered = lowered;
        this.threads = threads;
        this.jit = jit;
        this.entry = entry;
        this.compileNanos = compileNanos;
        this.llvmIr = llvmIr;
        this.prepackedOperands = code.prepacks();
        this.prepackedBytes = code.paramBytes() - lowered.module().paramBytes();
        for (Lowered.Port p : lowered.inputs()) inputs.put(p.name(), p.type());
        for (Lowered.Port p : lowered.outputs()) outputs.put(p.name(), p.type());
        params = HugePages.allocate(memory, Math.max(64, code.paramBytes()));
        arena = HugePages.allocate(memory, Math.max(64, code.arenaBytes()));
        inputTable = memory.allocate(8L * Math.max(1, inputs.size()), 8);
        outputTable = memory.allocate(8L * Math.max(1, outputs.size()), 8);
        for (Buffer b : lowered.module().buffers(Buffer.Kind.PARAM)) ParamBlock.fill(params, b, lowered.paramData().get(b.name()));
        prepack = code.prepacks() > 0 ? jit.function(ENTRY + KernelCodegen.PREPACK, FunctionDescriptor.ofVoid(ADDRESS)) : null;
        prepack();   // constant GEMM operands into the microkernel's panel layout, once
    }

    private void prepack() {
        if (prepack == null) return;
        try {
            prepack.invokeExact(params);
        } catch (Throwable e) {
            throw new IllegalStateException("prepacking the parameters failed", e);
        }
    }

    static LlvmExecutable compile(Graph g, Map<String, NdArray> params, LlvmBackend.Options options) {
        long t0 = System.nanoTime();
        KernelCodegen.prefetchCommon(options.threads(), options.mutableParams());   // LLVM start-up and the common GEMM kernels overlap lowering
        Lowered lowered = GraphLowering.lower(g, options.dims(), params, org.dlm.passes.lower.LoweringTable.standard(), options.mutableParams(),
                options.updateInPlace());
        KernelCodegen.prefetchShared(lowered.module(), options.threads());
        long t1 = System.nanoTime();
        int n = modules(lowered.module());
        List<HostTarget> hosts = new java.util.ArrayList<>();
        List<ModuleBuilder> modules = new java.util.ArrayList<>();
        Jit jit = null;
        try {
            for (int i = 0; i < n; i++) {
                hosts.add(HostTarget.detect());   // a target machine per module: they compile concurrently
                modules.add(new ModuleBuilder(lowered.module().name() + (i == 0 ? "" : "_part" + i), hosts.get(i)));
            }
            long t2 = System.nanoTime();
            // Parameters of an inference executable never change: constant GEMM operands are prepacked.
            KernelCodegen.Emitted emitted = KernelCodegen.emit(modules, lowered.module(), ENTRY, options.threads(), options.minParallelWork(), !options.mutableParams());
            java.util.Set<String> shared = KernelCodegen.sharedSymbols(modules);
            long t3 = System.nanoTime();
            ModuleCompiler.Result code = ModuleCompiler.compile(modules, "default<O3>", true, options.keepLlvmIr() ? null : ObjectCache.standard(), options.keepLlvmIr());
            long t4 = System.nanoTime();
            jit = new Jit();
            long waited = KernelCodegen.linkShared(jit, shared);
            code.addTo(jit);
            MethodHandle entry = jit.function(ENTRY, SIGNATURE);
            long t5 = System.nanoTime();
            LlvmExecutable exe = new LlvmExecutable(lowered, emitted, options.threads(), jit, entry, System.nanoTime() - t0, code.llvmIr());
            exe.phases = new CompilePhases(t1 - t0, t2 - t1, t3 - t2, t4 - t3, code.verifyNanos(), code.optimizeNanos(), code.machineCodeNanos(),
                    waited, t5 - t4 - waited, n, code.cacheHits());
            exe.mutableParams = options.mutableParams();
            return exe;
        } catch (RuntimeException | Error e) {
            if (jit != null) jit.close();
            throw e;
        } finally {
            modules.forEach(ModuleBuilder::close);
            hosts.forEach(HostTarget::close);
        }
    }

    /**
     * How many modules to split the code into: one per core (at most 4), each optimized and
     * compiled on a thread of its own; one for a handful of statements. The system property
     * {@code dlm.llvm.modules} overrides it.
     */
    static int modules(org.dlm.ir.kernel.KernelModule m) {
        String forced = System.getProperty("dlm.llvm.modules");
        if (forced != null) return Math.max(1, Integer.parseInt(forced.trim()));
        if (m.body().size() < 6) return 1;
        return Math.max(1, Math.min(4, Math.min(Runtime.getRuntime().availableProcessors(), m.body().size() / 3)));
    }

    @Override public Map<String, TensorType> inputs() { return inputs; }
    @Override public Map<String, TensorType> outputs() { return outputs; }

    /** Wall time from the graph to a callable native function: lowering, LLVM O3 and machine code. */
    public long compileNanos() { return compileNanos; }
    /** Bytes of the temporaries' arena after memory planning. */
    public long arenaBytes() { return lowered.module().arenaBytes(); }
    public long paramBytes() { return lowered.module().paramBytes(); }
    /**
     * GEMM operands (weights) packed once into the microkernel's panel layout when the executable
     * was made (0 with {@link LlvmBackend.Options#trainable()}), and the bytes they take after the parameters.
     */
    public int prepackedOperands() { return prepackedOperands; }
    public long prepackedBytes() { return prepackedBytes; }
    public int threads() { return threads; }
    /** The lowered program (Kernel IR text via {@code kernelIr()}). */
    public Lowered lowered() { return lowered; }
    public String kernelIr() { return lowered.module().toString(); }
    /** Optimized LLVM IR, when compiled with {@code keepLlvmIr}; else null. */
    public String llvmIr() { return llvmIr; }

    /**
     * Cycles ({@code rdtsc}) spent in each top-level Kernel IR statement ({@code lowered().module().body()})
     * over all calls so far, when compiled with the system property
     * {@code dlm.llvm.profile=true}; else null. {@code reset} zeroes the counters after reading.
     */
    public long[] statementCycles(boolean reset) {
        if (!Boolean.getBoolean(KernelCodegen.PROFILE_PROPERTY)) return null;
        int n = Math.max(1, lowered.module().body().size());
        MemorySegment counters = jit.address(ENTRY + KernelCodegen.PROFILE).reinterpret(8L * n);
        long[] out = counters.toArray(JAVA_LONG);
        if (reset) counters.fill((byte) 0);
        return java.util.Arrays.copyOf(out, lowered.module().body().size());
    }

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
            for (Lowered.Port p : lowered.outputs()) {   // an output updated in place (Options.updateInPlace) is in its parameter
                if (p.buffer().kind() == Buffer.Kind.PARAM) MemorySegment.copy(params, p.buffer().offset(), result.get(p.name()).segment(), 0, p.buffer().byteSize());
            }
            return result;
        } catch (Throwable e) {
            result.values().forEach(Tensor::close);
            if (e instanceof RuntimeException r) throw r;
            if (e instanceof Error err) throw err;
            throw new IllegalStateException("native call failed", e);
        }
    }

    // ---- parameters (read back and rewritten between runs when compiled with Options.trainable())

    /** Each graph parameter with its own buffer, by name, with its static type. */
    public Map<String, TensorType> params() {
        Map<String, TensorType> m = new LinkedHashMap<>();
        if (!mutableParams) return m;
        lowered.params().forEach((n, b) -> m.put(n, paramType(n)));
        return m;
    }

    private TensorType paramType(String name) {
        Buffer b = paramBuffer(name);
        NdArray init = lowered.paramData().get(b.name());
        return new TensorType(b.dtype(), org.dlm.ir.Shape.of(init.shape()));
    }

    private Buffer paramBuffer(String name) {
        Buffer b = lowered.params().get(name);
        if (!mutableParams)
            throw new IllegalArgumentException("parameter '" + name + "' is not addressable: compile with LlvmBackend.Options.trainable() to read or write parameters");
        if (b == null)
            throw new IllegalArgumentException("graph '" + lowered.module().name() + "' has no parameter '" + name + "'; it has "
                    + String.join(", ", lowered.params().keySet()));
        return b;
    }

    /** The outputs the step writes straight into their parameters (with {@link LlvmBackend.Options#updateInPlace}), in output order. */
    public List<String> inPlaceOutputs() {
        return lowered.outputs().stream().filter(p -> p.buffer().kind() == Buffer.Kind.PARAM).map(Lowered.Port::name).toList();
    }

    /** The current value of parameter {@code name}. */
    public synchronized NdArray readParam(String name) {
        checkOpen();
        Buffer b = paramBuffer(name);
        TensorType t = paramType(name);
        return read(params, b.offset(), t.dtype(), t.shape().sizes());
    }

    private static NdArray read(MemorySegment seg, long off, org.dlm.ir.DType dtype, long[] shape) {
        long n = 1;
        for (long x : shape) n *= x;
        double[] d = new double[Math.toIntExact(n)];
        switch (dtype) {
            case F32 -> { for (int i = 0; i < d.length; i++) d[i] = seg.get(ValueLayout.JAVA_FLOAT, off + 4L * i); }
            case F64 -> { for (int i = 0; i < d.length; i++) d[i] = seg.get(ValueLayout.JAVA_DOUBLE, off + 8L * i); }
            case I32 -> { for (int i = 0; i < d.length; i++) d[i] = seg.get(ValueLayout.JAVA_INT, off + 4L * i); }
            case I64 -> { for (int i = 0; i < d.length; i++) d[i] = seg.get(ValueLayout.JAVA_LONG, off + 8L * i); }
            case I8 -> { for (int i = 0; i < d.length; i++) d[i] = seg.get(ValueLayout.JAVA_BYTE, off + i); }
            case U8, BOOL -> { for (int i = 0; i < d.length; i++) d[i] = seg.get(ValueLayout.JAVA_BYTE, off + i) & 0xff; }
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype.text());
        }
        return new NdArray(dtype, shape, d);
    }

    /** Replaces parameter {@code name} with {@code value} (an {@link NdArray} or a {@link Tensor} of the parameter's type). */
    public synchronized void writeParam(String name, Object value) {
        checkOpen();
        Buffer b = paramBuffer(name);
        TensorType t = paramType(name);
        NdArray v = switch (value) {
            case NdArray a -> a;
            case Tensor x -> x.toNdArray();
            case null, default -> throw new IllegalArgumentException("parameter '" + name + "' must be an NdArray or a Tensor, got "
                    + (value == null ? "null" : value.getClass().getSimpleName()));
        };
        if (v.dtype() != t.dtype() || !java.util.Arrays.equals(v.shape(), t.shape().sizes()))
            throw new IllegalArgumentException("parameter '" + name + "' is " + t + ", got " + v.dtype().text() + java.util.Arrays.toString(v.shape()));
        ParamBlock.fill(params, b, v);
    }

    /** Copies parameter {@code name} from {@code from} (same type), native memory to native memory. */
    public void copyParamFrom(LlvmExecutable from, String name) {
        Buffer src = from.paramBuffer(name), dst = paramBuffer(name);
        if (!from.paramType(name).equals(paramType(name)))
            throw new IllegalArgumentException("parameter '" + name + "' is " + paramType(name) + " here but " + from.paramType(name) + " in the source");
        synchronized (this) {
            checkOpen();
            MemorySegment.copy(from.params, src.offset(), params, dst.offset(), dst.byteSize());
        }
    }

    /**
     * Runs once with outputs the executable owns and then, for every output named
     * {@code prefix + p} where {@code p} is a parameter, copies it into that parameter (one
     * native copy, no Java arrays): a training step whose {@code new/<p>} outputs replace its
     * parameters. Outputs compiled to be written in place ({@link LlvmBackend.Options#updateInPlace},
     * {@link #inPlaceOutputs}) are already there and not copied. Returns the other outputs (loss,
     * metrics) as arrays.
     */
    public synchronized Map<String, NdArray> runUpdating(Map<String, Tensor> given, String prefix) {
        checkOpen();
        Executable.checkInputs(inputs, given);
        List<Lowered.Port> outs = lowered.outputs();
        if (stepOutputs == null) {
            stepOutputs = new MemorySegment[outs.size()];
            for (int i = 0; i < outs.size(); i++) {
                Buffer b = outs.get(i).buffer();   // an output written into its parameter in place needs no memory of its own
                stepOutputs[i] = HugePages.allocate(memory, b.kind() == Buffer.Kind.PARAM ? 64 : Math.max(64, b.byteSize()));
            }
        }
        int i = 0;
        for (Lowered.Port p : lowered.inputs()) inputTable.setAtIndex(ADDRESS, i++, given.get(p.name()).segment());
        for (i = 0; i < outs.size(); i++) outputTable.setAtIndex(ADDRESS, i, stepOutputs[i]);
        try {
            entry.invokeExact(inputTable, outputTable, params, arena, (long) threads);
        } catch (Throwable e) {
            if (e instanceof RuntimeException r) throw r;
            if (e instanceof Error err) throw err;
            throw new IllegalStateException("native call failed", e);
        }
        Map<String, NdArray> rest = new LinkedHashMap<>();
        boolean updated = false;
        for (i = 0; i < outs.size(); i++) {
            Lowered.Port p = outs.get(i);
            if (p.buffer().kind() == Buffer.Kind.PARAM && p.name().startsWith(prefix)) continue;   // written in place
            Buffer target = p.name().startsWith(prefix) ? lowered.params().get(p.name().substring(prefix.length())) : null;
            if (target != null && target.byteSize() == p.buffer().byteSize() && target.dtype() == p.buffer().dtype()) {
                MemorySegment.copy(stepOutputs[i], 0, params, target.offset(), target.byteSize());
                updated = true;
            } else rest.put(p.name(), read(stepOutputs[i], 0, p.type().dtype(), p.type().shape().sizes()));
        }
        if (updated) prepack();   // only without Options.trainable() is anything prepacked: keep it in step
        return rest;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("executable is closed");
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        jit.close();
        memory.close();
    }

}
