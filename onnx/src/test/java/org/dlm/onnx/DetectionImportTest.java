package org.dlm.onnx;

import static org.dlm.onnx.TestModels.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.GraphProto;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.junit.jupiter.api.Test;

class DetectionImportTest {
    /** NonMaxSuppression with max 2 boxes per class, IoU 0.5, score threshold 0.1. */
    private static ModelProto nms(int centerPointBox) {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("boxes", FLOAT, 1, 4, 4)).addInput(value("scores", FLOAT, 1, 2, 4))
                .addInitializer(longs("max", 2)).addInitializer(floats("iou", new long[] {1}, 0.5f)).addInitializer(floats("st", new long[] {1}, 0.1f))
                .addNode(node("NonMaxSuppression", List.of("boxes", "scores", "max", "iou", "st"), List.of("sel"), i("center_point_box", centerPointBox)))
                .addOutput(value("sel", INT64, -1, 3)).build();
        return model(11, g);
    }

    @Test
    void nonMaxSuppressionKeepsTheBestBoxesPerClass() {
        // boxes 0 and 1 overlap with IoU 0.81; box 2 is apart; box 3 is flipped (y2 < y1) and equal to box 2
        NdArray boxes = new NdArray(DType.F32, new long[] {1, 4, 4}, new double[] {
                0, 0, 1, 1,
                0, 0, 0.9, 0.9,
                2, 2, 3, 3,
                3, 3, 2, 2});
        NdArray scores = new NdArray(DType.F32, new long[] {1, 2, 4}, new double[] {
                0.5, 0.9, 0.3, 0.05,     // class 0: box 1 wins over 0; box 2 kept; box 3 below the threshold
                0.2, 0.2, 0.6, 0.7});    // class 1: box 3 beats its twin 2; box 0 ties 1 and wins by index; max 2 per class
        NdArray sel = OnnxRunner.run(nms(0), null, Map.of("boxes", boxes, "scores", scores)).get("sel");
        assertArrayEquals(new long[] {4, 3}, sel.shape());
        assertArrayEquals(new double[] {0, 0, 1, 0, 0, 2, 0, 1, 3, 0, 1, 0}, sel.data());
    }

    @Test
    void centerPointBoxesAreConverted() {
        // (x, y, w, h): boxes 0 and 1 are the same square, box 2 is shifted by half a width (IoU 1/3)
        NdArray boxes = new NdArray(DType.F32, new long[] {1, 4, 4}, new double[] {
                0.5, 0.5, 1, 1,
                0.5, 0.5, 1, 1,
                1.0, 0.5, 1, 1,
                9, 9, 0, 0});   // zero area: never suppresses nor is suppressed
        NdArray scores = new NdArray(DType.F32, new long[] {1, 2, 4}, new double[] {0.9, 0.8, 0.7, 0.6, 0, 0, 0, 0});
        NdArray sel = OnnxRunner.run(nms(1), null, Map.of("boxes", boxes, "scores", scores)).get("sel");
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 2}, sel.data());
    }

    @Test
    void roiAlignAveragesBilinearSamplesPerBin() {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("x", FLOAT, 1, 1, 2, 2)).addInput(value("rois", FLOAT, 1, 4)).addInput(value("b", INT64, 1))
                .addNode(node("RoiAlign", List.of("x", "rois", "b"), List.of("y"), i("output_height", 1), i("output_width", 2), i("sampling_ratio", 2)))
                .addOutput(value("y", FLOAT, 1, 1, 1, 2)).build();
        NdArray x = new NdArray(DType.F32, new long[] {1, 1, 2, 2}, new double[] {1, 2, 3, 4});
        NdArray rois = new NdArray(DType.F32, new long[] {1, 4}, new double[] {0, 0, 2, 2});
        NdArray b = new NdArray(DType.I64, new long[] {1}, new double[] {0});
        // half_pixel: the roi is [-0.5, 1.5]²; left bin samples x = -0.25 (clamped to 0) and 0.25, right bin 0.75 and 1.25 (clamped to 1), rows 0 and 1
        NdArray y = OnnxRunner.run(model(16, g), null, Map.of("x", x, "rois", rois, "b", b)).get("y");
        assertArrayEquals(new long[] {1, 1, 1, 2}, y.shape());
        assertEquals(2.125, y.get(0), 1e-6);
        assertEquals(2.875, y.get(1), 1e-6);
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxImporter.importModel(model(16, g), null, OnnxImporter.Options.DEFAULT));
        assertTrue(e.getMessage().contains("UNSUPPORTED: RoiAlign on computed rois or batch_indices"), e.getMessage());
    }

    @Test
    void nonMaxSuppressionOnComputedBoxesIsUnsupported() {
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxImporter.importModel(nms(0), null, OnnxImporter.Options.DEFAULT));
        assertTrue(e.isUnsupported());
        assertEquals("UNSUPPORTED: NonMaxSuppression on computed boxes or scores (its result size depends on the data; known only when onnx-run is given the inputs) (node producing 'sel')",
                e.issues().getFirst().render());
    }
}
