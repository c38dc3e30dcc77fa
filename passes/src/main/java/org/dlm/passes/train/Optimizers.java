package org.dlm.passes.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Optimizers by name with PyTorch's argument names and defaults, for front ends: a {@code .dlm}
 * {@code optimizer = adam(lr = 1e-3, weight_decay = 1e-4)} becomes
 * {@code Optimizers.create("adam", List.of(), Map.of("lr", 1e-3, "weight_decay", 1e-4))}.
 * Positional arguments fill parameters in the listed order.
 *
 * <pre>{@code
 * Optimizers.Choice c = Optimizers.create("sgd", List.of(0.1), Map.of("momentum", 0.9));
 * }</pre>
 */
public final class Optimizers {
    private Optimizers() {}

    /** The optimizer and its base learning rate. */
    public record Choice(Optimizer optimizer, double lr) {}

    private static final Map<String, Map<String, Object>> PARAMS = new LinkedHashMap<>();

    private static void def(String name, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        PARAMS.put(name, m);
    }

    static {
        def("sgd", "lr", 0.01, "momentum", 0.0, "dampening", 0.0, "nesterov", false, "weight_decay", 0.0);
        def("momentum", "lr", 0.01, "momentum", 0.9, "dampening", 0.0, "weight_decay", 0.0);
        def("nesterov", "lr", 0.01, "momentum", 0.9, "weight_decay", 0.0);
        def("adam", "lr", 1e-3, "beta1", 0.9, "beta2", 0.999, "eps", 1e-8, "weight_decay", 0.0, "amsgrad", false);
        def("adamw", "lr", 1e-3, "beta1", 0.9, "beta2", 0.999, "eps", 1e-8, "weight_decay", 1e-2, "amsgrad", false);
        def("rmsprop", "lr", 1e-2, "alpha", 0.99, "eps", 1e-8, "weight_decay", 0.0, "momentum", 0.0, "centered", false);
        def("adagrad", "lr", 1e-2, "lr_decay", 0.0, "weight_decay", 0.0, "initial_accumulator_value", 0.0, "eps", 1e-10);
    }

    /** Known optimizer names. */
    public static List<String> names() { return List.copyOf(PARAMS.keySet()); }

    /**
     * @throws IllegalArgumentException for an unknown optimizer or argument, a wrong argument
     *     type, or an invalid value; the message names the optimizer and lists what it accepts
     */
    public static Choice create(String name, List<?> positional, Map<String, ?> named) {
        Map<String, Object> spec = PARAMS.get(name);
        if (spec == null) throw new IllegalArgumentException("unknown optimizer '" + name + "'; known: " + String.join(", ", names()));
        List<String> order = List.copyOf(spec.keySet());
        if (positional.size() > order.size())
            throw new IllegalArgumentException(name + " takes at most " + order.size() + " arguments (" + String.join(", ", order) + "), got " + positional.size());
        Map<String, Object> a = new LinkedHashMap<>(spec);
        for (int i = 0; i < positional.size(); i++) a.put(order.get(i), check(name, order.get(i), spec.get(order.get(i)), positional.get(i)));
        for (var e : named.entrySet()) {
            if (!spec.containsKey(e.getKey()))
                throw new IllegalArgumentException(name + " has no argument '" + e.getKey() + "'; it takes " + String.join(", ", order));
            if (order.indexOf(e.getKey()) < positional.size())
                throw new IllegalArgumentException(name + " argument '" + e.getKey() + "' is given twice");
            a.put(e.getKey(), check(name, e.getKey(), spec.get(e.getKey()), e.getValue()));
        }
        double lr = d(a, "lr");
        if (!(lr > 0)) throw new IllegalArgumentException(name + " needs lr > 0, got " + lr);
        Optimizer o = switch (name) {
            case "sgd" -> new Sgd(d(a, "momentum"), d(a, "dampening"), (Boolean) a.get("nesterov"), d(a, "weight_decay"));
            case "momentum" -> new Sgd(d(a, "momentum"), d(a, "dampening"), false, d(a, "weight_decay"));
            case "nesterov" -> new Sgd(d(a, "momentum"), 0, true, d(a, "weight_decay"));
            case "adam", "adamw" -> new Adam(d(a, "beta1"), d(a, "beta2"), d(a, "eps"), d(a, "weight_decay"), name.equals("adamw"), (Boolean) a.get("amsgrad"));
            case "rmsprop" -> new RmsProp(d(a, "alpha"), d(a, "eps"), d(a, "weight_decay"), d(a, "momentum"), (Boolean) a.get("centered"));
            case "adagrad" -> new AdaGrad(d(a, "lr_decay"), d(a, "weight_decay"), d(a, "initial_accumulator_value"), d(a, "eps"));
            default -> throw new IllegalStateException(name);
        };
        return new Choice(o, lr);
    }

    private static Object check(String opt, String arg, Object dflt, Object v) {
        if (dflt instanceof Boolean) {
            if (v instanceof Boolean) return v;
            throw new IllegalArgumentException(opt + " argument '" + arg + "' must be true or false, got " + v);
        }
        if (v instanceof Number n && !(v instanceof Byte)) return n.doubleValue();
        throw new IllegalArgumentException(opt + " argument '" + arg + "' must be a number, got " + v);
    }

    private static double d(Map<String, Object> a, String k) { return ((Number) a.get(k)).doubleValue(); }
}
