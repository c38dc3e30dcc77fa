package org.dlm.frontend.builder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.Verifier;
import org.dlm.ir.pass.GraphRewriter;

/**
 * Builds a Graph IR model from plain Java. Every op is shape-checked as it is applied; a mistake
 * throws {@link DlmBuildException} pointing at the caller's own source line.
 *
 * <pre>{@code
 * var b = new GraphBuilder("Mlp");
 * Value x = b.input("x", DType.F32, "B", 784);                 // dims: ints or symbol names
 * Param w1 = b.param("fc1.weight", DType.F32, 512, 784).init("kaiming_uniform");
 * Value h = x.linear(w1, b.param("fc1.bias", DType.F32, 512)).relu();
 * Value logits = h.linear(b.param("fc2.weight", DType.F32, 10, 512).init("kaiming_uniform"),
 *                         b.param("fc2.bias", DType.F32, 10));
 * b.output("logits", logits);
 * Graph g = b.build();
 * }</pre>
 *
 * Any op of the catalogue ({@code docs/ops.md}) is reachable with {@link #op(String, Map, Value...)}
 * even where {@link Value} has no shortcut for it.
 */
public final class GraphBuilder {
    private final String name;
    private final List<Node> inputs = new ArrayList<>();
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, String> names = new HashMap<>();
    private final List<Graph.Output> outputs = new ArrayList<>();
    private final Map<String, String> meta = new LinkedHashMap<>();

    public GraphBuilder(String name) {
        if (name == null || name.isBlank()) throw CallSite.error("a model needs a name", null);
        this.name = name;
    }

    /** Declares an input; each dim is an integer or a symbol ({@code "B"}, {@code "T"}, or an expression like {@code "2*T"}). */
    public Value input(String name, DType dtype, Object... dims) {
        claim(name, "input");
        Shape s = shape(dims, "input " + name);
        Node n = leaf("input", Attrs.of("name", name, "dtype", dtype, "shape", s));
        inputs.add(n);
        return new Value(this, n);
    }

    /** Declares a parameter with a static shape; set its initializer with {@link Param#init}. */
    public Param param(String name, DType dtype, Object... dims) {
        claim(name, "parameter");
        Shape s = shape(dims, "parameter " + name);
        if (!s.isStatic()) throw CallSite.error("parameter " + name + " has symbolic shape " + s + "; parameter shapes are static", null);
        Node n = leaf("param", Attrs.of("name", name, "dtype", dtype, "shape", s));
        Param p = new Param(this, n, name);
        params.put(name, p);
        return p;
    }

    /** A scalar constant. */
    public Value constant(DType dtype, double value) { return constant(Constant.scalar(dtype, value)); }

    /** A constant tensor of the given static shape with row-major values. */
    public Value constant(DType dtype, long[] shape, double... values) {
        Constant c;
        try {
            c = new Constant(TensorType.of(dtype, shape), values);
        } catch (IllegalArgumentException e) {
            throw CallSite.error(e.getMessage(), null);
        }
        return constant(c);
    }

    public Value constant(Constant c) { return new Value(this, leaf("const", Attrs.of("value", c))); }

    /** Applies any op of the op table; attribute values may be Java ints, doubles, arrays, lists, dtypes, shapes. */
    public Value op(String opName, Map<String, ?> attrs, Value... operands) {
        List<Node> ins = new ArrayList<>(operands.length);
        for (int i = 0; i < operands.length; i++) {
            Value v = operands[i];
            if (v == null) throw CallSite.error(opName + ": operand " + (i + 1) + " is null", null);
            if (v.builder() != this)
                throw CallSite.error(opName + ": operand " + (i + 1) + " belongs to model " + v.builder().name + ", not " + name,
                        "values cannot be shared between GraphBuilders");
            ins.add(v.node());
        }
        OpDef def = OpTable.get(opName);
        if (def == null) throw CallSite.error("unknown op '" + opName + "'", "the op catalogue is docs/ops.md");
        if (def.name().equals("input") || def.name().equals("param"))
            throw CallSite.error("declare inputs and parameters with GraphBuilder.input/param, not op(\"" + opName + "\")", null);
        Attrs a;
        try {
            a = Attrs.of(attrs);
        } catch (IllegalArgumentException e) {
            throw CallSite.error(opName + ": " + e.getMessage(), null);
        }
        try {
            return new Value(this, Node.of(def, ins, a));
        } catch (ShapeException e) {
            throw CallSite.error(e.getMessage(), e.hint());
        }
    }

    public Value op(String opName, Value... operands) { return op(opName, Map.of(), operands); }

    /** Marks {@code v} as the graph output {@code name} (outputs keep this order). */
    public GraphBuilder output(String name, Value v) {
        if (name == null || name.isEmpty()) throw CallSite.error("an output needs a name", null);
        if (outputs.stream().anyMatch(o -> o.name().equals(name))) throw CallSite.error("output '" + name + "' is defined twice", null);
        if (v == null) throw CallSite.error("output " + name + " is null", null);
        if (v.builder() != this) throw CallSite.error("output " + name + " belongs to model " + v.builder().name + ", not " + this.name, null);
        outputs.add(new Graph.Output(name, v.node()));
        return this;
    }

    /** Free-form metadata carried by the graph (printed in the IR header). */
    public GraphBuilder meta(String key, String value) {
        meta.put(key, value);
        return this;
    }

    public String name() { return name; }

    /** The finished graph, with every parameter's final initializer. */
    public Graph build() {
        if (outputs.isEmpty()) throw CallSite.error("model " + name + " has no outputs", "add one with output(name, value)");
        Map<Node, Node> replace = new HashMap<>();
        for (Param p : params.values()) {
            Node fin = p.finalNode();
            if (fin != p.node()) replace.put(p.node(), fin);
        }
        Graph g = new Graph(name, inputs, params.values().stream().map(Value::node).toList(), outputs, meta);
        if (!replace.isEmpty()) g = GraphRewriter.rewrite(g, (orig, n) -> replace.getOrDefault(orig, n));
        Verifier.verifyOrThrow(g);   // everything was checked on the way; a failure here is a DLM bug
        return g;
    }

    // ------------------------------------------------------------------ helpers

    Node leaf(String op, Attrs a) {
        try {
            return Node.of(op, List.of(), a);
        } catch (ShapeException e) {
            throw CallSite.error(e.getMessage(), e.hint());
        }
    }

    private void claim(String n, String what) {
        if (n == null || n.isEmpty()) throw CallSite.error("an " + what + " needs a name", null);
        String prev = names.putIfAbsent(n, what);
        if (prev != null) throw CallSite.error(what + " name '" + n + "' is already used by an " + prev, null);
    }

    /** Dims from ints, longs, {@link Dim}s and symbol strings. */
    static Shape shape(Object[] dims, String what) {
        List<Dim> out = new ArrayList<>();
        for (Object d : dims) out.add(dim(d, what));
        return new Shape(out);
    }

    static Dim dim(Object d, String what) {
        return switch (d) {
            case Integer i -> Dim.of(i);
            case Long l -> Dim.of(l);
            case Dim x -> x;
            case String s -> {
                try {
                    yield Dim.parse(s);
                } catch (IllegalArgumentException e) {
                    throw CallSite.error(what + ": bad dimension '" + s + "'", "use an integer, a symbol such as \"B\", or an expression such as \"2*T\"");
                }
            }
            case null -> throw CallSite.error(what + ": a dimension is null", null);
            default -> throw CallSite.error(what + ": a dimension must be an int or a symbol name, got " + d.getClass().getSimpleName() + " " + d, null);
        };
    }
}
