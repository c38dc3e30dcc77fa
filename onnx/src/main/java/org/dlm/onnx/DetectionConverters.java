package org.dlm.onnx;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX NonMaxSuppression and RoiAlign. NonMaxSuppression's result size depends on the data, and
 * Graph IR types are static, so it is computed at import time from boxes and scores known then
 * (initializers, constants, or the inputs of a specialized run such as {@code onnx-run}), like
 * NonZero and Unique. RoiAlign needs its boxes then too, to build its sampling weights.
 */
final class DetectionConverters {
    private DetectionConverters() {}

    static void register(ConverterTable t) {
        t.one("NonMaxSuppression", DetectionConverters::nonMaxSuppression);
        t.one("RoiAlign", DetectionConverters::roiAlign);
    }

    /**
     * RoiAlign (mode avg) with rois and batch_indices known at import time: every output cell is a
     * fixed weighted sum of input pixels (bilinear samples averaged over the bin, as ONNX Runtime
     * computes them), so the whole op is one matmul of x's pixels with an import-time weight matrix
     * [N·H·W, R·oh·ow]; x itself may be computed.
     */
    private static Node roiAlign(OpContext cx) {
        Node x = cx.in(0);
        NdArray rois = cx.staticIn(1), batch = cx.staticIn(2);
        if (rois == null || batch == null)
            throw cx.unsupported("on computed rois or batch_indices (the sampling weights are built at import time; known only when onnx-run is given the inputs)");
        String mode = cx.attrString("mode", "avg");
        if (!mode.equals("avg")) throw cx.unsupported("mode '" + mode + "' (avg is supported)");
        String ctm = cx.opset() < 16 ? "output_half_pixel" : cx.attrString("coordinate_transformation_mode", "half_pixel");
        if (!ctm.equals("half_pixel") && !ctm.equals("output_half_pixel")) throw cx.error("unknown coordinate_transformation_mode '" + ctm + "'");
        if (x.shape().rank() != 4 || !x.shape().isStatic()) throw cx.unsupported("on " + x.shape() + " (a static [N, C, H, W] is supported)");
        long[] xs = x.shape().sizes(), rs = rois.shape();
        if (rs.length != 2 || rs[1] != 4 || batch.size() != rs[0]) throw cx.error("rois must be [R, 4] with R batch_indices, got " + java.util.Arrays.toString(rs) + " and " + batch.size());
        int n = (int) xs[0], c = (int) xs[1], h = (int) xs[2], w = (int) xs[3], r = (int) rs[0];
        int oh = (int) cx.attrInt("output_height", 1), ow = (int) cx.attrInt("output_width", 1), ratio = (int) cx.attrInt("sampling_ratio", 0);
        double scale = cx.attrFloat("spatial_scale", 1), offset = ctm.equals("half_pixel") ? 0.5 : 0;
        if (oh < 1 || ow < 1 || ratio < 0) throw cx.error("output_height, output_width must be positive and sampling_ratio not negative");
        long pixels = (long) n * h * w, cells = (long) r * oh * ow;
        if (pixels * cells > OnnxImporter.FOLD_LIMIT) throw cx.unsupported("with " + cells + " output cells over " + pixels + " pixels (a weight matrix over " + OnnxImporter.FOLD_LIMIT + " entries)");
        double[] m = new double[(int) (pixels * cells)];
        for (int k = 0; k < r; k++) {
            long b = (long) batch.get(k);
            if (b < 0 || b >= n) throw cx.error("batch index " + b + " is out of range for " + n + " images");
            double x0 = rois.get(4 * k) * scale - offset, y0 = rois.get(4 * k + 1) * scale - offset;
            double rw = rois.get(4 * k + 2) * scale - offset - x0, rh = rois.get(4 * k + 3) * scale - offset - y0;
            if (offset == 0) { rw = Math.max(rw, 1); rh = Math.max(rh, 1); }
            double bh = rh / oh, bw = rw / ow;
            int gh = ratio > 0 ? ratio : (int) Math.ceil(rh / oh), gw = ratio > 0 ? ratio : (int) Math.ceil(rw / ow);
            double count = Math.max(gh * gw, 1);
            for (int py = 0; py < oh; py++)
                for (int px = 0; px < ow; px++) {
                    int col = (k * oh + py) * ow + px;
                    for (int iy = 0; iy < gh; iy++)
                        for (int ix = 0; ix < gw; ix++) {
                            double yy = y0 + py * bh + (iy + 0.5) * bh / gh, xx = x0 + px * bw + (ix + 0.5) * bw / gw;
                            if (yy < -1 || yy > h || xx < -1 || xx > w) continue;
                            yy = Math.max(yy, 0);
                            xx = Math.max(xx, 0);
                            int yl = (int) yy, xl = (int) xx, yh, xh;
                            if (yl >= h - 1) { yh = yl = h - 1; yy = yl; } else yh = yl + 1;
                            if (xl >= w - 1) { xh = xl = w - 1; xx = xl; } else xh = xl + 1;
                            double ly = yy - yl, lx = xx - xl, hy = 1 - ly, hx = 1 - lx;
                            long base = b * h * w;
                            m[(int) ((base + (long) yl * w + xl) * cells + col)] += hy * hx / count;
                            m[(int) ((base + (long) yl * w + xh) * cells + col)] += hy * lx / count;
                            m[(int) ((base + (long) yh * w + xl) * cells + col)] += ly * hx / count;
                            m[(int) ((base + (long) yh * w + xh) * cells + col)] += ly * lx / count;
                        }
                }
        }
        // [N, C, H, W] -> [C, N·H·W] @ [N·H·W, R·oh·ow] -> [C, R, oh, ow] -> [R, C, oh, ow]
        Node cols = cx.op("reshape", List.of(cx.op("transpose", List.of(x), "perm", new long[] {1, 0, 2, 3})), "shape", org.dlm.ir.Shape.of(c, pixels));
        Node y = cx.op("matmul", cols, cx.constant(new NdArray(x.dtype(), new long[] {pixels, cells}, m)));
        y = cx.op("reshape", List.of(y), "shape", org.dlm.ir.Shape.of(c, r, oh, ow));
        return cx.op("transpose", List.of(y), "perm", new long[] {1, 0, 2, 3});
    }

    /**
     * Per batch and class: candidates scoring above score_threshold, taken in descending score
     * (ties: lower box index first), each kept unless its IoU with a kept box exceeds
     * iou_threshold, at most max_output_boxes_per_class of them. Rows are (batch, class, box).
     */
    private static Node nonMaxSuppression(OpContext cx) {
        NdArray boxes = cx.staticIn(0), scores = cx.staticIn(1);
        if (boxes == null || scores == null)
            throw cx.unsupported("on computed boxes or scores (its result size depends on the data; known only when onnx-run is given the inputs)");
        long max = cx.hasInput(2) ? (long) cx.constIn(2, "max_output_boxes_per_class").get(0) : 0;
        double iouThreshold = cx.hasInput(3) ? cx.constIn(3, "iou_threshold").get(0) : 0;
        Double scoreThreshold = cx.hasInput(4) ? cx.constIn(4, "score_threshold").get(0) : null;
        boolean center = cx.attrInt("center_point_box", 0) != 0;
        long[] bs = boxes.shape(), ss = scores.shape();
        if (bs.length != 3 || bs[2] != 4) throw cx.error("boxes must be [batches, boxes, 4], got " + java.util.Arrays.toString(bs));
        if (ss.length != 3 || ss[0] != bs[0] || ss[2] != bs[1])
            throw cx.error("scores must be [batches, classes, boxes] matching boxes " + java.util.Arrays.toString(bs) + ", got " + java.util.Arrays.toString(ss));
        if (iouThreshold < 0 || iouThreshold > 1) throw cx.error("iou_threshold must be in [0, 1], got " + iouThreshold);
        int nb = (int) bs[1];
        List<long[]> selected = new ArrayList<>();
        for (int b = 0; b < bs[0]; b++) {
            double[][] corners = new double[nb][];
            for (int i = 0; i < nb; i++) corners[i] = corners(boxes, (b * nb + i) * 4, center);
            for (int c = 0; c < ss[1]; c++) {
                int base = (int) ((b * ss[1] + c) * nb);
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < nb; i++)
                    if (scoreThreshold == null || scores.get(base + i) > scoreThreshold) order.add(i);
                order.sort((p, q) -> {
                    int byScore = Double.compare(scores.get(base + q), scores.get(base + p));
                    return byScore != 0 ? byScore : Integer.compare(p, q);
                });
                List<Integer> kept = new ArrayList<>();
                for (int i : order) {
                    if (kept.size() >= max) break;
                    boolean suppressed = false;
                    for (int k : kept) if (iou(corners[i], corners[k]) > iouThreshold) { suppressed = true; break; }
                    if (!suppressed) {
                        kept.add(i);
                        selected.add(new long[] {b, c, i});
                    }
                }
            }
        }
        double[] out = new double[selected.size() * 3];
        for (int r = 0; r < selected.size(); r++) for (int k = 0; k < 3; k++) out[r * 3 + k] = selected.get(r)[k];
        return cx.constant(new NdArray(DType.I64, new long[] {selected.size(), 3}, out));
    }

    /** {y1, x1, y2, x2} with y1 <= y2 and x1 <= x2, from corners in any order or (x, y, w, h) centers. */
    private static double[] corners(NdArray boxes, int at, boolean center) {
        double a = boxes.get(at), b = boxes.get(at + 1), c = boxes.get(at + 2), d = boxes.get(at + 3);
        if (center) return new double[] {b - d / 2, a - c / 2, b + d / 2, a + c / 2};
        return new double[] {Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)};
    }

    private static double iou(double[] p, double[] q) {
        double areaP = (p[2] - p[0]) * (p[3] - p[1]), areaQ = (q[2] - q[0]) * (q[3] - q[1]);
        if (areaP <= 0 || areaQ <= 0) return 0;
        double h = Math.max(0, Math.min(p[2], q[2]) - Math.max(p[0], q[0]));
        double w = Math.max(0, Math.min(p[3], q[3]) - Math.max(p[1], q[1]));
        double inter = h * w;
        return inter / (areaP + areaQ - inter);
    }
}
