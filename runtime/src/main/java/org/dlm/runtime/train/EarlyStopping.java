package org.dlm.runtime.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.dlm.ir.interp.NdArray;

/**
 * Stops training when a validation metric has not improved by more than {@code minDelta} for
 * {@code patience} epochs, keeping a copy of the parameters from the best epoch so the loop can
 * restore them ({@link #best()}).
 *
 * <pre>{@code
 * var stop = new EarlyStopping("val.accuracy", true, 3, 0, params::snapshot);
 * ...
 * if (stop.best() != null) params.restore(stop.best());
 * }</pre>
 */
public final class EarlyStopping implements TrainCallback {
    private final String metric;
    private final boolean higherIsBetter;
    private final int patience;
    private final double minDelta;
    private final Supplier<Map<String, NdArray>> snapshot;
    private double bestValue;
    private int bestEpoch = -1, bad;
    private Map<String, NdArray> best;
    private boolean stop;

    /**
     * @param snapshot returns the current parameters; called only when the metric improves
     *                 (NdArrays are immutable, so holding the map is a real copy)
     */
    public EarlyStopping(String metric, boolean higherIsBetter, int patience, double minDelta, Supplier<Map<String, NdArray>> snapshot) {
        if (patience < 0) throw new IllegalArgumentException("early-stopping patience must be >= 0, got " + patience);
        this.metric = metric;
        this.higherIsBetter = higherIsBetter;
        this.patience = patience;
        this.minDelta = Math.abs(minDelta);
        this.snapshot = snapshot;
        this.bestValue = higherIsBetter ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    @Override public void onEpochEnd(EpochEvent e) {
        Double v = e.metrics().get(metric);
        if (v == null)
            throw new IllegalStateException("early stopping watches '" + metric + "', but the epoch reported only "
                    + String.join(", ", e.metrics().keySet()));
        boolean improved = higherIsBetter ? v > bestValue + minDelta : v < bestValue - minDelta;
        if (improved) {
            bestValue = v;
            bestEpoch = e.epoch();
            bad = 0;
            best = new LinkedHashMap<>(snapshot.get());
        } else if (++bad >= patience) {
            stop = true;
        }
    }

    @Override public boolean shouldStop() { return stop; }

    /** The parameters of the best epoch so far, or null before the first evaluation. */
    public Map<String, NdArray> best() { return best; }
    public double bestValue() { return bestValue; }
    /** 0-based epoch of the best value, -1 before any. */
    public int bestEpoch() { return bestEpoch; }
}
