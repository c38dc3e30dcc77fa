package org.dlm.runtime.testkit;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.Executable;
import org.dlm.runtime.Tensor;

/**
 * The one oracle check every backend's tests share (Glow's BackendCorrectnessTest habit): build a
 * small graph, give it seeded random inputs and parameters, run it on the reference interpreter
 * and on a backend's executable, and compare element by element.
 *
 * <pre>{@code
 * double worst = BackendDiff.check(1, List.of(y), 1e-5, (g, ps) -> LlvmBackend.compile(g, ps, opts), exe -> exe.toString());
 * }</pre>
 */
public final class BackendDiff {
    private BackendDiff() {}

    /** Compiles a graph with its parameter values into an executable. */
    @FunctionalInterface
    public interface Compiler<E extends Executable> { E compile(Graph g, Map<String, NdArray> params); }

    public static Node input(String name, DType t, long... shape) {
        return Node.of("input", List.of(), Attrs.of("name", name, "dtype", t, "shape", Shape.of(shape)));
    }

    /** Op {@code name} with attributes {@code a} on {@code in} (checked, shape inferred). */
    public static Node op(String name, Attrs a, Node... in) { return Node.of(name, List.of(in), a); }

    public static Node param(String name, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", Shape.of(shape)));
    }

    public static NdArray random(Random r, DType t, long[] shape, double lo, double hi) {
        int n = (int) NdArray.numel(shape);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            double v = lo + (hi - lo) * r.nextDouble();
            d[i] = t.isFloating() ? NdArray.round(t, v) : Math.floor(v);
        }
        return new NdArray(t, shape, d);
    }

    /**
     * Runs the graph whose outputs are {@code outs} (inputs and params found from them) on seeded
     * random values, natively and in the interpreter; returns the worst relative error.
     */
    public static <E extends Executable> double check(long seed, List<Node> outs, double tol, Compiler<E> compiler, Function<E, String> describe) {
        List<Node> inputs = new ArrayList<>(), params = new ArrayList<>();
        List<Graph.Output> os = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) os.add(new Graph.Output("y" + i, outs.get(i)));
        for (Node n : new Graph("probe", List.of(), List.of(), os).topoOrder()) {
            if (n.opName().equals("input")) inputs.add(n);
            if (n.opName().equals("param")) params.add(n);
        }
        Graph g = new Graph("t", inputs, params, os);
        Random r = new Random(seed);
        Map<String, NdArray> in = new LinkedHashMap<>(), ps = new LinkedHashMap<>();
        for (Node n : inputs) {
            DType t = n.dtype();
            in.put(n.attrs().getString("name"), t == DType.BOOL ? random(r, DType.BOOL, n.shape().sizes(), 0, 2)
                    : t.isFloating() ? random(r, t, n.shape().sizes(), -2, 2) : random(r, t, n.shape().sizes(), 0, 3));
        }
        for (Node n : params) ps.put(n.attrs().getString("name"), random(r, n.dtype(), n.shape().sizes(), -1, 1));
        return compare(g, in, ps, tol, compiler, describe);
    }

    /**
     * Runs {@code g} on the given values in the interpreter and on the compiled executable; fails
     * with {@code describe(executable)} (generated code) on the first element off by more than
     * {@code tol} relative to {@code 1 + |want|}; returns the worst error.
     */
    public static <E extends Executable> double compare(Graph g, Map<String, NdArray> in, Map<String, NdArray> ps, double tol,
                                                        Compiler<E> compiler, Function<E, String> describe) {
        Map<String, NdArray> expected = Interpreter.run(g, in, ps);
        try (E exe = compiler.compile(g, ps)) {
            Map<String, Tensor> tin = new LinkedHashMap<>();
            in.forEach((k, v) -> tin.put(k, Tensor.of(v)));
            Map<String, Tensor> out = exe.run(tin);
            double worst = 0;
            for (var e : expected.entrySet()) {
                NdArray want = e.getValue();
                try (Tensor t = out.get(e.getKey())) {
                    NdArray got = t.toNdArray();
                    assertArrayEquals(want.shape(), got.shape(), e.getKey());
                    for (int i = 0; i < want.size(); i++) {
                        double a = want.get(i), b = got.get(i);
                        if (Double.isNaN(a) || Double.isNaN(b)) {
                            assertEquals(Double.isNaN(a), Double.isNaN(b), "NaN mismatch at " + i + "\n" + describe.apply(exe));
                            continue;
                        }
                        if (Double.isInfinite(a)) { assertEquals(a, b, "at " + i); continue; }
                        double err = Math.abs(a - b) / (1 + Math.abs(a));
                        worst = Math.max(worst, err);
                        if (err > tol) fail(e.getKey() + "[" + i + "]: want " + a + ", got " + b + "\n" + describe.apply(exe));
                    }
                }
            }
            tin.values().forEach(Tensor::close);
            return worst;
        }
    }
}
