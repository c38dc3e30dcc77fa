package org.dlm.runtime.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the per-epoch metrics and draws them as an SVG: one chart for losses (every metric
 * whose name ends in {@code loss}) and one for the rest (accuracy, F1, ...). Rewritten after each
 * epoch so a half-finished run can be looked at.
 *
 * <pre>{@code
 * callbacks.add(new TrainingCurves(Path.of("curves.svg")));
 * }</pre>
 */
public final class TrainingCurves implements TrainCallback {
    private final Path file;
    private final Map<String, List<double[]>> points = new LinkedHashMap<>();

    public TrainingCurves(Path file) { this.file = file; }

    @Override public void onEpochEnd(EpochEvent e) {
        e.metrics().forEach((k, v) -> points.computeIfAbsent(k, x -> new ArrayList<>()).add(new double[] {e.epoch() + 1, v}));
        try {
            Files.writeString(file, svg(), StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the training curves to " + file + ": " + ex.getMessage(), ex);
        }
    }

    /** The current plot. */
    public String svg() {
        List<SvgPlot.Series> losses = new ArrayList<>(), others = new ArrayList<>();
        points.forEach((name, pts) -> {
            double[] x = new double[pts.size()], y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) { x[i] = pts.get(i)[0]; y[i] = pts.get(i)[1]; }
            (name.endsWith("loss") ? losses : others).add(new SvgPlot.Series(name, x, y));
        });
        List<SvgPlot.Chart> charts = new ArrayList<>();
        if (!losses.isEmpty()) charts.add(new SvgPlot.Chart("loss", "epoch", losses));
        if (!others.isEmpty()) charts.add(new SvgPlot.Chart("metrics", "epoch", others));
        return SvgPlot.document(charts);
    }
}
