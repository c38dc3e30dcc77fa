package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.List;
import org.dlm.frontend.ast.Expr;
import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;

/**
 * Subscripts: {@code list[i]} and {@code list[a:b]} at compile time; on tensors {@code x[0]},
 * {@code x[:, 1:3]}, {@code x[..., ::2]} lower to {@code slice} (and {@code squeeze} for single
 * indices, which drop their axis).
 */
final class Indexing {
    private Indexing() {}

    static Object index(Elaborator el, Reporter rep, PrimCalls prims, Expr.Index ix, Object target, Env env) {
        List<Object> idx = new ArrayList<>();
        for (Expr.IndexItem it : ix.items()) {
            switch (it) {
                case Expr.Point p -> idx.add(el.eval(p.index(), env));
                case Expr.Slice s -> idx.add(new Object[] {
                        s.lo() == null ? null : el.eval(s.lo(), env), s.hi() == null ? null : el.eval(s.hi(), env),
                        s.step() == null ? null : el.eval(s.step(), env)});
            }
        }
        if (target == Values.Poison.POISON || idx.stream().anyMatch(Indexing::poisoned)) return Values.Poison.POISON;
        if (target instanceof List<?> l) return list(rep, ix, l, idx);
        if (target instanceof Values.Tensor t) return tensor(rep, prims, ix, t, idx);
        rep.error(ix.span(), Values.typeName(target) + " cannot be indexed");
        return Values.Poison.POISON;
    }

    private static boolean poisoned(Object o) {
        if (o == Values.Poison.POISON) return true;
        if (o instanceof Object[] a) for (Object x : a) if (x == Values.Poison.POISON) return true;
        return false;
    }

    private static Object list(Reporter rep, Expr.Index ix, List<?> l, List<Object> idx) {
        if (idx.size() != 1) {
            rep.error(ix.span(), "a list takes one index, got " + idx.size());
            return Values.Poison.POISON;
        }
        Object i = idx.get(0);
        if (i instanceof Long k) {
            long j = k < 0 ? k + l.size() : k;
            if (j < 0 || j >= l.size()) {
                rep.error(ix.items().get(0).span(), "index " + k + " is out of range for a list of " + l.size());
                return Values.Poison.POISON;
            }
            return l.get((int) j);
        }
        if (i instanceof Object[] s) {
            Long lo = bound(rep, ix, s[0], 0L), hi = bound(rep, ix, s[1], (long) l.size()), st = bound(rep, ix, s[2], 1L);
            if (lo == null || hi == null || st == null) return Values.Poison.POISON;
            if (st <= 0) {
                rep.error(ix.span(), "a slice step must be positive");
                return Values.Poison.POISON;
            }
            long a = Math.clamp(lo < 0 ? lo + l.size() : lo, 0, l.size()), b = Math.clamp(hi < 0 ? hi + l.size() : hi, 0, l.size());
            List<Object> out = new ArrayList<>();
            for (long k = a; k < b; k += st) out.add(l.get((int) k));
            return java.util.Collections.unmodifiableList(out);
        }
        rep.error(ix.items().get(0).span(), "a list index must be an integer, got " + Values.typeName(i));
        return Values.Poison.POISON;
    }

    private static Long bound(Reporter rep, Expr.Index ix, Object v, Long dflt) {
        if (v == null) return dflt;
        if (v instanceof Long l) return l;
        if (v instanceof Dim d && d.isConst()) return d.value();
        rep.error(ix.span(), "slice bounds must be known integers, got " + Values.typeName(v));
        return null;
    }

    private static Object tensor(Reporter rep, PrimCalls prims, Expr.Index ix, Values.Tensor t, List<Object> idx) {
        Node x = t.node();
        int rank = x.shape().rank();
        if (idx.size() > rank) {
            rep.error(ix.span(), "too many indices (" + idx.size() + ") for " + x.type());
            return Values.Poison.POISON;
        }
        List<Long> starts = new ArrayList<>(), ends = new ArrayList<>(), axes = new ArrayList<>(), steps = new ArrayList<>(), squeeze = new ArrayList<>();
        for (int k = 0; k < idx.size(); k++) {
            Object i = idx.get(k);
            Dim size = x.shape().dim(k);
            if (i instanceof Long p) {
                if (size.isConst() && (p >= size.value() || p < -size.value())) {
                    rep.error(ix.items().get(k).span(), "index " + p + " is out of range for dimension " + k + " of " + x.type());
                    return Values.Poison.POISON;
                }
                starts.add(p);
                ends.add(p == -1 ? Long.MAX_VALUE : p + 1);
                axes.add((long) k);
                steps.add(1L);
                squeeze.add((long) k);
            } else if (i instanceof Object[] s) {
                if (s[0] == null && s[1] == null && s[2] == null) continue;
                Long lo = bound(rep, ix, s[0], 0L), hi = bound(rep, ix, s[1], Long.MAX_VALUE), st = bound(rep, ix, s[2], 1L);
                if (lo == null || hi == null || st == null) return Values.Poison.POISON;
                if (st <= 0) {
                    rep.error(ix.items().get(k).span(), "a slice step must be positive");
                    return Values.Poison.POISON;
                }
                starts.add(lo);
                ends.add(hi);
                axes.add((long) k);
                steps.add(st);
            } else {
                rep.error(ix.items().get(k).span(), "a tensor index must be a known integer or a slice, got " + Values.typeName(i),
                        "select by tensor indices with gather(x, ids, axis)");
                return Values.Poison.POISON;
            }
        }
        Object r = t;
        if (!starts.isEmpty())
            r = prims.node("slice", List.of(x), Attrs.of("starts", starts, "ends", ends, "axes", axes, "steps", steps), ix.span());
        if (!squeeze.isEmpty() && r instanceof Values.Tensor s)
            r = prims.node("squeeze", List.of(s.node()), Attrs.of("axes", squeeze), ix.span());
        return r;
    }
}
