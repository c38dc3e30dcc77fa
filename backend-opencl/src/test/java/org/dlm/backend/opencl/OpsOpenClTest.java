package org.dlm.backend.opencl;

import static org.dlm.backend.opencl.Diff.*;
import static org.dlm.runtime.testkit.BackendDiff.op;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.runtime.testkit.OpCases;
import org.junit.jupiter.api.Test;

/** Reductions, shape ops, linear algebra, convolutions, pools and normalizations on OpenCL against the interpreter (one program per test). */
class OpsOpenClTest {
    static final double TOL = 1e-4;

    /** Checks each graph of {@code cases} (shared with the other backend, {@link OpCases}) with seeds from {@code seed} on. */
    static void checkAll(long seed, List<List<Node>> cases) {
        for (int i = 0; i < cases.size(); i++) check(seed + i, cases.get(i), TOL);
    }

    @Test
    void reductions() {
        Node x = input("x", DType.F32, 3, 1, 5, 4);
        java.util.List<Node> outs = new java.util.ArrayList<>();
        for (String r : List.of("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_l2", "reduce_logsumexp")) {
            outs.add(op(r, Attrs.of("axes", List.of(2L), "keepdims", true), x));
            outs.add(op(r, Attrs.of("axes", List.of(0L, -1L)), x));
            outs.add(op(r, Attrs.EMPTY, x));
        }
        check(10, outs, TOL);
    }

    @Test
    void argCumsumAndGlobalPools() { checkAll(11, OpCases.argCumsumAndGlobalPools()); }

    @Test
    void shapeOps() { checkAll(12, OpCases.shapeOps()); }

    @Test
    void matmulGemmLinear() { checkAll(14, OpCases.matmulGemmLinear()); }

    @Test
    void convolutionsAndPools() { checkAll(17, OpCases.convolutionsAndPools()); }

    @Test
    void directConvolutions() {
        // sconv_direct: padding on some sides, none, dilation, kernel width 1, relu/relu6, batch 1 split over channel blocks, strides
        Node x = input("x", DType.F32, 2, 3, 9, 7), one = input("one", DType.F32, 1, 2, 6, 5);
        check(21, List.of(
                Node.of("relu", op("conv2d", Attrs.of("padding", List.of(0L, 2L, 1L, 0L)), x, param("w", 5, 3, 3, 2), param("b", 5))),
                op("conv2d", Attrs.EMPTY, x, param("w2", 4, 3, 3, 3)),
                Node.of("relu6", op("conv2d", Attrs.of("dilation", List.of(2L, 1L), "padding", List.of(2L, 1L, 2L, 1L)), x, param("w3", 3, 3, 3, 3), param("b3", 3))),
                op("conv2d", Attrs.of("padding", List.of(1L, 0L, 1L, 0L)), x, param("w4", 2, 3, 3, 1)),
                op("conv2d", Attrs.of("padding", List.of(1L, 1L, 1L, 1L)), one, param("w5", 16, 2, 3, 3), param("b5", 16)),
                op("conv2d", Attrs.of("stride", List.of(2L, 3L), "padding", List.of(1L, 1L, 0L, 2L)), x, param("w6", 3, 3, 3, 3), param("b6", 3))), TOL);
    }

    @Test
    void stride1ConvolutionGradients() {
        // sconv_wgrad (weight gradients: padding, dilation; batch 6 in six chunks of one image, batch 10 in five of two)
        // and sconv_direct on the flipped kernel (input gradient)
        Node x = input("x", DType.F32, 6, 3, 7, 6), gy = input("gy", DType.F32, 6, 4, 7, 6), gy2 = input("gy2", DType.F32, 6, 4, 3, 5);
        Node x3 = input("x3", DType.F32, 10, 2, 5, 5), gy3 = input("gy3", DType.F32, 10, 5, 5, 5);
        check(22, List.of(
                op("conv2d_weight_grad", Attrs.of("kernel", List.of(3L, 3L), "padding", List.of(1L, 1L, 1L, 1L)), x, gy),
                op("conv2d_weight_grad", Attrs.of("kernel", List.of(3L, 2L), "dilation", List.of(2L, 1L)), x, gy2),
                op("conv2d_weight_grad", Attrs.of("kernel", List.of(3L, 3L), "padding", List.of(1L, 1L, 1L, 1L)), x3, gy3),
                op("conv_transpose2d", Attrs.of("padding", List.of(1L, 1L, 1L, 1L)), gy, param("w", 4, 3, 3, 3))), TOL);
    }

    @Test
    void convBatchNormReluFoldAndFuse() { checkAll(20, OpCases.convBatchNormReluFoldAndFuse()); }

    @Test
    void normalizationsAndAttention() { checkAll(18, OpCases.normalizationsAndAttention()); }
}
