package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dlm.frontend.ast.Decl;
import org.dlm.frontend.ast.Expr;
import org.dlm.frontend.ast.ParamSpec;
import org.dlm.frontend.ast.Span;
import org.dlm.frontend.ast.Stmt;
import org.dlm.frontend.ast.TypeExpr;
import org.dlm.ir.DType;
import org.dlm.ir.OpTable;

/**
 * Static name resolution over every declaration of a module, used or not: unknown names, unknown
 * types, misplaced statements ({@code return} in a layer body, {@code param} in a function),
 * re-declared members. Values and shapes are checked later by the {@link Elaborator}.
 */
final class Resolver {
    private final Reporter reporter;
    private final ModuleLoader loader;
    private final Module module;

    private Resolver(Reporter reporter, ModuleLoader loader, Module module) {
        this.reporter = reporter;
        this.loader = loader;
        this.module = module;
    }

    static void resolve(Reporter reporter, ModuleLoader loader, Module module) {
        new Resolver(reporter, loader, module).run();
    }

    /** A lexical scope; {@code fnBoundary} marks the scope of a function's parameters. */
    private static final class Scope {
        final Scope parent;
        final Set<String> names = new HashSet<>();
        Scope(Scope parent) { this.parent = parent; }
        boolean has(String n) {
            for (Scope s = this; s != null; s = s.parent) if (s.names.contains(n)) return true;
            return false;
        }
    }

    private enum Ctx { LAYER_BODY, FORWARD, FUNCTION }

    private void run() {
        for (Decl d : module.file().decls()) {
            if (d instanceof Decl.Fn fn) fn(fn);
        }
    }

    /** The function being resolved, and the forward whose body is being resolved (null outside one). */
    private Decl.Fn currentFn;
    private Stmt.Forward currentForward;

    private void fn(Decl.Fn fn) {
        currentFn = fn;
        Scope params = new Scope(null);
        params(fn.params(), params, false);
        if (fn.result() != null) type(fn.result(), params, false);
        if (fn.exprBody() != null) {
            expr(fn.exprBody(), params);
            return;
        }
        if (fn.isLayer()) {
            Scope body = new Scope(params);
            int forwards = countForwards(fn.body());
            if (forwards > 1) reporter.error(fn.nameSpan(), (fn.isModel() ? "model " : "layer ") + fn.name() + " has " + forwards + " forward blocks",
                    "a layer has one forward");
            if (fn.isModel() && forwards == 0) reporter.error(fn.nameSpan(), "model " + fn.name() + " has no forward",
                    "add forward(x: f32[B, ...]) -> f32[B, ...] { ... }");
            Set<String> members = new HashSet<>();
            collectMembers(fn.body(), members);
            stmts(fn.body(), body, Ctx.LAYER_BODY, members);
        } else {
            stmts(fn.body(), new Scope(params), Ctx.FUNCTION, null);
        }
    }

    /** {@code return (a, b)} gives a forward's several declared results, in order and all of them. */
    private void returnArity(Stmt.Return r, Ctx ctx) {
        int declared = ctx == Ctx.FORWARD && currentForward != null ? currentForward.results().size() : 0;
        if (declared > 1 && r.values().size() != declared) {
            String names = String.join(", ", currentForward.results().stream().map(Stmt.Result::name).toList());
            reporter.error(r.span(), "forward declares " + declared + " results (" + names + ") but returns " + count(r.values().size()),
                    "return all of them in order: return (" + names + ")");
        } else if (declared <= 1 && r.several()) {
            reporter.error(r.span(), "return gives " + r.values().size() + " values, but "
                            + (ctx == Ctx.FORWARD ? "the forward declares one result" : "a function returns one value"),
                    ctx == Ctx.FORWARD ? "declare the model's results: forward(...) -> (a: f32[...], b: f32[...])" : "return a list: return [a, b]");
        }
    }

    private static String count(int n) { return n == 1 ? "one value" : n + " values"; }

    private static int countForwards(List<Stmt> body) {
        int n = 0;
        for (Stmt s : body) {
            if (s instanceof Stmt.Forward) n++;
            else if (s instanceof Stmt.If i) n += Math.max(countForwards(i.then()), countForwards(i.otherwise()));
        }
        return n;
    }

    private static void collectMembers(List<Stmt> body, Set<String> out) {
        for (Stmt s : body) {
            switch (s) {
                case Stmt.Let l -> out.add(l.name());
                case Stmt.ParamDecl p -> out.add(p.name());
                case Stmt.Assign a -> out.add(a.name());
                case Stmt.If i -> { collectMembers(i.then(), out); collectMembers(i.otherwise(), out); }
                default -> {}
            }
        }
    }

    private void params(List<ParamSpec> ps, Scope scope, boolean typeVars) {
        Set<String> seen = new HashSet<>();
        for (ParamSpec p : ps) {
            if (!seen.add(p.name())) reporter.error(p.span(), "parameter '" + p.name() + "' is declared twice");
            if (p.dflt() != null) expr(p.dflt(), scope);
            if (p.type() != null) type(p.type(), scope, true);
            scope.names.add(p.name());
        }
    }

    /** Checks a type; with {@code bindVars}, unknown dim names become type variables of {@code scope}. */
    private void type(TypeExpr t, Scope scope, boolean bindVars) {
        boolean dtype = DType.fromText(t.name()) != null;
        if (!t.isTensor()) {
            if (!dtype && !Builtins.SCALAR_TYPES.contains(t.name()))
                reporter.error(t.span(), "unknown type '" + t.name() + "'", "types are int, float, bool, string, list, any, layer, or a tensor type like f32[B, 10]");
            return;
        }
        if (!dtype) {
            reporter.error(t.span(), "unknown element type '" + t.name() + "'", "element types are f32, f64, f16, bf16, i8, u8, i32, i64, bool");
            return;
        }
        int ellipses = 0;
        for (Expr d : t.dims()) {
            if (d == null) { ellipses++; continue; }
            if (d instanceof Expr.Name n && !visible(n.name(), scope)) {
                if (bindVars) scope.names.add(n.name());
                continue;
            }
            expr(d, scope);
        }
        if (ellipses > 1) reporter.error(t.span(), "a tensor type may contain '...' only once");
    }

    private boolean visible(String name, Scope scope) {
        return scope.has(name) || module.scope.containsKey(name) || Builtins.VALUES.containsKey(name);
    }

    private void stmts(List<Stmt> body, Scope scope, Ctx ctx, Set<String> members) {
        for (Stmt s : body) stmt(s, scope, ctx, members);
    }

    private void stmt(Stmt s, Scope scope, Ctx ctx, Set<String> members) {
        switch (s) {
            case Stmt.Let l -> {
                expr(l.value(), scope);
                if (l.type() != null) type(l.type(), scope, false);
                scope.names.add(l.name());
            }
            case Stmt.ParamDecl p -> {
                if (ctx != Ctx.LAYER_BODY) {
                    reporter.error(p.span(), (p.buffer() ? "buffer" : "param") + " declarations belong in a layer or model body",
                            ctx == Ctx.FORWARD ? "move it out of forward" : null);
                    return;
                }
                type(p.type(), scope, false);
                if (p.init() != null) initializer(p.init(), scope);
                scope.names.add(p.name());
            }
            case Stmt.Assign a -> {
                expr(a.value(), scope);
                if (ctx == Ctx.LAYER_BODY) scope.names.add(a.name());
                else if (!scope.has(a.name())) {
                    boolean member = members != null && members.contains(a.name());
                    reporter.error(a.nameSpan(), member ? "cannot assign to layer member '" + a.name() + "' in forward"
                            : "unknown variable '" + a.name() + "'", "declare a new variable with: let " + a.name() + " = ...");
                }
            }
            case Stmt.Forward f -> {
                if (ctx != Ctx.LAYER_BODY) {
                    reporter.error(f.span(), "forward belongs in a layer or model body");
                    return;
                }
                Scope fs = new Scope(scope);
                fs.names.addAll(members);
                params(f.params(), fs, true);
                Set<String> resultNames = new HashSet<>();
                for (Stmt.Result r : f.results()) {
                    type(r.type(), fs, true);
                    if (r.name() != null && !resultNames.add(r.name()))
                        reporter.error(r.span(), "result '" + r.name() + "' is declared twice", "give every result its own name");
                }
                if (f.severalResults() && !currentFn.isModel())
                    reporter.error(f.results().get(1).span(), "layer " + currentFn.name() + " declares " + f.results().size()
                            + " results; only a model's forward may have several (they are its graph outputs)", "return one tensor from a layer's forward");
                Stmt.Forward outer = currentForward;
                currentForward = f;
                stmts(f.body(), new Scope(fs), Ctx.FORWARD, members);
                currentForward = outer;
            }
            case Stmt.Assert a -> {
                expr(a.cond(), scope);
                if (a.message() != null) expr(a.message(), scope);
            }
            case Stmt.Return r -> {
                if (ctx == Ctx.LAYER_BODY) reporter.error(r.span(), "return outside of forward", "a layer body declares members; put the computation in forward");
                else returnArity(r, ctx);
                r.values().forEach(v -> expr(v, scope));
            }
            case Stmt.If i -> {
                expr(i.cond(), scope);
                // in a layer body, declarations inside if/else are members of the layer
                Scope inner = ctx == Ctx.LAYER_BODY ? scope : new Scope(scope);
                stmts(i.then(), inner, ctx, members);
                Scope inner2 = ctx == Ctx.LAYER_BODY ? scope : new Scope(scope);
                stmts(i.otherwise(), inner2, ctx, members);
            }
            case Stmt.For f -> {
                expr(f.iterable(), scope);
                if (ctx == Ctx.LAYER_BODY) {
                    reporter.error(f.span(), "for loops are not allowed in a layer body", "build repeated layers with a list: blocks = [Block(i) for i in 0..n]");
                    return;
                }
                Scope inner = new Scope(scope);
                inner.names.add(f.var());
                stmts(f.body(), inner, ctx, members);
            }
        }
    }

    /** Initializers name an init function ({@code kaiming_uniform(...)}) that needs no import. */
    private void initializer(Expr e, Scope scope) {
        if (e instanceof Expr.Call c && c.callee() instanceof Expr.Name) {
            for (Expr.Arg a : c.args()) expr(a.value(), scope);
            return;
        }
        expr(e, scope);
    }

    private void expr(Expr e, Scope scope) {
        switch (e) {
            case Expr.Name n -> {
                if (!visible(n.name(), scope)) unknownName(n.name(), n.span(), scope);
            }
            case Expr.Member m -> {
                if (m.target() instanceof Expr.Name n && !scope.has(n.name())) {
                    Object v = module.scope.containsKey(n.name()) ? module.scope.get(n.name()) : Builtins.VALUES.get(n.name());
                    if (v instanceof Values.ModuleRef ref) {
                        if (!ref.module().exports.containsKey(m.name()))
                            reporter.error(m.span(), "module '" + ref.module().name() + "' has no '" + m.name() + "'",
                                    hintName(Names.closest(m.name(), ref.module().exports.keySet())));
                        return;
                    }
                    if (v instanceof Values.Builtin b && b.name().equals("prim")) {
                        if (OpTable.get(m.name()) == null)
                            reporter.error(m.span(), "unknown primitive op '" + m.name() + "'",
                                    hintName(Names.closest(m.name(), OpTable.all().stream().map(o -> o.name()).toList())));
                        return;
                    }
                }
                expr(m.target(), scope);
            }
            case Expr.Call c -> {
                expr(c.callee(), scope);
                Set<String> named = new HashSet<>();
                for (Expr.Arg a : c.args()) {
                    if (a.name() != null && !named.add(a.name())) reporter.error(a.span(), "argument '" + a.name() + "' is given twice");
                    expr(a.value(), scope);
                }
            }
            case Expr.Index i -> {
                expr(i.target(), scope);
                for (Expr.IndexItem it : i.items()) {
                    switch (it) {
                        case Expr.Point p -> expr(p.index(), scope);
                        case Expr.Slice s -> {
                            if (s.lo() != null) expr(s.lo(), scope);
                            if (s.hi() != null) expr(s.hi(), scope);
                            if (s.step() != null) expr(s.step(), scope);
                        }
                    }
                }
            }
            case Expr.Unary u -> expr(u.operand(), scope);
            case Expr.Binary b -> { expr(b.left(), scope); expr(b.right(), scope); }
            case Expr.If i -> { expr(i.cond(), scope); expr(i.then(), scope); expr(i.otherwise(), scope); }
            case Expr.ListLit l -> l.items().forEach(x -> expr(x, scope));
            case Expr.ListComp lc -> {
                expr(lc.iterable(), scope);
                Scope inner = new Scope(scope);
                inner.names.add(lc.var());
                expr(lc.body(), inner);
                if (lc.cond() != null) expr(lc.cond(), inner);
            }
            case Expr.Range r -> { expr(r.lo(), scope); expr(r.hi(), scope); }
            default -> {}
        }
    }

    private static String hintName(String near) { return near == null ? null : "did you mean '" + near + "'?"; }

    private void unknownName(String name, Span span, Scope scope) {
        for (String std : ModuleLoader.STD_MODULES) {
            Module m = loader.peek(std);
            if (m != null && m.exports.containsKey(name) && !module.name().equals(std)) {
                reporter.error(span, "unknown name '" + name + "'", "import it: import " + std + ".{" + name + "}");
                return;
            }
        }
        List<String> candidates = new ArrayList<>(module.scope.keySet());
        for (Scope s = scope; s != null; s = s.parent) candidates.addAll(s.names);
        reporter.error(span, "unknown name '" + name + "'", hintName(Names.closest(name, candidates)));
    }
}
