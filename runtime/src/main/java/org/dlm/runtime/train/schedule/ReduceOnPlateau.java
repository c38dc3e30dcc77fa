package org.dlm.runtime.train.schedule;

/**
 * Lowers the rate by {@code factor} when a watched metric stops improving for more than
 * {@code patience} observations (PyTorch ReduceLROnPlateau, relative threshold mode). Call
 * {@link #observe} once per evaluation; {@link #at} returns the current rate whatever the step.
 *
 * <pre>{@code
 * var plateau = new ReduceOnPlateau(0.1, ReduceOnPlateau.Mode.MIN, 0.5, 2, 1e-4, 0, 1e-6);
 * plateau.observe(valLoss);
 * }</pre>
 */
public final class ReduceOnPlateau implements Schedule {
    /** Whether lower ({@code MIN}, a loss) or higher ({@code MAX}, an accuracy) is better. */
    public enum Mode { MIN, MAX }

    private final Mode mode;
    private final double factor, threshold, minLr;
    private final int patience, cooldown;
    private double lr, best;
    private int bad, cooldownLeft;

    public ReduceOnPlateau(double lr, Mode mode, double factor, int patience, double threshold, int cooldown, double minLr) {
        if (!(factor > 0 && factor < 1)) throw new IllegalArgumentException("plateau factor must be in (0, 1), got " + factor);
        if (patience < 0 || cooldown < 0) throw new IllegalArgumentException("plateau patience and cooldown must be >= 0");
        this.lr = lr;
        this.mode = mode;
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.cooldown = cooldown;
        this.minLr = minLr;
        this.best = mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4, no cooldown, no floor. */
    public ReduceOnPlateau(double lr, Mode mode) { this(lr, mode, 0.1, 10, 1e-4, 0, 0); }

    /** Records one metric value; returns the rate to use from now on. */
    public double observe(double metric) {
        boolean better = mode == Mode.MIN ? metric < best * (1 - threshold) : metric > best * (1 + threshold);
        if (better) { best = metric; bad = 0; } else bad++;
        if (cooldownLeft > 0) { cooldownLeft--; bad = 0; }
        if (bad > patience) {
            double next = Math.max(lr * factor, minLr);
            if (lr - next > 1e-8) lr = next;
            cooldownLeft = cooldown;
            bad = 0;
        }
        return lr;
    }

    public double best() { return best; }

    @Override public double at(long t) { return lr; }
}
