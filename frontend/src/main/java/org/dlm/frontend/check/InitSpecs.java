package org.dlm.frontend.check;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameter initializers ({@code param w: f32[o, i] = kaiming_uniform(fan_in = i)}). They need no
 * import; the checked call is rendered canonically with every argument named, e.g.
 * {@code kaiming_uniform(fan_in=400, a=2.23606797749979)}, and stored in the param node's
 * {@code init} attribute for the runtime to execute.
 */
final class InitSpecs {
    private InitSpecs() {}

    /** Initializer name → parameter names with defaults (null = required). */
    static final Map<String, LinkedHashMap<String, Object>> SIGNATURES = new LinkedHashMap<>();

    static {
        sig("zeros");
        sig("ones");
        sig("constant", "value", null);
        sig("uniform", "low", 0.0, "high", 1.0);
        sig("normal", "mean", 0.0, "std", 1.0);
        sig("kaiming_uniform", "fan_in", null, "a", 0.0);
        sig("kaiming_normal", "fan_in", null, "a", 0.0);
        sig("xavier_uniform", "fan_in", null, "fan_out", null, "gain", 1.0);
        sig("xavier_normal", "fan_in", null, "fan_out", null, "gain", 1.0);
    }

    private static void sig(String name, Object... kv) {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        SIGNATURES.put(name, m);
    }

    /** Renders an evaluated initializer call; values are Long or Double. */
    static String render(String name, Map<String, Object> args) {
        StringBuilder sb = new StringBuilder(name).append('(');
        boolean first = true;
        for (var e : args.entrySet()) {
            if (!first) sb.append(", ");
            first = false;
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.append(')').toString();
    }

    static List<String> names() { return List.copyOf(SIGNATURES.keySet()); }
}
