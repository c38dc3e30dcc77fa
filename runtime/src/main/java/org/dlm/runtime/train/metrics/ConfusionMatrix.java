package org.dlm.runtime.train.metrics;

/**
 * Counts of (true class, predicted class) pairs, accumulated batch by batch, and the per-class
 * and macro-averaged precision, recall and F1 derived from them. A class never predicted has
 * precision 0, a class never present has recall 0 (scikit-learn's {@code zero_division=0}).
 *
 * <pre>{@code
 * var m = new ConfusionMatrix(10);
 * m.add(Classification.confusion(logits, labels));
 * double f1 = m.macroF1();
 * }</pre>
 */
public final class ConfusionMatrix {
    private final long[][] counts;

    public ConfusionMatrix(int classes) {
        if (classes < 1) throw new IllegalArgumentException("a confusion matrix needs at least one class");
        counts = new long[classes][classes];
    }

    public int classes() { return counts.length; }

    public void add(int truth, int predicted) { counts[truth][predicted]++; }

    /** Adds another matrix's counts (e.g. one batch). */
    public void add(ConfusionMatrix o) {
        if (o.classes() != classes()) throw new IllegalArgumentException("confusion matrices of " + o.classes() + " and " + classes() + " classes");
        for (int i = 0; i < counts.length; i++) for (int j = 0; j < counts.length; j++) counts[i][j] += o.counts[i][j];
    }

    /** Rows are true classes, columns predicted classes. */
    public long count(int truth, int predicted) { return counts[truth][predicted]; }

    public long total() {
        long t = 0;
        for (long[] r : counts) for (long v : r) t += v;
        return t;
    }

    public double accuracy() {
        long d = 0;
        for (int i = 0; i < counts.length; i++) d += counts[i][i];
        return (double) d / total();
    }

    public double precision(int c) {
        long col = 0;
        for (long[] r : counts) col += r[c];
        return col == 0 ? 0 : (double) counts[c][c] / col;
    }

    public double recall(int c) {
        long row = 0;
        for (long v : counts[c]) row += v;
        return row == 0 ? 0 : (double) counts[c][c] / row;
    }

    public double f1(int c) {
        double p = precision(c), r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double macroPrecision() { return mean(this::precision); }
    public double macroRecall() { return mean(this::recall); }
    public double macroF1() { return mean(this::f1); }

    private double mean(java.util.function.IntToDoubleFunction f) {
        double s = 0;
        for (int c = 0; c < counts.length; c++) s += f.applyAsDouble(c);
        return s / counts.length;
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        for (long[] r : counts) sb.append(java.util.Arrays.toString(r)).append('\n');
        return sb.toString();
    }
}
