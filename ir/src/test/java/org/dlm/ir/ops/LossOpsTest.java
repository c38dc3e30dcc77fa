package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpRunner.*;
import static org.junit.jupiter.api.Assertions.*;

import org.dlm.ir.Attrs;
import org.dlm.ir.ShapeException;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class LossOpsTest {
    private static final double LN2 = Math.log(2), LN3 = Math.log(3), LN4 = Math.log(4);
    // logits [0, ln 3]: softmax [1/4, 3/4], log-probabilities [-ln 4, ln 3 - ln 4]
    private static final NdArray LOGITS = f64(s(1, 2), 0, LN3);

    @Test void crossEntropyWithClassIds() {
        NdArray r = run("cross_entropy", LOGITS, i64(s(1), 1));
        assertEquals(0, r.rank());
        assertEquals(LN4 - LN3, r.get(0), 1e-15);
        assertEquals(LN4, run("cross_entropy", LOGITS, i64(s(1), 0)).get(0), 1e-15);
        assertEquals((float) (LN4 - LN3), run("cross_entropy", f32(s(1, 2), 0, LN3), i64(s(1), 1)).get(0), 1e-7);
    }

    @Test void crossEntropyLabelSmoothingByHand() {
        // ε = 0.1, C = 2: (1-ε)·(ln 4 - ln 3) + ε/2·(ln 4 + ln 4 - ln 3) = 0.3426127...
        double want = 0.9 * (LN4 - LN3) + 0.05 * (2 * LN4 - LN3);
        assertEquals(0.3426127, want, 1e-7);
        assertEquals(want, run("cross_entropy", Attrs.of("label_smoothing", 0.1), LOGITS, i64(s(1), 1)).get(0), 1e-15);
        // the same as probability targets [0.05, 0.95] without smoothing, or [0, 1] with it
        assertEquals(want, run("cross_entropy", LOGITS, f64(s(1, 2), 0.05, 0.95)).get(0), 1e-15);
        assertEquals(want, run("cross_entropy", Attrs.of("label_smoothing", 0.1), LOGITS, f64(s(1, 2), 0, 1)).get(0), 1e-15);
    }

    @Test void crossEntropyIgnoreIndexAndReductions() {
        NdArray logits = f64(s(2, 2), 0, LN3, 0, 0);
        NdArray t = i64(s(2), 1, -100);
        assertEquals(LN4 - LN3, run("cross_entropy", logits, t).get(0), 1e-15);   // mean over the one counted sample
        assertEquals(LN4 - LN3, run("cross_entropy", Attrs.of("reduction", "sum"), logits, t).get(0), 1e-15);
        NdArray none = run("cross_entropy", Attrs.of("reduction", "none"), logits, t);
        assertArrayEquals(s(2), none.shape());
        assertClose(new double[] {LN4 - LN3, 0}, none, 1e-15);
        assertEquals(LN2, run("cross_entropy", Attrs.of("ignore_index", 1), logits, i64(s(2), 1, 0)).get(0), 1e-15);
        // smoothing: ignored samples contribute nothing to either term and the mean is over counted ones
        double smooth = 0.9 * (LN4 - LN3) + 0.05 * (2 * LN4 - LN3);
        assertEquals(smooth, run("cross_entropy", Attrs.of("label_smoothing", 0.1), logits, t).get(0), 1e-15);
        assertTrue(Double.isNaN(run("cross_entropy", logits, i64(s(2), -100, -100)).get(0)), "0/0 like PyTorch");
        var e = assertThrows(org.dlm.ir.interp.InterpreterException.class, () -> run("cross_entropy", logits, i64(s(2), 2, 0)));
        assertEquals("%0 = cross_entropy: target class 2 is out of range for 2 classes", e.getMessage());
    }

    @Test void crossEntropyOverSpatialDims() {
        // logits [1, 2, 2]: position 0 has logits (0, ln 3), position 1 has (0, 0)
        NdArray logits = f64(s(1, 2, 2), 0, 0, LN3, 0);
        assertEquals((LN4 - LN3 + LN2) / 2, run("cross_entropy", logits, i64(s(1, 2), 1, 0)).get(0), 1e-15);
        NdArray none = run("cross_entropy", Attrs.of("reduction", "none"), logits, i64(s(1, 2), 1, 0));
        assertArrayEquals(s(1, 2), none.shape());
        assertClose(new double[] {LN4 - LN3, LN2}, none, 1e-15);
        // probability targets shaped like the logits, mean over N·d
        NdArray probs = f64(s(1, 2, 2), 0, 1, 1, 0);
        assertEquals((LN4 - LN3 + LN2) / 2, run("cross_entropy", logits, probs).get(0), 1e-15);
        // unbatched [C] logits with a scalar class id
        assertEquals(LN4 - LN3, run("cross_entropy", f64(s(2), 0, LN3), i64(s(), 1)).get(0), 1e-15);
    }

    @Test void crossEntropyShapes() {
        assertEquals(type("f32[]"), infer("cross_entropy", Attrs.EMPTY, "f32[B, 10]", "i64[B]"));
        assertEquals(type("f32[B, H, W]"), infer("cross_entropy", Attrs.of("reduction", "none"), "f32[B, 21, H, W]", "i64[B, H, W]"));
        ShapeException e = inferError("cross_entropy", Attrs.EMPTY, "f32[B, 10]", "i64[B, 10]");
        assertEquals("cross_entropy expects class ids of shape [B] for logits f32[B, 10], got i64[B, 10]", e.getMessage());
        assertTrue(e.hint().contains("argmax"));
        assertTrue(inferError("cross_entropy", Attrs.EMPTY, "f32[B, 10]", "f32[B, 5]").getMessage().contains("probability targets shaped like the logits"));
        assertTrue(inferError("cross_entropy", Attrs.EMPTY, "f32[B, 10]", "bool[B]").getMessage().contains("integer class ids or probabilities"));
        assertTrue(inferError("cross_entropy", Attrs.of("reduction", "avg"), "f32[B, 10]", "i64[B]").getMessage().contains("\"mean\", \"sum\" or \"none\""));
        assertTrue(inferError("cross_entropy", Attrs.of("label_smoothing", 1.5), "f32[B, 10]", "i64[B]").getMessage().contains("between 0 and 1"));
    }

    @Test void nllLoss() {
        NdArray lp = f64(s(2, 2), -1, -2, -3, -4);
        assertEquals(2.5, run("nll_loss", lp, i64(s(2), 1, 0)).get(0), 0);
        assertEquals(5, run("nll_loss", Attrs.of("reduction", "sum"), lp, i64(s(2), 1, 0)).get(0), 0);
        assertClose(new double[] {2, 3}, run("nll_loss", Attrs.of("reduction", "none"), lp, i64(s(2), 1, 0)), 0);
        assertEquals(2, run("nll_loss", lp, i64(s(2), 1, -100)).get(0), 0);
        assertTrue(inferError("nll_loss", Attrs.EMPTY, "f32[B, 10]", "f32[B, 10]").getMessage().contains("integer class ids as target"));
    }

    @Test void binaryCrossEntropy() {
        assertEquals((LN2 + Math.log(5)) / 2, run("binary_cross_entropy", f64(s(2), 0.5, 0.8), f64(s(2), 1, 0)).get(0), 1e-15);
        assertClose(new double[] {100, 100, 0}, run("binary_cross_entropy", Attrs.of("reduction", "none"),
                f64(s(3), 0, 1, 1), f64(s(3), 1, 0, 1)), 0);   // log clamped at -100
        assertEquals(LN2 + Math.log(5), run("binary_cross_entropy", Attrs.of("reduction", "sum"), f32(s(2), 0.5, 0.8), f32(s(2), 1, 0)).get(0), 1e-6);
    }

    @Test void bceWithLogitsIsStable() {
        assertClose(new double[] {LN2, LN4, 0, 1000, 1000, 0}, run("bce_with_logits", Attrs.of("reduction", "none"),
                f64(s(6), 0, LN3, 1000, -1000, 1000, -1000), f64(s(6), 1, 0, 1, 1, 0, 0)), 1e-12);
        // soft target 0.5 on logit ln 3: 0.5·ln(4/3) + 0.5·ln 4
        assertEquals(0.5 * (LN4 - LN3) + 0.5 * LN4, run("bce_with_logits", f64(s(1), LN3), f64(s(1), 0.5)).get(0), 1e-15);
    }

    @Test void regressionLosses() {
        NdArray a = f32(s(2), 1, 2), b = f32(s(2), 3, 5);
        assertEquals(6.5, run("mse_loss", a, b).get(0), 0);
        assertEquals(2.5, run("l1_loss", a, b).get(0), 0);
        assertEquals(13, run("mse_loss", Attrs.of("reduction", "sum"), a, b).get(0), 0);
        assertClose(new double[] {1.5, 2.5}, run("huber_loss", Attrs.of("reduction", "none"), a, b), 0);
        assertClose(new double[] {0.125, 2.5}, run("huber_loss", Attrs.of("reduction", "none"), f64(s(2), 0.5, 3), f64(s(2), 0, 0)), 0);
        assertClose(new double[] {0.125, 4}, run("huber_loss", Attrs.of("reduction", "none", "delta", 2.0), f64(s(2), 0.5, 3), f64(s(2), 0, 0)), 0);
    }

    @Test void elementwiseLossShapes() {
        assertEquals(type("f32[]"), infer("mse_loss", Attrs.EMPTY, "f32[B, 1]", "f32[B, 1]"));
        assertEquals(type("f32[B, 1]"), infer("l1_loss", Attrs.of("reduction", "none"), "f32[B, 1]", "f32[B, 1]"));
        ShapeException e = inferError("mse_loss", Attrs.EMPTY, "f32[B, 1]", "f32[B]");
        assertEquals("mse_loss needs the input and the target to have the same shape, got f32[B, 1] and f32[B]", e.getMessage());
        assertTrue(inferError("bce_with_logits", Attrs.EMPTY, "f32[B]", "i64[B]").getMessage().contains("the target is i64[B]"));
        assertTrue(inferError("huber_loss", Attrs.of("delta", 0.0), "f32[B]", "f32[B]").getMessage().contains("positive"));
    }
}
