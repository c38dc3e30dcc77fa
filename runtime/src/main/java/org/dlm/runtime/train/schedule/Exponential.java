package org.dlm.runtime.train.schedule;

/** {@code base · gamma^t} (PyTorch ExponentialLR). */
public record Exponential(double base, double gamma) implements Schedule {
    @Override public double at(long t) { return base * Math.pow(gamma, Schedule.check(t)); }
}
