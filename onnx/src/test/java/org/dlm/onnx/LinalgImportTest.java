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

/** Det, MaxUnpool and MaxPool's Indices, composed from catalogue ops and run on interp and llvm. */
class LinalgImportTest {
    private static ModelProto det(long... shape) {
        long[] out = java.util.Arrays.copyOf(shape, shape.length - 2);
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, shape))
                .addNode(node("Det", List.of("x"), List.of("y"))).addOutput(value("y", FLOAT, out)).build();
        return model(11, g);
    }

    @Test
    void determinantsOfABatchOfMatrices() {
        // [[2, 0, 1], [1, 3, 2], [1, 1, 1]] has det 2(3-2) - 0 + 1(1-3) = 0; the identity 1; a permutation matrix -1
        NdArray x = new NdArray(DType.F32, new long[] {3, 3, 3}, new double[] {
                2, 0, 1, 1, 3, 2, 1, 1, 1,
                1, 0, 0, 0, 1, 0, 0, 0, 1,
                0, 1, 0, 1, 0, 0, 0, 0, 1});
        ImportedModel im = OnnxImporter.importModel(det(3, 3, 3), null, OnnxImporter.Options.DEFAULT);
        for (String backend : List.of("interp", "llvm")) {
            NdArray y = OnnxRunner.run(im, Map.of("x", x), backend).get("y");
            assertArrayEquals(new long[] {3}, y.shape());
            assertArrayEquals(new double[] {0, 1, -1}, y.data(), 1e-6);
        }
        NdArray four = new NdArray(DType.F32, new long[] {4, 4}, new double[] {2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0.5, 0, 1, 1, 1, 4});
        assertEquals(12.0, OnnxRunner.run(det(4, 4), null, Map.of("x", four)).get("y").get(0), 1e-6);
    }

    @Test
    void maxUnpoolPlacesValuesAtComputedIndices() {
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 1, 1, 2, 2)).addInput(value("i", INT64, 1, 1, 2, 2))
                .addNode(node("MaxUnpool", List.of("x", "i"), List.of("y"), ints("kernel_shape", 2, 2), ints("strides", 2, 2)))
                .addOutput(value("y", FLOAT, 1, 1, 4, 4)).build();
        ImportedModel im = OnnxImporter.importModel(model(11, g), null, OnnxImporter.Options.DEFAULT);
        NdArray x = new NdArray(DType.F32, new long[] {1, 1, 2, 2}, new double[] {5, Double.POSITIVE_INFINITY, 7, 8});
        NdArray i = new NdArray(DType.I64, new long[] {1, 1, 2, 2}, new double[] {5, 2, 8, 15});
        double[] want = new double[16];
        want[5] = 5;
        want[2] = Double.POSITIVE_INFINITY;
        want[8] = 7;
        want[15] = 8;
        for (String backend : List.of("interp", "llvm")) {
            NdArray y = OnnxRunner.run(im, Map.of("x", x, "i", i), backend).get("y");
            assertArrayEquals(new long[] {1, 1, 4, 4}, y.shape());
            assertArrayEquals(want, y.data(), backend);
        }
    }

    @Test
    void maxPoolIndicesPointAtTheFirstMaximumOfEachWindow() {
        NdArray x = new NdArray(DType.F32, new long[] {1, 1, 3, 3}, new double[] {1, 5, 5, 2, 0, 5, 9, 3, 1});
        for (int order : new int[] {0, 1}) {
            GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 1, 1, 3, 3))
                    .addNode(node("MaxPool", List.of("x"), List.of("y", "i"), ints("kernel_shape", 2, 2), i("storage_order", order)))
                    .addOutput(value("y", FLOAT, 1, 1, 2, 2)).addOutput(value("i", INT64, 1, 1, 2, 2)).build();
            ImportedModel im = OnnxImporter.importModel(model(12, g), null, OnnxImporter.Options.DEFAULT);
            for (String backend : List.of("interp", "llvm")) {
                Map<String, NdArray> out = OnnxRunner.run(im, Map.of("x", x), backend);
                assertArrayEquals(new double[] {5, 5, 9, 5}, out.get("y").data(), backend);
                // ties go to the first in row-major window order; storage_order 1 numbers the plane column by column
                assertArrayEquals(order == 0 ? new double[] {1, 1, 6, 5} : new double[] {3, 3, 2, 7}, out.get("i").data(), backend + " order " + order);
            }
        }
    }

    @Test
    void largeMatricesAreUnsupported() {
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxImporter.importModel(det(5, 5), null, OnnxImporter.Options.DEFAULT));
        assertTrue(e.getMessage().contains("UNSUPPORTED: Det of a 5x5 matrix (1x1 to 4x4 are supported)"), e.getMessage());
    }
}
