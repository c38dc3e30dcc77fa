package org.dlm.passes.lower;

import java.util.List;
import java.util.Map;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/** Rewrites statements so that every buffer reference carries its final declaration (e.g. the offset memory planning chose). */
final class BufferRebinder {
    private final Map<String, Buffer> byName;

    private BufferRebinder(Map<String, Buffer> byName) { this.byName = byName; }

    static List<Stmt> rebind(List<Stmt> body, Map<String, Buffer> byName) {
        BufferRebinder r = new BufferRebinder(byName);
        return body.stream().map(r::stmt).toList();
    }

    private Buffer b(Buffer old) { return byName.getOrDefault(old.name(), old); }

    private Stmt stmt(Stmt s) {
        return switch (s) {
            case Stmt.Loop l -> new Stmt.Loop(l.var(), expr(l.extent()), l.step(), l.parallel(), l.body().stream().map(this::stmt).toList());
            case Stmt.Store st -> new Stmt.Store(b(st.buffer()), expr(st.index()), expr(st.value()));
            case Stmt.Declare d -> new Stmt.Declare(d.name(), d.type(), expr(d.init()));
            case Stmt.Assign a -> new Stmt.Assign(a.name(), expr(a.value()));
            case Stmt.If i -> new Stmt.If(expr(i.cond()), i.then().stream().map(this::stmt).toList());
            case Stmt.Call c -> new Stmt.Call(c.kernel(), c.args().stream().map(a -> switch (a) {
                case Stmt.PtrArg p -> (Stmt.Arg) new Stmt.PtrArg(b(p.buffer()), expr(p.offset()));
                case Stmt.ScalarArg sa -> new Stmt.ScalarArg(expr(sa.value()));
                case Stmt.NullArg na -> na;
            }).toList());
        };
    }

    private Expr expr(Expr e) {
        return switch (e) {
            case Expr.Load l -> new Expr.Load(b(l.buffer()), expr(l.index()));
            case Expr.Unary u -> new Expr.Unary(u.op(), expr(u.a()));
            case Expr.Binary bi -> new Expr.Binary(bi.op(), expr(bi.a()), expr(bi.b()));
            case Expr.Select s -> new Expr.Select(expr(s.cond()), expr(s.a()), expr(s.b()));
            case Expr.Cast c -> new Expr.Cast(c.type(), expr(c.a()));
            default -> e;
        };
    }
}
