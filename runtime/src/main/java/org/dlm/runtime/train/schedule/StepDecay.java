package org.dlm.runtime.train.schedule;

/** {@code base · gamma^⌊t / stepSize⌋} (PyTorch StepLR). */
public record StepDecay(double base, long stepSize, double gamma) implements Schedule {
    public StepDecay {
        if (stepSize <= 0) throw new IllegalArgumentException("step decay step size must be > 0, got " + stepSize);
    }

    @Override public double at(long t) { return base * Math.pow(gamma, Schedule.check(t) / stepSize); }
}
