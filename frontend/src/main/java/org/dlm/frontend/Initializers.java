package org.dlm.frontend;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/**
 * Executes the {@code init} attribute of {@code param} nodes made by the frontend, e.g.
 * {@code kaiming_uniform(fan_in=400, a=2.23606797749979)} (see docs/language.md, "Initializers").
 * Formulas are PyTorch's: kaiming bound {@code gain * sqrt(3 / fan_in)} with
 * {@code gain = sqrt(2 / (1 + a^2))}, xavier bound {@code gain * sqrt(6 / (fan_in + fan_out))}.
 *
 * <pre>{@code
 * Random rnd = new Random(42);
 * Map<String, NdArray> params = new LinkedHashMap<>();
 * for (Node p : graph.params()) params.put(p.attrs().getString("name"), Initializers.create(p, rnd));
 * }</pre>
 */
public final class Initializers {
    private static final Pattern CALL = Pattern.compile("\\s*([a-z_]+)\\((.*)\\)\\s*");

    private Initializers() {}

    /** A parsed spec: the initializer's name and its named numeric arguments. */
    public record Spec(String name, Map<String, Double> args) {
        double arg(String key) {
            Double v = args.get(key);
            if (v == null) throw new IllegalArgumentException(name + " needs argument " + key);
            return v;
        }
    }

    /** Parses {@code name(key=value, ...)}; throws IllegalArgumentException on anything else. */
    public static Spec parse(String spec) {
        Matcher m = CALL.matcher(spec);
        if (!m.matches()) throw new IllegalArgumentException("bad initializer spec '" + spec + "'");
        Map<String, Double> args = new LinkedHashMap<>();
        if (!m.group(2).isBlank()) {
            for (String kv : m.group(2).split(",")) {
                String[] p = kv.split("=", 2);
                if (p.length != 2) throw new IllegalArgumentException("bad initializer argument '" + kv.trim() + "' in '" + spec + "'");
                try {
                    args.put(p[0].trim(), Double.parseDouble(p[1].trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad number '" + p[1].trim() + "' in '" + spec + "'");
                }
            }
        }
        return new Spec(m.group(1), args);
    }

    /** Fresh values for a {@code param} node, drawn from {@code rnd}. */
    public static NdArray create(Node param, Random rnd) {
        long[] shape = param.shape().sizes();
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("parameter too large to initialize in memory: " + param.type());
        double[] v = new double[(int) n];
        Spec s = parse(param.attrs().getString("init", "zeros()"));
        switch (s.name()) {
            case "zeros" -> {}
            case "ones" -> java.util.Arrays.fill(v, 1.0);
            case "constant" -> java.util.Arrays.fill(v, s.arg("value"));
            case "uniform" -> uniform(v, s.arg("low"), s.arg("high"), rnd);
            case "normal" -> normal(v, s.arg("mean"), s.arg("std"), rnd);
            case "kaiming_uniform" -> {
                double bound = kaimingGain(s.arg("a")) * Math.sqrt(3.0 / s.arg("fan_in"));
                uniform(v, -bound, bound, rnd);
            }
            case "kaiming_normal" -> normal(v, 0, kaimingGain(s.arg("a")) / Math.sqrt(s.arg("fan_in")), rnd);
            case "xavier_uniform" -> {
                double bound = s.arg("gain") * Math.sqrt(6.0 / (s.arg("fan_in") + s.arg("fan_out")));
                uniform(v, -bound, bound, rnd);
            }
            case "xavier_normal" -> normal(v, 0, s.arg("gain") * Math.sqrt(2.0 / (s.arg("fan_in") + s.arg("fan_out"))), rnd);
            default -> throw new IllegalArgumentException("unknown initializer '" + s.name() + "'");
        }
        return new NdArray(param.dtype(), shape, v);
    }

    private static double kaimingGain(double a) { return Math.sqrt(2.0 / (1 + a * a)); }

    private static void uniform(double[] v, double lo, double hi, Random rnd) {
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rnd.nextDouble();
    }

    private static void normal(double[] v, double mean, double std, Random rnd) {
        for (int i = 0; i < v.length; i++) v[i] = mean + std * rnd.nextGaussian();
    }
}
