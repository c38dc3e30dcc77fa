package org.dlm.onnx;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX NonMaxSuppression. Its result size depends on the data, and Graph IR types are static, so
 * it is computed at import time from boxes and scores known then (initializers, constants, or the
 * inputs of a specialized run such as {@code onnx-run}), like NonZero and Unique.
 */
final class DetectionConverters {
    private DetectionConverters() {}

    static void register(ConverterTable t) {
        t.one("NonMaxSuppression", DetectionConverters::nonMaxSuppression);
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
