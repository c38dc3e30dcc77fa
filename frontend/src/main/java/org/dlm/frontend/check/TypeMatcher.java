package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.List;
import org.dlm.frontend.ast.Expr;
import org.dlm.frontend.ast.Span;
import org.dlm.frontend.ast.TypeExpr;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Shape;

/**
 * Checks values against written types. A tensor type's dims are matched one by one: a name that is
 * not bound yet ({@code B}) is a type variable and binds to the actual dim, anything else is
 * evaluated and must be equal; {@code ...} matches any number of leading dims.
 */
final class TypeMatcher {
    private final Reporter reporter;
    private final Elaborator elaborator;

    TypeMatcher(Reporter reporter, Elaborator elaborator) {
        this.reporter = reporter;
        this.elaborator = elaborator;
    }

    /**
     * The value converted to the type (int to float), or poison after reporting a mismatch as
     * {@code "<who> <type>, got <actual>"} at {@code span}.
     */
    Object convert(TypeExpr t, Object v, Env env, String who, Span span, Expr.Call call, Expr argExpr) {
        if (v == Values.Poison.POISON) return v;
        if (t.isTensor() || !Builtins.SCALAR_TYPES.contains(t.name()) && DType.fromText(t.name()) != null) return matchTensor(t, v, env, who, span, call, argExpr) ? v : Values.Poison.POISON;
        Object r = switch (t.name()) {
            case "int" -> v instanceof Long || v instanceof Dim ? v : null;
            case "float" -> v instanceof Long l ? (Object) l.doubleValue() : v instanceof Double ? v : null;
            case "bool" -> v instanceof Boolean ? v : null;
            case "string" -> v instanceof String ? v : null;
            case "list" -> v instanceof List ? v : null;
            case "layer" -> v instanceof Values.LayerCtor || v instanceof Values.SequentialCtor || v instanceof Values.Instance
                    || v instanceof Values.SequentialInstance ? v : null;
            default -> v;
        };
        if (r == null) {
            reporter.error(span, who + " " + t.name() + ", got " + Values.typeName(v));
            return Values.Poison.POISON;
        }
        return r;
    }

    /** Like {@link #convert}, as a yes/no answer. */
    boolean match(TypeExpr t, Object v, Env env, String who, Span span, Expr.Call call, Expr argExpr, boolean bind) {
        return convert(t, v, env, who, span, call, argExpr) != Values.Poison.POISON;
    }

    private boolean matchTensor(TypeExpr t, Object v, Env env, String who, Span span, Expr.Call call, Expr argExpr) {
        DType dt = DType.fromText(t.name());
        if (!(v instanceof Values.Tensor x)) {
            reporter.error(span, who + " " + render(t, env) + ", got " + Values.typeName(v));
            return false;
        }
        if (!t.isTensor()) {
            if (x.node().dtype() == dt) return true;
            reporter.error(span, who + " " + dt + " tensor, got " + x.node().type(), "convert with cast(x, " + dt + ")");
            return false;
        }
        Shape s = x.node().shape();
        List<Expr> dims = t.dims();
        int ell = dims.indexOf(null);
        int rank = s.rank();
        boolean ok = x.node().dtype() == dt && (ell < 0 ? rank == dims.size() : rank >= dims.size() - 1);
        if (ok) {
            // bind type variables on trial, so that a mismatch is shown with the declared names
            Env trial = env.child();
            int tail = ell < 0 ? 0 : dims.size() - ell - 1;
            int head = ell < 0 ? dims.size() : ell;
            for (int i = 0; i < head && ok; i++) ok = matchDim(dims.get(i), s.dim(i), trial);
            for (int j = 0; j < tail && ok; j++) ok = matchDim(dims.get(ell + 1 + j), s.dim(rank - tail + j), trial);
            if (ok) {
                trial.vars.forEach(env::define);
                return true;
            }
        }
        String hint = null;
        if (x.node().dtype() != dt) hint = "convert with cast(x, " + dt + ")";
        else if (call != null && argExpr != null && ell == 0 && dims.size() == 2 && rank >= 2) {
            Dim want = Arith.toDim(quiet(dims.get(1), env));
            Dim have = Dim.of(1);
            for (int i = 1; i < rank; i++) have = have.times(s.dim(i));
            if (want != null && want.equals(have)) {
                String callee = text(call.callee().span()), arg = text(argExpr.span());
                hint = "flatten the input first: " + callee + "(flatten(" + arg + "))";
            }
        }
        reporter.error(span, who + " " + render(t, env) + ", got " + x.node().type(), hint);
        return false;
    }

    private boolean matchDim(Expr e, Dim actual, Env env) {
        if (e instanceof Expr.Name n && env.lookup(n.name()) == null) {
            env.define(n.name(), Arith.norm(actual));
            return true;
        }
        Object v = elaborator.eval(e, env);
        if (v == Values.Poison.POISON) return true;
        Dim d = Arith.toDim(v);
        if (d == null) {
            reporter.error(e.span(), "a dimension must be an integer, got " + Values.typeName(v));
            return true;
        }
        return d.equals(actual);
    }

    /** The type as text with known dims filled in: {@code f32[..., 400]}. */
    String render(TypeExpr t, Env env) {
        if (!t.isTensor()) return t.name();
        List<String> parts = new ArrayList<>();
        for (Expr e : t.dims()) {
            if (e == null) { parts.add("..."); continue; }
            Object v = quiet(e, env);
            parts.add(v instanceof Long || v instanceof Dim ? v.toString() : text(e.span()));
        }
        return t.name() + "[" + String.join(", ", parts) + "]";
    }

    /** Evaluates simple dim expressions without reporting: names, literals, arithmetic. */
    private Object quiet(Expr e, Env env) {
        return switch (e) {
            case Expr.IntLit i -> i.value();
            case Expr.Name n -> env.lookup(n.name());
            case Expr.Binary b when "+-*/".contains(b.op()) && b.op().length() == 1 -> {
                Object l = quiet(b.left(), env), r = quiet(b.right(), env);
                if (!(l instanceof Long || l instanceof Dim) || !(r instanceof Long || r instanceof Dim)) yield null;
                Reporter sink = new Reporter();
                Object v = Arith.numbers(b.op(), l, r, b.span(), sink);
                yield sink.hasErrors() ? null : v;
            }
            default -> null;
        };
    }

    private static String text(Span s) { return s.source().text().substring(s.start(), s.end()); }
}
