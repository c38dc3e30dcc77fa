package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.frontend.ast.Expr;
import org.dlm.frontend.ast.Span;
import org.dlm.frontend.ast.Stmt;
import org.dlm.frontend.ast.TypeExpr;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;

/**
 * The parameters and buffers of one model: {@code param} nodes named by their dotted path, with
 * checked static shapes, a total-size limit, and evaluated initializer specs; and the warning
 * about members the forward never uses.
 */
final class ModelParams {
    private static final Values.Poison POISON = Values.Poison.POISON;

    private final Reporter reporter;
    private final Elaborator elaborator;
    private final String modelName;
    private final List<Node> params = new ArrayList<>();
    private final Set<String> paramNames = new HashSet<>();
    /** Spans of the model's own params and fields, for warnings about unused ones. */
    private final Map<String, Span> members = new LinkedHashMap<>();
    private long paramBytes;

    ModelParams(Reporter reporter, Elaborator elaborator, String modelName) {
        this.reporter = reporter;
        this.elaborator = elaborator;
        this.modelName = modelName;
    }

    /** Declaration order, which is PyTorch's state_dict order. */
    List<Node> nodes() { return List.copyOf(params); }

    /** Remembers where a field of the model itself is declared. */
    void noteField(String name, Span span) { members.put(name, span); }

    /** Declares {@code param}/{@code buffer} {@code p} of the layer at {@code path}: a {@code param} node, or poison after a diagnostic. */
    Object declare(Stmt.ParamDecl p, Env env, String path) {
        String name = Elaborator.join(path, p.name());
        TypeExpr t = p.type();
        DType dt = DType.fromText(t.name());
        if (!t.isTensor() || dt == null) {
            reporter.error(t.span(), (p.buffer() ? "buffer" : "param") + " '" + p.name() + "' needs a tensor type", "e.g. f32[out, in]");
            return POISON;
        }
        List<Dim> dims = new ArrayList<>();
        long numel = 1;
        boolean overflow = false;
        for (Expr e : t.dims()) {
            if (e == null) {
                reporter.error(t.span(), "a parameter's shape must be complete, not '...'");
                return POISON;
            }
            Object v = elaborator.eval(e, env);
            if (v == POISON) return POISON;
            if (!(v instanceof Long n)) {
                reporter.error(e.span(), "a parameter's dimension must be a known integer, got " + (v instanceof Dim ? "symbolic " + v : Values.typeName(v)),
                        "parameter shapes may depend on layer arguments, not on input sizes");
                return POISON;
            }
            if (n < 0) {
                reporter.error(e.span(), "dimension " + n + " is negative");
                return POISON;
            }
            dims.add(Dim.of(n));
            try {
                numel = Math.multiplyExact(numel, n);
            } catch (ArithmeticException ex) {
                overflow = true;
            }
        }
        long bytes = overflow ? Long.MAX_VALUE : numel > Long.MAX_VALUE / dt.byteSize() ? Long.MAX_VALUE : numel * dt.byteSize();
        if (bytes > Elaborator.MAX_PARAM_BYTES - paramBytes) {
            reporter.error(p.span(), "parameters of model " + modelName + " would take more than " + (Elaborator.MAX_PARAM_BYTES >> 30) + " GiB ('"
                    + name + "' alone: " + t.name() + new Shape(dims) + ")", "reduce the layer sizes");
            return POISON;
        }
        paramBytes += bytes;
        String init = p.init() == null ? "zeros()" : initSpec(p.init(), env);
        if (init == null) return POISON;
        if (!paramNames.add(name)) {
            reporter.error(p.nameSpan(), "parameter '" + name + "' is declared twice");
            return POISON;
        }
        Node n = Node.of("param", List.of(), Attrs.of("name", name, "dtype", dt, "shape", new Shape(dims), "init", init, "trainable", !p.buffer()));
        params.add(n);
        if (path.isEmpty()) members.put(p.name(), p.nameSpan());
        return new Values.Tensor(n);
    }

    private String initSpec(Expr e, Env env) {
        if (!(e instanceof Expr.Call c) || !(c.callee() instanceof Expr.Name fn)) {
            reporter.error(e.span(), "a parameter initializer must be a call such as zeros() or kaiming_uniform(fan_in = 400)",
                    "initializers: " + String.join(", ", InitSpecs.names()));
            return null;
        }
        LinkedHashMap<String, Object> sig = InitSpecs.SIGNATURES.get(fn.name());
        if (sig == null) {
            String near = Names.closest(fn.name(), InitSpecs.names());
            reporter.error(fn.span(), "unknown initializer '" + fn.name() + "'",
                    near != null ? "did you mean '" + near + "'?" : "initializers: " + String.join(", ", InitSpecs.names()));
            return null;
        }
        List<String> names = new ArrayList<>(sig.keySet());
        Map<String, Object> vals = new LinkedHashMap<>();
        int pos = 0;
        for (Expr.Arg a : c.args()) {
            String key = a.name();
            if (key == null) {
                if (pos >= names.size()) {
                    reporter.error(a.span(), fn.name() + " takes " + names.size() + " argument" + (names.size() == 1 ? "" : "s"));
                    return null;
                }
                key = names.get(pos++);
            } else if (!sig.containsKey(key)) {
                reporter.error(a.span(), fn.name() + " has no parameter '" + key + "'", names.isEmpty() ? fn.name() + " takes no arguments" : "parameters: " + String.join(", ", names));
                return null;
            }
            Object v = elaborator.eval(a.value(), env);
            if (v == POISON) return null;
            if (!(v instanceof Long) && !(v instanceof Double)) {
                reporter.error(a.value().span(), "initializer arguments must be numbers, got " + Values.typeName(v));
                return null;
            }
            vals.put(key, v);
        }
        Map<String, Object> full = new LinkedHashMap<>();
        for (var en : sig.entrySet()) {
            Object v = vals.containsKey(en.getKey()) ? vals.get(en.getKey()) : en.getValue();
            if (v == null) {
                reporter.error(c.span(), fn.name() + " needs argument '" + en.getKey() + "'");
                return null;
            }
            full.put(en.getKey(), v);
        }
        return InitSpecs.render(fn.name(), full);
    }

    /** Warns once per place about parameters the output does not depend on (a layer declared but never called). */
    void warnUnused(List<Node> outputs) {
        Set<Node> used = new HashSet<>();
        java.util.ArrayDeque<Node> todo = new java.util.ArrayDeque<>(outputs);
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (used.add(n)) todo.addAll(n.inputs());
        }
        // one warning per member of the model: a whole field (layer) or a param declared in the model
        Set<String> reported = new HashSet<>();
        for (Node p : params) {
            if (used.contains(p)) continue;
            String name = p.attrs().getString("name");
            int dot = name.indexOf('.');
            String member = dot < 0 ? name : name.substring(0, dot);
            if (!reported.add(member) || !members.containsKey(member)) continue;
            reporter.warning(members.get(member), (dot < 0 ? "parameter '" : "'") + member + "' is never used by the forward of model " + modelName,
                    "unused parameters stay in the graph and the state_dict but get no gradient");
        }
    }
}
