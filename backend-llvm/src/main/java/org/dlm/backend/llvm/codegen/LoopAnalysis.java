package org.dlm.backend.llvm.codegen;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.ir.DType;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * What code generation needs to know before running a Kernel IR loop on the thread pool: the
 * variables its body reads from outside (they travel in the outlined function's context), a
 * guard that its iterations really write disjoint places, and an estimate of its work (so that
 * small loops stay inline: handing work to other threads costs microseconds).
 */
final class LoopAnalysis {
    private LoopAnalysis() {}

    /** Variables used in {@code body} but defined outside it (not the loop variable {@code own}), in first-use order, with their types. */
    static Map<String, DType> freeVars(String own, List<Stmt> body) {
        Map<String, DType> used = new LinkedHashMap<>();
        Set<String> defined = new HashSet<>();
        defined.add(own);
        collect(body, used, defined);
        used.keySet().removeAll(defined);
        return used;
    }

    private static void collect(List<Stmt> body, Map<String, DType> used, Set<String> defined) {
        for (Stmt s : body) {
            switch (s) {
                case Stmt.Loop l -> {
                    vars(l.extent(), used);
                    defined.add(l.var());
                    collect(l.body(), used, defined);
                }
                case Stmt.Store st -> { vars(st.index(), used); vars(st.value(), used); }
                case Stmt.Declare d -> { vars(d.init(), used); defined.add(d.name()); }
                case Stmt.Assign a -> { vars(a.value(), used); used.putIfAbsent(a.name(), a.value().type()); }
                case Stmt.If i -> { vars(i.cond(), used); collect(i.then(), used, defined); }
                case Stmt.Call c -> {
                    for (Stmt.Arg arg : c.args()) {
                        if (arg instanceof Stmt.ScalarArg sa) vars(sa.value(), used);
                        if (arg instanceof Stmt.PtrArg p) vars(p.offset(), used);
                    }
                }
            }
        }
    }

    static void vars(Expr e, Map<String, DType> out) {
        switch (e) {
            case Expr.Var v -> out.putIfAbsent(v.name(), v.type());
            case Expr.Const c -> {}
            case Expr.Load l -> vars(l.index(), out);
            case Expr.Unary u -> vars(u.a(), out);
            case Expr.Binary b -> { vars(b.a(), out); vars(b.b(), out); }
            case Expr.Select s -> { vars(s.cond(), out); vars(s.a(), out); vars(s.b(), out); }
            case Expr.Cast c -> vars(c.a(), out);
        }
    }

    private static boolean mentions(Expr e, Set<String> names) {
        Map<String, DType> vs = new LinkedHashMap<>();
        vars(e, vs);
        for (String v : vs.keySet()) if (names.contains(v)) return true;
        return false;
    }

    /**
     * A guard under the {@code parallel} promise: every store (and every GEMM's output) of an
     * iteration must be addressed through the loop variable (directly or through locals computed
     * from it), and no variable from outside may be assigned. A loop that fails, e.g. one that
     * reuses a single scratch buffer in every iteration, runs serially.
     */
    static boolean independent(Stmt.Loop loop) { return independent(loop, Set.of()); }

    /** {@link #independent(Stmt.Loop)} where the buffers {@code privateScratch} get a copy per thread (their stores are exempt). */
    static boolean independent(Stmt.Loop loop, Set<String> privateScratch) {
        Set<String> tainted = new HashSet<>();
        tainted.add(loop.var());
        for (int pass = 0; pass < 2; pass++) taint(loop.body(), tainted);
        Set<String> outside = freeVars(loop.var(), loop.body()).keySet();
        return disjoint(loop.body(), tainted, outside, privateScratch);
    }

    /** The buffers {@code body} reads or writes (loads, stores, microkernel pointer arguments). */
    static Map<String, org.dlm.ir.kernel.Buffer> buffers(List<Stmt> body) {
        Map<String, org.dlm.ir.kernel.Buffer> out = new LinkedHashMap<>();
        for (Stmt s : body) {
            switch (s) {
                case Stmt.Loop l -> { buffers(l.extent(), out); out.putAll(buffers(l.body())); }
                case Stmt.Store st -> { out.putIfAbsent(st.buffer().name(), st.buffer()); buffers(st.index(), out); buffers(st.value(), out); }
                case Stmt.Declare d -> buffers(d.init(), out);
                case Stmt.Assign a -> buffers(a.value(), out);
                case Stmt.If i -> { buffers(i.cond(), out); out.putAll(buffers(i.then())); }
                case Stmt.Call c -> {
                    for (Stmt.Arg arg : c.args()) {
                        if (arg instanceof Stmt.ScalarArg sa) buffers(sa.value(), out);
                        if (arg instanceof Stmt.PtrArg p) { out.putIfAbsent(p.buffer().name(), p.buffer()); buffers(p.offset(), out); }
                    }
                }
            }
        }
        return out;
    }

    private static void buffers(Expr e, Map<String, org.dlm.ir.kernel.Buffer> out) {
        switch (e) {
            case Expr.Var v -> {}
            case Expr.Const c -> {}
            case Expr.Load l -> { out.putIfAbsent(l.buffer().name(), l.buffer()); buffers(l.index(), out); }
            case Expr.Unary u -> buffers(u.a(), out);
            case Expr.Binary b -> { buffers(b.a(), out); buffers(b.b(), out); }
            case Expr.Select s -> { buffers(s.cond(), out); buffers(s.a(), out); buffers(s.b(), out); }
            case Expr.Cast c -> buffers(c.a(), out);
        }
    }

    private static void taint(List<Stmt> body, Set<String> tainted) {
        for (Stmt s : body) {
            switch (s) {
                case Stmt.Loop l -> {
                    if (mentions(l.extent(), tainted)) tainted.add(l.var());
                    taint(l.body(), tainted);
                }
                case Stmt.Declare d -> { if (mentions(d.init(), tainted)) tainted.add(d.name()); }
                case Stmt.Assign a -> { if (mentions(a.value(), tainted)) tainted.add(a.name()); }
                case Stmt.If i -> taint(i.then(), tainted);
                default -> {}
            }
        }
    }

    private static boolean disjoint(List<Stmt> body, Set<String> tainted, Set<String> outside, Set<String> own) {
        for (Stmt s : body) {
            boolean ok = switch (s) {
                case Stmt.Loop l -> disjoint(l.body(), tainted, outside, own);
                case Stmt.Store st -> own.contains(st.buffer().name()) || mentions(st.index(), tainted);
                case Stmt.Declare d -> true;
                case Stmt.Assign a -> !outside.contains(a.name());
                case Stmt.If i -> disjoint(i.then(), tainted, outside, own);
                case Stmt.Call c -> c.args().get(org.dlm.ir.kernel.Microkernels.outputArg(c.kernel())) instanceof Stmt.PtrArg out
                        && (own.contains(out.buffer().name()) || mentions(out.offset(), tainted));
            };
            if (!ok) return false;
        }
        return true;
    }

    /** Size of {@code body} in Kernel IR nodes (statements and expression nodes), a proxy for its LLVM compile cost. */
    static double size(List<Stmt> body) {
        double n = 0;
        for (Stmt s : body) {
            n += 1 + switch (s) {
                case Stmt.Loop l -> size(l.extent()) + size(l.body());
                case Stmt.Store st -> size(st.index()) + size(st.value());
                case Stmt.Declare d -> size(d.init());
                case Stmt.Assign a -> size(a.value());
                case Stmt.If i -> size(i.cond()) + size(i.then());
                case Stmt.Call c -> c.args().size();
            };
        }
        return n;
    }

    /** Rough cost in scalar operations (a GEMM counts 2mnk/16: it runs vectorized near peak). */
    static double work(List<Stmt> body) {
        double w = 0;
        for (Stmt s : body) {
            w += switch (s) {
                case Stmt.Loop l -> trips(l) * (1 + work(l.body()));
                case Stmt.Store st -> 1 + size(st.value());
                case Stmt.Declare d -> size(d.init());
                case Stmt.Assign a -> size(a.value());
                case Stmt.If i -> 1 + work(i.then());
                case Stmt.Call c -> gemmFlops(c) / 16;
            };
        }
        return w;
    }

    /** Iterations of {@code l}; a run-time extent counts as a short inner loop. */
    static double trips(Stmt.Loop l) {
        return l.extent() instanceof Expr.Const c ? Math.max(0, Math.ceil(c.value() / l.step())) : 16;
    }

    /** 2mnk of a GEMM call with constant sizes, else a medium guess. */
    static double gemmFlops(Stmt.Call c) {
        if (c.kernel().equals(org.dlm.ir.kernel.Microkernels.SCONV_DIRECT)) {
            long[] v = new long[10];
            for (int i = 0; i < 10; i++) {
                if (c.args().get(i) instanceof Stmt.ScalarArg s && s.value() instanceof Expr.Const k) v[i] = (long) k.value();
                else return 1 << 20;
            }
            // o, c, ih, iw, kh, kw, sh, sw, dh, dw; the kernel computes (oh - 1)·pw + ow grid positions
            long oh = (v[2] - (v[4] - 1) * v[8] - 1) / v[6] + 1, pw = (v[3] + v[7] - 1) / v[7];
            return 2.0 * v[0] * v[1] * v[4] * v[5] * oh * pw;
        }
        if (c.kernel().equals(org.dlm.ir.kernel.Microkernels.SCONV_WGRAD)) {
            long[] v = new long[9];
            for (int i = 0; i < 9; i++) {
                if (c.args().get(i) instanceof Stmt.ScalarArg s && s.value() instanceof Expr.Const k) v[i] = (long) k.value();
                else return 1 << 20;
            }
            // o, c, ih, iw, kh, kw, dh, dw, n; (oh - 1)·iw + ow positions per plane
            long oh = v[2] - (v[4] - 1) * v[6], ow = v[3] - (v[5] - 1) * v[7];
            return 2.0 * v[0] * v[1] * v[4] * v[5] * v[8] * ((oh - 1) * v[3] + ow);
        }
        long[] mnk = new long[3];
        for (int i = 0; i < 3; i++) {
            if (c.args().get(i) instanceof Stmt.ScalarArg s && s.value() instanceof Expr.Const k) mnk[i] = (long) k.value();
            else return 1 << 20;
        }
        return 2.0 * mnk[0] * mnk[1] * mnk[2];
    }

    private static double size(Expr e) {
        return switch (e) {
            case Expr.Var v -> 0;
            case Expr.Const c -> 0;
            case Expr.Load l -> 1;
            case Expr.Unary u -> (switch (u.op()) { case EXP, LOG, TANH, ERF, SIN, COS -> 12; case SQRT -> 4; default -> 1; }) + size(u.a());
            case Expr.Binary b -> (b.op() == Expr.BinOp.DIV || b.op() == Expr.BinOp.POW ? 4 : 1) + size(b.a()) + size(b.b());
            case Expr.Select s -> 1 + size(s.cond()) + size(s.a()) + size(s.b());
            case Expr.Cast c -> 1 + size(c.a());
        };
    }
}
