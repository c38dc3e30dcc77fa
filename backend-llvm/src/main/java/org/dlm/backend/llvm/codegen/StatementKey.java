package org.dlm.backend.llvm.codegen;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * A top-level statement up to the names of its buffers and variables: buffers are renamed
 * {@code b0, b1, ...} and variables {@code v0, v1, ...} in order of first appearance, so the
 * im2col loops of two ResNet layers of one shape, or two GEMM calls of one size, get equal keys
 * and share one compiled function that takes the buffers' addresses as arguments. What else the
 * emitted code depends on is part of the key too: the buffers' dtypes, and the place of each
 * buffer that may overlap another of the statement (memory planning reuses arena space, e.g. an
 * elementwise op writing over its input): such buffers are not passed but addressed from the
 * tables at their constant offsets as before, so LLVM still sees how they overlap.
 */
record StatementKey(Stmt canonical, List<DType> dtypes, List<String> placed) {
    /** The key of {@code s}, whose buffers in first-appearance order are {@code used}. */
    static StatementKey of(Stmt s, List<Buffer> used) {
        Renamer r = new Renamer();
        for (Buffer b : used) r.buffer(b);
        List<DType> dtypes = used.stream().map(Buffer::dtype).toList();
        List<String> placed = new ArrayList<>();
        for (Buffer b : used) placed.add(passed(b, used) ? "" : b.kind() + " " + b.slot() + " " + b.offset());
        return new StatementKey(r.stmt(s), dtypes, placed);
    }

    /** Whether {@code b} is passed as an argument: it cannot share memory with another of {@code used}. */
    static boolean passed(Buffer b, List<Buffer> used) { return !mayOverlapAny(b, used); }

    /** Whether {@code b} may share memory with another of {@code used}. */
    static boolean mayOverlapAny(Buffer b, List<Buffer> used) {
        for (Buffer o : used) if (o != b && !o.name().equals(b.name()) && mayOverlap(b, o)) return true;
        return false;
    }

    /**
     * Inputs, outputs, parameters and temporaries live in different allocations; inputs and
     * outputs are one tensor per slot; parameters and temporaries overlap when their byte ranges
     * in the block or arena do (memory planning reuses arena space).
     */
    private static boolean mayOverlap(Buffer a, Buffer b) {
        if (a.kind() != b.kind()) return false;
        return switch (a.kind()) {
            case INPUT, OUTPUT -> a.slot() == b.slot();
            case PARAM, TEMP -> a.offset() < b.offset() + Math.max(1, b.byteSize()) && b.offset() < a.offset() + Math.max(1, a.byteSize());
        };
    }

    private static final class Renamer {
        private final Map<String, Buffer> buffers = new HashMap<>();
        private final Map<String, String> vars = new HashMap<>();

        Buffer buffer(Buffer b) {
            return buffers.computeIfAbsent(b.name(), n -> new Buffer("b" + buffers.size(), Buffer.Kind.TEMP, b.dtype(), 0, 0, 0));
        }

        String var(String name) { return vars.computeIfAbsent(name, n -> "v" + vars.size()); }

        List<Stmt> stmts(List<Stmt> body) {
            List<Stmt> out = new ArrayList<>(body.size());
            for (Stmt s : body) out.add(stmt(s));
            return out;
        }

        Stmt stmt(Stmt s) {
            return switch (s) {
                case Stmt.Loop l -> {
                    Expr extent = expr(l.extent());
                    yield new Stmt.Loop(var(l.var()), extent, l.step(), l.parallel(), stmts(l.body()));
                }
                case Stmt.Store st -> new Stmt.Store(buffer(st.buffer()), expr(st.index()), expr(st.value()));
                case Stmt.Declare d -> {
                    Expr init = expr(d.init());
                    yield new Stmt.Declare(var(d.name()), d.type(), init);
                }
                case Stmt.Assign a -> new Stmt.Assign(var(a.name()), expr(a.value()));
                case Stmt.If i -> new Stmt.If(expr(i.cond()), stmts(i.then()));
                case Stmt.Call c -> {
                    List<Stmt.Arg> args = new ArrayList<>();
                    for (Stmt.Arg a : c.args()) {
                        args.add(switch (a) {
                            case Stmt.ScalarArg sa -> new Stmt.ScalarArg(expr(sa.value()));
                            case Stmt.PtrArg p -> new Stmt.PtrArg(buffer(p.buffer()), expr(p.offset()));
                            case Stmt.NullArg n -> n;
                        });
                    }
                    yield new Stmt.Call(c.kernel(), args);
                }
            };
        }

        Expr expr(Expr e) {
            return switch (e) {
                case Expr.Const c -> c;
                case Expr.Var v -> new Expr.Var(var(v.name()), v.type());
                case Expr.Load l -> new Expr.Load(buffer(l.buffer()), expr(l.index()));
                case Expr.Unary u -> new Expr.Unary(u.op(), expr(u.a()));
                case Expr.Binary b -> new Expr.Binary(b.op(), expr(b.a()), expr(b.b()));
                case Expr.Select s -> new Expr.Select(expr(s.cond()), expr(s.a()), expr(s.b()));
                case Expr.Cast c -> new Expr.Cast(c.type(), expr(c.a()));
            };
        }
    }
}
