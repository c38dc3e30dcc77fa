package org.dlm.runtime.train.schedule;

/**
 * A learning-rate schedule: the rate to use at optimizer step {@code t} (0-based). Schedules are
 * pure functions of the step except {@link ReduceOnPlateau}, which also watches a metric.
 * Formulas follow PyTorch's {@code torch.optim.lr_scheduler} with the step as the "epoch".
 *
 * <pre>{@code
 * Schedule s = new Warmup(100, new CosineRestarts(1e-3, 1000, 2, 0));
 * double lr = s.at(step);
 * }</pre>
 */
@FunctionalInterface
public interface Schedule {
    /** The learning rate at step {@code t} (t ≥ 0). */
    double at(long t);

    /** A constant rate. */
    static Schedule constant(double lr) { return t -> lr; }

    /** Checks a step argument; schedules are undefined for negative steps. */
    static long check(long t) {
        if (t < 0) throw new IllegalArgumentException("schedule step must be >= 0, got " + t);
        return t;
    }

    static double positive(String what, double v) {
        if (!(v > 0)) throw new IllegalArgumentException(what + " must be > 0, got " + v);
        return v;
    }
}
