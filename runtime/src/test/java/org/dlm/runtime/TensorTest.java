package org.dlm.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void roundTripsEveryDtypeThroughNdArray() {
        double[] values = {0, 1.5, -2.25, 3e4, -7, 1e-3, 100, 0.1};
        for (DType dt : DType.values()) {
            NdArray src = new NdArray(dt, new long[] {2, 4}, values.clone());
            try (Tensor t = Tensor.of(src)) {
                assertEquals(dt, t.dtype());
                assertArrayEquals(new long[] {2, 4}, t.shape());
                assertEquals(8L * dt.byteSize(), t.byteSize());
                assertEquals(0.0, src.maxAbsDiff(t.toNdArray()), 0.0, "dtype " + dt);
            }
        }
    }

    @Test
    void memoryIsAlignedZeroedAndSizedExactly() {
        for (int n = 1; n < 40; n += 7) {
            try (Tensor t = Tensor.zeros(DType.F32, n, 3)) {
                assertEquals(0, t.segment().address() % Tensor.ALIGNMENT);
                assertEquals(n * 3L * 4, t.segment().byteSize());
                for (long i = 0; i < t.numel(); i++) assertEquals(0.0, t.get(i));
            }
        }
        try (Tensor empty = Tensor.zeros(DType.F32, 0, 5)) {
            assertEquals(0, empty.numel());
            assertEquals(0, empty.segment().byteSize());
        }
    }

    @Test
    void floatsInAndOut() {
        try (Tensor t = Tensor.ofFloats(new long[] {3}, 1f, -2f, 0.5f)) {
            assertArrayEquals(new float[] {1f, -2f, 0.5f}, t.toFloatArray());
            assertEquals(TensorType.of(DType.F32, 3), t.type());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new long[] {2, 2}, 1f));
        assertEquals("shape [2, 2] needs 4 values, got 1", e.getMessage());
    }

    @Test
    void closedTensorAndBadIndexFailClearly() {
        Tensor t = Tensor.zeros(DType.I32, 4);
        t.set(3, 9);
        assertEquals(9.0, t.get(3));
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(4));
        t.close();
        t.close();   // idempotent
        assertFalse(t.isOpen());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.get(0));
        assertEquals("tensor i32[4] is closed", e.getMessage());
    }

    @Test
    void symbolicTypeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(TensorType.of(DType.F32, Dim.sym("B"), Dim.of(3))));
        assertTrue(e.getMessage().startsWith("a tensor needs a static shape"), e.getMessage());
    }

    @Test
    void executableInputCheckListsEveryProblem() {
        Map<String, TensorType> expected = new LinkedHashMap<>();
        expected.put("x", TensorType.of(DType.F32, 2, 3));
        expected.put("y", TensorType.of(DType.F32, 3));
        try (Tensor x = Tensor.zeros(DType.F32, 3, 2); Tensor z = Tensor.zeros(DType.I64, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Executable.checkInputs(expected, Map.of("x", x, "z", z)));
            assertEquals("input 'x' should be f32[2, 3], got f32[3, 2]\nmissing input 'y' of type f32[3]\nunexpected input 'z' (inputs: [x, y])",
                    e.getMessage());
        }
    }

    static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void allocateAndCloseInALoopDoesNotLeak() throws IOException {
        for (int i = 0; i < 200; i++) try (Tensor t = Tensor.zeros(DType.F32, 256, 1024)) { t.set(i, i); }
        long before = rssKiB();
        for (int i = 0; i < 2000; i++) try (Tensor t = Tensor.zeros(DType.F32, 256, 1024)) { t.set(i, i); }   // 1 MiB each
        long after = rssKiB();
        assertTrue(after - before < 64 * 1024, "VmRSS grew by " + (after - before) + " KiB for 2000 MiB allocated and freed");
    }
}
