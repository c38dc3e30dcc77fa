package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpRunner.*;
import static org.junit.jupiter.api.Assertions.*;

import org.dlm.ir.Attrs;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class NormOpsTest {
    private static final Attrs EPS0 = Attrs.of("eps", 0.0);

    @Test void batchNormEvalUsesRunningStatistics() {
        // channel 0: (x-1)/2; channel 1: (x-2)/1·2+1
        NdArray r = run("batch_norm", EPS0, f32(s(2, 2), 1, 2, 3, 4), f32(s(2), 1, 2), f32(s(2), 0, 1),
                f32(s(2), 1, 2), f32(s(2), 4, 1));
        assertClose(new double[] {0, 1, 1, 5}, r, 0);
        NdArray eps = run("batch_norm", f64(s(1, 1), 1), f64(s(1), 1), f64(s(1), 0), f64(s(1), 0), f64(s(1), 0));
        assertClose(new double[] {1 / Math.sqrt(1e-5)}, eps, 1e-9);
    }

    @Test void batchNormTrainingUsesBatchStatistics() {
        // channel 0 values {1,3}: mean 2, biased var 1; channel 1 values {2,4}: mean 3, var 1
        NdArray r = run("batch_norm", EPS0.with("training", true), f32(s(2, 2), 1, 2, 3, 4), f32(s(2), 1, 2), f32(s(2), 0, 1),
                f32(s(2), 100, 100), f32(s(2), 100, 100));
        assertClose(new double[] {-1, -1, 1, 3}, r, 0);
        NdArray x = f64(s(1, 2, 2), 1, 3, 5, 7);
        assertClose(new double[] {2, 6}, run("batch_mean", x), 0);
        assertClose(new double[] {1, 1}, run("batch_var", x), 0);
        NdArray spatial = run("batch_norm", EPS0.with("training", true), x, f64(s(2), 1, 1), f64(s(2), 0, 0), f64(s(2), 0, 0), f64(s(2), 1, 1));
        assertClose(new double[] {-1, 1, -1, 1}, spatial, 0);
    }

    @Test void batchNormShapes() {
        assertEquals(type("f32[B, 16, H, W]"), infer("batch_norm", Attrs.EMPTY, "f32[B, 16, H, W]", "f32[16]", "f32[16]", "f32[16]", "f32[16]"));
        assertEquals(type("f32[16]"), infer("batch_var", Attrs.EMPTY, "f32[B, 16, H, W]"));
        assertEquals("batch_norm expects gamma of shape [16], got f32[8]",
                inferError("batch_norm", Attrs.EMPTY, "f32[B, 16, H, W]", "f32[8]", "f32[16]", "f32[16]", "f32[16]").getMessage());
        assertTrue(inferError("batch_norm", Attrs.EMPTY, "f32[B, 2]", "f32[2]", "f32[2]", "f64[2]", "f32[2]").getMessage().contains("running mean is f64[2]"));
        assertTrue(inferError("batch_mean", Attrs.EMPTY, "f32[5]").getMessage().contains("rank 2 or more"));
    }

    @Test void layerNorm() {
        assertClose(new double[] {-1, 1}, run("layer_norm", EPS0, f32(s(1, 2), 1, 3)), 0);
        assertClose(new double[] {-1, 4}, run("layer_norm", EPS0, f32(s(1, 2), 1, 3), f32(s(2), 2, 3), f32(s(2), 1, 1)), 0);
        assertClose(new double[] {-2, 3}, run("layer_norm", EPS0, f32(s(1, 2), 1, 3), f32(s(2), 2, 3)), 0);
        // axis 1 of [1,2,2]: all four values, mean 3, var (9+1+1+9)/4 = 5
        NdArray r = run("layer_norm", EPS0.with("axis", 1), f64(s(1, 2, 2), 0, 2, 4, 6));
        double k = 1 / Math.sqrt(5);
        assertClose(new double[] {-3 * k, -k, k, 3 * k}, r, 1e-12);
        // two rows normalized separately
        assertClose(new double[] {-1, 1, -1, 1}, run("layer_norm", EPS0, f64(s(2, 2), 0, 2, 10, 30)), 1e-12);
    }

    @Test void layerNormShapes() {
        assertEquals(type("f32[B, T, 64]"), infer("layer_norm", Attrs.EMPTY, "f32[B, T, 64]", "f32[64]", "f32[64]"));
        assertEquals(type("f32[B, T, 4, 8]"), infer("layer_norm", Attrs.of("axis", -2), "f32[B, T, 4, 8]", "f32[4, 8]"));
        assertEquals("layer_norm expects gamma of shape [64] (the normalized dims of f32[B, T, 64]), got f32[32]",
                inferError("layer_norm", Attrs.EMPTY, "f32[B, T, 64]", "f32[32]").getMessage());
        assertTrue(inferError("layer_norm", Attrs.of("axis", 3), "f32[B, T, 64]").getMessage().contains("axis 3 is out of range for rank 3"));
    }

    @Test void groupNorm() {
        NdArray x = f64(s(1, 4, 1), 1, 3, 10, 20);   // groups {1,3} and {10,20}
        assertClose(new double[] {-1, 1, -1, 1}, run("group_norm", EPS0.with("groups", 2), x, f64(s(4), 1, 1, 1, 1), f64(s(4), 0, 0, 0, 0)), 1e-12);
        assertClose(new double[] {-1, 2, -3, 5}, run("group_norm", EPS0.with("groups", 2), x, f64(s(4), 1, 2, 3, 4), f64(s(4), 0, 0, 0, 1)), 1e-12);
        // one group = layer norm over C and spatial
        NdArray one = run("group_norm", EPS0.with("groups", 1), f32(s(1, 2, 2), 0, 2, 4, 6), f32(s(2), 1, 1), f32(s(2), 0, 0));
        double k = 1 / Math.sqrt(5);
        assertClose(new double[] {-3 * k, -k, k, 3 * k}, one, 1e-6);
        assertTrue(inferError("group_norm", Attrs.of("groups", 3), "f32[B, 4, H, W]", "f32[4]", "f32[4]").getMessage()
                .contains("groups 3 does not divide the 4 channels"));
        assertTrue(inferError("group_norm", Attrs.EMPTY, "f32[B, 4, H, W]", "f32[4]", "f32[4]").getMessage().contains("needs attribute 'groups'"));
    }
}
