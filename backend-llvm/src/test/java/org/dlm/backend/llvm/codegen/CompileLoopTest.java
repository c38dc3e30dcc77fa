package org.dlm.backend.llvm.codegen;

import static org.dlm.backend.llvm.codegen.Diff.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dlm.backend.llvm.LlvmBackend;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.lower.LoweringException;
import org.dlm.runtime.Tensor;
import org.junit.jupiter.api.Test;

/** Compile/run/close in a loop must not grow native memory; bad requests fail with one clear message. */
class CompileLoopTest {
    static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        throw new AssertionError("no VmRSS in /proc/self/status");
    }

    static Graph small() {
        Node x = input("x", DType.F32, 4, 8), w = param("w", 3, 8);
        return new Graph("loop", List.of(x), List.of(w), List.of(new Graph.Output("y", Node.of("relu", Node.of("linear", Node.of("exp", x), w)))));
    }

    @Test
    void thousandCompileRunCloseCyclesKeepNativeMemoryBounded() throws IOException {
        Graph g = small();
        Map<String, NdArray> ps = Map.of("w", NdArray.full(DType.F32, 0.25, 3, 8));
        long baseline = 0, threadsBaseline = 0;
        for (int i = 0; i < 1000; i++) {
            // every other executable threaded (pool calls even for this tiny graph): the one native pool is shared
            LlvmBackend.Options options = i % 2 == 0 ? LlvmBackend.Options.dims(Map.of()) : LlvmBackend.Options.dims(Map.of()).withThreads(2).withMinParallelWork(0);
            try (LlvmExecutable exe = LlvmBackend.compile(g, ps, options);
                 Tensor x = Tensor.of(NdArray.full(DType.F32, 0, 4, 8))) {
                try (Tensor y = exe.run(Map.of("x", x)).get("y")) {
                    assertEquals(2.0f, y.toFloatArray()[5], 1e-6);   // relu(8 · 0.25 · e^0)
                }
            }
            if (i == 199) {
                System.gc();   // JavaCPP frees some native scratch when its Java owners are collected
                baseline = rssKiB();
                threadsBaseline = ThreadedCodegenTest.osThreads();
            }
        }
        System.gc();
        long threads = ThreadedCodegenTest.osThreads();
        assertTrue(threads <= threadsBaseline + 8, "OS threads grew from " + threadsBaseline + " to " + threads + " over 800 cycles");
        long growth = rssKiB() - baseline;
        System.out.println("compile/run/close loop: RSS growth over 800 cycles " + growth + " KiB");
        // Over 800 cycles, leaking the JIT (MiBs each) or the arena with its GEMM packing buffers
        // (hundreds of KiB each) would grow RSS by far more than this allowance for heap and malloc noise.
        assertTrue(growth < 160 * 1024, "RSS grew by " + growth + " KiB over 800 compile/run/close cycles");
    }

    @Test
    void problemsAreListedTogether() {
        Node x = Node.of("input", List.of(), org.dlm.ir.Attrs.of("name", "x", "dtype", DType.F32, "shape", org.dlm.ir.Shape.of(org.dlm.ir.Dim.sym("B"), org.dlm.ir.Dim.of(8))));
        Node w = param("w", 3, 8);
        Graph g = new Graph("bad", List.of(x), List.of(w), List.of(new Graph.Output("y", Node.of("cumsum", List.of(Node.of("linear", x, w)), org.dlm.ir.Attrs.of("axis", 0L)))));
        LoweringException e = assertThrows(LoweringException.class, () -> LlvmBackend.compile(g, Map.of(), LlvmBackend.Options.dims(Map.of())));
        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).contains("dimension B must be bound"), e.getMessage());
        assertTrue(e.problems().get(1).contains("missing value for parameter 'w'"), e.getMessage());
    }
}
