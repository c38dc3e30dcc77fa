package org.dlm.ir.kernel;

import java.util.List;
import java.util.stream.Collectors;
import org.dlm.ir.DType;

/**
 * Kernel IR as text, e.g.
 * <pre>
 * kernel relu arena=0 params=0 {
 *   buffer %x: input 0 f32[6]
 *   buffer %y: output 0 f32[6]
 *   for %i0 in [0, 6) step 1 parallel {
 *     store %y[%i0] = max(load %x[%i0], 0.0:f32)
 *   }
 * }
 * </pre>
 */
public final class KernelPrinter {
    private KernelPrinter() {}

    public static String print(KernelModule m) {
        StringBuilder sb = new StringBuilder();
        sb.append("kernel ").append(m.name()).append(" arena=").append(m.arenaBytes()).append(" params=").append(m.paramBytes()).append(" {\n");
        for (Buffer b : m.buffers()) sb.append("  buffer ").append(b.text()).append('\n');
        block(sb, m.body(), 1);
        return sb.append("}\n").toString();
    }

    /** One statement in the module text's syntax, without indentation of its first line. */
    public static String print(Stmt s) {
        StringBuilder sb = new StringBuilder();
        stmt(sb, s, 0);
        return sb.toString();
    }

    private static void block(StringBuilder sb, List<Stmt> body, int depth) {
        for (Stmt s : body) stmt(sb, s, depth);
    }

    static void stmt(StringBuilder sb, Stmt s, int depth) {
        String pad = "  ".repeat(depth);
        switch (s) {
            case Stmt.Loop l -> {
                sb.append(pad).append("for %").append(l.var()).append(" in [0, ").append(expr(l.extent())).append(") step ").append(l.step())
                        .append(l.parallel() ? " parallel" : "").append(" {\n");
                block(sb, l.body(), depth + 1);
                sb.append(pad).append("}\n");
            }
            case Stmt.Store st -> sb.append(pad).append("store %").append(st.buffer().name()).append('[').append(expr(st.index())).append("] = ")
                    .append(expr(st.value())).append('\n');
            case Stmt.Declare d -> sb.append(pad).append('%').append(d.name()).append(": ").append(d.type().text()).append(" = ").append(expr(d.init())).append('\n');
            case Stmt.Assign a -> sb.append(pad).append('%').append(a.name()).append(" = ").append(expr(a.value())).append('\n');
            case Stmt.If i -> {
                sb.append(pad).append("if ").append(expr(i.cond())).append(" {\n");
                block(sb, i.then(), depth + 1);
                sb.append(pad).append("}\n");
            }
            case Stmt.Call c -> sb.append(pad).append("call ").append(c.kernel()).append('(')
                    .append(c.args().stream().map(KernelPrinter::arg).collect(Collectors.joining(", "))).append(")\n");
        }
    }

    static String arg(Stmt.Arg a) {
        return switch (a) {
            case Stmt.ScalarArg s -> expr(s.value());
            case Stmt.PtrArg p -> "&%" + p.buffer().name() + "[" + expr(p.offset()) + "]";
            case Stmt.NullArg n -> "null";
        };
    }

    public static String expr(Expr e) {
        return switch (e) {
            case Expr.Const c -> constant(c);
            case Expr.Var v -> "%" + v.name();
            case Expr.Unary u -> u.op().name().toLowerCase() + "(" + expr(u.a()) + ")";
            case Expr.Binary b -> b.op().name().toLowerCase() + "(" + expr(b.a()) + ", " + expr(b.b()) + ")";
            case Expr.Select s -> "select(" + expr(s.cond()) + ", " + expr(s.a()) + ", " + expr(s.b()) + ")";
            case Expr.Cast c -> "cast<" + c.type().text() + ">(" + expr(c.a()) + ")";
            case Expr.Load l -> "load %" + l.buffer().name() + "[" + expr(l.index()) + "]";
        };
    }

    private static String constant(Expr.Const c) {
        if (c.type() == DType.I64) return Long.toString((long) c.value());
        return (c.type().isFloating() ? Double.toString(c.value()) : Long.toString((long) c.value())) + ":" + c.type().text();
    }
}
