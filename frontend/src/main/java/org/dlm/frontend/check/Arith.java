package org.dlm.frontend.check;

import org.dlm.frontend.ast.Span;
import org.dlm.ir.Dim;

/**
 * Compile-time arithmetic on ints ({@link Long}, or symbolic {@link Dim}) and floats
 * ({@link Double}). {@code int / int} is floor division, as in shape arithmetic ({@code (H-3)/2+1});
 * write {@code float(a) / b} for a float quotient. Overflow and division by zero are diagnostics.
 */
final class Arith {
    private Arith() {}

    static boolean isNumber(Object v) { return v instanceof Long || v instanceof Double || v instanceof Dim; }

    /** {@code a op b} for numbers; reports and returns poison on overflow, division by zero, or symbolic misuse. */
    static Object numbers(String op, Object a, Object b, Span span, Reporter reporter) {
        try {
            if (a instanceof Dim || b instanceof Dim) return dims(op, toDim(a), toDim(b), a, b, span, reporter);
            if (a instanceof Long x && b instanceof Long y) return longs(op, x, y, span, reporter);
            double x = ((Number) a).doubleValue(), y = ((Number) b).doubleValue();
            return switch (op) {
                case "+" -> x + y; case "-" -> x - y; case "*" -> x * y; case "/" -> x / y;
                case "%" -> x - Math.floor(x / y) * y; case "**" -> Math.pow(x, y);
                case "==" -> x == y; case "!=" -> x != y; case "<" -> x < y; case "<=" -> x <= y; case ">" -> x > y; case ">=" -> x >= y;
                default -> bad(op, a, b, span, reporter);
            };
        } catch (ArithmeticException e) {
            reporter.error(span, "integer overflow in '" + op + "'", "values must stay between -2^63 and 2^63-1");
            return Values.Poison.POISON;
        }
    }

    private static Object longs(String op, long x, long y, Span span, Reporter reporter) {
        switch (op) {
            case "+": return Math.addExact(x, y);
            case "-": return Math.subtractExact(x, y);
            case "*": return Math.multiplyExact(x, y);
            case "/", "%":
                if (y == 0) {
                    reporter.error(span, "division by zero");
                    return Values.Poison.POISON;
                }
                return op.equals("/") ? Math.floorDiv(x, y) : Math.floorMod(x, y);
            case "**":
                if (y < 0) return Math.pow(x, y);
                long r = 1;
                for (long i = 0; i < y; i++) {
                    r = Math.multiplyExact(r, x);
                    if (r == 0 || r == 1 && x == 1) break;
                    if (x == -1) { r = (y % 2 == 0) ? 1 : -1; break; }
                }
                return r;
            case "==": return x == y;
            case "!=": return x != y;
            case "<": return x < y;
            case "<=": return x <= y;
            case ">": return x > y;
            case ">=": return x >= y;
            default: return bad(op, x, y, span, reporter);
        }
    }

    private static Object dims(String op, Dim x, Dim y, Object a, Object b, Span span, Reporter reporter) {
        if (x == null || y == null) {
            reporter.error(span, "cannot use symbolic dimension " + (a instanceof Dim ? a : b) + " with a float",
                    "symbolic dimensions are integers");
            return Values.Poison.POISON;
        }
        switch (op) {
            case "+": return norm(x.plus(y));
            case "-": return norm(x.minus(y));
            case "*": return norm(x.times(y));
            case "/":
                if (!y.isConst() || y.value() <= 0) {
                    reporter.error(span, "a symbolic dimension can only be divided by a positive integer, not by " + y);
                    return Values.Poison.POISON;
                }
                return norm(x.floorDiv(y.value()));
            case "==": return x.equals(y);
            case "!=": return !x.equals(y);
            default:
                reporter.error(span, "cannot apply '" + op + "' to symbolic dimension " + (a instanceof Dim ? a : b) + " at compile time",
                        "symbolic dimensions support + - * / and ==");
                return Values.Poison.POISON;
        }
    }

    /** A constant Dim becomes a Long, so that ints stay plain wherever possible. */
    static Object norm(Dim d) { return d.isConst() ? (Object) d.value() : d; }

    static Dim toDim(Object v) {
        if (v instanceof Dim d) return d;
        if (v instanceof Long l) return Dim.of(l);
        return null;
    }

    private static Object bad(String op, Object a, Object b, Span span, Reporter reporter) {
        reporter.error(span, "cannot apply '" + op + "' to " + Values.typeName(a) + " and " + Values.typeName(b));
        return Values.Poison.POISON;
    }
}
