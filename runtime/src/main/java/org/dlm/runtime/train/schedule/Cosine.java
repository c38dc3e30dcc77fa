package org.dlm.runtime.train.schedule;

/**
 * Cosine annealing from {@code base} to {@code min} over {@code period} steps, then held at
 * {@code min}: {@code min + (base - min)(1 + cos(π t / period)) / 2} (PyTorch CosineAnnealingLR's
 * closed form, without its bounce after the period).
 */
public record Cosine(double base, long period, double min) implements Schedule {
    public Cosine {
        if (period <= 0) throw new IllegalArgumentException("cosine period must be > 0, got " + period);
    }

    @Override public double at(long t) {
        long c = Math.min(Schedule.check(t), period);
        return min + (base - min) * (1 + Math.cos(Math.PI * c / period)) / 2;
    }
}
