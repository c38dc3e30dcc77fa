package org.dlm.backend.llvm.codegen;

import static org.dlm.backend.llvm.codegen.Diff.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stride-1 dense convolutions through the {@code sconv_direct} microkernel against the
 * interpreter: channel counts below, at and past the register tile's height (8 on AVX-512),
 * maps whose row grid has full and partial pixel tiles, padding on any side, dilation, no
 * padding (the kernel reads the input in place), kernel width 1 (it writes NCHW itself), bias,
 * fused relu/relu6/clip, batch 1 (split over channel blocks) and several images.
 */
class DirectConvCodegenTest {
    static final double TOL = 1e-4;

    static Node conv(Attrs a, Node... in) { return Node.of("conv2d", List.of(in), a); }

    static Attrs pad(long t, long l, long b, long r) { return Attrs.of("padding", List.of(t, l, b, r)); }

    @Test
    void shapesPaddingAndDilation() {
        Node x = input("x", DType.F32, 3, 5, 13, 11);
        check(31, List.of(
                conv(pad(1, 1, 1, 1), x, param("w1", 7, 5, 3, 3), param("b1", 7)),
                conv(pad(0, 2, 1, 0), x, param("w2", 17, 5, 3, 2)),
                conv(Attrs.EMPTY, x, param("w3", 9, 5, 3, 3), param("b3", 9)),
                conv(Attrs.of("dilation", List.of(2L, 3L), "padding", List.of(2L, 3L, 2L, 3L)), x, param("w4", 8, 5, 3, 3)),
                conv(pad(2, 0, 2, 0), x, param("w5", 4, 5, 5, 1), param("b5", 4)),
                conv(pad(2, 2, 2, 2), x, param("w6", 16, 5, 5, 5))), TOL);
    }

    @Test
    void strides() {
        Node x = input("x", DType.F32, 2, 3, 17, 14);
        check(35, List.of(
                Node.of("relu", conv(Attrs.of("stride", List.of(2L, 2L), "padding", List.of(1L, 1L, 1L, 1L)), x, param("w1", 10, 3, 3, 3), param("b1", 10))),
                conv(Attrs.of("stride", List.of(2L, 2L)), x, param("w2", 4, 3, 1, 1)),
                conv(Attrs.of("stride", List.of(3L, 1L), "padding", List.of(0L, 2L, 1L, 0L)), x, param("w3", 9, 3, 2, 3)),
                conv(Attrs.of("stride", List.of(1L, 2L), "dilation", List.of(2L, 2L), "padding", List.of(2L, 2L, 2L, 2L)), x, param("w4", 5, 3, 3, 3)),
                conv(Attrs.of("stride", List.of(2L, 3L), "padding", List.of(3L, 3L, 3L, 3L)), x, param("w5", 17, 3, 7, 7), param("b5", 17))), TOL);
    }

    @Test
    void singleInputChannel() {
        // one input channel: the kernel's run-time loop goes over kernel rows instead of channels
        Node x = input("x", DType.F32, 3, 1, 28, 23);
        check(36, List.of(
                Node.of("relu", conv(pad(2, 2, 2, 2), x, param("w1", 6, 1, 5, 5), param("b1", 6))),
                conv(Attrs.of("stride", List.of(2L, 2L), "dilation", List.of(3L, 1L), "padding", List.of(1L, 0L, 2L, 1L)), x, param("w2", 11, 1, 3, 4)),
                conv(Attrs.of("stride", List.of(3L, 1L)), x, param("w3", 2, 1, 4, 1), param("b3", 2))), TOL);
    }

    @Test
    void largeMapsAndFusedActivations() {
        Node x = input("x", DType.F32, 2, 3, 33, 34);
        check(32, List.of(
                Node.of("relu", conv(pad(1, 1, 1, 1), x, param("w1", 16, 3, 3, 3), param("b1", 16))),
                Node.of("relu6", conv(pad(1, 1, 1, 1), x, param("w2", 12, 3, 3, 3), param("b2", 12))),
                Node.of("clip", List.of(conv(Attrs.EMPTY, x, param("w3", 3, 3, 3, 3))), Attrs.of("min", -0.25, "max", 0.5))), TOL);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void batchOneSplitsChannelBlocks(int threads) {
        Node x = input("x", DType.F32, 1, 6, 9, 10);
        assertTrue(checkThreaded(33, List.of(
                Node.of("relu", conv(pad(1, 1, 1, 1), x, param("w1", 32, 6, 3, 3), param("b1", 32))),
                conv(pad(1, 1, 1, 1), x, param("w2", 24, 6, 3, 3)),
                conv(Attrs.EMPTY, x, param("w3", 48, 6, 3, 3), param("b3", 48))), TOL, threads) < TOL);
        Node batch = input("y", DType.F32, 5, 4, 8, 8);
        assertTrue(checkThreaded(34, List.of(
                Node.of("relu6", conv(pad(1, 1, 1, 1), batch, param("w4", 20, 4, 3, 3), param("b4", 20)))), TOL, threads) < TOL);
    }
}
