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

/** Sequence ops inside a graph, resolved at import time, on interp and llvm. */
class SequenceImportTest {
    private static ImportedModel imported(ModelProto m) { return OnnxImporter.importModel(m, null, OnnxImporter.Options.DEFAULT); }

    /** x[4, 3] → SplitToSequence(axis 0, keepdims 0) → erase the last, insert x's row 0 at the front, then stack on axis 1 and take item 2. */
    private static ModelProto sequenceModel() {
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 4, 3))
                .addInitializer(longs("minus1", -1)).addInitializer(longs("zero", 0)).addInitializer(longs("two", 2))
                .addNode(node("SplitToSequence", List.of("x"), List.of("rows"), i("axis", 0), i("keepdims", 0)))
                .addNode(node("SequenceErase", List.of("rows", "minus1"), List.of("three")))
                .addNode(node("SequenceAt", List.of("rows", "zero"), List.of("first")))
                .addNode(node("SequenceInsert", List.of("three", "first", "zero"), List.of("four")))
                .addNode(node("SequenceLength", List.of("four"), List.of("n")))
                .addNode(node("ConcatFromSequence", List.of("four"), List.of("stacked"), i("axis", 1), i("new_axis", 1)))
                .addNode(node("SequenceConstruct", List.of("first", "first"), List.of("pair")))
                .addNode(node("ConcatFromSequence", List.of("pair"), List.of("joined"), i("axis", 0)))
                .addNode(node("SequenceAt", List.of("four", "two"), List.of("item")))
                .addOutput(value("stacked", FLOAT, 3, 4)).addOutput(value("n", INT64))
                .addOutput(value("joined", FLOAT, 6)).addOutput(value("item", FLOAT, 3)).build();
        return TestModels.model(13, g);
    }

    @Test
    void sequencesBecomeSlicesAndConcats() {
        ImportedModel im = imported(sequenceModel());
        NdArray x = new NdArray(DType.F32, new long[] {4, 3}, new double[] {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32});
        for (String backend : List.of("interp", "llvm")) {
            Map<String, NdArray> out = OnnxRunner.run(im, Map.of("x", x), backend);
            // sequence: [row0, row0, row1, row2] stacked along axis 1 → [3, 4]
            assertArrayEquals(new long[] {3, 4}, out.get("stacked").shape(), backend);
            assertArrayEquals(new double[] {0, 0, 10, 20, 1, 1, 11, 21, 2, 2, 12, 22}, out.get("stacked").data(), backend);
            assertEquals(4.0, out.get("n").get(0), backend);
            assertArrayEquals(new double[] {0, 1, 2, 0, 1, 2}, out.get("joined").data(), backend);
            assertArrayEquals(new double[] {10, 11, 12}, out.get("item").data(), backend);
        }
    }

    @Test
    void aSequenceLeavingTheGraphOrAComputedPositionIsUnsupported() {
        GraphProto out = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2))
                .addNode(node("SequenceConstruct", List.of("x", "x"), List.of("s")))
                .addOutput(value("s", FLOAT, 2)).build();
        OnnxException e = assertThrows(OnnxException.class, () -> imported(model(13, out)));
        assertTrue(e.issues().getFirst().unsupported() && e.getMessage().contains("'s' is a sequence"), e.getMessage());

        GraphProto computed = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2)).addInput(value("p", INT64))
                .addNode(node("SequenceConstruct", List.of("x", "x"), List.of("s")))
                .addNode(node("SequenceAt", List.of("s", "p"), List.of("y")))
                .addOutput(value("y", FLOAT, 2)).build();
        OnnxException c = assertThrows(OnnxException.class, () -> imported(model(13, computed)));
        assertTrue(c.getMessage().contains("SequenceAt") && c.getMessage().contains("computed 'position'"), c.getMessage());
    }
}
