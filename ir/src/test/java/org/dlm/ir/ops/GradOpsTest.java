package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpRunner.*;
import static org.junit.jupiter.api.Assertions.*;

import org.dlm.ir.Attrs;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/** Hand-checked values of the backward ops (their gradient rules are checked by finite differences in GradientTest). */
class GradOpsTest {
    @Test void softmaxGrad() {
        // y = [1/3, 2/3], gy = [1, 0]: y·(gy - Σ gy·y) = [1/3·2/3, 2/3·(-1/3)]
        assertClose(new double[] {2.0 / 9, -2.0 / 9}, run("softmax_grad", f64(s(2), 1.0 / 3, 2.0 / 3), f64(s(2), 1, 0)), 1e-15);
        // log: gy - exp(y)·Σ gy with y = log [1/4, 3/4], gy = [1, 1]
        assertClose(new double[] {0.5, -0.5}, run("softmax_grad", Attrs.of("log", true),
                f64(s(2), Math.log(0.25), Math.log(0.75)), f64(s(2), 1, 1)), 1e-15);
    }

    @Test void poolGrads() {
        Attrs k2 = Attrs.of("kernel", new long[] {2, 2});
        assertClose(new double[] {0, 5, 0, 0}, run("max_pool2d_grad", k2, f32(s(1, 1, 2, 2), 1, 4, 3, 2), f32(s(1, 1, 1, 1), 5)), 0);
        assertClose(new double[] {1, 1, 1, 1}, run("avg_pool2d_grad", k2, f32(s(1, 1, 2, 2), 1, 4, 3, 2), f32(s(1, 1, 1, 1), 4)), 0);
        assertClose(new double[] {0, 3, 0, 0, 0, 0}, run("global_pool_grad", Attrs.of("mode", "max"),
                f32(s(1, 2, 3), 1, 9, 2, 5, 5, 5), f32(s(1, 2), 3, 0)), 0);
        assertClose(new double[] {1, 1, 1, 2, 2, 2}, run("global_pool_grad", f32(s(1, 2, 3), 1, 9, 2, 5, 5, 5), f32(s(1, 2), 3, 6)), 0);
    }

    @Test void conv2dWeightGrad() {
        // gy of ones: each weight tap sums the 2x2 block of x it touches
        NdArray r = run("conv2d_weight_grad", Attrs.of("kernel", new long[] {2, 2}),
                f32(s(1, 1, 3, 3), seq(9, 1)), f32(s(1, 1, 2, 2), 1, 1, 1, 1));
        assertArrayEquals(s(1, 1, 2, 2), r.shape());
        assertClose(new double[] {12, 16, 24, 28}, r, 0);
    }

    @Test void embeddingGradAddsRepeatedIds() {
        NdArray r = run("embedding_grad", f32(s(3, 2), seq(6, 0)), i64(s(3), 0, 2, 0), f32(s(3, 2), 1, 1, 2, 2, 3, 3));
        assertClose(new double[] {4, 4, 0, 0, 2, 2}, r, 0);
    }

    @Test void lossGrads() {
        NdArray logits = f64(s(1, 2), 0, Math.log(3));
        NdArray one = NdArray.scalar(org.dlm.ir.DType.F64, 1);
        assertClose(new double[] {0.25, -0.25}, run("cross_entropy_grad", logits, i64(s(1), 1), one), 1e-15);
        assertClose(new double[] {0.2, -0.2}, run("cross_entropy_grad", Attrs.of("label_smoothing", 0.1), logits, i64(s(1), 1), one), 1e-15);
        assertClose(new double[] {0, 0}, run("cross_entropy_grad", logits, i64(s(1), -100), one), 0);
        assertClose(new double[] {0, -0.5, -0.5, 0}, run("nll_loss_grad", f64(s(2, 2), -1, -2, -3, -4), i64(s(2), 1, 0), one), 0);
        assertClose(new double[] {-2, -3}, run("elementwise_loss_grad", Attrs.of("loss", "mse_loss"), f32(s(2), 1, 2), f32(s(2), 3, 5),
                NdArray.scalar(org.dlm.ir.DType.F32, 1)), 0);
        assertClose(new double[] {1, -0.5}, run("elementwise_loss_grad", Attrs.of("loss", "huber_loss", "reduction", "sum", "wrt", 1),
                f32(s(2), 1, 2), f32(s(2), 3, 1.5), NdArray.scalar(org.dlm.ir.DType.F32, 1)), 0);
        assertTrue(inferError("elementwise_loss_grad", Attrs.of("loss", "hinge"), "f32[2]", "f32[2]", "f32[]").getMessage().contains("unknown loss"));
    }

    @Test void batchNormGradEval() {
        // eval: dx = gy·gamma/sqrt(var+eps) = gy·2/2; dgamma = Σ gy·xhat; dbeta = Σ gy
        NdArray x = f64(s(2, 1), 1, 5), gamma = f64(s(1), 2), mean = f64(s(1), 1), var = f64(s(1), 4), gy = f64(s(2, 1), 3, -1);
        Attrs a = Attrs.of("eps", 0.0);
        assertClose(new double[] {3, -1}, run("batch_norm_grad", a, x, gamma, mean, var, gy), 0);
        assertClose(new double[] {-2}, run("batch_norm_grad", a.with("wrt", 1), x, gamma, mean, var, gy), 0);   // 3·0 + (-1)·2
        assertClose(new double[] {2}, run("batch_norm_grad", a.with("wrt", 2), x, gamma, mean, var, gy), 0);
    }
}
