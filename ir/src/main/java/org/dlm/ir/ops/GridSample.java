package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.OpDef;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * {@code grid_sample}: samples x[N, C, H, W] at the normalized (x, y) locations of grid[N, Ho, Wo, 2]
 * (-1 = left/top edge, 1 = right/bottom edge), like PyTorch's {@code grid_sample} and ONNX GridSample.
 */
final class GridSample {
    private GridSample() {}

    static final List<String> MODES = List.of("bilinear", "nearest", "bicubic"), PADDINGS = List.of("zeros", "border", "reflection");

    static OpDef op() {
        return OpDef.builder("grid_sample").inputs(2)
                .attr("mode", STRING, "bilinear", "bilinear, nearest (half to even) or bicubic (a = -0.75)")
                .attr("padding_mode", STRING, "zeros", "outside the image: zeros, border (clamp) or reflection")
                .attr("align_corners", BOOL, false, "-1 and 1 are the centers of the corner pixels (else their outer edges)")
                .shape(GridSample::type)
                .kernel((in, a, out) -> eval(in.get(0), in.get(1), a, out))
                .doc("x[N,C,H,W] sampled at grid[N,Ho,Wo,2] (x, y in [-1, 1]): [N,C,Ho,Wo].")
                .build();
    }

    private static TensorType type(List<TensorType> in, Attrs a) {
        TensorType x = in.get(0), g = in.get(1);
        if (!x.dtype().isFloating()) throw new ShapeException("grid_sample needs a floating x, got " + x, null);
        if (g.dtype() != x.dtype()) throw new ShapeException("grid_sample grid must be " + x.dtype().text() + " like x, got " + g, "cast the grid");
        if (x.rank() != 4) throw new ShapeException("grid_sample needs x[N, C, H, W], got " + x, null);
        if (g.rank() != 4 || !g.shape().dim(3).equals(Dim.of(2))) throw new ShapeException("grid_sample needs grid[N, Ho, Wo, 2], got " + g, null);
        Dim n = x.shape().dim(0), gn = g.shape().dim(0);
        if (!n.equals(gn) && !(n.isConst() && gn.isConst())) throw new ShapeException("grid_sample batch sizes differ: x " + x + ", grid " + g, null);
        if (n.isConst() && gn.isConst() && n.value() != gn.value()) throw new ShapeException("grid_sample batch sizes differ: x " + x + ", grid " + g, null);
        if (!MODES.contains(a.getString("mode"))) throw new ShapeException("grid_sample mode must be one of " + MODES + ", got '" + a.getString("mode") + "'", null);
        if (!PADDINGS.contains(a.getString("padding_mode")))
            throw new ShapeException("grid_sample padding_mode must be one of " + PADDINGS + ", got '" + a.getString("padding_mode") + "'", null);
        return x.withShape(Shape.of(n, x.shape().dim(1), g.shape().dim(1), g.shape().dim(2)));
    }

    private static NdArray eval(NdArray x, NdArray grid, Attrs a, TensorType out) {
        String mode = a.getString("mode"), pad = a.getString("padding_mode");
        boolean align = a.getBool("align_corners", false);
        int n = (int) x.dim(0), c = (int) x.dim(1), h = (int) x.dim(2), w = (int) x.dim(3);
        int ho = (int) grid.dim(1), wo = (int) grid.dim(2);
        double xMin = align ? 0 : -0.5, xMax = align ? w - 1 : w - 0.5, yMin = align ? 0 : -0.5, yMax = align ? h - 1 : h - 0.5;
        Image img = new Image(x, h, w, pad, xMin, yMin, xMax, yMax);
        double[] r = new double[n * c * ho * wo];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    int gi = ((b * ho + oy) * wo + ox) * 2;
                    double px = denormalize(grid.get(gi), w, align), py = denormalize(grid.get(gi + 1), h, align);
                    if (mode.equals("nearest")) { px = Math.rint(px); py = Math.rint(py); }
                    if (px < xMin || px > xMax || py < yMin || py > yMax) {
                        if (pad.equals("border")) { px = clamp(px, 0, w - 1); py = clamp(py, 0, h - 1); }
                        else if (pad.equals("reflection")) { px = reflect(px, xMin, xMax); py = reflect(py, yMin, yMax); }
                    }
                    for (int ch = 0; ch < c; ch++) {
                        int plane = (b * c + ch) * h * w;
                        double v = switch (mode) {
                            case "nearest" -> img.at(plane, (long) py, (long) px);
                            case "bilinear" -> bilinear(img, plane, px, py);
                            default -> bicubic(img, plane, px, py);
                        };
                        r[((b * c + ch) * ho + oy) * wo + ox] = v;
                    }
                }
        return new NdArray(x.dtype(), new long[] {n, c, ho, wo}, r);
    }

    /** Pixel reads with the padding rule for coordinates outside the image. */
    private record Image(NdArray x, int h, int w, String pad, double xMin, double yMin, double xMax, double yMax) {
        double at(int plane, long r, long c) {
            switch (pad) {
                case "zeros" -> { if (r < 0 || r >= h || c < 0 || c >= w) return 0; }
                case "border" -> { r = (long) clamp(r, 0, h - 1); c = (long) clamp(c, 0, w - 1); }
                default -> { c = (long) reflect(c, xMin, xMax); r = (long) reflect(r, yMin, yMax); }
            }
            return x.get((int) (plane + r * w + c));
        }
    }

    private static double bilinear(Image img, int plane, double x, double y) {
        long x1 = (long) Math.floor(x), y1 = (long) Math.floor(y), x2 = x1 + 1, y2 = y1 + 1;
        double dx2 = x2 - x, dx1 = x - x1, dy2 = y2 - y, dy1 = y - y1;
        return dy2 * (dx2 * img.at(plane, y1, x1) + dx1 * img.at(plane, y1, x2))
                + dy1 * (dx2 * img.at(plane, y2, x1) + dx1 * img.at(plane, y2, x2));
    }

    private static double bicubic(Image img, int plane, double x, double y) {
        long x0 = (long) Math.floor(x) - 1, y0 = (long) Math.floor(y) - 1;
        double[] cx = cubic(x - x0 - 1), cy = cubic(y - y0 - 1);
        double r = 0;
        for (int i = 0; i < 4; i++) {
            double row = 0;
            for (int j = 0; j < 4; j++) row += cx[j] * img.at(plane, y0 + i, x0 + j);
            r += cy[i] * row;
        }
        return r;
    }

    /** Keys' cubic convolution weights (a = -0.75, as PyTorch) for the 4 taps around offset t in [0, 1). */
    private static double[] cubic(double t) {
        double a = -0.75, x = Math.abs(t);
        return new double[] {
            ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a,
            ((a + 2) * x - (a + 3)) * x * x + 1,
            ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1,
            ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a};
    }

    private static double denormalize(double v, int size, boolean align) {
        return align ? (v + 1) / 2 * (size - 1) : ((v + 1) * size - 1) / 2;
    }

    private static double clamp(double v, double lo, double hi) { return Math.min(Math.max(v, lo), hi); }

    /** Mirrors v into [lo, hi] (repeatedly, for points several widths away). */
    private static double reflect(double v, double lo, double hi) {
        double range = hi - lo;
        if (range <= 0) return lo;
        if (v < lo) {
            double d = lo - v;
            long k = (long) (d / range);
            double rest = d - k * range;
            return k % 2 == 0 ? lo + rest : hi - rest;
        }
        if (v > hi) {
            double d = v - hi;
            long k = (long) (d / range);
            double rest = d - k * range;
            return k % 2 == 0 ? hi - rest : lo + rest;
        }
        return v;
    }
}
