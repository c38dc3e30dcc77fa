package org.dlm.runtime.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Shows training progress: on a terminal one redrawn line per epoch
 * ({@code epoch 2/10 [=====>     ] 120/938 loss 0.3412  5210 samples/s  ETA 0:45}), elsewhere
 * (a pipe, a CI log) plain lines at every tenth of an epoch, so logs stay readable.
 *
 * <pre>{@code
 * TrainCallback p = Progress.forConsole();
 * }</pre>
 */
public final class Progress implements TrainCallback {
    private static final int BAR = 24;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier clock;
    private int epochs;
    private long epochStart, lastDraw, samples;
    private int drawnWidth;

    public Progress(PrintStream out, boolean terminal, LongSupplier nanoClock) {
        this.out = out;
        this.terminal = terminal;
        this.clock = nanoClock;
    }

    /** Progress on standard error, redrawn in place when it is an interactive terminal. */
    public static Progress forConsole() {
        var c = System.console();
        return new Progress(System.err, c != null && c.isTerminal(), System::nanoTime);
    }

    @Override public void onTrainBegin(int epochs) { this.epochs = epochs; }

    @Override public void onEpochBegin(int epoch, int stepsPerEpoch) {
        epochStart = clock.getAsLong();
        lastDraw = epochStart - REDRAW_NANOS;
        samples = 0;
    }

    @Override public void onStep(StepEvent e) {
        samples += e.samples();
        long now = clock.getAsLong();
        int done = e.step() + 1;
        if (terminal) {
            if (now - lastDraw < REDRAW_NANOS && done < e.stepsPerEpoch()) return;
            lastDraw = now;
            String line = line(e, now, true);
            out.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
            drawnWidth = line.length();
            out.flush();
        } else {
            int every = Math.max(1, e.stepsPerEpoch() / 10);
            if (done % every == 0 || done == e.stepsPerEpoch()) out.println(line(e, now, false));
        }
    }

    @Override public void onEpochEnd(EpochEvent e) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d done in %s", e.epoch() + 1, e.epochs(), time(e.seconds())));
        for (Map.Entry<String, Double> m : e.metrics().entrySet()) sb.append(String.format(Locale.ROOT, "  %s %.4f", m.getKey(), m.getValue()));
        if (terminal) {
            out.print("\r" + " ".repeat(drawnWidth) + "\r");
            drawnWidth = 0;
        }
        out.println(sb);
        out.flush();
    }

    String line(StepEvent e, long now, boolean bar) {
        int done = e.step() + 1;
        double secs = Math.max(1e-9, (now - epochStart) / 1e9);
        double rate = samples / secs;
        double eta = secs / done * (e.stepsPerEpoch() - done);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d ", e.epoch() + 1, epochs));
        if (bar) {
            int fill = (int) ((long) BAR * done / e.stepsPerEpoch());
            sb.append('[').append("=".repeat(fill)).append(fill < BAR ? ">" + " ".repeat(BAR - fill - 1) : "").append("] ");
        } else {
            sb.append("step ");
        }
        sb.append(String.format(Locale.ROOT, "%d/%d loss %.4f  %.0f samples/s  ETA %s", done, e.stepsPerEpoch(), e.loss(), rate, time(eta)));
        return sb.toString();
    }

    /** {@code m:ss} or {@code h:mm:ss}. */
    static String time(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
