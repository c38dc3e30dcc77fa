package org.dlm.backend.llvm.codegen;

import static org.dlm.backend.llvm.codegen.Diff.*;
import static org.dlm.runtime.testkit.BackendDiff.op;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.runtime.testkit.OpCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reductions, shape ops, linear algebra, convolutions, pools and normalizations against the interpreter. */
class OpsCodegenTest {
    static final double TOL = 1e-4;

    /** Checks each graph of {@code cases} (shared with the other backend, {@link OpCases}) with seeds from {@code seed} on. */
    static void checkAll(long seed, List<List<Node>> cases) {
        for (int i = 0; i < cases.size(); i++) check(seed + i, cases.get(i), TOL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_l2", "reduce_logsumexp"})
    void reductions(String r) {
        Node x = input("x", DType.F32, 3, 1, 5, 4);
        check(10, List.of(op(r, Attrs.of("axes", List.of(2L), "keepdims", true), x), op(r, Attrs.of("axes", List.of(0L, -1L)), x),
                op(r, Attrs.EMPTY, x)), TOL);
        // kept dims in the middle (a convolution's bias gradient): lane sums over contiguous inner blocks
        Node y = input("y", DType.F32, 4, 6, 5, 7);
        check(13, List.of(op(r, Attrs.of("axes", List.of(0L, 2L, 3L)), y), op(r, Attrs.of("axes", List.of(0L, 3L), "keepdims", true), y)), TOL);
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
    void depthwiseInteriorAndBorderPaths() {
        // odd sizes, asymmetric padding, stride 2, dilation, a channel multiplier, 1-pixel inputs
        Node x = input("x", DType.F32, 2, 3, 9, 11), one = input("one", DType.F32, 1, 2, 1, 1), thin = input("thin", DType.F32, 1, 2, 1, 7);
        Node dw = param("dw", 3, 1, 3, 3), dw2 = param("dw2", 6, 1, 3, 3), dw5 = param("dw5", 3, 1, 5, 5), dwo = param("dwo", 2, 1, 3, 3);
        check(21, List.of(
                op("conv2d", Attrs.of("groups", 3L, "padding", List.of(1L, 1L, 1L, 1L)), x, dw, param("b1", 3)),
                op("conv2d", Attrs.of("groups", 3L, "padding", List.of(1L, 2L, 0L, 1L), "stride", List.of(2L, 2L)), x, dw),
                op("conv2d", Attrs.of("groups", 3L, "padding", List.of(2L, 2L, 2L, 2L), "dilation", List.of(2L, 2L)), x, dw2, param("b2", 6)),
                op("conv2d", Attrs.of("groups", 3L, "padding", List.of(2L, 2L, 2L, 2L), "stride", List.of(1L, 2L)), x, dw5),
                op("conv2d", Attrs.of("groups", 3L), x, dw),
                op("conv2d", Attrs.of("groups", 2L, "padding", List.of(1L, 1L, 1L, 1L)), one, dwo),
                op("conv2d", Attrs.of("groups", 2L, "padding", List.of(1L, 1L, 1L, 1L), "stride", List.of(2L, 2L)), thin, dwo)), TOL);
    }

    @Test
    void depthwiseFlatPlanes() {
        // stride 1 with output rows as wide as the input rows: one masked flat loop per plane.
        // Power-of-two and odd widths, 4x4 and 1x1 maps, asymmetric padding (only left, only top/bottom),
        // a 7x7 kernel wider than the map, dilation, a channel multiplier, fused relu6 and clip.
        Node x = input("x", DType.F32, 3, 4, 4, 4), odd = input("odd", DType.F32, 2, 2, 5, 7), one = input("one", DType.F32, 2, 2, 1, 1);
        Node dw = param("dw", 4, 1, 3, 3), dwm = param("dwm", 4, 1, 3, 3), dw7 = param("dw7", 4, 1, 7, 7), dwo = param("dwo", 2, 1, 3, 3);
        check(24, List.of(
                Node.of("relu6", op("conv2d", Attrs.of("groups", 4L, "padding", List.of(1L, 1L, 1L, 1L)), x, dw, param("b", 4))),
                op("conv2d", Attrs.of("groups", 4L, "padding", List.of(3L, 3L, 3L, 3L)), x, dw7),
                op("clip", Attrs.of("min", -0.25, "max", 0.5), op("conv2d", Attrs.of("groups", 2L, "padding", List.of(0L, 2L, 2L, 0L)), odd, dwo)),
                op("conv2d", Attrs.of("groups", 2L, "padding", List.of(2L, 1L, 0L, 1L)), odd, dwm, param("bm", 4)),
                op("conv2d", Attrs.of("groups", 2L, "padding", List.of(2L, 2L, 2L, 2L), "dilation", List.of(2L, 2L)), odd, dwo),
                Node.of("relu", op("conv2d", Attrs.of("groups", 2L, "padding", List.of(1L, 1L, 1L, 1L)), one, dwo, param("b1", 2)))), TOL);
    }

    @Test
    void depthwiseStridedPhasePlanes() {
        // strided, output rows of 16+ columns as wide as the input's column phase: split into phase planes.
        // Odd width (a partial last column group), asymmetric padding, stride (2, 1), stride 3 with 5x5 taps,
        // a channel multiplier, fused relu6; batch 3 of 2 channels = 6 planes over the parallel blocks.
        Node x = input("x", DType.F32, 1, 2, 7, 33), y = input("y", DType.F32, 3, 2, 6, 32), z = input("z", DType.F32, 1, 2, 8, 48);
        Node dw = param("dw", 2, 1, 3, 3), dwm = param("dwm", 4, 1, 3, 3), dw5 = param("dw5", 2, 1, 5, 5);
        check(25, List.of(
                Node.of("relu6", op("conv2d", Attrs.of("groups", 2L, "padding", List.of(1L, 1L, 1L, 1L), "stride", List.of(2L, 2L)), x, dw, param("b", 2))),
                op("conv2d", Attrs.of("groups", 2L, "padding", List.of(0L, 1L, 1L, 0L), "stride", List.of(2L, 2L)), y, dwm, param("bm", 4)),
                Node.of("relu6", op("conv2d", Attrs.of("groups", 2L, "padding", List.of(1L, 1L, 1L, 1L), "stride", List.of(2L, 2L)), y, dw)),
                op("conv2d", Attrs.of("groups", 2L, "padding", List.of(1L, 1L, 1L, 1L), "stride", List.of(2L, 1L)), y, dw),
                op("conv2d", Attrs.of("groups", 2L, "padding", List.of(2L, 2L, 2L, 2L), "stride", List.of(3L, 3L)), z, dw5)), TOL);
    }

    @Test
    void convImagesBatchedIntoOneGemm() {
        // pointwise: batch 6 of 20x20 maps = 2 images per GEMM (3 groups), batch 3 of tiny maps = all 3
        // in one, 2 images of 33x34 = one GEMM per image; the 3x3/2x3 ones take im2col per image
        Node x = input("x", DType.F32, 6, 3, 20, 20), small = input("small", DType.F32, 3, 4, 3, 5), big = input("big", DType.F32, 2, 2, 33, 34);
        check(23, List.of(
                Node.of("relu", op("conv2d", Attrs.EMPTY, x, param("pw", 5, 3, 1, 1), param("pb", 5))),
                Node.of("relu6", op("conv2d", Attrs.of("padding", List.of(1L, 1L, 1L, 1L)), x, param("w3", 4, 3, 3, 3), param("b3", 4))),
                op("conv2d", Attrs.of("stride", List.of(2L, 2L), "padding", List.of(0L, 1L, 1L, 0L)), small, param("ws", 2, 4, 2, 3)),
                op("clip", Attrs.of("min", 0.0, "max", 1.0), op("conv2d", Attrs.EMPTY, small, param("wp", 3, 4, 1, 1))),
                op("conv2d", Attrs.EMPTY, big, param("wb", 3, 2, 1, 1), param("bb", 3)),
                Node.of("relu", op("conv2d", Attrs.of("padding", List.of(1L, 1L, 1L, 1L)), big, param("wb3", 2, 2, 3, 3)))), TOL);
    }

    /** relu6 and clip(0, 6) after convolutions run in the GEMM's / direct kernel's epilogue (the RELU6 flag); 96 channels give outputs beyond 6. */
    @Test
    void relu6InTheEpilogue() {
        Node x = input("x", DType.F32, 4, 96, 4, 4), one = input("one", DType.F32, 1, 96, 5, 3);
        check(24, List.of(
                Node.of("relu6", op("conv2d", Attrs.EMPTY, x, param("pw", 40, 96, 1, 1), param("pb", 40))),   // images batched into one GEMM
                op("clip", Attrs.of("min", 0.0, "max", 6.0), op("conv2d", Attrs.EMPTY, one, param("po", 33, 96, 1, 1))),   // N = 15: the narrow tile
                Node.of("relu6", op("conv2d", Attrs.of("padding", List.of(1L, 1L, 1L, 1L)), one, param("w3", 17, 96, 3, 3), param("b3", 17)))), TOL);
    }

    @Test
    void convActivationsFuse() {
        Node x = input("x", DType.F32, 2, 4, 6, 5);
        Node dw = op("conv2d", Attrs.of("groups", 4L, "padding", List.of(1L, 1L, 1L, 1L)), x, param("dw", 4, 1, 3, 3), param("db", 4));
        Node pw = op("conv2d", Attrs.EMPTY, x, param("pw", 3, 4, 1, 1), param("pb", 3));
        Node full = op("conv2d", Attrs.of("padding", List.of(1L, 0L, 1L, 0L), "stride", List.of(2L, 1L)), x, param("fw", 3, 4, 3, 3));
        Node grouped = op("conv2d", Attrs.of("groups", 2L, "padding", List.of(1L, 1L, 1L, 1L)), x, param("gw", 4, 2, 3, 3));
        Node scaled = Node.of("mul", input("s", DType.F32, 2, 4, 6, 5), Node.of("abs", x));
        Node dwBig = op("conv2d", Attrs.of("groups", 4L, "padding", List.of(1L, 1L, 1L, 1L)), scaled, param("dw2", 4, 1, 3, 3));
        check(22, List.of(Node.of("relu6", dw), op("clip", Attrs.of("min", -0.5, "max", 0.5), pw), Node.of("relu6", full),
                Node.of("relu", grouped), op("clip", Attrs.of("max", 1.0), dwBig)), TOL);
    }

    @Test
    void convBatchNormReluFoldAndFuse() { checkAll(20, OpCases.convBatchNormReluFoldAndFuse()); }

    @Test
    void normalizationsAndAttention() { checkAll(18, OpCases.normalizationsAndAttention()); }
}
