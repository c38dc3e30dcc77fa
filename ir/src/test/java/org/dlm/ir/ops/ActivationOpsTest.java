package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpRunner.*;
import static org.junit.jupiter.api.Assertions.*;

import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/** softmax, log_softmax, dropout, embedding. */
class ActivationOpsTest {
    @Test void softmaxOfZeroAndLn2() {
        NdArray x = f64(s(2), 0, Math.log(2));
        assertClose(new double[] {1.0 / 3, 2.0 / 3}, run("softmax", x), 1e-15);
        assertClose(new double[] {-Math.log(3), Math.log(2) - Math.log(3)}, run("log_softmax", x), 1e-15);
        assertClose(new double[] {1f / 3, 2f / 3}, run("softmax", f32(s(2), 0, Math.log(2))), 1e-7);
    }

    @Test void softmaxIsStableAndFollowsTheAxis() {
        assertClose(new double[] {0.5, 0.5}, run("softmax", f32(s(2), 1000, 1000)), 0);
        assertClose(new double[] {-Math.log(2), -Math.log(2)}, run("log_softmax", f64(s(2), -1000, -1000)), 1e-12);
        // axis 0 of [[0, 0], [ln 3, 0]]: columns normalized
        NdArray r = run("softmax", Attrs.of("axis", 0), f64(s(2, 2), 0, 0, Math.log(3), 0));
        assertClose(new double[] {0.25, 0.5, 0.75, 0.5}, r, 1e-15);
        assertTrue(inferError("softmax", Attrs.of("axis", 2), "f32[B, 10]").getMessage().contains("out of range"));
        assertTrue(inferError("log_softmax", Attrs.EMPTY, "i64[B, 10]").getMessage().contains("floating-point"));
    }

    @Test void dropoutIsIdentityUnlessTraining() {
        NdArray x = f32(s(4), 1, 2, 3, 4);
        assertEquals(x, run("dropout", Attrs.of("p", 0.9), x));
        assertEquals(x, run("dropout", Attrs.of("p", 0.0, "training", true), x));
        assertClose(new double[] {0, 0, 0, 0}, run("dropout", Attrs.of("p", 1.0, "training", true), x), 0);
        assertTrue(org.dlm.ir.OpTable.require("dropout").isStateful());
    }

    @Test void dropoutSeedOperandAddsToTheAttribute() {
        NdArray x = NdArray.full(DType.F32, 1, 500);
        NdArray withOperand = run("dropout", Attrs.of("p", 0.5, "training", true, "seed", 2), x, i64(s(), 5));
        assertEquals(run("dropout", Attrs.of("p", 0.5, "training", true, "seed", 7), x), withOperand);
        assertNotEquals(run("dropout", Attrs.of("p", 0.5, "training", true, "seed", 2), x, i64(s(), 6)), withOperand, "a new seed, a new mask");
        assertTrue(inferError("dropout", Attrs.EMPTY, "f32[4]", "f32[]").getMessage().contains("i64 scalar"));
        assertTrue(inferError("dropout", Attrs.EMPTY, "f32[4]", "i64[2]").getMessage().contains("i64 scalar"));
    }

    @Test void dropoutMaskIsSplitMix64() {
        // published first SplitMix64 output for seed 0: 0xE220A8397B1DCDAF
        assertEquals((0xE220A8397B1DCDAFL >>> 11) * 0x1.0p-53, DropoutMask.uniform(0, 0));
        assertEquals(0.8833, DropoutMask.uniform(0, 0), 1e-4);
        int n = 2000;
        NdArray x = NdArray.full(DType.F64, 3, n);
        Attrs a = Attrs.of("p", 0.25, "training", true, "seed", 42);
        NdArray r = run("dropout", a, x);
        int kept = 0;
        for (int i = 0; i < n; i++) {
            boolean keep = DropoutMask.keep(42, i, 0.25);
            assertEquals(keep ? 4.0 : 0.0, r.get(i), 1e-12, "element " + i);   // 3 / (1 - 0.25)
            if (keep) kept++;
        }
        assertTrue(kept > 1400 && kept < 1600, "about 75% kept, got " + kept);
        assertEquals(r, run("dropout", a, x));
        assertNotEquals(r, run("dropout", a.with("seed", 43), x));
        assertTrue(inferError("dropout", Attrs.of("p", 1.5), "f32[B, 10]").getMessage().contains("between 0 and 1"));
    }

    @Test void embedding() {
        NdArray table = f32(s(3, 2), 0, 1, 10, 11, 20, 21);
        NdArray r = run("embedding", table, i64(s(1, 2), 2, 0));
        assertArrayEquals(s(1, 2, 2), r.shape());
        assertClose(new double[] {20, 21, 0, 1}, r, 0);
        NdArray one = run("embedding", table, NdArray.scalar(DType.I32, 1));
        assertArrayEquals(s(2), one.shape());
        assertClose(new double[] {10, 11}, one, 0);
        var e = assertThrows(org.dlm.ir.interp.InterpreterException.class, () -> run("embedding", table, i64(s(1), 3)));
        assertEquals("%0 = embedding: embedding id 3 is out of range for a table of 3 rows", e.getMessage());
        assertEquals(type("f32[B, T, 512]"), infer("embedding", Attrs.EMPTY, "f32[50000, 512]", "i64[B, T]"));
        assertTrue(inferError("embedding", Attrs.EMPTY, "f32[10, 4]", "f32[B, T]").getMessage().contains("integer ids"));
        assertTrue(inferError("embedding", Attrs.EMPTY, "f32[10]", "i64[B]").getMessage().contains("rank 2"));
    }
}
