package org.dlm.onnx;

import static org.dlm.onnx.TestModels.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.AttributeProto;
import org.dlm.onnx.proto.OnnxProto.GraphProto;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.junit.jupiter.api.Test;

/** DFT, STFT and TfIdfVectorizer, imported once (computed at run time) and run on interp and llvm. */
class SignalTextImportTest {
    private static AttributeProto s(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING).setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }

    private static AttributeProto fs(String name, float... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
        for (float x : v) b.addFloats(x);
        return b.build();
    }

    private static ImportedModel imported(ModelProto m) { return OnnxImporter.importModel(m, null, OnnxImporter.Options.DEFAULT); }

    private static void assertClose(double[] want, NdArray got, double tol) {
        assertEquals(want.length, got.size());
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got.get(i), tol, "element " + i);
    }

    private static ModelProto dft(int last, long n, int inverse, int onesided, int axis) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 1, 4, last))
                .addNode(node("DFT", n > 0 ? List.of("x", "len") : List.of("x"), List.of("y"), i("inverse", inverse), i("onesided", onesided), i("axis", axis)))
                .addOutput(value("y", FLOAT));
        if (n > 0) g.addInitializer(longs("len", n).toBuilder().clearDims().build());
        return model(17, g.build());
    }

    @Test
    void dftOfARealSignal() {
        NdArray x = new NdArray(DType.F32, new long[] {1, 4, 1}, new double[] {1, 2, 3, 4});
        for (String backend : List.of("interp", "llvm")) {
            // X = [10, -2+2i, -2, -2-2i]
            NdArray y = OnnxRunner.run(imported(dft(1, 0, 0, 0, 1)), Map.of("x", x), backend).get("y");
            assertArrayEquals(new long[] {1, 4, 2}, y.shape());
            assertClose(new double[] {10, 0, -2, 2, -2, 0, -2, -2}, y, 1e-5);
            // one-sided: k = 0..2; zero-padded to 6: X[k] = Σ x[j] e^(-iπjk/3)
            NdArray half = OnnxRunner.run(imported(dft(1, 0, 0, 1, -2)), Map.of("x", x), backend).get("y");
            assertClose(new double[] {10, 0, -2, 2, -2, 0}, half, 1e-5);
            NdArray padded = OnnxRunner.run(imported(dft(1, 6, 0, 0, 1)), Map.of("x", x), backend).get("y");
            assertArrayEquals(new long[] {1, 6, 2}, padded.shape());
            double re1 = 0, im1 = 0;
            for (int j = 0; j < 4; j++) { re1 += (j + 1) * Math.cos(Math.PI * j / 3); im1 -= (j + 1) * Math.sin(Math.PI * j / 3); }
            assertEquals(re1, padded.get(2), 1e-5);
            assertEquals(im1, padded.get(3), 1e-5);
        }
    }

    @Test
    void inverseDftUndoesTheDft() {
        NdArray spectrum = new NdArray(DType.F32, new long[] {1, 4, 2}, new double[] {10, 0, -2, 2, -2, 0, -2, -2});
        for (String backend : List.of("interp", "llvm"))
            assertClose(new double[] {1, 0, 2, 0, 3, 0, 4, 0}, OnnxRunner.run(imported(dft(2, 0, 1, 0, 1)), Map.of("x", spectrum), backend).get("y"), 1e-5);
    }

    @Test
    void stftFramesWindowsAndTransforms() {
        // 8 samples, frames of 4 every 2 samples: 3 frames, 3 one-sided bins
        double[] sig = {1, 2, 3, 4, 5, 6, 7, 8};
        double[] win = {0.5, 1, 1, 0.5};
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 1, 8, 1)).addInput(value("w", FLOAT, 4))
                .addInitializer(longs("step", 2).toBuilder().clearDims().build())
                .addNode(node("STFT", List.of("x", "step", "w"), List.of("y")))
                .addOutput(value("y", FLOAT)).build();
        NdArray x = new NdArray(DType.F32, new long[] {1, 8, 1}, sig), w = new NdArray(DType.F32, new long[] {4}, win);
        ImportedModel im = imported(model(17, g));
        for (String backend : List.of("interp", "llvm")) {
            NdArray y = OnnxRunner.run(im, Map.of("x", x, "w", w), backend).get("y");
            assertArrayEquals(new long[] {1, 3, 3, 2}, y.shape());
            for (int f = 0; f < 3; f++)
                for (int k = 0; k < 3; k++) {
                    double re = 0, im2 = 0;
                    for (int j = 0; j < 4; j++) {
                        double v = sig[2 * f + j] * win[j], a = 2 * Math.PI * j * k / 4;
                        re += v * Math.cos(a);
                        im2 -= v * Math.sin(a);
                    }
                    assertEquals(re, y.get((f * 3 + k) * 2), 1e-5, backend + " frame " + f + " bin " + k);
                    assertEquals(im2, y.get((f * 3 + k) * 2 + 1), 1e-5, backend + " frame " + f + " bin " + k);
                }
        }
    }

    /** Pool: unigrams 1, 3; bigrams (1 2), (1 3); output indexes permuted. */
    private static ModelProto tfIdf(String mode, long rows) {
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(rows == 0 ? value("x", INT64, 5) : value("x", INT64, rows, 5))
                .addNode(node("TfIdfVectorizer", List.of("x"), List.of("y"), s("mode", mode), i("min_gram_length", 1), i("max_gram_length", 2),
                        i("max_skip_count", 1), ints("ngram_counts", 0, 2), ints("ngram_indexes", 1, 0, 3, 2), ints("pool_int64s", 1, 3, 1, 2, 1, 3),
                        fs("weights", 1, 2, 0.5f, 3)))
                .addOutput(value("y", FLOAT)).build();
        return model(9, g);
    }

    @Test
    void tfIdfCountsNGramsWithSkips() {
        // row 0: 1 2 3 1 2 -> "1": 2, "3": 1, "1 2": 2 (adjacent), "1 3": 1 (one apart); unigrams count once
        // row 1: 3 3 3 1 3 -> "1": 1, "3": 4, "1 2": 0, "1 3": 1
        NdArray x = new NdArray(DType.I64, new long[] {2, 5}, new double[] {1, 2, 3, 1, 2, 3, 3, 3, 1, 3});
        for (String backend : List.of("interp", "llvm")) {
            // output index of each pool n-gram: 1 -> 1, 3 -> 0, (1 2) -> 3, (1 3) -> 2
            NdArray tf = OnnxRunner.run(imported(tfIdf("TF", 2)), Map.of("x", x), backend).get("y");
            assertArrayEquals(new long[] {2, 4}, tf.shape());
            assertClose(new double[] {1, 2, 1, 2, 4, 1, 1, 0}, tf, 0);
            assertClose(new double[] {2, 2, 3, 1, 8, 1, 3, 0}, OnnxRunner.run(imported(tfIdf("TFIDF", 2)), Map.of("x", x), backend).get("y"), 1e-6);
            assertClose(new double[] {2, 1, 3, 0.5, 2, 1, 3, 0}, OnnxRunner.run(imported(tfIdf("IDF", 2)), Map.of("x", x), backend).get("y"), 1e-6);
        }
        NdArray one = new NdArray(DType.I64, new long[] {5}, new double[] {1, 2, 3, 1, 2});
        NdArray y = OnnxRunner.run(tfIdf("TF", 0), null, Map.of("x", one)).get("y");
        assertArrayEquals(new long[] {4}, y.shape());
        assertClose(new double[] {1, 2, 1, 2}, y, 0);
    }
}
