package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpRunner.*;
import static org.junit.jupiter.api.Assertions.*;

import org.dlm.ir.Attrs;
import org.dlm.ir.ShapeException;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class LinalgOpsTest {
    @Test void matmul2x2() {
        NdArray r = run("matmul", f32(s(2, 2), 1, 2, 3, 4), f32(s(2, 2), 5, 6, 7, 8));
        assertClose(new double[] {19, 22, 43, 50}, r, 0);
    }

    @Test void matmulVectorsPromoteAndDropDims() {
        NdArray dot = run("matmul", f64(s(3), 1, 2, 3), f64(s(3), 4, 5, 6));
        assertEquals(0, dot.rank());
        assertEquals(32, dot.get(0));
        NdArray vm = run("matmul", f64(s(2), 1, 2), f64(s(2, 3), 1, 2, 3, 4, 5, 6));
        assertArrayEquals(s(3), vm.shape());
        assertClose(new double[] {9, 12, 15}, vm, 0);
        NdArray mv = run("matmul", f64(s(2, 3), 1, 2, 3, 4, 5, 6), f64(s(3), 1, 0, 1));
        assertArrayEquals(s(2), mv.shape());
        assertClose(new double[] {4, 10}, mv, 0);
    }

    @Test void matmulBroadcastsBatch() {
        // a[2,1,2] @ b[2,1]: each batch row summed
        NdArray r = run("matmul", f32(s(2, 1, 2), 1, 2, 3, 4), f32(s(2, 1), 1, 1));
        assertArrayEquals(s(2, 1, 1), r.shape());
        assertClose(new double[] {3, 7}, r, 0);
        // a[2,1,1,1] @ b[3,1,1]: batch dims broadcast to [2,3]
        NdArray r2 = run("matmul", f32(s(2, 1, 1, 1), 1, 2), f32(s(3, 1, 1), 10, 20, 30));
        assertArrayEquals(s(2, 3, 1, 1), r2.shape());
        assertClose(new double[] {10, 20, 30, 20, 40, 60}, r2, 0);
    }

    @Test void matmulShapes() {
        assertEquals(type("f32[B, 3, 5]"), infer("matmul", Attrs.EMPTY, "f32[B, 3, 4]", "f32[4, 5]"));
        assertEquals(type("f32[2, 5, 3, 6]"), infer("matmul", Attrs.EMPTY, "f32[2, 1, 3, 4]", "f32[5, 4, 6]"));
        assertEquals(type("f64[B, T]"), infer("matmul", Attrs.EMPTY, "f64[B, T, D]", "f64[D]"));
        ShapeException e = inferError("matmul", Attrs.EMPTY, "f32[B, 400]", "f32[120, 84]");
        assertEquals("matmul needs inner dimensions to agree, got f32[B, 400] and f32[120, 84]", e.getMessage());
        assertTrue(e.hint().contains("400") && e.hint().contains("120"));
        assertTrue(inferError("matmul", Attrs.EMPTY, "f32[2, 3]", "f64[3, 2]").getMessage().contains("f64[3, 2]"));
        assertTrue(inferError("matmul", Attrs.EMPTY, "f32[]", "f32[3]").getMessage().contains("rank 1 or more"));
        assertTrue(inferError("matmul", Attrs.EMPTY, "f32[2, 3, 4]", "f32[5, 4, 6]").getMessage().contains("cannot broadcast"));
    }

    @Test void gemmTransposeAlphaBetaAndBroadcastC() {
        // aᵀ = [[1,3],[2,4]], b = I; 2·aᵀ + [10, 20]
        NdArray r = run("gemm", Attrs.of("alpha", 2.0, "trans_a", true),
                f32(s(2, 2), 1, 2, 3, 4), f32(s(2, 2), 1, 0, 0, 1), f32(s(2), 10, 20));
        assertClose(new double[] {12, 26, 14, 28}, r, 0);
        // trans_b, beta 0.5, no broadcast
        NdArray r2 = run("gemm", Attrs.of("beta", 0.5, "trans_b", true),
                f64(s(1, 2), 1, 2), f64(s(3, 2), 1, 0, 0, 1, 1, 1), f64(s(1, 3), 2, 4, 6));
        assertClose(new double[] {2, 4, 6}, r2, 0);
        NdArray r3 = run("gemm", f64(s(1, 2), 1, 2), f64(s(2, 1), 3, 4));
        assertClose(new double[] {11}, r3, 0);
    }

    @Test void gemmShapes() {
        assertEquals(type("f32[M, N]"), infer("gemm", Attrs.of("trans_a", true, "trans_b", true), "f32[K, M]", "f32[N, K]"));
        assertTrue(inferError("gemm", Attrs.EMPTY, "f32[2, 3]", "f32[2, 3]").getMessage().startsWith("gemm needs inner dimensions to agree"));
        assertTrue(inferError("gemm", Attrs.EMPTY, "f32[2, 3]", "f32[3, 4]", "f32[3]").getMessage().contains("cannot broadcast"));
        assertTrue(inferError("gemm", Attrs.EMPTY, "f32[2, 3, 1]", "f32[3, 4]").getMessage().contains("rank 2"));
    }

    @Test void linear() {
        NdArray r = run("linear", f32(s(1, 3), 1, 2, 3), f32(s(2, 3), 1, 0, 0, 0, 1, 1), f32(s(2), 10, 20));
        assertClose(new double[] {11, 25}, r, 0);
        NdArray nobias = run("linear", f64(s(2, 1, 2), 1, 2, 3, 4), f64(s(1, 2), 1, -1));
        assertArrayEquals(s(2, 1, 1), nobias.shape());
        assertClose(new double[] {-1, -1}, nobias, 0);
    }

    @Test void linearShapes() {
        assertEquals(type("f32[B, T, 120]"), infer("linear", Attrs.EMPTY, "f32[B, T, 400]", "f32[120, 400]", "f32[120]"));
        ShapeException e = inferError("linear", Attrs.EMPTY, "f32[B, 16, 5, 5]", "f32[120, 400]", "f32[120]");
        assertEquals("linear expects f32[..., 400], got f32[B, 16, 5, 5]", e.getMessage());
        assertEquals("flatten the input first", e.hint());
        ShapeException e2 = inferError("linear", Attrs.EMPTY, "f32[B, 300]", "f32[120, 400]");
        assertTrue(e2.hint().contains("f32[120, 400]"));
        assertTrue(inferError("linear", Attrs.EMPTY, "f32[B, 400]", "f32[120, 400]", "f32[84]").getMessage()
                .contains("the bias of shape [120]"));
    }
}
