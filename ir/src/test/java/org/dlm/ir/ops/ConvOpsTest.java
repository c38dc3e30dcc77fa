package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpRunner.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.ShapeException;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class ConvOpsTest {
    @Test void onesKernelPaddingOneStrideTwo() {
        // padded 5x5 input, 2x2 windows at rows/cols 0 and 2: 0+0+0+1, 0+0+2+3, 0+4+0+7, 5+6+8+9
        NdArray r = run("conv2d", Attrs.of("stride", new long[] {2, 2}, "padding", new long[] {1, 1, 1, 1}),
                f32(s(1, 1, 3, 3), seq(9, 1)), f32(s(1, 1, 2, 2), 1, 1, 1, 1));
        assertArrayEquals(s(1, 1, 2, 2), r.shape());
        assertClose(new double[] {1, 5, 11, 28}, r, 0);
    }

    @Test void asymmetricPadding() {
        // top 1, left 0, bottom 0, right 1 around [[1,2],[3,4]], 1x1 kernel [2]
        NdArray r = run("conv2d", Attrs.of("padding", new long[] {1, 0, 0, 1}),
                f64(s(1, 1, 2, 2), 1, 2, 3, 4), f64(s(1, 1, 1, 1), 2));
        assertArrayEquals(s(1, 1, 3, 3), r.shape());
        assertClose(new double[] {0, 0, 0, 2, 4, 0, 6, 8, 0}, r, 0);
    }

    @Test void dilation() {
        NdArray r = run("conv2d", Attrs.of("dilation", new long[] {2, 2}),
                f32(s(1, 1, 3, 3), seq(9, 1)), f32(s(1, 1, 2, 2), 1, 1, 1, 1));
        assertClose(new double[] {1 + 3 + 7 + 9}, r, 0);
    }

    @Test void channelsGroupsDepthwiseAndBias() {
        NdArray full = run("conv2d", f32(s(1, 2, 1, 1), 1, 2), f32(s(1, 2, 1, 1), 3, 4));
        assertClose(new double[] {11}, full, 0);
        NdArray depthwise = run("conv2d", Attrs.of("groups", 2),
                f32(s(1, 2, 1, 1), 1, 2), f32(s(2, 1, 1, 1), 3, 4), f32(s(2), 1, -1));
        assertClose(new double[] {4, 7}, depthwise, 0);
        // 2 groups of 2 input channels -> 1 output channel each; batch of 2
        NdArray grouped = run("conv2d", Attrs.of("groups", 2),
                f64(s(2, 4, 1, 1), 1, 2, 3, 4, 5, 6, 7, 8), f64(s(2, 2, 1, 1), 1, 1, 1, -1));
        assertClose(new double[] {3, -1, 11, -1}, grouped, 0);
    }

    @Test void convShapes() {
        Attrs pad2 = Attrs.of("padding", new long[] {2, 2, 2, 2});
        assertEquals(type("f32[B, 6, 28, 28]"), infer("conv2d", pad2, "f32[B, 1, 28, 28]", "f32[6, 1, 5, 5]", "f32[6]"));
        var t = infer("conv2d", Attrs.of("stride", new long[] {2, 2}), "f32[B, 3, H, W]", "f32[8, 3, 3, 3]");
        assertEquals(Dim.parse("(H+1)/2-1"), t.shape().dim(2));   // = (H-3)/2+1
        assertEquals(Dim.parse("(W+1)/2-1"), t.shape().dim(3));
        assertEquals(13, t.shape().dim(2).eval(java.util.Map.of("H", 28L)));
        // ResNet's strided 3x3 (pad 1) and 1x1 shortcut give the same symbolic size, so their sum type-checks
        var s3 = infer("conv2d", Attrs.of("stride", new long[] {2, 2}, "padding", new long[] {1, 1, 1, 1}), "f32[B, 3, H, W]", "f32[8, 3, 3, 3]");
        var s1 = infer("conv2d", Attrs.of("stride", new long[] {2, 2}), "f32[B, 3, H, W]", "f32[8, 3, 1, 1]");
        assertEquals(type("f32[B, 8, (H+1)/2, (W+1)/2]"), s3);
        assertEquals(s3, s1);
        assertEquals(type("f32[N, 32, H, W]"), infer("conv2d", Attrs.of("groups", 32, "padding", new long[] {1, 1, 1, 1}),
                "f32[N, 32, H, W]", "f32[32, 1, 3, 3]"));
    }

    @Test void convErrors() {
        ShapeException e = inferError("conv2d", Attrs.EMPTY, "f32[B, 3, 28, 28]", "f32[6, 1, 5, 5]");
        assertEquals("conv2d: input has 3 channels but the weight expects 1 (weight f32[6, 1, 5, 5], groups 1)", e.getMessage());
        assertTrue(inferError("conv2d", Attrs.EMPTY, "f32[1, 1, 3, 3]", "f32[1, 1, 5, 5]").getMessage().contains("smaller than the kernel 5"));
        assertTrue(inferError("conv2d", Attrs.of("stride", new long[] {0, 1}), "f32[1, 1, 3, 3]", "f32[1, 1, 1, 1]").getMessage()
                .contains("'stride' must be at least 1"));
        assertTrue(inferError("conv2d", Attrs.of("padding", new long[] {1, 1}), "f32[1, 1, 3, 3]", "f32[1, 1, 1, 1]").getMessage()
                .contains("needs 4 values (top, left, bottom, right)"));
        assertTrue(inferError("conv2d", Attrs.of("padding", new long[] {0, -1, 0, 0}), "f32[1, 1, 3, 3]", "f32[1, 1, 1, 1]").getMessage()
                .contains("non-negative"));
        assertTrue(inferError("conv2d", Attrs.of("groups", 4), "f32[1, 6, 3, 3]", "f32[4, 1, 1, 1]").getMessage()
                .contains("groups 4 does not divide the 6 input channels"));
        ShapeException rank = inferError("conv2d", Attrs.EMPTY, "f32[B, 784]", "f32[6, 1, 5, 5]");
        assertTrue(rank.getMessage().contains("rank 4 ([N, C, H, W]), got f32[B, 784]"));
        assertTrue(inferError("conv2d", Attrs.EMPTY, "i32[1, 1, 3, 3]", "i32[1, 1, 1, 1]").getMessage().contains("floating-point"));
        assertTrue(inferError("conv2d", Attrs.EMPTY, "f32[1, 1, 3, 3]", "f32[1, 1, 1, 1]", "f32[2]").getMessage().contains("bias"));
    }

    @Test void transposeScattersEachPixel() {
        NdArray x = f32(s(1, 1, 2, 2), 1, 2, 3, 4), ones = f32(s(1, 1, 2, 2), 1, 1, 1, 1);
        NdArray s2 = run("conv_transpose2d", Attrs.of("stride", new long[] {2, 2}), x, ones);
        assertArrayEquals(s(1, 1, 4, 4), s2.shape());
        assertClose(new double[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, s2, 0);
        NdArray s1 = run("conv_transpose2d", x, ones);
        assertClose(new double[] {1, 3, 2, 4, 10, 6, 3, 7, 4}, s1, 0);
        NdArray cropped = run("conv_transpose2d", Attrs.of("padding", new long[] {1, 1, 1, 1}), x, ones, f32(s(1), 0.5));
        assertClose(new double[] {10.5}, cropped, 0);
        NdArray op = run("conv_transpose2d", Attrs.of("stride", new long[] {2, 2}, "output_padding", new long[] {1, 0}), x, ones);
        assertArrayEquals(s(1, 1, 5, 4), op.shape());
        assertClose(new double[] {0, 0, 0, 0}, slice(op, 16, 20), 0);
    }

    private static NdArray slice(NdArray a, int from, int to) {
        return NdArray.of(a.dtype(), s(to - from), java.util.Arrays.copyOfRange(a.data(), from, to));
    }

    @Test void transposeShapes() {
        assertEquals(type("f32[B, 16, 2*H, 2*W]"), infer("conv_transpose2d",
                Attrs.of("stride", new long[] {2, 2}, "padding", new long[] {1, 1, 1, 1}, "output_padding", new long[] {1, 1}),
                "f32[B, 8, H, W]", "f32[8, 16, 3, 3]", "f32[16]"));
        assertEquals(type("f32[1, 6, 5, 5]"), infer("conv_transpose2d", Attrs.of("groups", 2), "f32[1, 4, 3, 3]", "f32[4, 3, 3, 3]"));
        assertTrue(inferError("conv_transpose2d", Attrs.of("output_padding", new long[] {1, 0}), "f32[1, 1, 3, 3]", "f32[1, 1, 3, 3]")
                .getMessage().contains("smaller than the stride or the dilation"));
        assertTrue(inferError("conv_transpose2d", Attrs.EMPTY, "f32[1, 2, 3, 3]", "f32[1, 1, 3, 3]").getMessage()
                .contains("input has 2 channels but the weight expects 1"));
    }

    /** conv_transpose2d is the adjoint of conv2d: <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>. */
    @Test void transposeIsTheAdjointOfConv() {
        Random rnd = new Random(7);
        Attrs a = Attrs.of("stride", new long[] {2, 3}, "padding", new long[] {1, 0, 2, 1}, "dilation", new long[] {2, 1}, "groups", 2);
        NdArray x = random(rnd, 2, 4, 7, 8), w = random(rnd, 6, 2, 2, 3);
        NdArray y = run("conv2d", a, x, w);
        NdArray g = random(rnd, y.shape());
        // output_padding makes the transposed output exactly x's size
        long[] opad = new long[2];
        for (int i = 0; i < 2; i++) {
            long st = a.getLongArray("stride")[i], d = a.getLongArray("dilation")[i], k = w.dim(2 + i);
            long pads = a.getLongArray("padding")[i] + a.getLongArray("padding")[i + 2];
            opad[i] = x.dim(2 + i) - ((y.dim(2 + i) - 1) * st - pads + d * (k - 1) + 1);
        }
        NdArray xt = run("conv_transpose2d", a.with("output_padding", opad), g, w);
        assertArrayEquals(x.shape(), xt.shape());
        assertEquals(dot(y, g), dot(x, xt), 1e-9);
    }

    static NdArray random(Random rnd, long... shape) {
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = rnd.nextGaussian();
        return new NdArray(DType.F64, shape, d);
    }

    static double dot(NdArray a, NdArray b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) s += a.get(i) * b.get(i);
        return s;
    }
}
