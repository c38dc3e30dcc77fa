package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dlm.frontend.ast.Expr;
import org.dlm.ir.Dim;

/** The built-in functions: {@code Sequential}, {@code len}, {@code float}, {@code int}, {@code shape}, {@code rank}, {@code dtype}, {@code is_list}, {@code is_tensor}. */
final class Calls {
    private Calls() {}

    static Object builtin(Elaborator el, Reporter rep, String name, List<PrimCalls.Arg> pos, Map<String, PrimCalls.Arg> named, Expr.Call c) {
        if (name.equals("prim")) {
            rep.error(c.span(), "prim is a namespace; call an op like prim.relu(x)");
            return Values.Poison.POISON;
        }
        if (!named.isEmpty()) {
            rep.error(named.values().iterator().next().span(), name + " takes no named arguments");
            return Values.Poison.POISON;
        }
        if (name.equals("Sequential")) return sequential(rep, pos, c);
        if (pos.size() != 1) {
            rep.error(c.span(), name + " takes 1 argument, got " + pos.size());
            return Values.Poison.POISON;
        }
        Object v = pos.get(0).value();
        Object r = switch (name) {
            case "len" -> v instanceof List<?> l ? (Object) (long) l.size()
                    : v instanceof String s ? (Object) (long) s.length()
                    : v instanceof Values.Tensor t && t.node().shape().rank() > 0 ? Arith.norm(t.node().shape().dim(0)) : null;
            case "float" -> v instanceof Long l ? (Object) l.doubleValue() : v instanceof Double ? v : null;
            case "int" -> v instanceof Long ? v : v instanceof Double d && Double.isFinite(d) && Math.abs(d) < 9.2e18 ? (Object) (long) (double) d
                    : v instanceof Dim ? v : null;
            case "shape" -> v instanceof Values.Tensor t
                    ? java.util.Collections.unmodifiableList(t.node().shape().dims().stream().map(Arith::norm).toList()) : null;
            case "rank" -> v instanceof Values.Tensor t ? (Object) (long) t.node().shape().rank() : null;
            case "dtype" -> v instanceof Values.Tensor t ? t.node().dtype() : null;
            case "is_list" -> v instanceof List;
            case "is_tensor" -> v instanceof Values.Tensor;
            default -> null;
        };
        if (r == null) {
            rep.error(pos.get(0).span(), name + " cannot take " + Values.typeName(v));
            return Values.Poison.POISON;
        }
        return r;
    }

    private static Object sequential(Reporter rep, List<PrimCalls.Arg> pos, Expr.Call c) {
        List<Object> children = new ArrayList<>();
        for (PrimCalls.Arg a : pos) {
            if (a.value() instanceof List<?> l && pos.size() == 1) children.addAll(l);
            else children.add(a.value());
        }
        for (Object ch : children) {
            if (ch == Values.Poison.POISON) return ch;
            if (!(ch instanceof Values.LayerCtor || ch instanceof Values.SequentialCtor)) {
                rep.error(c.span(), "Sequential takes layers, got " + Values.typeName(ch), "e.g. Sequential(Conv2d(3, 16, kernel = 3), BatchNorm2d(16))");
                return Values.Poison.POISON;
            }
        }
        return new Values.SequentialCtor(List.copyOf(children), c.span());
    }
}
