package org.dlm.passes.lower;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * Fuses adjacent top-level elementwise loops over the same range into one loop, so that a value
 * stored by the first is read back by the second in the same iteration instead of in a second
 * pass over memory: a training step's optimizer updates ({@code m = β·m + g}, then
 * {@code p = p − lr·m}) become one pass over each parameter.
 *
 * <p>Two loops fuse when both have step 1, the same constant extent and the same {@code parallel}
 * flag, their bodies are plain stores and locals (no nested loop, condition, call or assignment),
 * and every buffer that one of them stores and the other touches is accessed by both only at the
 * loop variable: then iteration {@code i} of the fused loop does exactly what iterations
 * {@code i} of the two loops did to those buffers, in the same order, and no iteration touches an
 * element another one stores. Runs before memory planning, where distinct buffer names are
 * distinct memory.
 */
final class LoopFusion {
    private LoopFusion() {}

    static List<Stmt> fuseAdjacent(List<Stmt> body) {
        List<Stmt> out = new ArrayList<>();
        for (Stmt s : body) {
            if (!out.isEmpty() && out.getLast() instanceof Stmt.Loop a && s instanceof Stmt.Loop b && fusable(a, b)) {
                List<Stmt> merged = new ArrayList<>(a.body());
                for (Stmt t : b.body()) merged.add(renameVar(t, b.var(), a.var()));
                out.set(out.size() - 1, new Stmt.Loop(a.var(), a.extent(), 1, a.parallel(), merged));
            } else out.add(s);
        }
        return out;
    }

    /** At most this many stores in a fused body (each one more stream through memory). */
    static final int MAX_STORES = 8;

    static boolean fusable(Stmt.Loop a, Stmt.Loop b) {
        if (a.body().stream().filter(t -> t instanceof Stmt.Store).count() + b.body().stream().filter(t -> t instanceof Stmt.Store).count() > MAX_STORES) return false;
        if (a.step() != 1 || b.step() != 1 || a.parallel() != b.parallel() || !(a.extent() instanceof Expr.Const ea)
                || !(b.extent() instanceof Expr.Const eb) || ea.value() != eb.value() || !flat(a) || !flat(b)) return false;
        Set<String> localsA = new HashSet<>(List.of(a.var()));
        for (Stmt t : a.body()) if (t instanceof Stmt.Declare d) localsA.add(d.name());
        for (Stmt t : b.body()) if (t instanceof Stmt.Declare d && localsA.contains(d.name())) return false;
        Set<String> storedA = stored(a), storedB = stored(b);
        Set<String> shared = new HashSet<>();
        for (String n : touched(b)) if (storedA.contains(n)) shared.add(n);
        for (String n : touched(a)) if (storedB.contains(n)) shared.add(n);
        return onlyAtVar(a, shared) && onlyAtVar(b, shared);
    }

    private static boolean flat(Stmt.Loop l) {
        if (l.body().isEmpty()) return false;
        for (Stmt s : l.body()) if (!(s instanceof Stmt.Store) && !(s instanceof Stmt.Declare)) return false;
        return true;
    }

    private static Set<String> stored(Stmt.Loop l) {
        Set<String> s = new HashSet<>();
        for (Stmt t : l.body()) if (t instanceof Stmt.Store st) s.add(st.buffer().name());
        return s;
    }

    private static Set<String> touched(Stmt.Loop l) {
        Set<String> s = new HashSet<>();
        MemoryPlanner.visit(l, s::add);
        return s;
    }

    /** Every load and store of one of {@code buffers} in the loop's body is at index {@code var}. */
    private static boolean onlyAtVar(Stmt.Loop l, Set<String> buffers) {
        if (buffers.isEmpty()) return true;
        for (Stmt t : l.body()) {
            List<Expr.Load> loads = new ArrayList<>();
            switch (t) {
                case Stmt.Store st -> {
                    if (buffers.contains(st.buffer().name()) && !atVar(st.index(), l.var())) return false;
                    loads.addAll(st.index().loads());
                    loads.addAll(st.value().loads());
                }
                case Stmt.Declare d -> loads.addAll(d.init().loads());
                default -> { return false; }
            }
            for (Expr.Load ld : loads) if (buffers.contains(ld.buffer().name()) && !atVar(ld.index(), l.var())) return false;
        }
        return true;
    }

    private static boolean atVar(Expr index, String var) { return index instanceof Expr.Var v && v.name().equals(var); }

    private static Stmt renameVar(Stmt s, String from, String to) {
        return switch (s) {
            case Stmt.Store st -> new Stmt.Store(st.buffer(), rename(st.index(), from, to), rename(st.value(), from, to));
            case Stmt.Declare d -> new Stmt.Declare(d.name(), d.type(), rename(d.init(), from, to));
            default -> throw new IllegalStateException("not a flat loop body: " + s);
        };
    }

    private static Expr rename(Expr e, String from, String to) {
        return switch (e) {
            case Expr.Var v when v.name().equals(from) -> new Expr.Var(to, v.type());
            case Expr.Load l -> new Expr.Load(l.buffer(), rename(l.index(), from, to));
            case Expr.Unary u -> new Expr.Unary(u.op(), rename(u.a(), from, to));
            case Expr.Binary b -> new Expr.Binary(b.op(), rename(b.a(), from, to), rename(b.b(), from, to));
            case Expr.Select s -> new Expr.Select(rename(s.cond(), from, to), rename(s.a(), from, to), rename(s.b(), from, to));
            case Expr.Cast c -> new Expr.Cast(c.type(), rename(c.a(), from, to));
            default -> e;
        };
    }
}
