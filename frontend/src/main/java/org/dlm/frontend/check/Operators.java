package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dlm.frontend.ast.Expr;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;

/**
 * The operators of the language on evaluated values: compile-time arithmetic (via {@link Arith}),
 * string and list concatenation, comparisons, and tensor operators that become broadcasting
 * Graph IR ops ({@code +} is {@code add}, {@code @} is {@code matmul}, ...).
 */
final class Operators {
    private static final Values.Poison POISON = Values.Poison.POISON;

    private final Reporter reporter;
    private final PrimCalls prims;

    Operators(Reporter reporter, PrimCalls prims) {
        this.reporter = reporter;
        this.prims = prims;
    }

    /** {@code -x}, {@code +x}, {@code not x} on numbers, bools and tensors. */
    Object unary(Expr.Unary u, Object v) {
        if (v == POISON) return POISON;
        switch (u.op()) {
            case "+":
                if (Arith.isNumber(v) || v instanceof Values.Tensor) return v;
                break;
            case "-":
                if (Arith.isNumber(v)) return v instanceof Double d ? (Object) (-d) : Arith.numbers("-", 0L, v, u.span(), reporter);
                if (v instanceof Values.Tensor t) return prims.node("neg", List.of(t.node()), Attrs.EMPTY, u.span());
                break;
            default:
                if (v instanceof Boolean b) return !b;
                if (v instanceof Values.Tensor t) return prims.node("not", List.of(t.node()), Attrs.EMPTY, u.span());
        }
        reporter.error(u.span(), "cannot apply '" + u.op() + "' to " + Values.typeName(v));
        return POISON;
    }

    private static final Map<String, String> TENSOR_OPS = Map.ofEntries(
            Map.entry("+", "add"), Map.entry("-", "sub"), Map.entry("*", "mul"), Map.entry("/", "div"), Map.entry("**", "pow"),
            Map.entry("%", "mod"), Map.entry("@", "matmul"), Map.entry("==", "eq"), Map.entry("!=", "ne"), Map.entry("<", "lt"),
            Map.entry("<=", "le"), Map.entry(">", "gt"), Map.entry(">=", "ge"), Map.entry("and", "and"), Map.entry("or", "or"));

    /** {@code l op r} on evaluated operands; the caller short-circuits {@code and}/{@code or} on bools. */
    Object binary(Expr.Binary b, Object l, Object r) {
        String op = b.op();
        if (l == POISON || r == POISON) return POISON;
        if ((op.equals("==") || op.equals("!=")) && (l == Values.None.NONE || r == Values.None.NONE))
            return op.equals("==") == (l == r);
        if (l instanceof Values.Tensor || r instanceof Values.Tensor) {
            if (l instanceof Dim || r instanceof Dim) {
                reporter.error(b.span(), "a symbolic dimension cannot be used as a tensor value", "only known integers mix with tensors");
                return POISON;
            }
            DType dt = l instanceof Values.Tensor t ? t.node().dtype() : ((Values.Tensor) r).node().dtype();
            Node a = PrimCalls.operand(l, dt), c = PrimCalls.operand(r, dt);
            if (a == null || c == null) {
                reporter.error(b.span(), "cannot apply '" + op + "' to " + Values.typeName(l) + " and " + Values.typeName(r));
                return POISON;
            }
            if (op.equals("@") && (a.shape().rank() == 0 || c.shape().rank() == 0)) {
                reporter.error(b.span(), "'@' needs tensors of rank 1 or more, got " + a.type() + " and " + c.type(), "use * to scale");
                return POISON;
            }
            return prims.node(TENSOR_OPS.get(op), List.of(a, c), Attrs.EMPTY, b.span());
        }
        if (Arith.isNumber(l) && Arith.isNumber(r) && !op.equals("@") && !op.equals("and") && !op.equals("or"))
            return Arith.numbers(op, l, r, b.span(), reporter);
        if (l instanceof Boolean x && r instanceof Boolean y && (op.equals("==") || op.equals("!="))) return op.equals("==") == (x.equals(y));
        if (op.equals("+") && (l instanceof String || r instanceof String) && !(l instanceof List) && !(r instanceof List))
            return show(l) + show(r);
        if (l instanceof String x && r instanceof String y) {
            if (op.equals("==") || op.equals("!=")) return op.equals("==") == x.equals(y);
        }
        if (l instanceof List<?> x && r instanceof List<?> y && op.equals("+")) {
            if ((long) x.size() + y.size() > Elaborator.MAX_LIST) {
                reporter.error(b.span(), "list longer than " + Elaborator.MAX_LIST + " elements");
                return POISON;
            }
            List<Object> out = new ArrayList<>(x);
            out.addAll(y);
            return java.util.Collections.unmodifiableList(out);
        }
        if (l instanceof DType && r instanceof DType && (op.equals("==") || op.equals("!="))) return op.equals("==") == (l == r);
        reporter.error(b.span(), "cannot apply '" + op + "' to " + Values.typeName(l) + " and " + Values.typeName(r));
        return POISON;
    }


    /** Text of a compile-time value for string concatenation. */
    static String show(Object v) {
        return v instanceof Values.Tensor t ? t.node().type().toString() : v instanceof Values.None ? "none"
                : v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof Dim || v instanceof DType ? String.valueOf(v)
                : Values.typeName(v);
    }

}
