package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpRunner.*;
import static org.junit.jupiter.api.Assertions.*;

import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class PoolOpsTest {
    private static final NdArray X = f32(s(1, 1, 3, 3), seq(9, 1));
    private static final Attrs K2 = Attrs.of("kernel", new long[] {2, 2});

    @Test void maxPoolFloorAndCeil() {
        assertClose(new double[] {5}, run("max_pool2d", K2, X), 0);
        NdArray ceil = run("max_pool2d", K2.with("ceil_mode", true), X);
        assertArrayEquals(s(1, 1, 2, 2), ceil.shape());
        assertClose(new double[] {5, 6, 8, 9}, ceil, 0);
        NdArray stride1 = run("max_pool2d", K2.with("stride", new long[] {1, 1}), X);
        assertClose(new double[] {5, 6, 8, 9}, stride1, 0);
    }

    @Test void maxPoolPaddingIsMinusInfinity() {
        NdArray neg = f64(s(1, 1, 3, 3), seq(9, -9));   // -9..-1: a zero pad would win
        NdArray r = run("max_pool2d", K2.with("padding", new long[] {1, 1, 1, 1}), neg);
        assertArrayEquals(s(1, 1, 2, 2), r.shape());
        assertClose(new double[] {-9, -7, -3, -1}, r, 0);
        NdArray dil = run("max_pool2d", K2.with("dilation", new long[] {2, 2}), X);
        assertClose(new double[] {9}, dil, 0);
    }

    @Test void maxPoolCeilModeDropsWindowStartingInPadding() {
        // H=3, k=2, s=2, pad 1: ceil gives 3 windows but the last would start in the bottom padding
        assertEquals(type("f32[1, 1, 2, 2]"), infer("max_pool2d", K2.with("padding", new long[] {1, 1, 1, 1}).with("ceil_mode", true), "f32[1, 1, 3, 3]"));
        assertEquals(type("f32[1, 1, 3, 3]"), infer("max_pool2d", K2.with("padding", new long[] {1, 1, 1, 1}).with("ceil_mode", true), "f32[1, 1, 4, 4]"));
    }

    @Test void poolShapesSymbolic() {
        assertEquals(type("f32[B, 6, 14, 14]"), infer("max_pool2d", K2, "f32[B, 6, 28, 28]"));
        var t = infer("max_pool2d", K2, "f32[B, C, H, W]");
        assertEquals(Dim.parse("H/2"), t.shape().dim(2));
        var c = infer("max_pool2d", Attrs.of("kernel", new long[] {3, 3}, "stride", new long[] {2, 2}, "ceil_mode", true), "f32[B, C, H, W]");
        assertEquals(Dim.parse("H/2"), c.shape().dim(2));   // ceil((H-3)/2)+1
        assertEquals(7, c.shape().dim(2).eval(java.util.Map.of("H", 14L)));
        assertTrue(inferError("max_pool2d", K2.with("ceil_mode", true).with("padding", new long[] {1, 1, 1, 1}), "f32[B, C, H, W]")
                .getMessage().contains("needs a static height"));
    }

    @Test void poolErrors() {
        assertTrue(inferError("max_pool2d", Attrs.EMPTY, "f32[1, 1, 3, 3]").getMessage().contains("needs attribute 'kernel'"));
        assertTrue(inferError("max_pool2d", Attrs.of("kernel", new long[] {2}), "f32[1, 1, 3, 3]").getMessage().contains("'kernel' needs 2 values"));
        assertTrue(inferError("max_pool2d", Attrs.of("kernel", new long[] {4, 4}), "f32[1, 1, 3, 3]").getMessage().contains("smaller than the kernel"));
        assertTrue(inferError("avg_pool2d", K2.with("padding", new long[] {2, 0, 0, 0}), "f32[1, 1, 3, 3]").getMessage().contains("smaller than the kernel 2x2"));
        assertTrue(inferError("avg_pool2d", K2, "i32[1, 1, 3, 3]").getMessage().contains("floating-point"));
        assertTrue(inferError("max_pool2d", K2, "bool[1, 1, 3, 3]").getMessage().contains("numeric"));
        assertTrue(inferError("avg_pool2d", K2.with("dilation", new long[] {2, 2}), "f32[1, 1, 3, 3]").getMessage().contains("no attribute 'dilation'"));
        assertTrue(inferError("max_pool2d", K2, "f32[6, 28, 28]").hint().contains("batch"));
    }

    @Test void largePaddingAndIntegerMaxPool() {
        // ONNX-style pads of 2 with a 3x3 kernel on [[1,2],[3,4]]: every window still touches the input
        NdArray x = f32(s(1, 1, 2, 2), 1, 2, 3, 4);
        Attrs k3p2 = Attrs.of("kernel", new long[] {3, 3}, "stride", new long[] {1, 1}, "padding", new long[] {2, 2, 2, 2});
        NdArray r = run("max_pool2d", k3p2, x);
        assertArrayEquals(s(1, 1, 4, 4), r.shape());
        assertClose(new double[] {1, 2, 2, 2, 3, 4, 4, 4, 3, 4, 4, 4, 3, 4, 4, 4}, r, 0);
        NdArray avg = run("avg_pool2d", k3p2.with("count_include_pad", true), x);
        assertEquals(1.0 / 9, avg.get(0), 1e-7);
        assertEquals(10.0 / 9, avg.get(5), 1e-7);
        NdArray u8 = run("max_pool2d", K2, org.dlm.ir.interp.NdArray.of(org.dlm.ir.DType.U8, s(1, 1, 2, 2), 7, 200, 3, 9));
        assertEquals(org.dlm.ir.DType.U8, u8.dtype());
        assertClose(new double[] {200}, u8, 0);
        assertClose(new double[] {9}, run("global_max_pool", org.dlm.ir.interp.NdArray.of(org.dlm.ir.DType.I32, s(1, 1, 3), -1, 9, 2)), 0);
    }

    @Test void avgPoolCeilModeDividesByTheClippedWindow() {
        NdArray r = run("avg_pool2d", K2.with("ceil_mode", true), X);
        assertClose(new double[] {3, 4.5, 7.5, 9}, r, 0);
        NdArray inc = run("avg_pool2d", K2.with("ceil_mode", true).with("count_include_pad", true), X);
        assertClose(new double[] {3, 4.5, 7.5, 9}, inc, 0);   // overhang past the input is not padding
    }

    @Test void avgPoolCountIncludePad() {
        Attrs p = K2.with("padding", new long[] {1, 1, 1, 1});
        assertClose(new double[] {0.25, 1.25, 2.75, 7}, run("avg_pool2d", p.with("count_include_pad", true), X), 0);
        assertClose(new double[] {1, 2.5, 5.5, 7}, run("avg_pool2d", p, X), 0);
    }

    @Test void globalPools() {
        NdArray x = f64(s(1, 2, 2, 2), seq(8, 1));
        NdArray avg = run("global_avg_pool", x);
        assertArrayEquals(s(1, 2, 1, 1), avg.shape());
        assertClose(new double[] {2.5, 6.5}, avg, 0);
        NdArray max = run("global_max_pool", Attrs.of("keepdims", false), x);
        assertArrayEquals(s(1, 2), max.shape());
        assertClose(new double[] {4, 8}, max, 0);
        assertEquals(type("f32[B, C, 1, 1, 1]"), infer("global_avg_pool", Attrs.EMPTY, "f32[B, C, D, H, W]"));
        assertTrue(inferError("global_max_pool", Attrs.EMPTY, "f32[B, 10]").getMessage().contains("rank 3 or more"));
    }
}
