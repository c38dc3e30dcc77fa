package org.dlm.onnx;

import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX Resize and Upsample. Interpolation is separable, so each resized axis becomes a matmul
 * with an [out, in] interpolation matrix built at import time, following ONNX's reference
 * implementation exactly (neighbour choice, edge padding, nearest rounding modes, cubic
 * coefficients, exclude_outside). GridSample maps to the catalogue's {@code grid_sample}.
 */
final class ResizeConverters {
    private ResizeConverters() {}

    static void register(ConverterTable t) {
        t.one("GridSample", cx -> {
            Node x = cx.in(0), grid = cx.in(1);
            if (x.shape().rank() != 4) throw cx.unsupported("on rank-" + x.shape().rank() + " input " + x.shape() + " (2-D images [N, C, H, W] are supported)");
            // opset 20 renamed bilinear/bicubic to linear/cubic
            String mode = switch (cx.attrString("mode", cx.opset() < 20 ? "bilinear" : "linear")) {
                case "linear", "bilinear" -> "bilinear";
                case "cubic", "bicubic" -> "bicubic";
                case "nearest" -> "nearest";
                default -> throw cx.error("unknown mode '" + cx.attrString("mode", "") + "'");
            };
            if (grid.dtype() != x.dtype()) grid = cx.op("cast", List.of(grid), "dtype", x.dtype());
            return cx.op("grid_sample", List.of(x, grid), "mode", mode, "padding_mode", cx.attrString("padding_mode", "zeros"),
                    "align_corners", cx.attrInt("align_corners", 0) != 0);
        });
        t.one("Resize", cx -> {
            Node x = cx.in(0);
            int r = x.shape().rank();
            String mode = cx.attrString("mode", "nearest");
            String ctm = cx.opset() < 11 ? "asymmetric" : cx.attrString("coordinate_transformation_mode", "half_pixel");
            String nearest = cx.opset() < 11 ? "floor" : cx.attrString("nearest_mode", "round_prefer_floor");
            if (cx.attrInt("antialias", 0) != 0) throw cx.unsupported("antialias=1");
            if (ctm.equals("tf_crop_and_resize")) throw cx.unsupported("coordinate_transformation_mode 'tf_crop_and_resize'");
            if (cx.hasAttr("axes")) throw cx.unsupported("with axes");
            if (!cx.attrString("keep_aspect_ratio_policy", "stretch").equals("stretch")) throw cx.unsupported("keep_aspect_ratio_policy other than stretch");
            int scalesAt = cx.opset() < 11 ? 1 : 2, sizesAt = 3;
            NdArray scales = cx.staticIn(scalesAt);
            if (scales != null && scales.size() == 0) scales = null;
            NdArray sizes = cx.opset() < 11 ? null : cx.staticIn(sizesAt);
            if (scales == null && sizes == null) {
                if (cx.hasInput(scalesAt) || cx.hasInput(sizesAt)) throw cx.unsupported("with computed scales or sizes");
                throw cx.error("needs scales or sizes");
            }
            return resize(cx, x, r, mode, ctm, nearest, cx.attrFloat("cubic_coeff_a", -0.75), cx.attrInt("exclude_outside", 0) != 0, scales, sizes);
        });
        t.one("Upsample", cx -> {
            Node x = cx.in(0);
            double[] s = cx.hasAttr("scales") ? cx.attrs().floats("scales") : cx.constIn(1, "scales").data();
            String mode = cx.attrString("mode", "nearest");
            return resize(cx, x, x.shape().rank(), mode, "asymmetric", "floor", -0.75, false, new NdArray(DType.F32, new long[] {s.length}, s.clone()), null);
        });
    }

    private static Node resize(OpContext cx, Node x, int r, String mode, String ctm, String nearest, double cubicA, boolean excludeOutside,
                               NdArray scales, NdArray sizes) {
        if (!List.of("nearest", "linear", "cubic").contains(mode)) throw cx.unsupported("mode '" + mode + "'");
        if (!List.of("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "half_pixel_symmetric").contains(ctm))
            throw cx.unsupported("coordinate_transformation_mode '" + ctm + "'");
        if ((scales != null ? scales.size() : sizes.size()) != r) throw cx.error("needs one scale or size per dim (" + r + ")");
        DType dt = x.dtype();
        if (!dt.isFloating() && !mode.equals("nearest")) throw cx.unsupported(mode + " interpolation of " + dt);
        Node y = dt.isFloating() ? x : cx.op("cast", List.of(x), "dtype", DType.F64);
        for (int axis = 0; axis < r; axis++) {
            Dim d = x.shape().dim(axis);
            double scale = scales != null ? scales.get(axis) : Double.NaN;
            if (scales != null && scale == 1.0) continue;
            if (!d.isConst()) throw cx.unsupported("of symbolic dim " + d);
            int in = (int) d.value();
            int out = scales != null ? (int) Math.floor(in * scale) : (int) sizes.get(axis);
            if (scales == null) {
                if (out == in) continue;
                scale = (double) out / in;
            }
            if (out < 0 || (long) out * in > OnnxImporter.FOLD_LIMIT) throw cx.unsupported("to " + out + " along an axis of " + in);
            double[] m = matrix(in, out, scale, mode, ctm, nearest, cubicA, excludeOutside);
            Node mt = cx.constant(new NdArray(y.dtype(), new long[] {in, out}, m));
            y = alongAxis(cx, y, axis, r, mt);
        }
        return y.dtype() == dt ? y : cx.op("cast", List.of(cx.op("round", y)), "dtype", dt);
    }

    /** y with {@code axis} contracted against mt[in, out]: moved last, multiplied, moved back. */
    private static Node alongAxis(OpContext cx, Node y, int axis, int r, Node mt) {
        if (axis == r - 1) return cx.op("matmul", y, mt);
        long[] perm = new long[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        perm[axis] = r - 1;
        perm[r - 1] = axis;
        Node moved = cx.op("transpose", List.of(y), "perm", perm);
        return cx.op("transpose", List.of(cx.op("matmul", moved, mt)), "perm", perm);
    }

    /** The transposed interpolation matrix [in, out] for one axis. */
    static double[] matrix(int in, int out, double scale, String mode, String ctm, String nearest, double a, boolean excludeOutside) {
        double[] m = new double[in * out];
        double outWidth = scale * in;
        for (int xo = 0; xo < out; xo++) {
            double x = switch (ctm) {
                case "align_corners" -> outWidth == 1 ? 0 : xo * (in - 1) / (outWidth - 1);
                case "asymmetric" -> xo / scale;
                case "pytorch_half_pixel" -> outWidth == 1 ? -0.5 : (xo + 0.5) / scale - 0.5;
                case "tf_half_pixel_for_nn" -> (xo + 0.5) / scale;
                case "half_pixel_symmetric" -> {
                    double adj = out / outWidth, center = in / 2.0, offset = center * (1 - adj);
                    yield offset + (xo + 0.5) / scale - 0.5;
                }
                default -> (xo + 0.5) / scale - 0.5;
            };
            double floor = Math.floor(x);
            double ratio = x == floor ? 1 : x - floor;
            double[] c = switch (mode) {
                case "linear" -> new double[] {1 - ratio, ratio};
                case "cubic" -> new double[] {
                    ((a * (ratio + 1) - 5 * a) * (ratio + 1) + 8 * a) * (ratio + 1) - 4 * a,
                    ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
                    ((a + 2) * (1 - ratio) - (a + 3)) * (1 - ratio) * (1 - ratio) + 1,
                    ((a * ((1 - ratio) + 1) - 5 * a) * ((1 - ratio) + 1) + 8 * a) * ((1 - ratio) + 1) - 4 * a};
                default -> x == floor ? new double[] {0, 1} : switch (nearest) {
                    case "round_prefer_ceil" -> new double[] {ratio < 0.5 ? 1 : 0, ratio >= 0.5 ? 1 : 0};
                    case "floor" -> new double[] {1, 0};
                    case "ceil" -> new double[] {0, 1};
                    default -> new double[] {ratio <= 0.5 ? 1 : 0, ratio > 0.5 ? 1 : 0};
                };
            };
            // the n neighbours nearest to x in the edge-padded axis (ties to the lower index), as the reference does
            int n = c.length, pad = (n + 1) / 2, limit = in + 2 * pad;
            double xp = x + pad;
            int[] idx = nearestIndices(xp, n, limit);
            if (excludeOutside) {
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    int i = idx[k] - pad;
                    if (i < 0 || i >= in) c[k] = 0;
                    sum += c[k];
                }
                for (int k = 0; k < n; k++) c[k] /= sum;
            }
            for (int k = 0; k < n; k++) {
                int i = Math.min(Math.max(idx[k] - pad, 0), in - 1);
                m[i * out + xo] += c[k];
            }
        }
        return m;
    }

    private static int[] nearestIndices(double x, int n, int limit) {
        Integer[] all = new Integer[limit];
        for (int i = 0; i < limit; i++) all[i] = i;
        java.util.Arrays.sort(all, (p, q) -> {
            int c = Double.compare(Math.abs(x - p), Math.abs(x - q));
            return c != 0 ? c : Integer.compare(p, q);
        });
        int[] r = new int[n];
        for (int k = 0; k < n; k++) r[k] = all[k];
        java.util.Arrays.sort(r);
        return r;
    }
}
