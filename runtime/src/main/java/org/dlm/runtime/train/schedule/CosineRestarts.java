package org.dlm.runtime.train.schedule;

/**
 * Cosine annealing with warm restarts, SGDR (PyTorch CosineAnnealingWarmRestarts): the first
 * cycle lasts {@code t0} steps, each next one {@code mult} times longer; within a cycle of
 * length {@code Ti} at position {@code Tcur}: {@code min + (base - min)(1 + cos(π Tcur / Ti)) / 2}.
 */
public record CosineRestarts(double base, long t0, long mult, double min) implements Schedule {
    public CosineRestarts {
        if (t0 <= 0) throw new IllegalArgumentException("SGDR first period must be > 0, got " + t0);
        if (mult < 1) throw new IllegalArgumentException("SGDR period multiplier must be >= 1, got " + mult);
    }

    @Override public double at(long t) {
        long cur = Schedule.check(t), len = t0;
        while (cur >= len) { cur -= len; len *= mult; }   // integer walk: exact at cycle boundaries
        return min + (base - min) * (1 + Math.cos(Math.PI * cur / len)) / 2;
    }
}
