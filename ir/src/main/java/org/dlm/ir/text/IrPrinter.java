package org.dlm.ir.text;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;

/**
 * Prints a {@link Graph} as text that {@link IrParser} reads back to an equal graph.
 *
 * <pre>{@code
 * graph Mlp(%x: f32[B, 784]) params(%fc.weight: f32[10, 784] {init = "kaiming_uniform", trainable = true}) {
 *   %0 = linear(%x, %fc.weight) : f32[B, 10]
 *   %1 = relu(%0) : f32[B, 10]
 *   return %logits = %1
 * }
 * }</pre>
 *
 * Attribute values: integers {@code 3}, floats always with a dot or exponent ({@code 1.0},
 * {@code 1.0E-5}, {@code inf}, {@code -inf}, {@code nan}, {@code -0.0}; the shortest text that
 * reads back to the same double), {@code true}/{@code false}, strings {@code "a\"b"}, dtypes
 * {@code f32}, shapes {@code shape[B, 784]}, lists {@code [1, 2]}, and tensor constants
 * {@code dense<f32[2]>[1.0, 2.0]} or {@code dense<f32[64]>splat(0.0)}. Inputs and parameters
 * print in the header with the attributes their type does not already say; other nodes print one
 * per line, numbered in topological order (see {@link ValueNames}).
 */
public final class IrPrinter {
    private IrPrinter() {}

    public static String print(Graph g) {
        ValueNames names = new ValueNames(g);
        StringBuilder sb = new StringBuilder("graph ").append(ValueNames.quoteIfNeeded(g.name())).append('(');
        decls(sb, names.inputDecls());
        sb.append(')');
        if (!names.paramDecls().isEmpty()) {
            StringBuilder ps = new StringBuilder();
            decls(ps, names.paramDecls());
            // a long parameter list reads better one declaration per line
            if (ps.length() > 100) {
                ps.setLength(0);
                for (ValueNames.Decl d : names.paramDecls()) {
                    ps.append(ps.isEmpty() ? "\n    " : ",\n    ");
                    decls(ps, List.of(d));
                }
                ps.append('\n');
            }
            sb.append(" params(").append(ps).append(')');
        }
        if (!g.meta().isEmpty()) {
            sb.append(" meta {");
            boolean first = true;
            for (var e : ValueNames.sorted(g.meta()).entrySet()) {
                if (!first) sb.append(", ");
                first = false;
                sb.append(ValueNames.quoteIfNeeded(e.getKey())).append(" = ").append(ValueNames.quote(e.getValue()));
            }
            sb.append('}');
        }
        sb.append(" {\n");
        for (Node n : names.body()) {
            sb.append("  ").append(names.ref(n)).append(" = ").append(n.opName());
            if (!n.inputs().isEmpty()) {
                sb.append('(');
                for (int i = 0; i < n.inputs().size(); i++) {
                    if (i > 0) sb.append(", ");
                    sb.append(names.ref(n.input(i)));
                }
                sb.append(')');
            }
            if (!n.attrs().isEmpty()) attrs(sb.append(' '), n.attrs().asMap());
            sb.append(" : ").append(type(n.type())).append('\n');
        }
        sb.append("  return");
        for (int i = 0; i < g.outputs().size(); i++) {
            Graph.Output o = g.outputs().get(i);
            sb.append(i == 0 ? " " : ", ").append('%').append(ValueNames.quoteIfNeeded(o.name()))
              .append(" = ").append(names.ref(o.node()));
        }
        return sb.append("\n}\n").toString();
    }

    private static void decls(StringBuilder sb, List<ValueNames.Decl> decls) {
        for (int i = 0; i < decls.size(); i++) {
            ValueNames.Decl d = decls.get(i);
            Node n = d.node();
            if (i > 0) sb.append(", ");
            sb.append(d.ref()).append(": ").append(type(n.type()));
            if (d.canonical()) {
                Attrs extra = n.attrs().without("name").without("dtype").without("shape");
                if (!extra.isEmpty()) attrs(sb.append(' '), extra.asMap());
            } else {
                if (!n.inputs().isEmpty())
                    throw new IllegalArgumentException("cannot print a declared input or parameter that has operands (a "
                            + n.opName() + " node); the verifier rejects such graphs");
                sb.append(" = ").append(n.opName()).append(' ');
                attrs(sb, n.attrs().asMap());
            }
        }
    }

    static void attrs(StringBuilder sb, Map<String, Object> m) {
        sb.append('{');
        boolean first = true;
        for (var e : m.entrySet()) {
            if (!first) sb.append(", ");
            first = false;
            sb.append(ValueNames.quoteIfNeeded(e.getKey())).append(" = ");
            value(sb, e.getValue());
        }
        sb.append('}');
    }

    /** The text of one attribute value. */
    public static String value(Object v) {
        StringBuilder sb = new StringBuilder();
        value(sb, v);
        return sb.toString();
    }

    static void value(StringBuilder sb, Object v) {
        switch (v) {
            case Long l -> sb.append(l);
            case Double d -> sb.append(number(d));
            case Boolean b -> sb.append(b);
            case String s -> sb.append(ValueNames.quote(s));
            case DType t -> sb.append(t.text());
            case Shape s -> sb.append("shape").append(s);
            case List<?> l -> {
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) sb.append(", ");
                    value(sb, l.get(i));
                }
                sb.append(']');
            }
            case Constant c -> constant(sb, c);
            default -> throw new IllegalArgumentException("cannot print attribute value of type " + v.getClass().getName() + ": " + v);
        }
    }

    /** A double that reads back bit for bit (NaN payloads aside): always has a dot or exponent. */
    public static String number(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        return Double.toString(d);
    }

    private static void constant(StringBuilder sb, Constant c) {
        sb.append("dense<").append(type(c.type())).append('>');
        double[] v = c.values();
        boolean integral = !c.type().dtype().isFloating();
        boolean splat = v.length > 1;
        for (int i = 1; i < v.length && splat; i++) splat = Double.doubleToLongBits(v[i]) == Double.doubleToLongBits(v[0]);
        if (splat) {
            sb.append("splat(").append(element(v[0], integral)).append(')');
            return;
        }
        sb.append('[');
        for (int i = 0; i < v.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(element(v[i], integral));
        }
        sb.append(']');
    }

    /** Integer-typed elements print without ".0" when that is exact (not for -0.0 or beyond 2^53). */
    private static String element(double x, boolean integral) {
        if (integral && x == Math.rint(x) && Math.abs(x) <= 0x1p53 && !(x == 0 && 1 / x < 0)) return Long.toString((long) x);
        return number(x);
    }

    public static String type(TensorType t) { return t.dtype().text() + t.shape(); }
}
