package org.dlm.backend.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Microkernels;
import org.dlm.ir.kernel.Stmt;
import org.dlm.passes.lower.GraphLowering;
import org.dlm.passes.lower.Lowered;
import org.dlm.runtime.Executable;
import org.dlm.runtime.ParamBlock;
import org.dlm.runtime.Tensor;

/**
 * A whole graph compiled to one OpenCL program (static mode: every symbolic dim bound at compile
 * time) on one device. Owns its command queue, kernels, the parameter block (uploaded once), the
 * arena and one device buffer per input and output; closing it releases all of them. {@link #run}
 * copies the inputs in, runs the host steps and copies the outputs out; calls are serialized.
 *
 * <pre>{@code
 * try (OpenClExecutable exe = OpenClBackend.compile(graph, params, OpenClBackend.Options.dims(Map.of("B", 1L)));
 *      Tensor x = Tensor.zeros(exe.inputs().get("x"))) {
 *     Map<String, Tensor> out = exe.run(Map.of("x", x));
 *     System.out.println(exe.device() + "\n" + exe.source());
 * }
 * }</pre>
 */
public final class OpenClExecutable implements Executable {
    private final Lowered lowered;
    private final OpenClProgram program;
    private final OpenClDevice device;
    private final Map<String, TensorType> inputs = new LinkedHashMap<>(), outputs = new LinkedHashMap<>();
    private final List<Owned> owned = new ArrayList<>();   // every cl object, released in reverse order on close
    private final Map<String, MemorySegment> kernels = new HashMap<>();
    private final int blockArgs;
    private final boolean tiledGemm;
    private MemorySegment queue, clProgram, gemm, conv, wgrad, params, arena;
    private MemorySegment[] inputMems, outputMems;

    private enum Kind { QUEUE, PROGRAM, MEM, KERNEL }
    private record Owned(Kind kind, MemorySegment handle) {}
    private long compileNanos, buildNanos;
    private boolean closed;

    private OpenClExecutable(Lowered lowered, OpenClProgram program, OpenClDevice device, boolean tiledGemm) {
        this.tiledGemm = tiledGemm;
        this.lowered = lowered;
        this.program = program;
        this.device = device;
        for (Lowered.Port p : lowered.inputs()) inputs.put(p.name(), p.type());
        for (Lowered.Port p : lowered.outputs()) outputs.put(p.name(), p.type());
        this.blockArgs = program.inputs() + program.outputs() + 2;
    }

    static OpenClExecutable compile(Graph g, Map<String, NdArray> params, OpenClBackend.Options options) {
        long t0 = System.nanoTime();
        // lower first: a model the lowering refuses is unsupported whatever the machine's devices
        Lowered lowered = GraphLowering.lower(g, options.dims(), params);
        OpenClDevice device = OpenClDevice.select(options.device());
        return compile(lowered, device, device.info().gpu(), t0);
    }

    /**
     * Compiles an already lowered module (tests build GEMM calls by hand); {@code tiledGemm}
     * picks the local-memory GEMM (GPUs) over the direct one (CPUs), see {@link GemmKernel}.
     */
    static OpenClExecutable compile(Lowered lowered, OpenClDevice device, boolean tiledGemm, long t0) {
        OpenClProgram program = OpenClCodegen.generate(lowered.module());
        if (program.usesF64() && !device.info().fp64())
            throw new OpenClException("model " + lowered.module().name() + " computes in f64, which OpenCL device '" + device.info().name()
                    + "' does not support (no cl_khr_fp64); pick another device with " + OpenClDevice.ENV + " or cast to f32");
        OpenClExecutable exe = new OpenClExecutable(lowered, program, device, tiledGemm);
        try {
            exe.setUp(System.nanoTime());
        } catch (RuntimeException | Error e) {
            exe.close();
            throw e;
        }
        exe.compileNanos = System.nanoTime() - t0;
        return exe;
    }

    private void setUp(long tBuild) {
        queue = own(Kind.QUEUE, Cl.createQueue(device.context(), device.id()));
        clProgram = own(Kind.PROGRAM, device.program(program.source()));
        buildNanos = System.nanoTime() - tBuild;
        var module = lowered.module();
        inputMems = new MemorySegment[program.inputs()];
        outputMems = new MemorySegment[program.outputs()];
        for (Buffer b : module.buffers(Buffer.Kind.INPUT)) inputMems[b.slot()] = buffer(b.byteSize());
        for (Buffer b : module.buffers(Buffer.Kind.OUTPUT)) outputMems[b.slot()] = buffer(b.byteSize());
        params = buffer(module.paramBytes());
        arena = buffer(module.arenaBytes());
        if (module.paramBytes() > 0) {
            try (Arena host = Arena.ofConfined()) {
                MemorySegment block = host.allocate(module.paramBytes(), 64);
                for (Buffer b : module.buffers(Buffer.Kind.PARAM)) ParamBlock.fill(block, b, lowered.paramData().get(b.name()));
                Cl.write(queue, params, block);
            }
        }
        MemorySegment[] blocks = new MemorySegment[blockArgs];
        System.arraycopy(inputMems, 0, blocks, 0, inputMems.length);
        System.arraycopy(outputMems, 0, blocks, inputMems.length, outputMems.length);
        blocks[blockArgs - 2] = params;
        blocks[blockArgs - 1] = arena;
        createKernels(program.steps(), blocks);
        if (program.source().contains("void " + GemmKernel.NAME + "(")) gemm = own(Kind.KERNEL, Cl.createKernel(clProgram, tiledGemm ? GemmKernel.NAME : GemmKernel.DIRECT));
        if (program.source().contains("void " + ConvKernel.NAME + "(")) conv = own(Kind.KERNEL, Cl.createKernel(clProgram, ConvKernel.NAME));
        if (program.source().contains("void " + ConvKernel.WGRAD + "(")) wgrad = own(Kind.KERNEL, Cl.createKernel(clProgram, ConvKernel.WGRAD));
    }

    private void createKernels(List<Step> steps, MemorySegment[] blocks) {
        for (Step s : steps) {
            switch (s) {
                case Step.Launch l -> {
                    MemorySegment k = own(Kind.KERNEL, Cl.createKernel(clProgram, l.kernel()));
                    for (int i = 0; i < blocks.length; i++) setHandle(k, i, blocks[i]);
                    kernels.put(l.kernel(), k);
                }
                case Step.Gemm g -> { }
                case Step.HostLoop l -> createKernels(l.body(), blocks);
                case Step.HostIf f -> createKernels(f.then(), blocks);
            }
        }
    }

    private MemorySegment buffer(long bytes) {
        return own(Kind.MEM, Cl.createBuffer(device.context(), Math.max(64, bytes)));
    }

    private MemorySegment own(Kind kind, MemorySegment handle) {
        owned.add(new Owned(kind, handle));
        return handle;
    }

    private final Arena args = Arena.ofShared();   // kernel-argument scratch, reused (a launch's arguments are copied at clSetKernelArg)
    private final MemorySegment argLong = args.allocate(JAVA_LONG), argInt = args.allocate(JAVA_INT), argPtr = args.allocate(ADDRESS);

    private void setHandle(MemorySegment kernel, int i, MemorySegment handle) {
        argPtr.set(ADDRESS, 0, handle);
        Cl.setArg(kernel, i, argPtr);
    }

    private void setLong(MemorySegment kernel, int i, long v) {
        argLong.set(JAVA_LONG, 0, v);
        Cl.setArg(kernel, i, argLong);
    }

    @Override public Map<String, TensorType> inputs() { return inputs; }
    @Override public Map<String, TensorType> outputs() { return outputs; }

    /** The generated OpenCL C (every kernel of the module, plus the GEMM kernel when used). */
    public String source() { return program.source(); }
    public OpenClProgram program() { return program; }
    public OpenClDevice.Info device() { return device.info(); }
    public Lowered lowered() { return lowered; }
    public String kernelIr() { return lowered.module().toString(); }
    /** Wall time from the graph to runnable kernels: lowering, code generation, the OpenCL build (or cache hit), buffers. */
    public long compileNanos() { return compileNanos; }
    /** Time spent building the program (near zero on a program-cache hit). */
    public long buildNanos() { return buildNanos; }

    @Override public synchronized Map<String, Tensor> run(Map<String, Tensor> given) {
        if (closed) throw new IllegalStateException("executable is closed");
        Executable.checkInputs(inputs, given);
        Map<String, Tensor> result = new LinkedHashMap<>();
        try {
            for (Lowered.Port p : lowered.inputs()) {
                Tensor t = given.get(p.name());
                if (t.byteSize() > 0) Cl.write(queue, inputMems[p.buffer().slot()], t.segment().asSlice(0, t.byteSize()));
            }
            execute(program.steps(), new HashMap<>());
            for (Lowered.Port p : lowered.outputs()) {
                Tensor t = Tensor.zeros(p.type());
                result.put(p.name(), t);
                if (t.byteSize() > 0) Cl.read(queue, outputMems[p.buffer().slot()], t.segment().asSlice(0, t.byteSize()));
            }
            return result;
        } catch (Cl.ClError e) {
            result.values().forEach(Tensor::close);
            throw new IllegalStateException("internal error: OpenCL failed while running " + lowered.module().name() + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            result.values().forEach(Tensor::close);
            throw e;
        }
    }

    private void execute(List<Step> steps, Map<String, Long> env) {
        for (Step s : steps) {
            switch (s) {
                case Step.Launch l -> launch(l, env);
                case Step.Gemm g -> {
                    if (g.call().kernel().equals(Microkernels.SCONV_DIRECT)) conv(g.call(), env);
                    else if (g.call().kernel().equals(Microkernels.SCONV_WGRAD)) weightGrad(g.call(), env);
                    else gemm(g.call(), env);
                }
                case Step.HostLoop l -> {
                    long n = HostEval.eval(l.extent(), env);
                    for (long i = 0; i < n; i += l.step()) {
                        env.put(l.var(), i);
                        execute(l.body(), env);
                    }
                    env.remove(l.var());
                }
                case Step.HostIf f -> { if (HostEval.eval(f.cond(), env) != 0) execute(f.then(), env); }
            }
        }
    }

    private void launch(Step.Launch l, Map<String, Long> env) {
        MemorySegment k = kernels.get(l.kernel());
        for (int i = 0; i < l.hostVars().size(); i++) setLong(k, blockArgs + i, env.get(l.hostVars().get(i)));
        int dims = Math.max(1, l.extents().size());
        long[] global = new long[dims];
        global[0] = 1;
        for (int d = 0; d < l.extents().size(); d++) {
            long extent = HostEval.eval(l.extents().get(d), env), step = l.steps().get(d);
            global[d] = extent <= 0 ? 0 : (extent + step - 1) / step;
            if (global[d] == 0) return;
        }
        Cl.ndRange(queue, k, global, null);
    }

    private void gemm(Stmt.Call c, Map<String, Long> env) {
        var a = c.args();
        long m = scalar(a.get(0), env), n = scalar(a.get(1), env), kk = scalar(a.get(2), env);
        if (m <= 0 || n <= 0) return;
        boolean ta = c.kernel().charAt(6) == 't', tb = c.kernel().charAt(7) == 't';
        int arg = 0;
        arg = setLong(arg, m);
        arg = setLong(arg, n);
        arg = setLong(arg, kk);
        arg = setPtr(arg, a.get(3), env);
        arg = setLong(arg, scalar(a.get(4), env));
        arg = setInt(arg, ta ? 1 : 0);
        arg = setPtr(arg, a.get(5), env);
        arg = setLong(arg, scalar(a.get(6), env));
        arg = setInt(arg, tb ? 1 : 0);
        arg = setPtr(arg, a.get(7), env);
        arg = setLong(arg, scalar(a.get(8), env));
        arg = setInt(arg, (int) scalar(a.get(9), env));
        setPtr(arg, a.get(10), env);
        long t = GemmKernel.TILE;
        if (tiledGemm) Cl.ndRange(queue, gemm, new long[] {(n + t - 1) / t * t, (m + t - 1) / t * t}, new long[] {t, t});
        else Cl.ndRange(queue, gemm, new long[] {n, m}, null);
    }

    /** A {@code sconv_direct} call: one work item per output element of the image. */
    private void conv(Stmt.Call c, Map<String, Long> env) {
        var a = c.args();
        long[] v = new long[10];
        for (int i = 0; i < 10; i++) v[i] = scalar(a.get(i), env);
        long outputs = v[0] * ((v[2] - (v[4] - 1) * v[8] - 1) / v[6] + 1) * ((v[3] - (v[5] - 1) * v[9] - 1) / v[7] + 1);
        if (outputs <= 0) return;
        for (int i = 0; i < 10; i++) setLong(conv, i, v[i]);
        setPtr(conv, 10, a.get(10), env);
        setPtr(conv, 12, a.get(11), env);
        setPtr(conv, 14, a.get(12), env);
        argInt.set(JAVA_INT, 0, (int) scalar(a.get(13), env));
        Cl.setArg(conv, 16, argInt);
        setPtr(conv, 17, a.get(14), env);
        Cl.ndRange(queue, conv, new long[] {outputs}, null);
    }

    /** A {@code sconv_wgrad} call: one work item per weight-gradient element. */
    private void weightGrad(Stmt.Call c, Map<String, Long> env) {
        var a = c.args();
        long[] v = new long[9];
        for (int i = 0; i < 9; i++) v[i] = scalar(a.get(i), env);
        long elements = v[0] * v[1] * v[4] * v[5];
        if (elements <= 0) return;
        for (int i = 0; i < 9; i++) setLong(wgrad, i, v[i]);
        setPtr(wgrad, 9, a.get(9), env);
        setPtr(wgrad, 11, a.get(10), env);
        setPtr(wgrad, 13, a.get(11), env);
        Cl.ndRange(queue, wgrad, new long[] {elements}, null);
    }

    private static long scalar(Stmt.Arg a, Map<String, Long> env) {
        if (a instanceof Stmt.ScalarArg s) return HostEval.eval(s.value(), env);
        throw new IllegalStateException("expected a scalar argument, got " + a);
    }

    private int setLong(int i, long v) {
        setLong(gemm, i, v);
        return i + 1;
    }

    private int setInt(int i, int v) {
        argInt.set(JAVA_INT, 0, v);
        Cl.setArg(gemm, i, argInt);
        return i + 1;
    }

    /** A pointer argument as (storage block, byte offset): two kernel arguments. */
    private int setPtr(int i, Stmt.Arg a, Map<String, Long> env) { return setPtr(gemm, i, a, env); }

    private int setPtr(MemorySegment kernel, int i, Stmt.Arg a, Map<String, Long> env) {
        MemorySegment mem = params;
        long bytes = 0;
        if (a instanceof Stmt.PtrArg p) {
            Buffer b = p.buffer();
            mem = switch (b.kind()) {
                case INPUT -> inputMems[b.slot()];
                case OUTPUT -> outputMems[b.slot()];
                case PARAM -> params;
                case TEMP -> arena;
            };
            long base = b.kind() == Buffer.Kind.PARAM || b.kind() == Buffer.Kind.TEMP ? b.offset() : 0;
            bytes = base + HostEval.eval(p.offset(), env) * b.dtype().byteSize();
        } else if (!(a instanceof Stmt.NullArg)) {
            throw new IllegalStateException("expected a pointer argument, got " + a);
        }
        setHandle(kernel, i, mem);
        setLong(kernel, i + 1, bytes);
        return i + 2;
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        if (queue != null) Cl.finish(queue);
        for (int i = owned.size() - 1; i >= 0; i--) {
            Owned o = owned.get(i);
            switch (o.kind()) {
                case KERNEL -> Cl.releaseKernel(o.handle());
                case PROGRAM -> Cl.releaseProgram(o.handle());
                case MEM -> Cl.releaseMem(o.handle());
                case QUEUE -> Cl.releaseQueue(o.handle());
            }
        }
        owned.clear();
        kernels.clear();
        args.close();
    }
}
