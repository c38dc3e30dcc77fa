package org.dlm.ir.kernel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;

/**
 * Checks a Kernel IR module: every buffer used is declared (same name, same declaration),
 * variables are defined before use, index expressions are i64, operand types agree, microkernel
 * calls have the right arity, temporaries fit in the arena, and every index whose range is
 * statically known (loop variables range over [0, extent)) lies inside its buffer, except under
 * an {@code if}, whose condition may be the guard.
 */
public final class KernelVerifier {
    private final Map<String, Buffer> buffers = new HashMap<>();
    private final List<String> errors = new ArrayList<>();

    private KernelVerifier() {}

    /** All problems of {@code m}, empty when it is well formed. */
    public static List<String> check(KernelModule m) {
        KernelVerifier v = new KernelVerifier();
        for (Buffer b : m.buffers()) {
            if (v.buffers.put(b.name(), b) != null) v.errors.add("buffer %" + b.name() + " declared twice");
            long end = b.offset() + b.byteSize();
            if (b.kind() == Buffer.Kind.TEMP && end > m.arenaBytes())
                v.errors.add("temporary %" + b.name() + " ends at byte " + end + " beyond the arena of " + m.arenaBytes());
            if (b.kind() == Buffer.Kind.PARAM && end > m.paramBytes())
                v.errors.add("parameter %" + b.name() + " ends at byte " + end + " beyond the parameter block of " + m.paramBytes());
        }
        v.block(m.body(), new HashMap<>());
        return v.errors;
    }

    /** Throws {@link IllegalStateException} listing every problem. */
    public static void verify(KernelModule m) {
        List<String> errors = check(m);
        if (!errors.isEmpty()) throw new IllegalStateException("invalid kernel module " + m.name() + ":\n  " + String.join("\n  ", errors));
    }

    /** Range of a variable: [lo, hi], or null when unknown. */
    private record Range(long lo, long hi) {}

    private void block(List<Stmt> body, Map<String, Object> scope) {
        Map<String, Object> local = new HashMap<>(scope);
        for (Stmt s : body) stmt(s, local);
    }

    private void stmt(Stmt s, Map<String, Object> scope) {
        switch (s) {
            case Stmt.Loop l -> {
                expr(l.extent(), scope, DType.I64);
                Map<String, Object> inner = new HashMap<>(scope);
                Range r = range(l.extent(), scope);
                inner.put(l.var(), r == null ? DType.I64 : new Range(0, r.hi() - 1));
                block(l.body(), inner);
            }
            case Stmt.Store st -> {
                buffer(st.buffer());
                expr(st.index(), scope, DType.I64);
                expr(st.value(), scope, st.buffer().dtype());
                bounds(st.buffer(), st.index(), scope);
            }
            case Stmt.Declare d -> {
                expr(d.init(), scope, d.type());
                scope.put(d.name(), d.type());
            }
            case Stmt.Assign a -> {
                Object t = scope.get(a.name());
                if (!(t instanceof DType dt)) errors.add("assignment to undeclared local %" + a.name());
                else expr(a.value(), scope, dt);
            }
            case Stmt.If i -> {
                expr(i.cond(), scope, DType.BOOL);
                // the condition may be what keeps indices in range: no bounds checks under it
                Map<String, Object> guarded = new HashMap<>(scope);
                guarded.put(GUARDED, Boolean.TRUE);
                block(i.then(), guarded);
            }
            case Stmt.Call c -> {
                Integer arity = Microkernels.ARITY.get(c.kernel());
                if (arity == null) errors.add("call of unknown microkernel " + c.kernel());
                else if (arity != c.args().size()) errors.add(c.kernel() + " takes " + arity + " arguments, got " + c.args().size());
                else
                    for (int i : Microkernels.constantArgs(c.kernel()))
                        if (!(c.args().get(i) instanceof Stmt.ScalarArg sa && sa.value() instanceof Expr.Const))
                            errors.add(c.kernel() + " argument " + i + " must be a constant");
                for (Stmt.Arg a : c.args()) {
                    if (a instanceof Stmt.ScalarArg sa) expr(sa.value(), scope, null);
                    if (a instanceof Stmt.PtrArg p) {
                        buffer(p.buffer());
                        expr(p.offset(), scope, DType.I64);
                        bounds(p.buffer(), p.offset(), scope);
                    }
                }
            }
        }
    }

    private void buffer(Buffer b) {
        Buffer declared = buffers.get(b.name());
        if (declared == null) errors.add("buffer %" + b.name() + " is not declared");
        else if (!declared.equals(b)) errors.add("buffer %" + b.name() + " used as " + b.text() + " but declared as " + declared.text());
    }

    private static final String GUARDED = " guarded";

    private void bounds(Buffer b, Expr index, Map<String, Object> scope) {
        if (scope.containsKey(GUARDED)) return;
        Range r = range(index, scope);
        if (r != null && (r.lo() < 0 || r.hi() >= b.elements()))
            errors.add("index " + KernelPrinter.expr(index) + " of %" + b.name() + " ranges over [" + r.lo() + ", " + r.hi() + "], outside [0, " + b.elements() + ")");
    }

    /** Interval of an i64 expression when all its variables have known ranges (affine and min/max/div/rem by constants). */
    private Range range(Expr e, Map<String, Object> scope) {
        return switch (e) {
            case Expr.Const c -> new Range((long) c.value(), (long) c.value());
            case Expr.Var v -> scope.get(v.name()) instanceof Range r ? r : null;
            case Expr.Binary b -> {
                Range x = range(b.a(), scope), y = range(b.b(), scope);
                if (x == null || y == null) yield null;
                yield switch (b.op()) {
                    case ADD -> new Range(x.lo() + y.lo(), x.hi() + y.hi());
                    case SUB -> new Range(x.lo() - y.hi(), x.hi() - y.lo());
                    case MUL -> {
                        long[] p = {x.lo() * y.lo(), x.lo() * y.hi(), x.hi() * y.lo(), x.hi() * y.hi()};
                        yield new Range(Math.min(Math.min(p[0], p[1]), Math.min(p[2], p[3])), Math.max(Math.max(p[0], p[1]), Math.max(p[2], p[3])));
                    }
                    case DIV -> y.lo() == y.hi() && y.lo() > 0 && x.lo() >= 0 ? new Range(x.lo() / y.lo(), x.hi() / y.lo()) : null;
                    case REM -> y.lo() == y.hi() && y.lo() > 0 && x.lo() >= 0 ? new Range(0, Math.min(x.hi(), y.lo() - 1)) : null;
                    case MAX -> new Range(Math.max(x.lo(), y.lo()), Math.max(x.hi(), y.hi()));
                    case MIN -> new Range(Math.min(x.lo(), y.lo()), Math.min(x.hi(), y.hi()));
                    default -> null;
                };
            }
            default -> null;
        };
    }

    private void expr(Expr e, Map<String, Object> scope, DType expected) {
        if (expected != null && e.type() != expected)
            errors.add("expression " + KernelPrinter.expr(e) + " has type " + e.type().text() + ", expected " + expected.text());
        switch (e) {
            case Expr.Const c -> {}
            case Expr.Var v -> {
                Object t = scope.get(v.name());
                if (t == null) errors.add("variable %" + v.name() + " used outside its scope");
                else if ((t instanceof DType dt ? dt : DType.I64) != v.type()) errors.add("variable %" + v.name() + " used with type " + v.type().text());
            }
            case Expr.Unary u -> expr(u.a(), scope, null);
            case Expr.Binary b -> {
                if ((b.op() == Expr.BinOp.SHR || b.op() == Expr.BinOp.XOR) && !b.a().type().isInteger())
                    errors.add(b.op().name().toLowerCase() + " needs integer operands, got " + KernelPrinter.expr(b));
                expr(b.a(), scope, null);
                expr(b.b(), scope, b.a().type());
            }
            case Expr.Select s -> {
                expr(s.cond(), scope, DType.BOOL);
                expr(s.a(), scope, null);
                expr(s.b(), scope, s.a().type());
            }
            case Expr.Cast c -> expr(c.a(), scope, null);
            case Expr.Load l -> {
                buffer(l.buffer());
                expr(l.index(), scope, DType.I64);
                bounds(l.buffer(), l.index(), scope);
            }
        }
    }

}
