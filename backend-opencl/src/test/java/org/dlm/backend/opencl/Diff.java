package org.dlm.backend.opencl;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.Tensor;

/** Builds small graphs and checks the OpenCL executable against the reference interpreter. */
final class Diff {
    private Diff() {}

    static Node input(String name, DType t, long... shape) {
        return Node.of("input", List.of(), Attrs.of("name", name, "dtype", t, "shape", Shape.of(shape)));
    }

    static Node param(String name, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", Shape.of(shape)));
    }

    static NdArray random(Random r, DType t, long[] shape, double lo, double hi) {
        int n = (int) NdArray.numel(shape);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            double v = lo + (hi - lo) * r.nextDouble();
            d[i] = t.isFloating() ? NdArray.round(t, v) : Math.floor(v);
        }
        return new NdArray(t, shape, d);
    }

    /** Runs graph {@code g} (outputs = {@code outs}) natively and in the interpreter on random inputs/params; returns the worst error. */
    static double check(long seed, List<Node> outs, double tol) {
        List<Node> inputs = new ArrayList<>(), params = new ArrayList<>();
        Graph probe = new Graph("probe", List.of(), List.of(), outs.stream().map(n -> new Graph.Output("y" + outs.indexOf(n), n)).toList());
        for (Node n : probe.topoOrder()) {
            if (n.opName().equals("input")) inputs.add(n);
            if (n.opName().equals("param")) params.add(n);
        }
        List<Graph.Output> os = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) os.add(new Graph.Output("y" + i, outs.get(i)));
        Graph g = new Graph("t", inputs, params, os);
        Random r = new Random(seed);
        Map<String, NdArray> in = new LinkedHashMap<>(), ps = new LinkedHashMap<>();
        for (Node n : inputs) {
            DType t = n.dtype();
            in.put(n.attrs().getString("name"), t == DType.BOOL ? random(r, DType.BOOL, n.shape().sizes(), 0, 2)
                    : t.isFloating() ? random(r, t, n.shape().sizes(), -2, 2) : random(r, t, n.shape().sizes(), 0, 3));
        }
        for (Node n : params) ps.put(n.attrs().getString("name"), random(r, n.dtype(), n.shape().sizes(), -1, 1));
        return compare(g, in, ps, tol);
    }

    static double compare(Graph g, Map<String, NdArray> in, Map<String, NdArray> ps, double tol) {
        return compare(g, in, ps, Map.of(), tol);
    }

    static double compare(Graph g, Map<String, NdArray> in, Map<String, NdArray> ps, Map<String, Long> dims, double tol) {
        long t0 = System.nanoTime();
        Map<String, NdArray> expected = Interpreter.run(g, in, ps);
        long t1 = System.nanoTime();
        try (OpenClExecutable exe = OpenClBackend.compile(g, ps, OpenClBackend.Options.dims(dims))) {
            System.out.printf("%s %s: compile %.0f ms (OpenCL build %.0f ms, %d kernels), interpreter %.1f ms%n", g.name(), dims,
                    exe.compileNanos() / 1e6, exe.buildNanos() / 1e6, exe.program().kernelCount(), (t1 - t0) / 1e6);
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
                            assertEquals(Double.isNaN(a), Double.isNaN(b), "NaN mismatch at " + i + "\n" + exe.source());
                            continue;
                        }
                        if (Double.isInfinite(a)) { assertEquals(a, b, "at " + i); continue; }
                        double err = Math.abs(a - b) / (1 + Math.abs(a));
                        worst = Math.max(worst, err);
                        if (err > tol) fail(e.getKey() + "[" + i + "]: want " + a + ", got " + b + "\n" + exe.source());
                    }
                }
            }
            tin.values().forEach(Tensor::close);
            return worst;
        }
    }
}
