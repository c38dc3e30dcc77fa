package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpRunner.*;
import static org.junit.jupiter.api.Assertions.*;

import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class AttentionOpTest {
    // q·k = [ln 2, 0] with scale ln 2 -> weights [2/3, 1/3] over v rows [1,2] and [3,4]
    private static final NdArray K = f64(s(2, 2), 1, 0, 0, 1), V = f64(s(2, 2), 1, 2, 3, 4);
    private static final Attrs LN2 = Attrs.of("scale", Math.log(2));

    @Test void scaledWeights() {
        assertClose(new double[] {5.0 / 3, 8.0 / 3}, run("attention", LN2, f64(s(1, 2), 1, 0), K, V), 1e-15);
        // default scale 1/sqrt(d): q = [sqrt(2)·ln 2, 0] gives the same scores
        assertClose(new double[] {5.0 / 3, 8.0 / 3}, run("attention", f64(s(1, 2), Math.sqrt(2) * Math.log(2), 0), K, V), 1e-14);
    }

    @Test void maskAndCausal() {
        NdArray mask = NdArray.of(DType.BOOL, s(2), 1, 0);   // keep key 0 only, broadcast over queries
        assertClose(new double[] {1, 2}, run("attention", LN2, f64(s(1, 2), 1, 0), K, V, mask), 1e-15);
        NdArray q2 = f64(s(2, 2), 1, 0, 1, 0);
        assertClose(new double[] {1, 2, 5.0 / 3, 8.0 / 3}, run("attention", LN2.with("causal", true), q2, K, V), 1e-15);
        NdArray none = NdArray.of(DType.BOOL, s(1, 2), 0, 0);
        assertClose(new double[] {0, 0}, run("attention", LN2, f64(s(1, 2), 1, 0), K, V, none), 0);
    }

    @Test void batchesBroadcast() {
        // two heads of q share one k and v
        NdArray q = f64(s(2, 1, 2), 1, 0, 0, 1);
        NdArray r = run("attention", LN2, q, K, V);
        assertArrayEquals(s(2, 1, 2), r.shape());
        assertClose(new double[] {5.0 / 3, 8.0 / 3, 7.0 / 3, 10.0 / 3}, r, 1e-15);
    }

    @Test void shapes() {
        assertEquals(type("f32[B, H, T, 32]"), infer("attention", Attrs.EMPTY, "f32[B, H, T, 64]", "f32[B, H, S, 64]", "f32[B, H, S, 32]"));
        assertEquals(type("f32[B, H, T, 64]"), infer("attention", Attrs.of("causal", true), "f32[B, H, T, 64]", "f32[B, H, T, 64]", "f32[B, H, T, 64]", "bool[B, 1, 1, T]"));
        assertTrue(inferError("attention", Attrs.EMPTY, "f32[B, T, 64]", "f32[B, T, 32]", "f32[B, T, 64]").getMessage().contains("same head size"));
        assertTrue(inferError("attention", Attrs.EMPTY, "f32[B, T, 64]", "f32[B, S, 64]", "f32[B, T, 64]").getMessage().contains("same number of keys"));
        assertTrue(inferError("attention", Attrs.EMPTY, "f32[B, T, 8]", "f32[B, T, 8]", "f32[B, T, 8]", "f32[B, T, T]").getMessage().contains("bool mask"));
        assertTrue(inferError("attention", Attrs.EMPTY, "f32[B, T, 8]", "f32[B, T, 8]", "f32[B, T, 8]", "bool[B, 3, T]").getMessage().contains("cannot broadcast"));
    }
}
