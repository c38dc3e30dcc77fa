package org.dlm.backend.opencl;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.Tensor;
import org.junit.jupiter.api.Test;

/** Every OpenCL object an executable creates is released on close: 200 compile/run/close cycles leave RSS bounded. */
class CompileLoopOpenClTest {
    static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        throw new AssertionError("no VmRSS");
    }

    @Test
    void cyclesReuseTheProgramAndDoNotLeak() throws IOException {
        Node x = Diff.input("x", DType.F32, 64, 33), w = Diff.param("w", 17, 33);
        Node y = Node.of("relu", Node.of("linear", x, w));
        Graph g = new Graph("loop", List.of(x), List.of(w), List.of(new Graph.Output("y", y)));
        NdArray wv = NdArray.full(DType.F32, 0.5, 17, 33);
        float[] ones = new float[64 * 33];
        java.util.Arrays.fill(ones, 1f);
        long before = 0;
        int cached = -1;
        for (int i = 0; i < 200; i++) {
            try (OpenClExecutable exe = OpenClBackend.compile(g, Map.of("w", wv), OpenClBackend.Options.dims(Map.of()));
                 Tensor in = Tensor.ofFloats(new long[] {64, 33}, ones)) {
                Map<String, Tensor> out = exe.run(Map.of("x", in));
                try (Tensor t = out.get("y")) {
                    assertEquals(16.5, t.get(0), 1e-5);
                    assertEquals(16.5, t.get(64 * 17 - 1), 1e-5);
                }
                if (i == 0) cached = OpenClDevice.select(null).cachedPrograms();
                else assertEquals(cached, OpenClDevice.select(null).cachedPrograms(), "an identical program is built once");
            }
            if (i == 20) before = rssKiB();
        }
        long after = rssKiB();
        System.out.printf("RSS after 20 cycles %d KiB, after 200 %d KiB%n", before, after);
        assertTrue(after - before < 32 * 1024, "RSS grew by " + (after - before) + " KiB over 180 cycles");
    }
}
