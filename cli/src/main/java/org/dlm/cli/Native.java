package org.dlm.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.dlm.backend.llvm.LlvmBackend;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.backend.opencl.OpenClBackend;
import org.dlm.backend.opencl.OpenClCodegen;
import org.dlm.backend.opencl.OpenClException;
import org.dlm.backend.opencl.OpenClExecutable;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.lower.GraphLowering;
import org.dlm.passes.lower.LoweringException;
import org.dlm.runtime.Tensor;

/**
 * The native backends (LLVM, OpenCL) as the commands use them: symbolic dims bound from input shapes or from
 * {@code --batch}, lowering problems turned into exit codes (3 when an op cannot be lowered,
 * 1 for missing or misshapen parameters), NdArrays in and out.
 *
 * <pre>{@code
 * Map<String, Long> dims = Native.dimsFromInputs(g, inputs);
 * try (LlvmExecutable exe = Native.compile(g, params, dims, Native.defaultThreads(), false)) {
 *     Map<String, NdArray> out = Native.run(exe, inputs);
 * }
 * }</pre>
 */
final class Native {
    private Native() {}

    /** All cores the JVM may use. */
    static int defaultThreads() { return Runtime.getRuntime().availableProcessors(); }

    /**
     * The engine of {@code train}, {@code eval} and {@code predict}: graphs compiled by the llvm
     * backend ({@code threads} null: all cores) or run on the reference interpreter.
     */
    static org.dlm.runtime.train.StepEngine engine(String backend, Integer threads) {
        if (!backend.equals("llvm") && !backend.equals("interp"))
            throw CliException.user("--backend must be llvm or interp, got '" + backend + "'");
        int n = threads == null ? defaultThreads() : threads;
        if (n < 1) throw CliException.user("--threads must be at least 1, got " + n);
        return backend.equals("llvm") ? new org.dlm.backend.llvm.CompiledSteps(n)
                : org.dlm.runtime.train.StepEngine.interpreter(org.dlm.ir.interp.Interpreter::run);
    }

    /**
     * Binds every symbol that is a whole dim of some input (f32[B, 784] binds B) from the given
     * arrays, then checks every input dim (constant or an expression) against its array.
     */
    static Map<String, Long> dimsFromInputs(Graph g, Map<String, NdArray> in) {
        Map<String, Long> dims = new TreeMap<>();
        for (Node x : g.inputs()) {
            String name = x.attrs().getString("name");
            NdArray a = in.get(name);
            List<Dim> want = x.shape().dims();
            if (a.rank() != want.size())
                throw CliException.user("input '" + name + "' of " + g.name() + " is " + x.type() + " (rank " + want.size()
                    + ") but the given array is " + RunCommand.describe(a));
            for (int i = 0; i < want.size(); i++) {
                Dim d = want.get(i);
                if (d.isConst() || d.symbols().size() != 1 || !d.equals(Dim.sym(d.symbols().get(0)))) continue;
                String s = d.symbols().get(0);
                Long prev = dims.putIfAbsent(s, a.dim(i));
                if (prev != null && prev != a.dim(i))
                    throw CliException.user("dimension " + s + " is " + prev + " in one input and " + a.dim(i) + " in input '" + name + "'",
                        "inputs of " + g.name() + ": " + inputTypes(g));
            }
        }
        for (Node x : g.inputs()) {
            String name = x.attrs().getString("name");
            NdArray a = in.get(name);
            List<Dim> want = x.shape().dims();
            for (int i = 0; i < want.size(); i++) {
                Dim d = want.get(i);
                if (!dims.keySet().containsAll(d.symbols()))
                    throw CliException.unsupported("dimension " + d + " of input '" + name + "' cannot be inferred from the input shapes",
                        "the native backend binds only symbols that are a whole dim of some input");
                if (d.eval(dims) != a.dim(i))
                    throw CliException.user("input '" + name + "' of " + g.name() + " should be " + x.type().dtype().text()
                        + x.shape().substitute(dims) + ", got " + RunCommand.describe(a));
            }
        }
        return dims;
    }

    /**
     * Dims for compiling without input data: {@code batch} for every input's leading symbol,
     * {@code extra} for the others ({@code --dim NAME=VALUE}).
     */
    static Map<String, Long> dimsFromBatch(Graph g, Long batch, Map<String, Long> extra) {
        Map<String, Long> dims = new TreeMap<>(extra);
        for (Node x : g.inputs()) {
            List<Dim> ds = x.shape().dims();
            if (ds.isEmpty()) continue;
            Dim lead = ds.get(0);
            if (lead.isConst()) {
                if (batch != null && lead.value() != batch)
                    throw CliException.user("input '" + x.attrs().getString("name") + "' of " + g.name() + " is " + x.type()
                        + ": its batch size is fixed to " + lead.value() + ", not " + batch);
            } else if (lead.symbols().size() == 1 && lead.equals(Dim.sym(lead.symbols().get(0))) && !extra.containsKey(lead.symbols().get(0))) {
                dims.put(lead.symbols().get(0), batch == null ? 1L : batch);
            }
        }
        List<String> unbound = new ArrayList<>();
        for (Node x : g.inputs())
            for (Dim d : x.shape().dims())
                for (String s : d.symbols()) if (!dims.containsKey(s) && !unbound.contains(s)) unbound.add(s);
        if (!unbound.isEmpty())
            throw CliException.user("dimension" + (unbound.size() == 1 ? " " : "s ") + String.join(", ", unbound) + " of " + g.name()
                + " (inputs " + inputTypes(g) + ") must be given", "add --dim " + unbound.get(0) + "=VALUE, or give input files");
        return dims;
    }

    /** Compiles natively; lowering problems become exit code 3 (unsupported ops) or 1 (parameters). */
    static LlvmExecutable compile(Graph g, Map<String, NdArray> params, Map<String, Long> dims, int threads, boolean keepLlvmIr) {
        if (threads < 1) throw CliException.user("--threads must be at least 1, got " + threads);
        return lowering(g, "llvm", () -> LlvmBackend.compile(g, params, new LlvmBackend.Options(dims, threads, keepLlvmIr)));
    }

    /** Runs {@code compile}; lowering problems become exit code 3 (unsupported ops) or 1 (parameters), naming {@code backend}. */
    static <T> T lowering(Graph g, String backend, java.util.function.Supplier<T> compile) {
        try {
            return compile.get();
        } catch (LoweringException e) {
            List<String> unsupported = new ArrayList<>(), user = new ArrayList<>();
            for (String p : e.problems())
                (p.startsWith("missing value for parameter") || p.startsWith("parameter '") || p.startsWith("dimension") ? user : unsupported).add(p);
            if (!unsupported.isEmpty())
                throw CliException.unsupported("unsupported by the " + backend + " backend: " + String.join("; ", e.problems()),
                    "run this model with --backend interp");
            throw CliException.user("cannot compile " + g.name() + ": " + String.join("; ", user));
        }
    }

    /** Compiles {@code g} for OpenCL for the shapes of {@code in}, runs it once and frees it; no OpenCL device is exit code 1. */
    static Map<String, NdArray> runOnceOpenCl(Graph g, Map<String, NdArray> params, Map<String, NdArray> in) {
        Map<String, Long> dims = dimsFromInputs(g, in);
        try (OpenClExecutable exe = lowering(g, "opencl", () -> OpenClBackend.compile(g, params, OpenClBackend.Options.dims(dims)))) {
            return run(exe, in);
        } catch (OpenClException e) {
            throw CliException.user(e.getMessage());
        }
    }

    /** The OpenCL C the opencl backend generates for {@code g} (no device needed). */
    static String openClSource(Graph g, Map<String, NdArray> params, Map<String, Long> dims) {
        return lowering(g, "opencl", () -> OpenClCodegen.generate(GraphLowering.lower(g, dims, params).module()).source());
    }

    /** Compiles {@code g} for the shapes of {@code in}, runs it once and frees it. */
    static Map<String, NdArray> runOnce(Graph g, Map<String, NdArray> params, Map<String, NdArray> in, int threads) {
        try (LlvmExecutable exe = compile(g, params, dimsFromInputs(g, in), threads, false)) {
            return run(exe, in);
        }
    }

    /** One native call on NdArrays; the output tensors are copied out and freed. */
    static Map<String, NdArray> run(org.dlm.runtime.Executable exe, Map<String, NdArray> in) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try {
            for (var e : in.entrySet()) tensors.put(e.getKey(), Tensor.of(e.getValue()));
            Map<String, Tensor> out = exe.run(tensors);
            Map<String, NdArray> result = new LinkedHashMap<>();
            for (var e : out.entrySet()) {
                try (Tensor t = e.getValue()) { result.put(e.getKey(), t.toNdArray()); }
            }
            return result;
        } finally {
            tensors.values().forEach(Tensor::close);
        }
    }

    /**
     * Parameter values for timing and compiling only, when no weights are given: uniform in
     * [0.01, 0.1) with a fixed seed (positive, so variances and logarithms stay finite).
     */
    static Map<String, NdArray> syntheticParams(Graph g, Map<String, Long> dims) {
        SplittableRandom rnd = new SplittableRandom(1);
        Map<String, NdArray> values = new LinkedHashMap<>();
        for (Node p : g.params()) {
            long[] shape = p.shape().substitute(dims).sizes();
            double[] d = new double[(int) NdArray.numel(shape)];
            if (p.dtype().isFloating()) for (int i = 0; i < d.length; i++) d[i] = 0.01 + 0.09 * rnd.nextDouble();
            values.put(p.attrs().getString("name"), new NdArray(p.dtype(), shape, d));
        }
        return values;
    }

    /** Inputs for timing only: uniform in [-1, 1) for floats (fixed seed), zeros otherwise. */
    static Map<String, NdArray> syntheticInputs(Graph g, Map<String, Long> dims) {
        SplittableRandom rnd = new SplittableRandom(2);
        Map<String, NdArray> values = new LinkedHashMap<>();
        for (Node x : g.inputs()) {
            long[] shape = x.shape().substitute(dims).sizes();
            double[] d = new double[(int) NdArray.numel(shape)];
            if (x.dtype().isFloating()) for (int i = 0; i < d.length; i++) d[i] = rnd.nextDouble(-1, 1);
            values.put(x.attrs().getString("name"), new NdArray(x.dtype(), shape, d));
        }
        return values;
    }

    static String inputTypes(Graph g) {
        List<String> s = new ArrayList<>();
        for (Node x : g.inputs()) s.add(x.attrs().getString("name") + ": " + x.type());
        return String.join(", ", s);
    }
}
