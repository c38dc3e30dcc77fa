package org.dlm.runtime.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dlm.runtime.io.JsonText;

/**
 * Writes one JSON object per line for every step and epoch, e.g.
 * {@code {"event":"step","epoch":0,"step":9,"global_step":10,"samples":64,"loss":0.4213,"lr":0.001}}
 * and {@code {"event":"epoch","epoch":0,"seconds":12.5,"metrics":{"val.accuracy":0.97}}}.
 * Non-finite numbers are written as {@code null} (JSON has no NaN).
 *
 * <pre>{@code
 * try (var log = JsonLinesLog.open(Path.of("train.jsonl"), 1)) { ... }
 * }</pre>
 */
public final class JsonLinesLog implements TrainCallback, AutoCloseable {
    private final Writer out;
    private final int everySteps;

    /** Logs every {@code everySteps}-th step (and every epoch). */
    public JsonLinesLog(Writer out, int everySteps) {
        if (everySteps < 1) throw new IllegalArgumentException("log interval must be >= 1, got " + everySteps);
        this.out = out;
        this.everySteps = everySteps;
    }

    public static JsonLinesLog open(Path file, int everySteps) throws IOException {
        return new JsonLinesLog(new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8)), everySteps);
    }

    @Override public void onStep(StepEvent e) {
        if (e.globalStep() % everySteps != 0) return;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "step");
        m.put("epoch", e.epoch());
        m.put("step", e.step());
        m.put("global_step", e.globalStep());
        m.put("samples", e.samples());
        m.put("loss", e.loss());
        m.put("lr", e.lr());
        write(m);
    }

    @Override public void onEpochEnd(EpochEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "epoch");
        m.put("epoch", e.epoch());
        m.put("seconds", e.seconds());
        m.put("metrics", e.metrics());
        write(m);
        flush();
    }

    @Override public void onTrainEnd() { flush(); }

    private void write(Map<String, Object> m) {
        try {
            out.write(json(m));
            out.write('\n');
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the training log: " + ex.getMessage(), ex);
        }
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the training log: " + ex.getMessage(), ex);
        }
    }

    @Override public void close() throws IOException { out.close(); }

    /** Compact JSON for maps of strings, numbers, booleans and nested maps. */
    static String json(Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> JsonText.quote(s);
            case Double d -> Double.isFinite(d) ? number(d) : "null";
            case Float f -> json((double) f);
            case Number n -> n.toString();
            case Boolean b -> b.toString();
            case Map<?, ?> m -> {
                StringBuilder sb = new StringBuilder("{");
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (sb.length() > 1) sb.append(',');
                    sb.append(JsonText.quote(String.valueOf(e.getKey()))).append(':').append(json(e.getValue()));
                }
                yield sb.append('}').toString();
            }
            default -> throw new IllegalArgumentException("cannot write " + v.getClass().getSimpleName() + " as JSON");
        };
    }

    private static String number(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        return Double.toString(d);
    }
}
