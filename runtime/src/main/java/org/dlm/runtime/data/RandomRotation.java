package org.dlm.runtime.data;

import java.util.random.RandomGenerator;
import org.dlm.ir.interp.NdArray;

/**
 * Rotates by an angle drawn uniformly from {@code [-maxDegrees, maxDegrees]} about the image
 * centre, bilinear interpolation, zeros outside the source.
 */
public record RandomRotation(double maxDegrees) implements Augmentation {
    @Override public NdArray apply(NdArray x, RandomGenerator rnd) {
        double deg = maxDegrees == 0 ? 0 : rnd.nextDouble(-maxDegrees, maxDegrees);
        return rotate(x, deg);
    }

    /** Rotation by {@code degrees} (counter-clockwise as displayed, y pointing down). */
    static NdArray rotate(NdArray x, double degrees) {
        int[] s = Augmentation.chw(x);
        int c = s[0], h = s[1], w = s[2];
        double a = Math.toRadians(degrees), cos = Math.cos(a), sin = Math.sin(a);
        double cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
        double[] out = new double[x.size()];
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                double dy = i - cy, dx = j - cx;
                // inverse map: where in the source does output pixel (i, j) come from
                double sx = cos * dx - sin * dy + cx, sy = sin * dx + cos * dy + cy;
                int x0 = (int) Math.floor(sx), y0 = (int) Math.floor(sy);
                double fx = sx - x0, fy = sy - y0;
                for (int ch = 0; ch < c; ch++) {
                    double v = 0;
                    v += (1 - fy) * (1 - fx) * px(x, ch, y0, x0, h, w);
                    v += (1 - fy) * fx * px(x, ch, y0, x0 + 1, h, w);
                    v += fy * (1 - fx) * px(x, ch, y0 + 1, x0, h, w);
                    v += fy * fx * px(x, ch, y0 + 1, x0 + 1, h, w);
                    out[(ch * h + i) * w + j] = v;
                }
            }
        return new NdArray(x.dtype(), x.shape(), out);
    }

    private static double px(NdArray x, int ch, int y, int xx, int h, int w) {
        return y < 0 || y >= h || xx < 0 || xx >= w ? 0 : x.get((ch * h + y) * w + xx);
    }
}
