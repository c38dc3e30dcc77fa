package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.frontend.TrainSpec;
import org.dlm.frontend.ast.Decl;
import org.dlm.frontend.ast.Expr;
import org.dlm.frontend.ast.Span;

/**
 * Checks {@code train} blocks and turns them into {@link TrainSpec}s. Setting values are literals,
 * lists, names (kept as strings, e.g. {@code val.accuracy}) and calls ({@link TrainSpec.Call});
 * {@code a then b} chains become {@code Call("then", [a, b])}.
 */
final class TrainChecker {
    /** Setting name → what it accepts (for the hint). */
    static final Map<String, String> SETTINGS = new LinkedHashMap<>();
    static final Set<String> DATASETS = Set.of("mnist", "idx", "csv", "npy", "synthetic");
    static final Set<String> LOSSES = Set.of("cross_entropy", "nll_loss", "mse_loss", "l1_loss", "huber_loss", "bce_with_logits", "binary_cross_entropy");
    static final Map<String, Set<String>> OPTIMIZERS = Map.of(
            "sgd", Set.of("lr", "momentum", "weight_decay", "nesterov", "dampening"),
            "adam", Set.of("lr", "beta1", "beta2", "eps", "weight_decay"),
            "adamw", Set.of("lr", "beta1", "beta2", "eps", "weight_decay"),
            "rmsprop", Set.of("lr", "alpha", "eps", "momentum", "weight_decay"));
    static final Set<String> SCHEDULES = Set.of("constant", "warmup", "cosine", "step", "exponential", "linear", "onecycle");

    static {
        SETTINGS.put("data", "a data set, e.g. mnist(\"data/mnist\")");
        SETTINGS.put("loss", "a loss, e.g. cross_entropy(logits, labels)");
        SETTINGS.put("optimizer", "an optimizer, e.g. adam(lr = 1e-3)");
        SETTINGS.put("schedule", "a learning-rate schedule, e.g. warmup(100) then cosine()");
        SETTINGS.put("epochs", "a positive integer");
        SETTINGS.put("batch", "a positive integer");
        SETTINGS.put("early_stop", "patience(n, on = val.accuracy)");
        SETTINGS.put("seed", "an integer");
        SETTINGS.put("metrics", "a list of names, e.g. [accuracy]");
        SETTINGS.put("checkpoint", "a file path string");
        SETTINGS.put("log_every", "a positive integer (steps)");
        SETTINGS.put("grad_clip", "a positive number");
        SETTINGS.put("validation", "a fraction or a data set");
        SETTINGS.put("threads", "a positive integer");
    }

    private final Reporter reporter;

    TrainChecker(Reporter reporter) { this.reporter = reporter; }

    /**
     * @param models      model name → the name of its graph output when forward names it
     *                    ({@code -> logits: f32[B, 10]}), else null
     */
    TrainSpec check(Decl.Train t, Map<String, String> outputs) {
        Set<String> models = outputs.keySet();
        int before = reporter.errorCount();
        if (!models.contains(t.name()))
            reporter.error(t.nameSpan(), "train names unknown model '" + t.name() + "'", Elaborator.hint(Names.closest(t.name(), models)));
        Map<String, Object> settings = new LinkedHashMap<>();
        Map<String, Span> where = new LinkedHashMap<>();
        for (Decl.Setting s : t.settings()) {
            if (!SETTINGS.containsKey(s.name())) {
                String near = Names.closest(s.name(), SETTINGS.keySet());
                reporter.error(s.nameSpan(), "unknown train setting '" + s.name() + "'",
                        near != null ? "did you mean '" + near + "'?" : "settings: " + String.join(", ", SETTINGS.keySet()));
                continue;
            }
            if (where.containsKey(s.name())) {
                reporter.error(s.nameSpan(), "setting '" + s.name() + "' is given twice (first at line " + where.get(s.name()).line() + ")");
                continue;
            }
            where.put(s.name(), s.nameSpan());
            List<Object> vals = new ArrayList<>();
            for (Expr e : s.values()) vals.add(value(e));
            if (vals.contains(null)) continue;
            Object v = vals.size() == 1 ? vals.get(0) : new TrainSpec.Call("then", List.copyOf(vals), Map.of());
            if (validate(s, v) && checkLossInput(s, v, outputs.get(t.name()), t.name())) settings.put(s.name(), v);
        }
        for (String required : List.of("data", "loss", "optimizer")) {
            if (!settings.containsKey(required) && !where.containsKey(required))
                reporter.error(t.nameSpan(), "train " + t.name() + " needs a '" + required + "' setting", "e.g. " + required + " = " + example(required));
        }
        return reporter.errorCount() > before ? null : new TrainSpec(t.name(), java.util.Collections.unmodifiableMap(settings));
    }

    private static String example(String setting) {
        String e = SETTINGS.get(setting);
        return e.substring(e.indexOf("e.g. ") + 5);
    }

    private boolean validate(Decl.Setting s, Object v) {
        Span span = s.values().get(0).span();
        switch (s.name()) {
            case "epochs", "batch", "log_every", "threads" -> {
                if (!(v instanceof Long l) || l <= 0) return fail(span, s.name() + " must be a positive integer, got " + show(v));
            }
            case "seed" -> {
                if (!(v instanceof Long)) return fail(span, "seed must be an integer, got " + show(v));
            }
            case "grad_clip" -> {
                if (!(v instanceof Number n) || n.doubleValue() <= 0) return fail(span, "grad_clip must be a positive number, got " + show(v));
            }
            case "checkpoint" -> {
                if (!(v instanceof String)) return fail(span, "checkpoint must be a file path string, got " + show(v));
            }
            case "data" -> { return callIn(span, v, DATASETS, "data set"); }
            case "loss" -> { return callIn(span, v, LOSSES, "loss"); }
            case "optimizer" -> {
                if (!callIn(span, v, OPTIMIZERS.keySet(), "optimizer")) return false;
                TrainSpec.Call c = (TrainSpec.Call) v;
                for (var e : c.named().entrySet()) {
                    if (!OPTIMIZERS.get(c.name()).contains(e.getKey()))
                        return fail(span, c.name() + " has no setting '" + e.getKey() + "'", "settings: " + String.join(", ", OPTIMIZERS.get(c.name()).stream().sorted().toList()));
                    if (e.getKey().equals("lr") && (!(e.getValue() instanceof Number n) || n.doubleValue() <= 0))
                        return fail(span, "learning rate must be a positive number, got " + show(e.getValue()));
                }
            }
            case "schedule" -> {
                List<Object> parts = v instanceof TrainSpec.Call c && c.name().equals("then") ? c.args() : List.of(v);
                for (Object p : parts) if (!callIn(span, p, SCHEDULES, "schedule")) return false;
            }
            case "early_stop" -> { return callIn(span, v, Set.of("patience"), "early-stopping rule"); }
            default -> {}
        }
        return true;
    }

    /** A loss's first argument names the model output; when forward names its result, they must agree. */
    private boolean checkLossInput(Decl.Setting s, Object v, String output, String model) {
        if (!s.name().equals("loss") || output == null || !(v instanceof TrainSpec.Call c) || c.args().isEmpty()) return true;
        if (c.args().get(0) instanceof String name && !name.equals(output))
            return fail(s.values().get(0).span(), "loss uses '" + name + "' but the output of model " + model + " is named '" + output + "'",
                    "write " + c.name() + "(" + output + ", labels)");
        return true;
    }

    private boolean callIn(Span span, Object v, Set<String> names, String what) {
        if (v instanceof TrainSpec.Call c && names.contains(c.name())) return true;
        String got = v instanceof TrainSpec.Call c ? c.name() : show(v);
        String near = v instanceof TrainSpec.Call c ? Names.closest(c.name(), names) : null;
        return fail(span, "unknown " + what + " '" + got + "'",
                near != null ? "did you mean '" + near + "'?" : "known: " + String.join(", ", names.stream().sorted().toList()));
    }

    private boolean fail(Span span, String message) { return fail(span, message, null); }

    private boolean fail(Span span, String message, String hint) {
        reporter.error(span, message, hint);
        return false;
    }

    private static String show(Object v) {
        return v instanceof String s ? "\"" + s + "\"" : v instanceof TrainSpec.Call c ? c.name() + "(...)" : String.valueOf(v);
    }

    /** A setting value, or null after reporting. */
    private Object value(Expr e) {
        return switch (e) {
            case Expr.IntLit i -> i.value();
            case Expr.FloatLit f -> f.value();
            case Expr.StringLit s -> s.value();
            case Expr.BoolLit b -> b.value();
            case Expr.Name n -> n.name();
            case Expr.Member m -> {
                String p = path(m);
                if (p == null) reporter.error(m.span(), "expected a name like val.accuracy");
                yield p;
            }
            case Expr.Unary u when u.op().equals("-") && (u.operand() instanceof Expr.FloatLit || u.operand() instanceof Expr.IntLit) -> {
                Object v = value(u.operand());
                yield v instanceof Long l ? (Object) (-l) : (Object) (-(Double) v);
            }
            case Expr.ListLit l -> {
                List<Object> out = new ArrayList<>();
                for (Expr x : l.items()) {
                    Object v = value(x);
                    if (v == null) yield null;
                    out.add(v);
                }
                yield List.copyOf(out);
            }
            case Expr.Call c -> {
                String name = c.callee() instanceof Expr.Name n ? n.name() : c.callee() instanceof Expr.Member m ? path(m) : null;
                if (name == null) {
                    reporter.error(c.callee().span(), "expected the name of a data set, loss, optimizer or schedule");
                    yield null;
                }
                List<Object> args = new ArrayList<>();
                Map<String, Object> named = new LinkedHashMap<>();
                for (Expr.Arg a : c.args()) {
                    Object v = value(a.value());
                    if (v == null) yield null;
                    if (a.name() == null) args.add(v);
                    else named.put(a.name(), v);
                }
                yield new TrainSpec.Call(name, List.copyOf(args), java.util.Collections.unmodifiableMap(named));
            }
            default -> {
                reporter.error(e.span(), "train settings take literals, names, lists and calls only");
                yield null;
            }
        };
    }

    private static String path(Expr e) {
        if (e instanceof Expr.Name n) return n.name();
        if (e instanceof Expr.Member m) {
            String p = path(m.target());
            return p == null ? null : p + "." + m.name();
        }
        return null;
    }
}
