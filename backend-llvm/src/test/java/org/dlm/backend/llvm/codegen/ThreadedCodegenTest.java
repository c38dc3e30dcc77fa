package org.dlm.backend.llvm.codegen;

import static org.dlm.backend.llvm.codegen.Diff.*;
import static org.dlm.runtime.testkit.BackendDiff.op;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
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

/** Graphs run on 1-4 threads with every parallel loop and GEMM threaded: results equal the interpreter's. */
class ThreadedCodegenTest {
    static final double TOL = 1e-4;

    static LlvmBackend.Options threaded(int threads) {
        return LlvmBackend.Options.dims(Map.of()).withThreads(threads).withMinParallelWork(0);
    }

    static long osThreads() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.count();
        }
    }

    /** Threads of the native pool (they name themselves dlm-worker). */
    static long poolWorkers() throws IOException {
        long n = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (Files.readString(t.resolve("comm")).trim().equals("dlm-worker")) n++;
                } catch (IOException gone) {
                    // the thread ended while we listed
                }
            }
        }
        return n;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void elementwiseReductionsAndNorms(int threads) {
        Node x = input("x", DType.F32, 7, 13, 5), y = input("y", DType.F32, 13, 5);
        Node e = Node.of("tanh", Node.of("add", Node.of("mul", x, y), Node.of("exp", x)));
        assertTrue(checkThreaded(1, List.of(e, op("reduce_sum", Attrs.of("axes", List.of(1L)), x),
                op("reduce_max", Attrs.of("axes", List.of(0L, 2L), "keepdims", true), x),
                op("softmax", Attrs.of("axis", -1L), x), op("log_softmax", Attrs.of("axis", 1L), x),
                op("argmax", Attrs.of("axis", 1L), x), op("cumsum", Attrs.of("axis", 2L), x)), TOL, threads) < TOL);
        Node w = param("ln.w", 5), bias = param("ln.b", 5);
        assertTrue(checkThreaded(2, List.of(op("layer_norm", Attrs.of("eps", 1e-5), x, w, bias)), TOL, threads) < TOL);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void convolutionsAndPools(int threads) {
        Node x = input("x", DType.F32, 3, 4, 11, 9);
        Node w = param("w", 6, 4, 3, 3), b = param("b", 6), dw = param("dw", 4, 1, 3, 3), pw = param("pw", 5, 4, 1, 1);
        assertTrue(checkThreaded(3, List.of(
                Node.of("relu", op("conv2d", Attrs.of("padding", List.of(1L, 1L, 1L, 1L), "stride", List.of(2L, 1L)), x, w, b)),
                op("conv2d", Attrs.of("groups", 4L, "padding", List.of(1L, 1L, 1L, 1L)), x, dw),
                op("conv2d", Attrs.EMPTY, x, pw),
                op("max_pool2d", Attrs.of("kernel", List.of(2L, 2L)), x),
                op("avg_pool2d", Attrs.of("kernel", List.of(3L, 3L), "stride", List.of(2L, 2L), "padding", List.of(1L, 1L, 1L, 1L)), x),
                op("global_avg_pool", Attrs.EMPTY, x)), TOL, threads) < TOL);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void linearAlgebraWithOddSizes(int threads) {
        Node a = input("a", DType.F32, 3, 37, 29), bm = input("b", DType.F32, 29, 41);
        Node x = input("x", DType.F32, 1, 301), w = param("w", 77, 301), wb = param("wb", 77);
        Node tall = input("t", DType.F32, 53, 19), tw = param("tw", 7, 19);
        Node q = input("q", DType.F32, 2, 3, 9, 8), k = input("k", DType.F32, 2, 3, 11, 8), v = input("v", DType.F32, 2, 3, 11, 8);
        assertTrue(checkThreaded(4, List.of(op("matmul", Attrs.EMPTY, a, bm), Node.of("relu", op("linear", Attrs.EMPTY, x, w, wb)),
                op("linear", Attrs.EMPTY, tall, tw), op("attention", Attrs.of("causal", true), q, k, v)), TOL, threads) < TOL);
    }

    /** The GEMM split over threads computes what one thread computes, for odd m, n, k both ways (rows and columns). */
    @Test
    void gemmOnTwoThreadsEqualsOneThread() {
        Random r = new Random(5);
        for (long[] mnk : new long[][] {{67, 45, 33}, {13, 203, 71}, {1, 389, 157}, {201, 17, 9}, {613, 37, 21}, {5, 77, 300}}) {
            Node a = input("a", DType.F32, mnk[0], mnk[2]), b = input("b", DType.F32, mnk[2], mnk[1]);
            Graph g = new Graph("gemm", List.of(a, b), List.of(), List.of(new Graph.Output("c", op("matmul", Attrs.EMPTY, a, b))));
            Map<String, NdArray> in = Map.of("a", random(r, DType.F32, a.shape().sizes(), -1, 1), "b", random(r, DType.F32, b.shape().sizes(), -1, 1));
            float[] one = run(g, in, threaded(1)).get("c"), two = run(g, in, threaded(2)).get("c");
            assertEquals(one.length, two.length);
            for (int i = 0; i < one.length; i++)
                assertEquals(one[i], two[i], 1e-5 * (1 + Math.abs(one[i])), "m n k " + java.util.Arrays.toString(mnk) + " at " + i);
        }
    }

    /**
     * Column splits of packed GEMMs (more rows than the unpacked path takes, fewer than columns):
     * A is packed once by the caller and shared by every part, for each transpose of A and B and
     * with a prepacked weight, bias and ReLU (a batch-64-style linear layer).
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void columnSplitsShareOnePackedA(int threads) {
        Node a = input("a", DType.F32, 23, 131), at = input("at", DType.F32, 131, 23);
        Node b = input("b", DType.F32, 131, 205), bt = input("bt", DType.F32, 205, 131);
        Node x = input("x", DType.F32, 37, 300), w = param("w", 260, 300), wb = param("wb", 260);
        assertTrue(checkThreaded(6, List.of(
                op("gemm", Attrs.of("beta", 0.0), a, b),
                op("gemm", Attrs.of("trans_a", true, "beta", 0.0), at, b),
                op("gemm", Attrs.of("trans_b", true, "beta", 0.0), a, bt),
                op("gemm", Attrs.of("trans_a", true, "trans_b", true, "beta", 0.0), at, bt),
                Node.of("relu", op("linear", Attrs.EMPTY, x, w, wb))), TOL, threads) < TOL);
    }

    static Map<String, float[]> run(Graph g, Map<String, NdArray> in, LlvmBackend.Options options) {
        try (LlvmExecutable exe = LlvmBackend.compile(g, Map.of(), options)) {
            Map<String, Tensor> tin = new LinkedHashMap<>();
            in.forEach((k, v) -> tin.put(k, Tensor.of(v)));
            Map<String, float[]> result = new LinkedHashMap<>();
            for (var e : exe.run(tin).entrySet()) {
                try (Tensor t = e.getValue()) {
                    result.put(e.getKey(), t.toFloatArray());
                }
            }
            tin.values().forEach(Tensor::close);
            return result;
        }
    }

    /** Threading is compiled in only where it pays: one thread or tiny loops stay inline code. */
    @Test
    void smallWorkStaysInline() {
        Node x = input("x", DType.F32, 4, 8);
        Graph g = new Graph("small", List.of(x), List.of(), List.of(new Graph.Output("y", Node.of("exp", x))));
        try (LlvmExecutable big = LlvmBackend.compile(g, Map.of(), threaded(2).withLlvmIr());
             LlvmExecutable small = LlvmBackend.compile(g, Map.of(), LlvmBackend.Options.dims(Map.of()).withThreads(2).withLlvmIr());
             LlvmExecutable single = LlvmBackend.compile(g, Map.of(), threaded(1).withLlvmIr())) {
            assertTrue(big.llvmIr().contains("@dlm_run_loop0("), big.llvmIr());
            assertFalse(small.llvmIr().contains("@dlm_run_loop"), small.llvmIr());
            assertFalse(single.llvmIr().contains("@dlm_run_loop"), single.llvmIr());
        }
    }

    /** Two executables run at the same time from two Java threads (one holds the pool, the other runs inline) give right results. */
    @Test
    void concurrentExecutablesFromTwoJavaThreads() throws Exception {
        Node x = input("x", DType.F32, 16, 96), w = param("w", 64, 96);
        Node h = Node.of("relu", op("linear", Attrs.EMPTY, x, w));
        Graph g = new Graph("pair", List.of(x), List.of(w), List.of(new Graph.Output("y", op("softmax", Attrs.of("axis", -1L), h))));
        Random r = new Random(9);
        Map<String, NdArray> ps = Map.of("w", random(r, DType.F32, new long[] {64, 96}, -0.3, 0.3));
        List<NdArray> inputs = List.of(random(r, DType.F32, new long[] {16, 96}, -1, 1), random(r, DType.F32, new long[] {16, 96}, -1, 1));
        runConcurrently(g, ps, List.of(threaded(2), threaded(3)), inputs, 300, want -> 1e-5);
    }

    /**
     * Runs executable i of {@code options} on {@code inputs.get(i)} from Java thread i, all at the
     * same time, {@code runs} times each, and checks every output against the interpreter within
     * {@code tolerance(expected value)}.
     */
    static void runConcurrently(Graph g, Map<String, NdArray> ps, List<LlvmBackend.Options> options, List<NdArray> inputs, int runs,
                                java.util.function.DoubleUnaryOperator tolerance) throws Exception {
        List<Map<String, double[]>> expected = new ArrayList<>();
        for (NdArray in : inputs) {
            Map<String, double[]> want = new LinkedHashMap<>();
            Interpreter.run(g, Map.of("x", in), ps).forEach((k, v) -> want.put(k, v.data()));
            expected.add(want);
        }
        ExecutorService pool = Executors.newFixedThreadPool(options.size());
        List<LlvmExecutable> exes = new ArrayList<>();
        try {
            for (LlvmBackend.Options o : options) exes.add(LlvmBackend.compile(g, ps, o));
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < exes.size(); t++) {
                int me = t;
                Callable<Integer> job = () -> {
                    int n = 0;
                    try (Tensor in = Tensor.of(inputs.get(me))) {
                        for (; n < runs; n++) {
                            Map<String, Tensor> out = exes.get(me).run(Map.of("x", in));
                            for (var e : out.entrySet()) {
                                try (Tensor y = e.getValue()) {
                                    float[] got = y.toFloatArray();
                                    double[] want = expected.get(me).get(e.getKey());
                                    assertEquals(want.length, got.length);
                                    for (int j = 0; j < got.length; j++)
                                        assertEquals(want[j], got[j], tolerance.applyAsDouble(want[j]), "executable " + me + " run " + n + " " + e.getKey() + " at " + j);
                                }
                            }
                        }
                    }
                    return n;
                };
                done.add(pool.submit(job));
            }
            for (Future<Integer> f : done) assertEquals(runs, f.get());
        } finally {
            pool.shutdownNow();
            for (LlvmExecutable e : exes) e.close();
        }
    }

    /**
     * Pool sessions: executables with batch-1-sized jobs (split only over hot workers) run from two
     * Java threads at once, so their sessions overlap and one caller often finds the pool taken,
     * give the interpreter's results; after the calls the workers go back to sleep.
     */
    @Test
    void overlappingSessionsStayCorrectAndWorkersSleepAfterwards() throws Exception {
        Node x = input("x", DType.F32, 1, 784), w1 = param("w1", 512, 784), b1 = param("b1", 512), w2 = param("w2", 96, 512);
        Node h = Node.of("relu", op("linear", Attrs.EMPTY, x, w1, b1));
        Node wide = Node.of("tanh", Node.of("mul", h, h));
        Graph g = new Graph("session", List.of(x), List.of(w1, b1, w2), List.of(
                new Graph.Output("y", op("softmax", Attrs.of("axis", -1L), op("linear", Attrs.EMPTY, h, w2))),
                new Graph.Output("z", Node.of("exp", Node.of("neg", wide)))));
        Random r = new Random(11);
        Map<String, NdArray> ps = Map.of("w1", random(r, DType.F32, new long[] {512, 784}, -0.05, 0.05),
                "b1", random(r, DType.F32, new long[] {512}, -0.1, 0.1), "w2", random(r, DType.F32, new long[] {96, 512}, -0.05, 0.05));
        List<NdArray> inputs = List.of(random(r, DType.F32, new long[] {1, 784}, -1, 1), random(r, DType.F32, new long[] {1, 784}, -1, 1));
        LlvmBackend.Options defaults = LlvmBackend.Options.dims(Map.of());
        runConcurrently(g, ps, List.of(defaults.withThreads(2), defaults.withThreads(3)), inputs, 400, want -> 1e-4 * (1 + Math.abs(want)));
        // sessions closed: every worker stops spinning and sleeps (state S) within a short while
        long deadline = System.nanoTime() + 5_000_000_000L;
        long spinning;
        do {
            Thread.sleep(20);
            spinning = workerStates().stream().filter(s -> !s.equals("S")).count();
        } while (spinning > 0 && System.nanoTime() < deadline);
        assertEquals(0, spinning, "pool workers still running after the last call: " + workerStates());
        assertFalse(workerStates().isEmpty(), "two-thread executables started no pool worker");
    }

    /** Scheduler states (R, S, ...) of the native pool's threads. */
    static List<String> workerStates() throws IOException {
        List<String> states = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (!Files.readString(t.resolve("comm")).trim().equals("dlm-worker")) continue;
                    String stat = Files.readString(t.resolve("stat"));
                    states.add(stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
                } catch (IOException gone) {
                    // the thread ended while we listed
                }
            }
        }
        return states;
    }

    /** Many threaded executables share one pool: the process's OS thread count does not grow with them. */
    @Test
    void poolDoesNotGrowPerExecutable() throws IOException {
        Node x = input("x", DType.F32, 8, 32);
        Graph g = new Graph("grow", List.of(x), List.of(), List.of(new Graph.Output("y", Node.of("exp", x))));
        long before = -1;
        for (int i = 0; i < 60; i++) {
            try (LlvmExecutable exe = LlvmBackend.compile(g, Map.of(), threaded(4));
                 Tensor in = Tensor.of(NdArray.full(DType.F32, 0, 8, 32));
                 Tensor y = exe.run(Map.of("x", in)).get("y")) {
                assertEquals(1f, y.toFloatArray()[100], 0);
            }
            if (i == 4) before = osThreads();
        }
        long after = osThreads();
        assertTrue(after <= before + 8, "OS threads grew from " + before + " to " + after + " over 55 executables");
        long workers = poolWorkers();
        assertTrue(workers >= 3 && workers <= 64, "pool workers for 4 threads: " + workers);
    }
}
