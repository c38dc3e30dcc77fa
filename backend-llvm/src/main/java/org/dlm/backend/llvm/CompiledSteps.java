package org.dlm.backend.llvm;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.Tensor;
import org.dlm.runtime.train.StepEngine;

/**
 * A {@link StepEngine} on the LLVM backend: each graph (training step, evaluation model) is
 * compiled once per batch size with {@link LlvmBackend.Options#updatingInPlace()} and keeps its
 * parameters and optimizer state in its native parameter block between runs; a step writes its
 * {@code new/<p>} outputs straight into the block (where that is safe; the others are copied there
 * natively by {@link LlvmExecutable#runUpdating}).
 * State moves between executables (the step and the evaluation model, or the executable for a
 * last partial batch) by native copies, only when the other one has changed it since; it is read
 * back into Java arrays only by {@link #get} (checkpoints, best-parameter snapshots).
 *
 * <pre>{@code
 * try (CompiledSteps engine = new CompiledSteps(2)) {
 *     var trainer = new Trainer(model, step, engine, adam::scalars, config, initialParams);
 *     engine.prepare(step, Map.of("B", 64L));   // compile now: fails here, not mid-epoch
 *     trainer.fit(train, validation, callbacks);
 * }
 * }</pre>
 */
public final class CompiledSteps implements StepEngine {
    private static final String NEW = "new/";

    private final int threads;
    private final Map<Graph, Map<Map<String, Long>, LlvmExecutable>> compiled = new IdentityHashMap<>();
    /** Values not (or not yet) held by an executable, or set since. */
    private final Map<String, NdArray> pending = new HashMap<>();
    /** A counter per state name, bumped whenever it changes; each executable's copy is as new as the version it holds. */
    private final Map<String, Long> version = new HashMap<>();
    private final Map<LlvmExecutable, Map<String, Long>> held = new IdentityHashMap<>();
    /** Native copies of each executable's inputs, rewritten every run. */
    private final Map<LlvmExecutable, Map<String, Tensor>> inputTensors = new IdentityHashMap<>();
    /** The executable with the newest value of each name (absent: {@link #pending} has it). */
    private final Map<String, LlvmExecutable> owner = new HashMap<>();
    private long compileNanos;
    private int compilations;

    public CompiledSteps(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
    }

    /** Compiles {@code g} for {@code dims} now (a no-op when done before); every parameter must have a value. */
    public LlvmExecutable prepare(Graph g, Map<String, Long> dims) {
        var byDims = compiled.computeIfAbsent(g, k -> new HashMap<>());
        LlvmExecutable exe = byDims.get(dims);
        if (exe != null) return exe;
        Map<String, NdArray> values = new LinkedHashMap<>();
        for (Node p : g.params()) values.put(name(p), get(name(p)));
        long t0 = System.nanoTime();
        exe = LlvmBackend.compile(g, values, LlvmBackend.Options.dims(dims).withThreads(threads).updatingInPlace());
        compileNanos += System.nanoTime() - t0;
        compilations++;
        Map<String, Long> h = new HashMap<>();
        for (String n : exe.params().keySet()) h.put(n, version.getOrDefault(n, 0L));
        held.put(exe, h);
        byDims.put(Map.copyOf(dims), exe);
        return exe;
    }

    @Override public Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs) {
        LlvmExecutable exe = prepare(g, dims(g, inputs));
        Map<String, Long> h = held.get(exe);
        for (var e : h.entrySet()) {
            String n = e.getKey();
            long v = version.getOrDefault(n, 0L);
            if (e.getValue() == v) continue;
            LlvmExecutable from = owner.get(n);
            if (from != null) exe.copyParamFrom(from, n);
            else exe.writeParam(n, pending.get(n));
            e.setValue(v);
        }
        // the inputs go into tensors kept per executable and input name (a tensor per step costs an arena each time)
        Map<String, Tensor> kept = inputTensors.computeIfAbsent(exe, k -> new HashMap<>());
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (var e : inputs.entrySet()) {
            NdArray v = e.getValue();
            Tensor t = kept.get(e.getKey());
            if (t == null || t.dtype() != v.dtype() || !java.util.Arrays.equals(t.shape(), v.shape())) {
                if (t != null) t.close();
                t = Tensor.zeros(v.dtype(), v.shape());
                kept.put(e.getKey(), t);
            }
            double[] d = v.data();
            for (int i = 0; i < d.length; i++) t.set(i, d[i]);
            in.put(e.getKey(), t);
        }
        Map<String, NdArray> rest = exe.runUpdating(in, NEW);
        for (String out : exe.outputs().keySet()) {
            if (!out.startsWith(NEW) || !h.containsKey(out.substring(NEW.length()))) continue;
            String n = out.substring(NEW.length());
            long v = version.merge(n, 1L, Long::sum);
            h.put(n, v);
            owner.put(n, exe);
            pending.remove(n);
        }
        return rest;
    }

    /** Binds each symbolic dim that is a whole input dim (B in f32[B, 784]) to the given input's size. */
    private static Map<String, Long> dims(Graph g, Map<String, NdArray> inputs) {
        Map<String, Long> dims = new HashMap<>();
        for (Node in : g.inputs()) {
            NdArray v = inputs.get(in.attrs().getString("name"));
            if (v == null || v.rank() != in.shape().rank()) continue;
            for (int i = 0; i < v.rank(); i++) {
                Dim d = in.shape().dim(i);
                if (!d.isConst() && d.symbols().size() == 1 && d.equals(Dim.sym(d.symbols().get(0)))) dims.putIfAbsent(d.symbols().get(0), v.shape()[i]);
            }
        }
        return dims;
    }

    @Override public NdArray get(String name) {
        LlvmExecutable exe = owner.get(name);
        if (exe != null) return exe.readParam(name);
        NdArray v = pending.get(name);
        if (v == null) throw new IllegalArgumentException("no value for '" + name + "'");
        return v;
    }

    @Override public void put(String name, NdArray value) {
        pending.put(name, value);
        owner.remove(name);
        version.merge(name, 1L, Long::sum);
    }

    /** Total time spent compiling, and how many executables were compiled. */
    public long compileNanos() { return compileNanos; }
    public int compilations() { return compilations; }
    public int threads() { return threads; }

    @Override public void close() {
        for (var m : compiled.values()) m.values().forEach(LlvmExecutable::close);
        compiled.clear();
        inputTensors.values().forEach(m -> m.values().forEach(Tensor::close));
        inputTensors.clear();
        held.clear();
        owner.clear();
    }

    private static String name(Node p) { return p.attrs().getString("name"); }
}
