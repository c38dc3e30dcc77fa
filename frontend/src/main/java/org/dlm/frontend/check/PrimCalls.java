package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.frontend.ast.Span;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;

/**
 * Applies primitive ops ({@code prim.conv2d(x, w, stride = [1, 1])}): tensor operands are
 * positional, attributes are named. The op table's shape rule checks the call; its
 * {@link ShapeException} becomes a diagnostic at the call. On compile-time numbers the scalar
 * math ops fold ({@code prim.sqrt(5.0)} is the float 2.236...).
 */
final class PrimCalls {
    private final Reporter reporter;

    PrimCalls(Reporter reporter) { this.reporter = reporter; }

    private static final Set<String> FOLDABLE = Set.of("neg", "abs", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos",
            "tan", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "sign", "max", "min", "add", "sub", "mul", "div", "pow", "erf");

    /** A positional or named argument value with the span it came from. */
    record Arg(Object value, Span span) {}

    Object apply(String op, List<Arg> positional, Map<String, Arg> named, Span span) {
        OpDef def = OpTable.get(op);
        if (def == null) {
            reporter.error(span, "unknown primitive op '" + op + "'");
            return Values.Poison.POISON;
        }
        for (Arg a : positional) if (a.value() == Values.Poison.POISON) return Values.Poison.POISON;
        for (Arg a : named.values()) if (a.value() == Values.Poison.POISON) return Values.Poison.POISON;

        if (!positional.isEmpty() && named.isEmpty() && FOLDABLE.contains(op)
                && positional.stream().allMatch(a -> a.value() instanceof Long || a.value() instanceof Double)) {
            return fold(op, positional, span);
        }

        List<Arg> ops = new ArrayList<>();
        for (Arg a : positional) {
            // a list of tensors spreads into the operands of a variadic op: prim.concat(xs, axis = 1)
            if (a.value() instanceof List<?> l && def.maxInputs() == Integer.MAX_VALUE) for (Object x : l) ops.add(new Arg(x, a.span()));
            else ops.add(a);
        }
        while (!ops.isEmpty() && ops.getLast().value() == Values.None.NONE) ops.removeLast();
        DType dtype = null;
        for (Arg a : ops) if (a.value() instanceof Values.Tensor t) { dtype = t.node().dtype(); break; }
        List<Node> inputs = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            Object v = ops.get(i).value();
            Node n = operand(v, dtype);
            if (n == null) {
                reporter.error(ops.get(i).span(), "operand " + (i + 1) + " of " + op + " must be a tensor, got " + Values.typeName(v),
                        v == Values.None.NONE ? "only trailing optional operands may be none" : null);
                return Values.Poison.POISON;
            }
            inputs.add(n);
        }
        Map<String, Object> attrs = new LinkedHashMap<>();
        for (var e : named.entrySet()) {
            OpDef.AttrSpec spec = def.attrSpecs().get(e.getKey());
            if (spec == null) {
                String near = Names.closest(e.getKey(), def.attrSpecs().keySet());
                reporter.error(e.getValue().span(), op + " has no attribute '" + e.getKey() + "'",
                        near != null ? "did you mean '" + near + "'?"
                                : def.attrSpecs().isEmpty() ? op + " takes no attributes" : "attributes: " + String.join(", ", def.attrSpecs().keySet()));
                return Values.Poison.POISON;
            }
            Object a = attr(spec.kind(), e.getValue().value());
            if (a == null) {
                reporter.error(e.getValue().span(), "attribute '" + e.getKey() + "' of " + op + " must be " + kindText(spec.kind())
                        + ", got " + Values.typeName(e.getValue().value()));
                return Values.Poison.POISON;
            }
            attrs.put(e.getKey(), a);
        }
        return node(op, inputs, Attrs.of(attrs), span);
    }

    /** Builds a node, turning a refused shape rule into a diagnostic. */
    Object node(String op, List<Node> inputs, Attrs attrs, Span span) {
        try {
            return new Values.Tensor(Node.of(op, inputs, attrs));
        } catch (ShapeException e) {
            reporter.error(span, e.getMessage(), e.hint());
        } catch (ArithmeticException e) {
            reporter.error(span, op + ": dimension arithmetic overflows", "the tensor sizes are too large");
        } catch (RuntimeException e) {
            reporter.error(span, "invalid use of " + op + ": " + e.getMessage());
        }
        return Values.Poison.POISON;
    }

    /** A tensor operand: tensors as they are, numbers and bools as scalar constants of the given dtype. */
    static Node operand(Object v, DType dtype) {
        return switch (v) {
            case Values.Tensor t -> t.node();
            case Long l -> constant(dtype == null ? DType.F32 : dtype, l);
            case Double d -> constant(dtype == null || !dtype.isFloating() ? DType.F32 : dtype, d);
            case Boolean b -> constant(DType.BOOL, b ? 1 : 0);
            default -> null;
        };
    }

    static Node constant(DType dtype, double v) {
        return Node.of("const", List.of(), Attrs.of("value", Constant.scalar(dtype, v)));
    }

    private static Object attr(OpDef.AttrKind kind, Object v) {
        return switch (kind) {
            case INT -> asLong(v);
            case FLOAT -> v instanceof Long l ? (Object) l.doubleValue() : v instanceof Double ? v : null;
            case BOOL -> v instanceof Boolean ? v : null;
            case STRING -> v instanceof String ? v : null;
            case DTYPE -> v instanceof DType ? v : null;
            case SHAPE -> {
                if (!(v instanceof List<?> l)) yield null;
                List<Dim> dims = new ArrayList<>();
                for (Object o : l) {
                    if (o instanceof Long x) dims.add(Dim.of(x));
                    else if (o instanceof Dim d) dims.add(d);
                    else yield null;
                }
                yield new Shape(dims);
            }
            case INTS -> {
                if (!(v instanceof List<?> l)) yield null;
                List<Long> out = new ArrayList<>();
                for (Object o : l) {
                    Long x = asLong(o);
                    if (x == null) yield null;
                    out.add(x);
                }
                yield out;
            }
            case FLOATS -> {
                if (!(v instanceof List<?> l)) yield null;
                List<Double> out = new ArrayList<>();
                for (Object o : l) {
                    if (o instanceof Long x) out.add(x.doubleValue());
                    else if (o instanceof Double d) out.add(d);
                    else yield null;
                }
                yield out;
            }
            case STRINGS -> v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String) ? v : null;
            case CONSTANT -> null;
        };
    }

    private static Long asLong(Object v) {
        if (v instanceof Long l) return l;
        if (v instanceof Dim d && d.isConst()) return d.value();
        return null;
    }

    private static String kindText(OpDef.AttrKind k) {
        return switch (k) {
            case INT -> "an integer"; case FLOAT -> "a number"; case BOOL -> "true or false"; case STRING -> "a string";
            case DTYPE -> "a dtype"; case SHAPE -> "a list of dimensions"; case INTS -> "a list of integers";
            case FLOATS -> "a list of numbers"; case STRINGS -> "a list of strings"; case CONSTANT -> "a tensor constant";
        };
    }

    private Object fold(String op, List<Arg> args, Span span) {
        if (args.size() == 2 && Set.of("add", "sub", "mul", "div", "pow", "max", "min").contains(op)) {
            Object a = args.get(0).value(), b = args.get(1).value();
            if (op.equals("max") || op.equals("min")) {
                if (a instanceof Long x && b instanceof Long y) return op.equals("max") ? Math.max(x, y) : Math.min(x, y);
                double x = ((Number) a).doubleValue(), y = ((Number) b).doubleValue();
                return op.equals("max") ? Math.max(x, y) : Math.min(x, y);
            }
            String sym = switch (op) { case "add" -> "+"; case "sub" -> "-"; case "mul" -> "*"; case "div" -> "/"; default -> "**"; };
            return Arith.numbers(sym, a, b, span, reporter);
        }
        if (args.size() != 1) {
            reporter.error(span, op + " takes 1 operand, got " + args.size());
            return Values.Poison.POISON;
        }
        Object a = args.get(0).value();
        double x = ((Number) a).doubleValue();
        if (a instanceof Long l) {
            switch (op) {
                case "neg": return Arith.numbers("-", 0L, l, span, reporter);
                case "abs": return l == Long.MIN_VALUE ? (Object) Math.abs(x) : Math.abs(l);
                case "relu": return Math.max(l, 0);
                case "sign": return Long.signum(l);
                case "floor", "ceil", "round": return l;
                default: break;
            }
        }
        double r = switch (op) {
            case "neg" -> -x; case "abs" -> Math.abs(x); case "exp" -> Math.exp(x); case "log" -> Math.log(x);
            case "sqrt" -> Math.sqrt(x); case "rsqrt" -> 1 / Math.sqrt(x); case "reciprocal" -> 1 / x;
            case "sin" -> Math.sin(x); case "cos" -> Math.cos(x); case "tan" -> Math.tan(x); case "tanh" -> Math.tanh(x);
            case "sigmoid" -> 1 / (1 + Math.exp(-x)); case "relu" -> Math.max(x, 0); case "sign" -> Math.signum(x);
            case "erf" -> erf(x);
            default -> Double.NaN;
        };
        if (op.equals("floor") || op.equals("ceil") || op.equals("round")) {
            double f = op.equals("floor") ? Math.floor(x) : op.equals("ceil") ? Math.ceil(x) : Math.rint(x);
            if (Math.abs(f) < 9.0e18) return (long) f;
            return f;
        }
        return r;
    }

    private static double erf(double x) {
        // Numerical Recipes erfc approximation (relative error < 1.2e-7): plenty for compile-time constants
        double t = 1 / (1 + 0.5 * Math.abs(x));
        double y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }
}
