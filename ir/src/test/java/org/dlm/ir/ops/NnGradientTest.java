package org.dlm.ir.ops;

import static org.dlm.ir.ops.GradCheck.*;
import static org.dlm.ir.ops.OpRunner.*;
import static org.junit.jupiter.api.Assertions.*;

import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of the gradient rules that need only linalg/nn/loss ops. */
class NnGradientTest {
    @Test void matmulAndGemm() {
        check("matmul", Attrs.EMPTY, rand(1, 3, 4), rand(2, 4, 2));
        check("gemm", Attrs.of("alpha", 0.5), rand(3, 3, 4), rand(4, 4, 2), rand(5, 3, 2));
        check("gemm", Attrs.of("trans_a", true, "trans_b", true), rand(6, 4, 3), rand(7, 2, 4));
        check("gemm", Attrs.of("trans_a", true), rand(8, 4, 3), rand(9, 4, 2));
        check("gemm", Attrs.of("trans_b", true, "alpha", -2.0), rand(10, 3, 4), rand(11, 2, 4));
        check("linear", Attrs.EMPTY, rand(12, 3, 4), rand(13, 2, 4));
    }

    /** These rules also use reduce_sum, reshape, transpose and mul from the other op families. */
    @Test void broadcastingLinalg() {
        check("matmul", Attrs.EMPTY, rand(20, 2, 1, 3, 4), rand(21, 3, 4, 2));
        check("matmul", Attrs.EMPTY, rand(22, 4), rand(23, 2, 4, 3));
        check("matmul", Attrs.EMPTY, rand(24, 2, 3, 4), rand(25, 4));
        check("matmul", Attrs.EMPTY, rand(26, 4), rand(27, 4));
        check("gemm", Attrs.of("beta", 0.5), rand(28, 3, 4), rand(29, 4, 2), rand(30, 2));
        check("gemm", Attrs.of("beta", -1.5, "alpha", 2.0, "trans_a", true), rand(31, 4, 3), rand(32, 4, 2), rand(33, 3, 1));
        check("linear", Attrs.EMPTY, rand(34, 2, 3, 4), rand(35, 5, 4), rand(36, 5));
        check("linear", Attrs.EMPTY, rand(37, 4), rand(38, 2, 4), rand(39, 2));
        check("conv2d", Attrs.of("padding", new long[] {1, 1, 1, 1}), rand(40, 2, 2, 3, 3), rand(41, 3, 2, 2, 2), rand(42, 3));
        check("conv_transpose2d", Attrs.of("stride", new long[] {2, 2}), rand(43, 1, 2, 2, 2), rand(44, 2, 3, 2, 2), rand(45, 3));
    }

    @Test void conv2d() {
        check("conv2d", Attrs.EMPTY, rand(1, 2, 2, 4, 4), rand(2, 3, 2, 2, 2));
        check("conv2d", Attrs.of("stride", new long[] {2, 3}, "padding", new long[] {1, 0, 2, 1}, "dilation", new long[] {2, 1}, "groups", 2),
                rand(3, 1, 4, 7, 8), rand(4, 6, 2, 2, 3));
        check("conv2d", Attrs.of("groups", 3, "padding", new long[] {1, 1, 1, 1}, "stride", new long[] {2, 2}),
                rand(5, 1, 3, 5, 6), rand(6, 3, 1, 3, 3));
    }

    @Test void convTranspose2d() {
        check("conv_transpose2d", Attrs.of("stride", new long[] {2, 1}, "padding", new long[] {1, 0, 0, 1}, "output_padding", new long[] {1, 0}),
                rand(1, 1, 2, 3, 3), rand(2, 2, 3, 3, 2));
        check("conv_transpose2d", Attrs.of("groups", 2, "dilation", new long[] {1, 2}), rand(3, 2, 4, 2, 3), rand(4, 4, 1, 2, 2));
    }

    @Test void pooling() {
        check("max_pool2d", Attrs.of("kernel", new long[] {2, 2}, "ceil_mode", true), rand(1, 1, 2, 5, 5));
        check("max_pool2d", Attrs.of("kernel", new long[] {3, 2}, "stride", new long[] {1, 2}, "padding", new long[] {1, 1, 1, 0}, "dilation", new long[] {1, 2}),
                rand(2, 2, 1, 4, 6));
        check("avg_pool2d", Attrs.of("kernel", new long[] {3, 3}, "stride", new long[] {2, 2}, "padding", new long[] {1, 1, 1, 1}, "ceil_mode", true),
                rand(3, 1, 2, 6, 5));
        check("avg_pool2d", Attrs.of("kernel", new long[] {2, 2}, "padding", new long[] {1, 0, 1, 1}, "count_include_pad", true), rand(4, 1, 1, 4, 4));
        check("global_avg_pool", Attrs.EMPTY, rand(5, 2, 3, 2, 2));
        check("global_max_pool", Attrs.of("keepdims", false), rand(6, 2, 3, 3));
    }

    @Test void normalization() {
        NdArray x = rand(1, 3, 2, 2, 2);
        NdArray var = uniform(2, 0.5, 2, 2);
        check("batch_norm", Attrs.EMPTY, x, rand(3, 2), rand(4, 2), rand(5, 2), var);
        check("batch_norm", Attrs.of("training", true, "eps", 1e-3), java.util.Set.of(3, 4), x, rand(3, 2), rand(4, 2), rand(5, 2), var);
        check("layer_norm", Attrs.of("axis", 1), rand(6, 2, 3, 2), rand(7, 3, 2), rand(8, 3, 2));
        check("layer_norm", Attrs.EMPTY, rand(9, 3, 4), rand(10, 4));
        check("layer_norm", Attrs.EMPTY, rand(11, 2, 5));
        check("group_norm", Attrs.of("groups", 2), rand(12, 2, 4, 3), rand(13, 4), rand(14, 4));
        check("batch_mean", Attrs.EMPTY, rand(15, 3, 2, 2));
        check("batch_var", Attrs.EMPTY, rand(16, 3, 2, 2, 2));
        check("batch_var", Attrs.EMPTY, rand(17, 4, 3));
    }

    @Test void softmaxDropoutEmbedding() {
        check("softmax", Attrs.of("axis", 0), rand(1, 3, 4));
        check("log_softmax", Attrs.EMPTY, rand(2, 3, 4));
        check("dropout", Attrs.of("p", 0.3, "training", true, "seed", 5), rand(3, 4, 5));
        check("dropout", Attrs.of("p", 0.3), rand(4, 4, 5));
        check("embedding", Attrs.EMPTY, rand(5, 4, 3), i64(s(2, 3), 1, 3, 1, 0, 0, 1));
    }

    @Test void attention() {
        check("attention", Attrs.EMPTY, rand(1, 2, 3, 4), rand(2, 2, 5, 4), rand(3, 2, 5, 3));
        NdArray mask = NdArray.of(DType.BOOL, s(1, 5), 1, 0, 1, 1, 0);
        check("attention", Attrs.of("scale", 0.8), rand(4, 2, 3, 4), rand(5, 5, 4), rand(6, 5, 2), mask);
        check("attention", Attrs.of("causal", true), rand(7, 2, 4, 3), rand(8, 2, 4, 3), rand(9, 1, 4, 3));
    }

    @Test void losses() {
        NdArray logits = rand(1, 4, 3);
        NdArray ids = i64(s(4), 0, 2, -100, 1);
        for (String red : new String[] {"mean", "sum", "none"}) {
            check("cross_entropy", Attrs.of("reduction", red, "label_smoothing", 0.2), logits, ids);
            check("nll_loss", Attrs.of("reduction", red), logits, ids);
            check("mse_loss", Attrs.of("reduction", red), rand(2, 2, 3), rand(3, 2, 3));
        }
        check("cross_entropy", Attrs.of("label_smoothing", 0.1), java.util.Set.of(1), rand(4, 2, 3, 2, 2), uniform(5, 0, 1, 2, 3, 2, 2).cast(DType.F64));
        check("cross_entropy", Attrs.EMPTY, rand(6, 2, 3, 2), i64(s(2, 2), 2, 0, 1, 1));
        check("binary_cross_entropy", Attrs.EMPTY, uniform(7, 0.1, 0.9, 2, 3), uniform(8, 0, 1, 2, 3));
        check("bce_with_logits", Attrs.of("reduction", "sum"), rand(9, 2, 3), uniform(10, 0, 1, 2, 3));
        check("l1_loss", Attrs.EMPTY, rand(11, 2, 3), rand(12, 2, 3));
        check("huber_loss", Attrs.of("delta", 0.7, "reduction", "none"), rand(13, 2, 3), rand(14, 2, 3));
    }

    /** Gradient rules build on symbolic batch (and sequence) dims: every gradient has its operand's type. */
    @Test void gradientTypesWithSymbolicDims() {
        symbolic("conv2d", Attrs.of("stride", new long[] {2, 2}, "padding", new long[] {1, 1, 1, 1}), "f32[B, 3, 28, 28]", "f32[8, 3, 3, 3]", "f32[8]");
        symbolic("conv_transpose2d", Attrs.of("stride", new long[] {2, 2}), "f32[B, 8, H, W]", "f32[8, 4, 2, 2]", "f32[4]");
        symbolic("max_pool2d", Attrs.of("kernel", new long[] {2, 2}), "f32[B, 8, H, W]");
        symbolic("avg_pool2d", Attrs.of("kernel", new long[] {3, 3}, "stride", new long[] {2, 2}, "ceil_mode", true), "f32[B, 8, 7, 7]");
        symbolic("global_avg_pool", Attrs.of("keepdims", false), "f32[B, 8, H, W]");
        symbolic("batch_norm", Attrs.of("training", true), "f32[B, 8, H, W]", "f32[8]", "f32[8]", "f32[8]", "f32[8]");
        symbolic("batch_var", Attrs.EMPTY, "f32[B, 8, H, W]");
        symbolic("layer_norm", Attrs.EMPTY, "f32[B, T, 16]", "f32[16]", "f32[16]");
        symbolic("group_norm", Attrs.of("groups", 4), "f32[B, 8, H, W]", "f32[8]", "f32[8]");
        symbolic("softmax", Attrs.EMPTY, "f32[B, T, 10]");
        symbolic("embedding", Attrs.EMPTY, "f32[100, 16]", "i64[B, T]");
        symbolic("attention", Attrs.of("causal", true), "f32[B, 4, T, 8]", "f32[B, 4, T, 8]", "f32[B, 4, T, 8]", "bool[B, 1, 1, T]");
        symbolic("linear", Attrs.EMPTY, "f32[B, T, 16]", "f32[32, 16]", "f32[32]");
        symbolic("matmul", Attrs.EMPTY, "f32[B, T, 16]", "f32[16, 32]");
        symbolic("cross_entropy", Attrs.of("label_smoothing", 0.1), "f32[B, 10]", "i64[B]");
        symbolic("mse_loss", Attrs.EMPTY, "f32[B, 1]", "f32[B, 1]");
    }

    private static void symbolic(String op, Attrs attrs, String... types) {
        java.util.List<org.dlm.ir.Node> ins = new java.util.ArrayList<>();
        for (int i = 0; i < types.length; i++) ins.add(OpRunner.input("s" + i, type(types[i])));
        var f = org.dlm.ir.Node.of(op, ins, attrs);
        var grads = f.op().gradRule().grad(f, OpRunner.input("g", f.type()));
        for (int i = 0; i < ins.size(); i++)
            if (grads.get(i) != null) assertEquals(ins.get(i).type(), grads.get(i).type(), op + " gradient of operand " + i);
    }

    @Test void conv2dGradientNeedsStaticSizeForStride() {
        var x = OpRunner.input("x", type("f32[B, 1, H, W]"));
        var w = OpRunner.input("w", type("f32[2, 1, 3, 3]"));
        var f = org.dlm.ir.Node.of("conv2d", java.util.List.of(x, w), Attrs.of("stride", new long[] {2, 2}));
        var g = OpRunner.input("g", f.type());
        var e = assertThrows(org.dlm.ir.ShapeException.class, () -> f.op().gradRule().grad(f, g));
        assertTrue(e.getMessage().contains("needs a static input height"));
        var f1 = org.dlm.ir.Node.of("conv2d", java.util.List.of(x, w), Attrs.of("padding", new long[] {1, 1, 1, 1}));
        var dx = f1.op().gradRule().grad(f1, OpRunner.input("g1", f1.type())).get(0);
        assertEquals(x.type(), dx.type(), "stride 1: the input gradient keeps the symbolic shape");
    }
}
