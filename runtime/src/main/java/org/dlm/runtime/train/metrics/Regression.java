package org.dlm.runtime.train.metrics;

import java.util.Arrays;
import org.dlm.ir.interp.NdArray;

/**
 * Regression metrics over predictions and targets of equal shape, all elements pooled.
 *
 * <pre>{@code
 * double r2 = Regression.r2(pred, target);
 * }</pre>
 */
public final class Regression {
    private Regression() {}

    /** Mean of (pred - target)². */
    public static double mse(NdArray pred, NdArray target) {
        check(pred, target);
        double s = 0;
        for (int i = 0; i < pred.size(); i++) { double d = pred.get(i) - target.get(i); s += d * d; }
        return s / pred.size();
    }

    /** Mean of |pred - target|. */
    public static double mae(NdArray pred, NdArray target) {
        check(pred, target);
        double s = 0;
        for (int i = 0; i < pred.size(); i++) s += Math.abs(pred.get(i) - target.get(i));
        return s / pred.size();
    }

    /**
     * Coefficient of determination {@code 1 - SS_res / SS_tot}. For a constant target it is 1 when
     * the prediction is exact and 0 otherwise (scikit-learn's convention).
     */
    public static double r2(NdArray pred, NdArray target) {
        check(pred, target);
        double mean = 0;
        for (int i = 0; i < target.size(); i++) mean += target.get(i);
        mean /= target.size();
        double res = 0, tot = 0;
        for (int i = 0; i < pred.size(); i++) {
            double d = pred.get(i) - target.get(i), m = target.get(i) - mean;
            res += d * d;
            tot += m * m;
        }
        if (tot == 0) return res == 0 ? 1 : 0;
        return 1 - res / tot;
    }

    private static void check(NdArray a, NdArray b) {
        if (!Arrays.equals(a.shape(), b.shape()))
            throw new IllegalArgumentException("prediction " + Arrays.toString(a.shape()) + " and target " + Arrays.toString(b.shape()) + " differ in shape");
        if (a.size() == 0) throw new IllegalArgumentException("metrics of an empty tensor");
    }
}
