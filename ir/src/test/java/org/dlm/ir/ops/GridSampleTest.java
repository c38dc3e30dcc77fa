package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/** grid_sample on a 2x2 image [[1, 2], [3, 4]] at hand-computed points. */
class GridSampleTest {
    static final NdArray X = f64(s(1, 1, 2, 2), 1, 2, 3, 4);

    static NdArray sample(String mode, String pad, boolean align, double... xy) {
        NdArray grid = f64(s(1, 1, xy.length / 2, 2), xy);
        return run("grid_sample", Attrs.of("mode", mode, "padding_mode", pad, "align_corners", align), X, grid);
    }

    @Test void alignedCornersHitPixelCenters() {
        NdArray r = sample("bilinear", "zeros", true, -1, -1, 1, 1, 0, 0, 1, -1);
        assertArrayEquals(s(1, 1, 1, 4), r.shape());
        assertArrayEquals(new double[] {1, 4, 2.5, 2}, r.data(), 1e-12);
        // bicubic weights at a pixel center are (0, 1, 0, 0): the pixel itself
        assertArrayEquals(new double[] {1, 4}, sample("bicubic", "zeros", true, -1, -1, 1, 1).data(), 1e-12);
        // nearest rounds half to even: the center (0.5, 0.5) goes to pixel (0, 0)
        assertArrayEquals(new double[] {1, 4}, sample("nearest", "zeros", true, 0, 0, 0.9, 0.9).data(), 1e-12);
    }

    @Test void outerEdgesUseThePaddingRule() {
        // align_corners=false: (-1, -1) is the outer corner (-0.5, -0.5), a quarter pixel inside
        assertEquals(0.25, sample("bilinear", "zeros", false, -1, -1).get(0), 1e-12);
        assertEquals(1.0, sample("bilinear", "border", false, -1, -1).get(0), 1e-12);
        // x = 2 lies at 2.5, one past the right edge 1.5: reflected to 0.5 (the middle column)
        assertEquals(2.5, sample("bilinear", "reflection", false, 2, 0).get(0), 1e-12);
        assertEquals(0.0, sample("bilinear", "zeros", false, 2, 0).get(0), 1e-12);
        assertEquals(3.0, sample("bilinear", "border", false, 2, 0).get(0), 1e-12);  // clamped to column 1, rows 0..1
    }

    @Test void typeRule() {
        assertEquals(tt(DType.F32, "N", 3, 5, 7), type("grid_sample", tt(DType.F32, "N", 3, 8, 8), tt(DType.F32, "N", 5, 7, 2)));
        assertTrue(shapeError("grid_sample", Attrs.EMPTY, tt(DType.F32, 1, 3, 8, 8), tt(DType.F32, 1, 5, 7, 3)).getMessage().contains("grid[N, Ho, Wo, 2]"));
        assertTrue(shapeError("grid_sample", Attrs.EMPTY, tt(DType.F32, 1, 3, 8, 8), tt(DType.F64, 1, 5, 7, 2)).getMessage().contains("must be f32"));
        assertTrue(shapeError("grid_sample", Attrs.of("mode", "linear"), tt(DType.F32, 1, 3, 8, 8), tt(DType.F32, 1, 5, 7, 2)).getMessage().contains("mode must be one of"));
    }
}
