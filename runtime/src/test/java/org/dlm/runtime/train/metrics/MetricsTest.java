package org.dlm.runtime.train.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class MetricsTest {
    // predictions: row 0 right, row 1 wrong (label 3rd of 3), row 2 right, row 3 wrong (label 2nd)
    static final NdArray LOGITS = NdArray.of(DType.F32, new long[] {4, 3},
            2, 1, 0.1, 0.5, 2.5, 0.3, 1, 1, 3, 0.2, 0.1, 0.0);
    static final NdArray LABELS = NdArray.of(DType.I64, new long[] {4}, 0, 2, 2, 1);

    @Test void accuracyAndTopK() {
        assertEquals(0.5, Classification.accuracy(LOGITS, LABELS));
        assertEquals(0.75, Classification.topK(LOGITS, LABELS, 2));
        assertEquals(1.0, Classification.topK(LOGITS, LABELS, 3));
    }

    @Test void tiesDoNotCountAgainstTheLabel() {
        NdArray s = NdArray.of(DType.F32, new long[] {1, 3}, 1, 1, 0);
        assertEquals(1.0, Classification.accuracy(s, NdArray.of(DType.I64, new long[] {1}, 1)));
        assertEquals(0.0, Classification.topK(s, NdArray.of(DType.I64, new long[] {1}, 2), 2));
    }

    @Test void confusionPrecisionRecallF1() {
        ConfusionMatrix m = Classification.confusion(LOGITS, LABELS);
        assertEquals(1, m.count(0, 0));
        assertEquals(1, m.count(1, 0));
        assertEquals(1, m.count(2, 1));
        assertEquals(1, m.count(2, 2));
        assertEquals(4, m.total());
        assertEquals(0.5, m.accuracy());
        assertEquals(0.5, m.precision(0));
        assertEquals(0.0, m.precision(1));
        assertEquals(1.0, m.precision(2));
        assertEquals(1.0, m.recall(0));
        assertEquals(0.0, m.recall(1));
        assertEquals(0.5, m.recall(2));
        assertEquals(2.0 / 3, m.f1(0), 1e-15);
        assertEquals(0.0, m.f1(1));
        assertEquals(2.0 / 3, m.f1(2), 1e-15);
        assertEquals(0.5, m.macroPrecision(), 1e-15);
        assertEquals(0.5, m.macroRecall(), 1e-15);
        assertEquals(4.0 / 9, m.macroF1(), 1e-15);
        ConfusionMatrix sum = new ConfusionMatrix(3);
        sum.add(m);
        sum.add(m);
        assertEquals(2, sum.count(2, 1));
        assertEquals(0.5, sum.accuracy());
    }

    @Test void crossEntropyMatchesPyTorch() {
        NdArray l = NdArray.of(DType.F64, new long[] {4, 3}, 2, 1, 0.1, 0.5, 2.5, 0.3, 1, 1, 3, 0.2, 0.1, 0.0);
        assertEquals(1.044641788437375, Classification.crossEntropy(l, LABELS), 1e-14);
    }

    @Test void regression() {
        NdArray p = NdArray.of(DType.F64, new long[] {2, 2}, 3, -0.5, 2, 7);
        NdArray t = NdArray.of(DType.F64, new long[] {2, 2}, 2.5, 0.0, 2, 8);
        assertEquals(0.375, Regression.mse(p, t));
        assertEquals(0.5, Regression.mae(p, t));
        assertEquals(0.9573712255772646, Regression.r2(p, t), 1e-15);
        NdArray c = NdArray.full(DType.F64, 2, 3);
        assertEquals(1.0, Regression.r2(c, c));
        assertEquals(0.0, Regression.r2(NdArray.full(DType.F64, 1, 3), c));
    }

    @Test void clearErrors() {
        assertEquals("label 3.0 at row 0 is not a class id in [0, 3)", assertThrows(IllegalArgumentException.class,
                () -> Classification.accuracy(NdArray.zeros(DType.F32, 1, 3), NdArray.of(DType.I64, new long[] {1}, 3))).getMessage());
        assertEquals("prediction [2] and target [3] differ in shape", assertThrows(IllegalArgumentException.class,
                () -> Regression.mse(NdArray.zeros(DType.F32, 2), NdArray.zeros(DType.F32, 3))).getMessage());
    }
}
