package org.dlm.backend.llvm.codegen;

import static org.dlm.backend.llvm.codegen.Diff.*;
import static org.dlm.runtime.testkit.BackendDiff.op;
import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.backend.llvm.LlvmBackend;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** GEMM operands that are parameters are packed once at compile time (inference only); results equal the interpreter's. */
class PrepackedParamsTest {
    static final double TOL = 1e-4;

    /** Linear layers (weight as B) and convolutions and a matmul (parameter as A), run on 1-3 threads with every GEMM split. */
    static Graph graph() {
        Node x = input("x", DType.F32, 64, 301), w1 = param("w1", 77, 301), b1 = param("b1", 77), w2 = param("w2", 200, 77);
        Node tall = input("t", DType.F32, 9, 19), tw = param("tw", 130, 19);
        Node img = input("img", DType.F32, 2, 4, 9, 9), cw = param("cw", 20, 4, 3, 3), cb = param("cb", 20), pw = param("pw", 11, 20, 1, 1);
        Node left = param("left", 30, 40), right = input("r", DType.F32, 40, 50);
        Node h = Node.of("relu", op("linear", Attrs.EMPTY, x, w1, b1));
        Node conv = Node.of("relu", op("conv2d", Attrs.of("padding", List.of(1L, 1L, 1L, 1L)), img, cw, cb));
        List<Node> outs = List.of(op("linear", Attrs.EMPTY, h, w2), op("linear", Attrs.EMPTY, tall, tw),
                op("conv2d", Attrs.EMPTY, conv, pw), op("matmul", Attrs.EMPTY, left, right));
        List<Graph.Output> named = new java.util.ArrayList<>();
        for (int i = 0; i < outs.size(); i++) named.add(new Graph.Output("y" + i, outs.get(i)));
        return new Graph("prepacked", List.of(x, tall, img, right), List.of(w1, b1, w2, tw, cw, cb, pw, left), named);
    }

    static Map<String, NdArray> values(Random r, List<Node> leaves) {
        Map<String, NdArray> m = new LinkedHashMap<>();
        for (Node n : leaves) m.put(n.attrs().getString("name"), random(r, DType.F32, n.type().shape().sizes(), -1, 1));
        return m;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void prepackedWeightsMatchInterpreter(int threads) {
        Graph g = graph();
        Random r = new Random(threads);
        Map<String, NdArray> ps = values(r, g.params()), in = values(r, g.inputs());
        LlvmBackend.Options options = LlvmBackend.Options.dims(Map.of()).withThreads(threads).withMinParallelWork(0);
        assertTrue(compare(g, in, ps, options, TOL) < TOL);
        try (LlvmExecutable exe = LlvmBackend.compile(g, ps, options)) {
            // w1, w2, tw (B of linear layers), pw (A of the 1x1 convolution), left (A of the matmul);
            // the 3x3 convolution's cw is read in place by the direct convolution (no GEMM)
            assertEquals(5, exe.prepackedOperands(), exe.kernelIr());
            assertTrue(exe.prepackedBytes() >= 4L * (77 * 301 + 200 * 77 + 130 * 19 + 11 * 20 + 30 * 40));
            // running again reads the same prepacked panels
            Map<String, NdArray> want = Interpreter.run(g, in, ps);
            for (int run = 0; run < 2; run++) {
                Map<String, Tensor> ins = new LinkedHashMap<>();
                in.forEach((k, v) -> ins.put(k, Tensor.of(v)));
                Map<String, Tensor> out = exe.run(ins);
                for (String name : want.keySet()) assertTrue(out.get(name).toNdArray().maxAbsDiff(want.get(name)) < TOL, name);
                out.values().forEach(Tensor::close);
                ins.values().forEach(Tensor::close);
            }
        }
    }

    /** A compile-time M that the full tile height covers badly gets a lower tile; M = 1 and whole tiles keep the full one. */
    @Test
    void rowTileFollowsCompileTimeM() {
        try (org.dlm.backend.llvm.HostTarget host = org.dlm.backend.llvm.HostTarget.detect()) {
            org.dlm.backend.llvm.GemmConfig full = org.dlm.backend.llvm.GemmConfig.forTarget(host);
            java.util.function.LongFunction<org.dlm.ir.kernel.Stmt.Call> call = m -> new org.dlm.ir.kernel.Stmt.Call("sgemm_nn",
                    java.util.stream.Stream.concat(java.util.stream.LongStream.of(m, 512, 784).mapToObj(v -> new org.dlm.ir.kernel.Stmt.ScalarArg(org.dlm.ir.kernel.Expr.i64(v))),
                            java.util.stream.Stream.generate(() -> (org.dlm.ir.kernel.Stmt.Arg) new org.dlm.ir.kernel.Stmt.NullArg()).limit(8)).toList());
            for (long m : new long[] {1, 8, 9, 16, 64, 100, 128, full.mr() * 40L}) {
                org.dlm.backend.llvm.GemmConfig got = SharedGemmKernels.config(call.apply(m), host);
                assertTrue(got.rowCost((int) m) <= full.rowCost((int) m), "M=" + m);
                long wasted = (m + got.mr() - 1) / got.mr() * got.mr() - m, fullWasted = (m + full.mr() - 1) / full.mr() * full.mr() - m;
                if (m <= 8 || m == full.mr() * 40L) assertEquals(full, got, "M=" + m);
                else assertTrue(wasted <= fullWasted, "M=" + m + ": " + got.mr() + " rows per tile");
            }
            if (full.mr() == 14) assertEquals(13, SharedGemmKernels.config(call.apply(64), host).mr());   // AVX-512: 5×13 instead of 4×14 + 8
        }
    }

    /** N of one vector or less (a batch-1 pointwise convolution on a 4×4 map) takes the one-vector-wide tile; wider N keeps the full width. */
    @Test
    void narrowColumnsTakeTheOneVectorTile() {
        try (org.dlm.backend.llvm.HostTarget host = org.dlm.backend.llvm.HostTarget.detect()) {
            org.dlm.backend.llvm.GemmConfig full = org.dlm.backend.llvm.GemmConfig.forTarget(host);
            java.util.function.BiFunction<Long, Long, org.dlm.ir.kernel.Stmt.Call> call = (m, n) -> new org.dlm.ir.kernel.Stmt.Call("sgemm_nn",
                    java.util.stream.Stream.concat(java.util.stream.LongStream.of(m, n, 512).mapToObj(v -> new org.dlm.ir.kernel.Stmt.ScalarArg(org.dlm.ir.kernel.Expr.i64(v))),
                            java.util.stream.Stream.generate(() -> (org.dlm.ir.kernel.Stmt.Arg) new org.dlm.ir.kernel.Stmt.NullArg()).limit(8)).toList());
            for (long m : new long[] {64, 512}) {
                org.dlm.backend.llvm.GemmConfig got = SharedGemmKernels.config(call.apply(m, (long) full.lanes()), host);
                assertEquals(full.lanes(), got.nr(), "M=" + m);
                assertTrue(got.mr() > full.mr(), "M=" + m + ": " + got);
                assertEquals(full.nr(), SharedGemmKernels.config(call.apply(m, 4L * full.nr()), host).nr(), "M=" + m + ", N=4 tiles");
            }
            assertEquals(full, SharedGemmKernels.config(call.apply(1L, (long) full.lanes()), host));   // few rows: the unpacked path
        }
    }

    /** A batch-1 pointwise convolution on a 4×4 map (N = 16) and a linear layer of 10 outputs, prepacked, against the interpreter. */
    @Test
    void narrowGemmsInACompiledGraph() {
        Node x = input("x", DType.F32, 1, 70, 4, 4), w = param("w", 61, 70, 1, 1), v = param("v", 10, 61 * 16);
        Node y = op("conv2d", Attrs.EMPTY, x, w);
        Node z = op("linear", Attrs.EMPTY, op("flatten", Attrs.EMPTY, y), v);
        Graph g = new Graph("narrow", List.of(x), List.of(w, v), List.of(new Graph.Output("y", y), new Graph.Output("z", z)));
        Random r = new Random(5);
        Map<String, NdArray> ps = values(r, g.params()), in = values(r, g.inputs());
        for (int threads : new int[] {1, 2}) {
            LlvmBackend.Options options = LlvmBackend.Options.dims(Map.of()).withThreads(threads).withMinParallelWork(0);
            assertTrue(compare(g, in, ps, options, TOL) < TOL);
            try (LlvmExecutable exe = LlvmBackend.compile(g, ps, options)) {
                assertTrue(exe.prepackedOperands() >= 1, exe.kernelIr());
            }
        }
    }

    /** Trainable executables rewrite their parameters: nothing is prepacked, and a written parameter is used as written. */
    @Test
    void trainableParametersAreNotPrepacked() {
        Node x = input("x", DType.F32, 32, 50), w = param("w", 40, 50);
        Graph g = new Graph("train", List.of(x), List.of(w), List.of(new Graph.Output("y", op("linear", Attrs.EMPTY, x, w))));
        Random r = new Random(3);
        Map<String, NdArray> ps = values(r, g.params()), in = values(r, g.inputs());
        try (LlvmExecutable exe = LlvmBackend.compile(g, ps, LlvmBackend.Options.dims(Map.of()).trainable())) {
            assertEquals(0, exe.prepackedOperands());
            NdArray w2 = random(r, DType.F32, new long[] {40, 50}, -1, 1);
            exe.writeParam("w", w2);
            try (Tensor t = Tensor.of(in.get("x"))) {
                Map<String, Tensor> out = exe.run(Map.of("x", t));
                assertTrue(out.get("y").toNdArray().maxAbsDiff(Interpreter.run(g, in, Map.of("w", w2)).get("y")) < TOL);
                out.values().forEach(Tensor::close);
            }
        }
    }
}
