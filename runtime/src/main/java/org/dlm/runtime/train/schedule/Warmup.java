package org.dlm.runtime.train.schedule;

/**
 * Linear warmup for {@code steps} steps, then {@code after} (its step counted from 0 when warmup
 * ends, like PyTorch SequentialLR). During warmup the rate is
 * {@code after.at(0) · (t + 1) / (steps + 1)}: never zero, and one step below full at the end.
 */
public record Warmup(long steps, Schedule after) implements Schedule {
    public Warmup {
        if (steps < 0) throw new IllegalArgumentException("warmup steps must be >= 0, got " + steps);
    }

    @Override public double at(long t) {
        Schedule.check(t);
        if (t >= steps) return after.at(t - steps);
        return after.at(0) * (t + 1) / (steps + 1);
    }
}
