package org.dlm.runtime.train.metrics;

import org.dlm.ir.interp.NdArray;

/**
 * Classification metrics over model outputs held as {@link NdArray}: scores {@code [N, C]}
 * (logits or probabilities; only their order matters) and integer class labels {@code [N]}.
 *
 * <pre>{@code
 * double acc = Classification.accuracy(logits, labels);
 * double top5 = Classification.topK(logits, labels, 5);
 * }</pre>
 */
public final class Classification {
    private Classification() {}

    /** Index of the largest score in each row (first one on ties), as {@code long[N]}. */
    public static long[] argmax(NdArray scores) {
        int n = rows(scores), c = (int) scores.dim(1);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < c; j++) if (scores.get(i * c + j) > scores.get(i * c + best)) best = j;
            out[i] = best;
        }
        return out;
    }

    /** Fraction of rows whose highest score is at the label. */
    public static double accuracy(NdArray scores, NdArray labels) { return topK(scores, labels, 1); }

    /**
     * Fraction of rows whose label is among the {@code k} highest scores. A label counts when fewer
     * than {@code k} classes score strictly higher than it, so ties never count against the model.
     */
    public static double topK(NdArray scores, NdArray labels, int k) {
        int n = rows(scores), c = (int) scores.dim(1);
        checkLabels(labels, n, c);
        if (k < 1) throw new IllegalArgumentException("top-k needs k >= 1, got " + k);
        if (n == 0) return Double.NaN;
        int hits = 0;
        for (int i = 0; i < n; i++) {
            int y = (int) labels.get(i);
            double s = scores.get(i * c + y);
            int higher = 0;
            for (int j = 0; j < c; j++) if (scores.get(i * c + j) > s) higher++;
            if (higher < k) hits++;
        }
        return (double) hits / n;
    }

    /** Mean cross-entropy of logits {@code [N, C]} against class labels (stable log-sum-exp). */
    public static double crossEntropy(NdArray logits, NdArray labels) {
        int n = rows(logits), c = (int) logits.dim(1);
        checkLabels(labels, n, c);
        double total = 0;
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) max = Math.max(max, logits.get(i * c + j));
            double s = 0;
            for (int j = 0; j < c; j++) s += Math.exp(logits.get(i * c + j) - max);
            total += max + Math.log(s) - logits.get(i * c + (int) labels.get(i));
        }
        return total / n;
    }

    /** Confusion matrix of the arg-max predictions of {@code scores} against {@code labels}. */
    public static ConfusionMatrix confusion(NdArray scores, NdArray labels) {
        int c = (int) scores.dim(1);
        ConfusionMatrix m = new ConfusionMatrix(c);
        checkLabels(labels, rows(scores), c);
        long[] pred = argmax(scores);
        for (int i = 0; i < pred.length; i++) m.add((int) labels.get(i), (int) pred[i]);
        return m;
    }

    private static int rows(NdArray scores) {
        if (scores.rank() != 2) throw new IllegalArgumentException("scores must be [N, classes], got shape " + java.util.Arrays.toString(scores.shape()));
        return (int) scores.dim(0);
    }

    static void checkLabels(NdArray labels, int n, int classes) {
        if (labels.rank() != 1 || labels.dim(0) != n)
            throw new IllegalArgumentException("labels must be [" + n + "], got shape " + java.util.Arrays.toString(labels.shape()));
        for (int i = 0; i < n; i++) {
            double y = labels.get(i);
            if (y != Math.rint(y) || y < 0 || y >= classes)
                throw new IllegalArgumentException("label " + y + " at row " + i + " is not a class id in [0, " + classes + ")");
        }
    }
}
