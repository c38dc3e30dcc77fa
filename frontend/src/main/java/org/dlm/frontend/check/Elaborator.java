package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.frontend.ast.Decl;
import org.dlm.frontend.ast.Expr;
import org.dlm.frontend.ast.ParamSpec;
import org.dlm.frontend.ast.Span;
import org.dlm.frontend.ast.Stmt;
import org.dlm.frontend.ast.TypeExpr;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;

/**
 * Checks a model by running it symbolically: compile-time values (ints, layer configurations,
 * lists) are computed, layers are placed at their dotted paths, and every tensor operation builds
 * a Graph IR node whose shape rule checks it. Symbolic dims ({@code B}) stay symbolic, so one
 * check covers every batch size. Errors become diagnostics and yield a poison value that silences
 * follow-up errors, so all independent mistakes are reported at once.
 */
final class Elaborator {
    static final long MAX_STEPS = 1_000_000;
    static final int MAX_CALL_DEPTH = 100;
    static final long MAX_LIST = 1_000_000;
    static final long MAX_PARAM_BYTES = 1L << 40;

    /** Stops elaboration after a fatal diagnostic (endless evaluation). */
    static final class Abort extends RuntimeException {
        Abort() { super(null, null, false, false); }
    }

    private static final Object NO_RETURN = new Object();
    private static final Values.Poison POISON = Values.Poison.POISON;

    private final Reporter reporter;
    private final PrimCalls prims;
    private final TypeMatcher types;
    private final Operators operators;
    private long steps;
    private int depth;

    /** The params of the model being lowered. */
    private ModelParams params;

    Elaborator(Reporter reporter) {
        this.reporter = reporter;
        this.prims = new PrimCalls(reporter);
        this.types = new TypeMatcher(reporter, this);
        this.operators = new Operators(reporter, prims);
    }

    // ------------------------------------------------------------------ models

    /** Lowers model {@code ref} to a graph, or null when it has errors (reported). */
    Graph model(Values.FnRef ref) {
        Decl.Fn d = ref.decl();
        params = new ModelParams(reporter, this, d.name());
        int before = reporter.errorCount();
        try {
            Env args = bindArgs(d.name(), d.params(), ref.module(), List.of(), Map.of(), d.nameSpan());
            if (args == null) return null;
            Values.Instance inst = instantiate(new Values.LayerCtor(ref, args.vars, d.nameSpan()), "");
            if (inst == null || inst.forward() == null) return null;
            Stmt.Forward f = inst.forward();
            Env env = new Env(new Env(null, ref.module(), inst.members()), ref.module());
            List<Node> inputs = new ArrayList<>();
            for (ParamSpec p : f.params()) {
                Node in = modelInput(p, env);
                if (in == null) continue;
                inputs.add(in);
                env.define(p.name(), new Values.Tensor(in));
            }
            if (inputs.size() != f.params().size()) return null;
            Object out = runBody(f.body(), env, f.span(), "forward of model " + d.name());
            if (out == POISON) return null;
            List<Object> outs = out instanceof Values.Results rs ? rs.values() : List.of(out);
            List<Stmt.Result> declared = f.results();
            if (outs.size() != Math.max(1, declared.size())) return null;  // reported by the resolver
            List<Graph.Output> outputs = new ArrayList<>();
            for (int k = 0; k < outs.size(); k++) {
                Stmt.Result res = k < declared.size() ? declared.get(k) : null;
                boolean one = outs.size() == 1;
                String what = one ? "forward of model " + d.name() : "result '" + res.name() + "' of model " + d.name();
                if (!(outs.get(k) instanceof Values.Tensor t)) {
                    reporter.error(one ? f.span() : res.span(), what + (one ? " must return a tensor, got " : " must be a tensor, got ") + Values.typeName(outs.get(k)));
                    return null;
                }
                if (res != null && !types.match(res.type(), t, env, what + (one ? " declared to return" : " is declared as"), res.type().span(), null, null, true))
                    return null;
                String outName = res != null && res.name() != null ? res.name() : "output";
                if (inputs.stream().anyMatch(n -> n.attrs().getString("name").equals(outName))) {
                    reporter.error(res == null ? f.span() : one ? res.type().span() : res.span(), "the output is named '" + outName + "' like an input", "give the result another name");
                    return null;
                }
                outputs.add(new Graph.Output(outName, t.node()));
            }
            if (reporter.errorCount() > before) return null;
            params.warnUnused(outputs.stream().map(Graph.Output::node).toList());
            return new Graph(d.name(), inputs, params.nodes(), outputs, Map.of("source", d.span().source().name()));
        } catch (Abort a) {
            return null;
        }
    }

    private static Span resultSpan(Stmt.Forward f) {
        return f.result() != null ? f.result().span() : f.span();
    }

    private Node modelInput(ParamSpec p, Env env) {
        TypeExpr t = p.type();
        if (t == null || !t.isTensor()) {
            reporter.error(p.span(), "model input '" + p.name() + "' needs a tensor type", "e.g. " + p.name() + ": f32[B, 784]");
            return null;
        }
        DType dt = DType.fromText(t.name());
        if (dt == null) return null;
        List<Dim> dims = new ArrayList<>();
        for (Expr e : t.dims()) {
            if (e == null) {
                reporter.error(t.span(), "model input '" + p.name() + "' needs a complete shape, not '...'", "name every dimension, e.g. f32[B, 784]");
                return null;
            }
            if (e instanceof Expr.Name n && env.lookup(n.name()) == null) {
                Dim s = Dim.sym(n.name());
                env.define(n.name(), s);
                dims.add(s);
                continue;
            }
            Object v = eval(e, env);
            Dim d = Arith.toDim(v);
            if (d == null) {
                if (v != POISON) reporter.error(e.span(), "a dimension must be an integer, got " + Values.typeName(v));
                return null;
            }
            if (d.isConst() && d.value() < 0) {
                reporter.error(e.span(), "dimension " + d + " is negative");
                return null;
            }
            dims.add(d);
        }
        return Node.of("input", List.of(), Attrs.of("name", p.name(), "dtype", dt, "shape", new Shape(dims)));
    }

    // ------------------------------------------------------------------ layers

    /** Runs a layer body at {@code path}, creating its params and placing its sub-layers. */
    private Values.Instance instantiate(Values.LayerCtor ctor, String path) {
        Decl.Fn d = ctor.fn().decl();
        enter(ctor.span());
        reporter.enterCall(ctor.span());
        try {
            Env env = new Env(null, ctor.fn().module());
            env.vars.putAll(ctor.args());
            Stmt.Forward[] fwd = {null};
            Set<String> declared = new HashSet<>();
            layerBody(d.body(), env, path, fwd, declared);
            return new Values.Instance(ctor.fn(), path, env.vars, fwd[0]);
        } finally {
            depth--;
            reporter.exitCall();
        }
    }

    private void layerBody(List<Stmt> body, Env env, String path, Stmt.Forward[] fwd, Set<String> declared) {
        for (Stmt s : body) {
            step(s.span());
            switch (s) {
                case Stmt.Let l -> {
                    member(l.name(), l.nameSpan(), declared);
                    Object v = eval(l.value(), env);
                    if (l.type() != null) types.match(l.type(), v, env, "'" + l.name() + "' is declared as", l.value().span(), null, null, false);
                    env.define(l.name(), v);
                }
                case Stmt.ParamDecl p -> {
                    member(p.name(), p.nameSpan(), declared);
                    env.define(p.name(), params.declare(p, env, path));
                }
                case Stmt.Assign a -> {
                    member(a.name(), a.nameSpan(), declared);
                    Object v = eval(a.value(), env);
                    if (path.isEmpty()) params.noteField(a.name(), a.value().span());
                    env.define(a.name(), place(v, join(path, a.name()), a.value().span()));
                }
                case Stmt.If i -> {
                    Boolean c = condition(i.cond(), env);
                    if (c != null) layerBody(c ? i.then() : i.otherwise(), env, path, fwd, declared);
                }
                case Stmt.Forward f -> fwd[0] = f;
                case Stmt.Assert a -> check(a, env);
                default -> {}  // reported by the resolver
            }
        }
    }

    private void member(String name, Span span, Set<String> declared) {
        if (!declared.add(name)) reporter.error(span, "'" + name + "' is already declared in this layer");
    }

    static String join(String path, String name) { return path.isEmpty() ? name : path + "." + name; }

    /** Gives layer constructors their place: {@code fc1 = Linear(...)} becomes the instance at path {@code fc1}. */
    private Object place(Object v, String path, Span span) {
        return switch (v) {
            case Values.LayerCtor c -> {
                Values.Instance i = instantiate(c, path);
                yield i == null ? POISON : i;
            }
            case Values.SequentialCtor s -> {
                List<Object> children = new ArrayList<>();
                for (int k = 0; k < s.children().size(); k++) children.add(place(s.children().get(k), path + "." + k, span));
                yield new Values.SequentialInstance(path, List.copyOf(children));
            }
            case List<?> l when l.stream().anyMatch(x -> x instanceof Values.LayerCtor || x instanceof Values.SequentialCtor) -> {
                List<Object> out = new ArrayList<>();
                for (int k = 0; k < l.size(); k++) out.add(place(l.get(k), path + "." + k, span));
                yield java.util.Collections.unmodifiableList(out);
            }
            default -> v;
        };
    }

    // ------------------------------------------------------------------ statements

    /** Runs a function or forward body; its value is what {@code return} gives. */
    private Object runBody(List<Stmt> body, Env env, Span span, String what) {
        Object r = exec(body, env);
        if (r == NO_RETURN) {
            reporter.error(span, what + " ends without return");
            return POISON;
        }
        return r;
    }

    private Object exec(List<Stmt> body, Env env) {
        for (Stmt s : body) {
            step(s.span());
            switch (s) {
                case Stmt.Let l -> {
                    Object v = eval(l.value(), env);
                    if (l.type() != null) types.match(l.type(), v, env, "'" + l.name() + "' is declared as", l.value().span(), null, null, false);
                    env.define(l.name(), v);
                }
                case Stmt.Assign a -> {
                    Object v = eval(a.value(), env);
                    if (!env.assign(a.name(), v)) env.define(a.name(), POISON); // reported by the resolver
                }
                case Stmt.Return r -> {
                    if (!r.several()) return eval(r.value(), env);
                    List<Object> vs = new ArrayList<>();
                    for (Expr e : r.values()) vs.add(eval(e, env));
                    return vs.contains(POISON) ? POISON : new Values.Results(List.copyOf(vs));
                }
                case Stmt.Assert a -> check(a, env);
                case Stmt.If i -> {
                    Boolean c = condition(i.cond(), env);
                    if (c == null) return POISON;
                    Object r = exec(c ? i.then() : i.otherwise(), env.child());
                    if (r != NO_RETURN) return r;
                }
                case Stmt.For f -> {
                    Object it = eval(f.iterable(), env);
                    if (it == POISON) return POISON;
                    if (!(it instanceof List<?> l)) {
                        reporter.error(f.iterable().span(), "for needs a list or a range, got " + Values.typeName(it));
                        return POISON;
                    }
                    for (Object x : l) {
                        Env inner = env.child();
                        inner.define(f.var(), x);
                        Object r = exec(f.body(), inner);
                        if (r != NO_RETURN) return r;
                    }
                }
                default -> {}  // misplaced statements are reported by the resolver
            }
        }
        return NO_RETURN;
    }

    /** {@code assert cond, message}: a failed check is reported at the innermost user call (for std layers) or here. */
    private void check(Stmt.Assert a, Env env) {
        Boolean ok = condition(a.cond(), env);
        if (ok == null || ok) return;
        Object msg = a.message() == null ? null : eval(a.message(), env);
        if (msg == POISON) return;
        String text = msg == null ? "assertion failed" : msg instanceof String s ? s : String.valueOf(msg);
        reporter.error(a.span(), text, null);
    }

    /** A compile-time condition; null (reported) when it is not a bool. */
    private Boolean condition(Expr e, Env env) {
        Object c = eval(e, env);
        if (c instanceof Boolean b) return b;
        if (c != POISON) reporter.error(e.span(), "a condition must be a compile-time bool, got " + Values.typeName(c),
                c instanceof Values.Tensor ? "choose between tensors element by element with where(cond, a, b)" : null);
        return null;
    }

    private void step(Span span) {
        if (++steps > MAX_STEPS) {
            reporter.error(span, "evaluation takes more than " + MAX_STEPS + " steps", "is a loop or a recursion unbounded?");
            throw new Abort();
        }
    }

    private void enter(Span span) {
        if (++depth > MAX_CALL_DEPTH) {
            depth = 0;
            reporter.error(span, "calls nested more than " + MAX_CALL_DEPTH + " deep", "is a function or layer recursive without end?");
            throw new Abort();
        }
    }

    // ------------------------------------------------------------------ expressions

    Object eval(Expr e, Env env) {
        step(e.span());
        return switch (e) {
            case Expr.IntLit i -> i.value();
            case Expr.FloatLit f -> f.value();
            case Expr.StringLit s -> s.value();
            case Expr.BoolLit b -> b.value();
            case Expr.NoneLit n -> Values.None.NONE;
            case Expr.Name n -> {
                Object v = env.lookup(n.name());
                if (v == null) {
                    if (reporter.hasErrorAt(n.span())) yield POISON;
                    reporter.error(n.span(), "'" + n.name() + "' is not defined here", "it may be declared only in an if branch that was not taken");
                    yield POISON;
                }
                yield v;
            }
            case Expr.Member m -> member(m, env);
            case Expr.Call c -> call(c, env);
            case Expr.Index i -> Indexing.index(this, reporter, prims, i, eval(i.target(), env), env);
            case Expr.Unary u -> operators.unary(u, eval(u.operand(), env));
            case Expr.Binary b -> binary(b, env);
            case Expr.If i -> {
                Boolean c = condition(i.cond(), env);
                yield c == null ? POISON : eval(c ? i.then() : i.otherwise(), env);
            }
            case Expr.ListLit l -> {
                List<Object> out = new ArrayList<>();
                for (Expr x : l.items()) out.add(eval(x, env));
                yield java.util.Collections.unmodifiableList(out);
            }
            case Expr.ListComp lc -> listComp(lc, env);
            case Expr.Range r -> range(r, env);
        };
    }

    private Object member(Expr.Member m, Env env) {
        Object t = eval(m.target(), env);
        return switch (t) {
            case Values.Poison p -> POISON;
            case Values.ModuleRef ref -> {
                Decl.Fn fn = ref.module().exports.get(m.name());
                if (fn == null) {
                    reporter.error(m.span(), "module '" + ref.module().name() + "' has no '" + m.name() + "'");
                    yield POISON;
                }
                yield new Values.FnRef(fn, ref.module());
            }
            case Values.Builtin b when b.name().equals("prim") -> new Values.Prim(m.name());
            case Values.Instance i -> {
                Object v = i.members().get(m.name());
                if (v == null) {
                    reporter.error(m.span(), i.describe() + " has no member '" + m.name() + "'",
                            hint(Names.closest(m.name(), i.members().keySet())));
                    yield POISON;
                }
                yield v;
            }
            case Values.Tensor x -> switch (m.name()) {
                case "shape" -> java.util.Collections.unmodifiableList(x.node().shape().dims().stream().map(Arith::norm).toList());
                case "rank" -> (long) x.node().shape().rank();
                case "dtype" -> x.node().dtype();
                default -> {
                    reporter.error(m.span(), "a tensor has no member '" + m.name() + "'", "tensors have shape, rank and dtype");
                    yield POISON;
                }
            };
            default -> {
                reporter.error(m.span(), Values.typeName(t) + " has no member '" + m.name() + "'");
                yield POISON;
            }
        };
    }

    static String hint(String near) { return near == null ? null : "did you mean '" + near + "'?"; }

    private Object listComp(Expr.ListComp lc, Env env) {
        Object it = eval(lc.iterable(), env);
        if (it == POISON) return POISON;
        if (!(it instanceof List<?> l)) {
            reporter.error(lc.iterable().span(), "for needs a list or a range, got " + Values.typeName(it));
            return POISON;
        }
        List<Object> out = new ArrayList<>();
        for (Object x : l) {
            Env inner = env.child();
            inner.define(lc.var(), x);
            if (lc.cond() != null) {
                Boolean c = condition(lc.cond(), inner);
                if (c == null) return POISON;
                if (!c) continue;
            }
            out.add(eval(lc.body(), inner));
        }
        return java.util.Collections.unmodifiableList(out);
    }

    private Object range(Expr.Range r, Env env) {
        Object lo = eval(r.lo(), env), hi = eval(r.hi(), env);
        if (lo == POISON || hi == POISON) return POISON;
        if (!(lo instanceof Long a) || !(hi instanceof Long b)) {
            reporter.error(r.span(), "a range needs known integers, got " + Values.typeName(lo) + ".." + Values.typeName(hi));
            return POISON;
        }
        if (b > a && (b - a > MAX_LIST || b - a < 0)) {
            reporter.error(r.span(), "range " + a + ".." + b + " has more than " + MAX_LIST + " elements");
            return POISON;
        }
        List<Object> out = new ArrayList<>();
        for (long i = a; i < b; i++) out.add(i);
        return java.util.Collections.unmodifiableList(out);
    }

    private Object binary(Expr.Binary b, Env env) {
        Object l = eval(b.left(), env);
        String op = b.op();
        if ((op.equals("and") || op.equals("or")) && l instanceof Boolean lb) {
            if (op.equals("and") && !lb) return false;
            if (op.equals("or") && lb) return true;
            Object r = eval(b.right(), env);
            if (r instanceof Boolean || r == POISON) return r;
            reporter.error(b.right().span(), "'" + op + "' needs bools, got " + Values.typeName(r));
            return POISON;
        }
        return operators.binary(b, l, eval(b.right(), env));
    }

    // ------------------------------------------------------------------ calls

    private Object call(Expr.Call c, Env env) {
        Object callee = eval(c.callee(), env);
        List<PrimCalls.Arg> pos = new ArrayList<>();
        Map<String, PrimCalls.Arg> named = new LinkedHashMap<>();
        boolean poisoned = callee == POISON;
        for (Expr.Arg a : c.args()) {
            Object v = eval(a.value(), env);
            if (v == POISON) poisoned = true;
            if (a.name() == null) pos.add(new PrimCalls.Arg(v, a.value().span()));
            else named.put(a.name(), new PrimCalls.Arg(v, a.span()));
        }
        if (poisoned) return POISON;
        return apply(callee, pos, named, c);
    }

    private Object apply(Object callee, List<PrimCalls.Arg> pos, Map<String, PrimCalls.Arg> named, Expr.Call c) {
        switch (callee) {
            case Values.FnRef f -> {
                Decl.Fn d = f.decl();
                Env args = bindArgs(d.name(), d.params(), f.module(), pos, named, c.span());
                if (args == null) return POISON;
                if (d.isLayer()) {
                    if (d.isModel()) {
                        reporter.error(c.span(), "model " + d.name() + " cannot be used as a layer", "declare it with fn to reuse it");
                        return POISON;
                    }
                    return new Values.LayerCtor(f, args.vars, c.span());
                }
                enter(c.span());
                reporter.enterCall(c.span());
                try {
                    Object r = d.exprBody() != null ? eval(d.exprBody(), args)
                            : runBody(d.body(), args.child(), d.nameSpan(), "function " + d.name());
                    if (d.result() != null && r != POISON)
                        types.match(d.result(), r, args, "function " + d.name() + " is declared to return", c.span(), null, null, true);
                    return r;
                } finally {
                    depth--;
                    reporter.exitCall();
                }
            }
            case Values.Prim p -> { return prims.apply(p.op(), pos, named, c.span()); }
            case Values.Builtin b -> { return Calls.builtin(this, reporter, b.name(), pos, named, c); }
            case Values.Instance i -> { return forward(i, pos, named, c); }
            case Values.SequentialInstance s -> {
                if (pos.size() != 1 || !named.isEmpty()) {
                    reporter.error(c.span(), "Sequential takes exactly one input, got " + (pos.size() + named.size()));
                    return POISON;
                }
                Object x = pos.get(0).value();
                for (Object child : s.children()) {
                    x = apply(child, List.of(new PrimCalls.Arg(x, pos.get(0).span())), Map.of(), c);
                    if (x == POISON) return POISON;
                }
                return x;
            }
            case Values.LayerCtor l -> {
                reporter.error(c.span(), "layer " + l.fn().decl().name() + " must be a field of a layer before it is called",
                        "declare it in the layer body (fc = " + l.fn().decl().name() + "(...)) and call fc(x) in forward");
                return POISON;
            }
            case Values.SequentialCtor s -> {
                reporter.error(c.span(), "Sequential must be a field of a layer before it is called", "declare it in the layer body");
                return POISON;
            }
            case Values.Poison p -> { return POISON; }
            default -> {
                reporter.error(c.callee().span(), Values.typeName(callee) + " is not callable");
                return POISON;
            }
        }
    }

    /** Calls a placed layer: checks the inputs against forward's declared types, then runs forward. */
    private Object forward(Values.Instance inst, List<PrimCalls.Arg> pos, Map<String, PrimCalls.Arg> named, Expr.Call c) {
        Stmt.Forward f = inst.forward();
        String who = inst.fn().decl().name();
        if (f == null) {
            reporter.error(c.span(), "layer " + who + " has no forward", "add forward(x: ...) { ... } to " + who);
            return POISON;
        }
        if (f.severalResults()) {
            reporter.error(c.span(), "layer " + who + " has several results, which only a model's own forward may have (they are its graph outputs)",
                    "call a layer with one result, or compile " + who + " as the model");
            return POISON;
        }
        Module mod = inst.fn().module();
        Env env = new Env(new Env(null, mod, inst.members()), mod);
        if (!bindInto(env, who, f.params(), pos, named, c, true)) return POISON;
        enter(c.span());
        reporter.enterCall(c.span());
        try {
            Object r = runBody(f.body(), env.child(), f.span(), "forward of " + who);
            if (r != POISON && f.result() != null && !types.match(f.result(), r, env, who + " is declared to return", resultSpan(f), null, null, true))
                return POISON;
            return r;
        } finally {
            depth--;
            reporter.exitCall();
        }
    }

    /** Binds call arguments to a function's or layer's parameters; null (reported) on mismatch. */
    Env bindArgs(String who, List<ParamSpec> ps, Module module, List<PrimCalls.Arg> pos, Map<String, PrimCalls.Arg> named, Span span) {
        Env env = new Env(null, module);
        Expr.Call fake = new Expr.Call(span, new Expr.Name(span, who), List.of());
        return bindInto(env, who, ps, pos, named, fake, false) ? env : null;
    }

    private boolean bindInto(Env env, String who, List<ParamSpec> ps, List<PrimCalls.Arg> pos, Map<String, PrimCalls.Arg> named,
                             Expr.Call c, boolean isForward) {
        String what = who;
        if (pos.size() > ps.size()) {
            reporter.error(pos.get(ps.size()).span(), what + " takes " + (ps.size() == 0 ? "no" : "at most " + ps.size())
                    + " argument" + (ps.size() == 1 ? "" : "s") + ", got " + pos.size());
            return false;
        }
        Set<String> names = new HashSet<>();
        for (ParamSpec p : ps) names.add(p.name());
        for (var e : named.entrySet()) {
            if (!names.contains(e.getKey())) {
                String near = Names.closest(e.getKey(), names);
                reporter.error(e.getValue().span(), what + " has no parameter '" + e.getKey() + "'",
                        near != null ? "did you mean '" + near + "'?" : ps.isEmpty() ? null : "parameters: " + String.join(", ", ps.stream().map(ParamSpec::name).toList()));
                return false;
            }
        }
        boolean ok = true;
        for (int i = 0; i < ps.size(); i++) {
            ParamSpec p = ps.get(i);
            PrimCalls.Arg a = i < pos.size() ? pos.get(i) : null;
            if (named.containsKey(p.name())) {
                if (a != null) {
                    reporter.error(named.get(p.name()).span(), "argument '" + p.name() + "' of " + what + " is given twice");
                    return false;
                }
                a = named.get(p.name());
            }
            Object v;
            Span s;
            if (a != null) {
                v = a.value();
                s = a.span();
            } else if (p.dflt() != null) {
                v = eval(p.dflt(), env);
                s = p.dflt().span();
            } else {
                reporter.error(c.span(), what + " needs argument '" + p.name() + "'");
                return false;
            }
            if (p.type() != null && v != POISON) {
                Expr argExpr = i < c.args().size() ? c.args().get(i).value() : null;
                Object conv = types.convert(p.type(), v, env, what + " expects", isForward ? c.span() : s, c, argExpr);
                if (conv == POISON) ok = false;
                else v = conv;
            }
            env.define(p.name(), v);
        }
        return ok;
    }
}
