package org.dlm.runtime.train.schedule;

/**
 * Triangular cyclic rate (PyTorch CyclicLR, mode "triangular"): rises linearly from {@code low}
 * to {@code high} over {@code up} steps, falls back over {@code down} steps, repeats.
 */
public record CyclicTriangular(double low, double high, long up, long down) implements Schedule {
    public CyclicTriangular {
        if (up <= 0 || down <= 0) throw new IllegalArgumentException("cyclic step sizes must be > 0, got up " + up + ", down " + down);
    }

    @Override public double at(long t) {
        long pos = Schedule.check(t) % (up + down);
        double scale = pos <= up ? (double) pos / up : 1 - (double) (pos - up) / down;
        return low + (high - low) * scale;
    }
}
