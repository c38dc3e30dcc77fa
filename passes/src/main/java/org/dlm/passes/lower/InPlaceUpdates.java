package org.dlm.passes.lower;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * When an output may be written straight into a parameter's buffer (a training step's
 * {@code new/<p>} output into {@code p}) without any statement reading an overwritten value.
 * Checked on the lowered program before the output is renamed to the parameter, where reads of
 * the old value ({@code p}) and of the new one (the output) are still told apart:
 *
 * <ul>
 *   <li>no statement writes the parameter;</li>
 *   <li>after the first top-level statement that touches the output, no statement touches the
 *       parameter;</li>
 *   <li>that first statement touches the parameter only if it is an elementwise loop: a loop of
 *       step 1 whose body is plain stores and locals (no nested loop, condition or call), every
 *       access to the output and the parameter at index {@code i} (the loop variable), and no load
 *       of the parameter after the first store to the output in body order. Each iteration then
 *       reads element {@code i} of the old value before it writes element {@code i} of the new
 *       one, and no iteration reads an element another one wrote (so it may run in parallel).</li>
 * </ul>
 *
 * Otherwise the output keeps its own buffer and the caller copies it (the fallback).
 */
public final class InPlaceUpdates {
    private InPlaceUpdates() {}

    /** Whether {@code out} may share {@code param}'s memory in {@code body} (same element type and size required). */
    public static boolean safe(List<Stmt> body, Buffer out, Buffer param) {
        if (out.dtype() != param.dtype() || out.elements() != param.elements()) return false;
        int first = -1;
        for (int s = 0; s < body.size(); s++) {
            Stmt st = body.get(s);
            if (writes(st, param.name())) return false;
            Set<String> used = new HashSet<>();
            MemoryPlanner.visit(st, used::add);
            if (first < 0) {
                if (!used.contains(out.name())) continue;
                first = s;
                if (used.contains(param.name()) && !elementwise(st, out.name(), param.name())) return false;
            } else if (used.contains(param.name())) return false;
        }
        return first >= 0;
    }

    /** A step-1 loop of stores and locals accessing both buffers only at the loop variable, old value read before the new one is stored. */
    static boolean elementwise(Stmt s, String out, String param) {
        if (!(s instanceof Stmt.Loop l) || l.step() != 1) return false;
        boolean stored = false;
        for (Stmt b : l.body()) {
            List<Expr.Load> loads = new ArrayList<>();
            switch (b) {
                case Stmt.Store st -> {
                    loads.addAll(st.index().loads());
                    loads.addAll(st.value().loads());
                }
                case Stmt.Declare d -> loads.addAll(d.init().loads());
                case Stmt.Assign a -> loads.addAll(a.value().loads());
                default -> { return false; }
            }
            for (Expr.Load ld : loads) {
                String n = ld.buffer().name();
                if (!n.equals(out) && !n.equals(param)) continue;
                if (!atVar(ld.index(), l.var())) return false;
                if (n.equals(param) && stored) return false;
            }
            if (b instanceof Stmt.Store st && (st.buffer().name().equals(out) || st.buffer().name().equals(param))) {
                if (!atVar(st.index(), l.var())) return false;
                stored = true;
            }
        }
        return true;
    }

    private static boolean atVar(Expr index, String var) {
        return index instanceof Expr.Var v && v.name().equals(var);
    }

    /** Whether {@code s} stores into {@code buffer} (lowerings pass parameters to calls only as operands, never as results). */
    private static boolean writes(Stmt s, String buffer) {
        return switch (s) {
            case Stmt.Loop l -> l.body().stream().anyMatch(b -> writes(b, buffer));
            case Stmt.If i -> i.then().stream().anyMatch(b -> writes(b, buffer));
            case Stmt.Store st -> st.buffer().name().equals(buffer);
            default -> false;
        };
    }
}
