package org.dlm.runtime.train.schedule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Schedules by name, for front ends. A {@code .dlm} {@code schedule = warmup(100) then cosine()}
 * is the chain {@code [warmup(100), cosine()]}: {@code warmup} wraps whatever follows it. All
 * lengths are in optimizer steps; {@code total} (steps of the whole run) is the default
 * cosine period.
 *
 * <pre>{@code
 * Schedule s = Schedules.create(List.of(new Schedules.Spec("warmup", List.of(100L), Map.of()),
 *                                       new Schedules.Spec("cosine", List.of(), Map.of())), 1e-3, 10_000);
 * }</pre>
 */
public final class Schedules {
    private Schedules() {}

    /** One call: name, positional and named arguments. */
    public record Spec(String name, List<?> positional, Map<String, ?> named) {}

    private static final Map<String, List<String>> PARAMS = new LinkedHashMap<>();

    static {
        PARAMS.put("constant", List.of());
        PARAMS.put("step", List.of("step_size", "gamma"));
        PARAMS.put("exponential", List.of("gamma"));
        PARAMS.put("cosine", List.of("period", "min_lr"));
        PARAMS.put("cosine_restarts", List.of("t0", "mult", "min_lr"));
        PARAMS.put("cyclic", List.of("low", "high", "up", "down"));
        PARAMS.put("plateau", List.of("mode", "factor", "patience", "threshold", "cooldown", "min_lr"));
        PARAMS.put("warmup", List.of("steps"));
    }

    public static List<String> names() { return List.copyOf(PARAMS.keySet()); }

    /**
     * @param lr    the optimizer's base learning rate
     * @param total steps in the whole run
     * @throws IllegalArgumentException for unknown names or arguments, missing required ones, or
     *     a chain that is not {@code warmup(n) then <schedule>}
     */
    public static Schedule create(List<Spec> chain, double lr, long total) {
        if (chain.isEmpty()) return Schedule.constant(lr);
        Spec head = chain.get(0);
        if (head.name().equals("warmup")) {
            Map<String, Object> a = args(head);
            long steps = (long) num(head, a, "steps", null);
            Schedule after = chain.size() > 1 ? create(chain.subList(1, chain.size()), lr, Math.max(1, total - steps)) : Schedule.constant(lr);
            return new Warmup(steps, after);
        }
        if (chain.size() > 1)
            throw new IllegalArgumentException("only warmup(...) can be followed by 'then'; got " + head.name() + " then " + chain.get(1).name());
        Map<String, Object> a = args(head);
        return switch (head.name()) {
            case "constant" -> Schedule.constant(lr);
            case "step" -> new StepDecay(lr, (long) num(head, a, "step_size", null), num(head, a, "gamma", 0.1));
            case "exponential" -> new Exponential(lr, num(head, a, "gamma", null));
            case "cosine" -> new Cosine(lr, (long) num(head, a, "period", (double) Math.max(1, total)), num(head, a, "min_lr", 0.0));
            case "cosine_restarts" -> new CosineRestarts(lr, (long) num(head, a, "t0", null), (long) num(head, a, "mult", 1.0), num(head, a, "min_lr", 0.0));
            case "cyclic" -> {
                long up = (long) num(head, a, "up", null);
                yield new CyclicTriangular(num(head, a, "low", null), num(head, a, "high", null), up, (long) num(head, a, "down", (double) up));
            }
            case "plateau" -> {
                Object mode = a.getOrDefault("mode", "min");
                if (!"min".equals(mode) && !"max".equals(mode))
                    throw new IllegalArgumentException("plateau mode must be \"min\" or \"max\", got " + mode);
                yield new ReduceOnPlateau(lr, mode.equals("min") ? ReduceOnPlateau.Mode.MIN : ReduceOnPlateau.Mode.MAX,
                        num(head, a, "factor", 0.1), (int) num(head, a, "patience", 10.0), num(head, a, "threshold", 1e-4),
                        (int) num(head, a, "cooldown", 0.0), num(head, a, "min_lr", 0.0));
            }
            default -> throw new IllegalArgumentException("unknown schedule '" + head.name() + "'; known: " + String.join(", ", names()));
        };
    }

    private static Map<String, Object> args(Spec s) {
        List<String> order = PARAMS.get(s.name());
        if (order == null) throw new IllegalArgumentException("unknown schedule '" + s.name() + "'; known: " + String.join(", ", names()));
        if (s.positional().size() > order.size())
            throw new IllegalArgumentException(s.name() + " takes at most " + order.size() + " arguments, got " + s.positional().size());
        Map<String, Object> a = new LinkedHashMap<>();
        for (int i = 0; i < s.positional().size(); i++) a.put(order.get(i), s.positional().get(i));
        for (var e : s.named().entrySet()) {
            if (!order.contains(e.getKey()))
                throw new IllegalArgumentException(s.name() + " has no argument '" + e.getKey() + "'"
                        + (order.isEmpty() ? "; it takes none" : "; it takes " + String.join(", ", order)));
            if (a.containsKey(e.getKey())) throw new IllegalArgumentException(s.name() + " argument '" + e.getKey() + "' is given twice");
            a.put(e.getKey(), e.getValue());
        }
        return a;
    }

    private static double num(Spec s, Map<String, Object> a, String k, Double dflt) {
        Object v = a.get(k);
        if (v == null) {
            if (dflt == null) throw new IllegalArgumentException(s.name() + " needs argument '" + k + "'");
            return dflt;
        }
        if (v instanceof Number n) return n.doubleValue();
        throw new IllegalArgumentException(s.name() + " argument '" + k + "' must be a number, got " + v);
    }
}
