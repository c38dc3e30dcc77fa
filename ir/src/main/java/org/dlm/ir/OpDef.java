package org.dlm.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.dlm.ir.interp.NdArray;

/**
 * The one definition of an op: name, arity, attribute schema, shape/type rule, reference
 * interpreter kernel, gradient rule and (later) lowering. Everything the compiler knows about an
 * op is here; nothing else switches on op names.
 *
 * <pre>{@code
 * OpDef relu = OpDef.builder("relu").inputs(1)
 *     .shape((in, a) -> in.get(0))
 *     .kernel((in, a, out) -> in.get(0).map(v -> Math.max(v, 0)))
 *     .doc("max(x, 0), elementwise")
 *     .build();
 * }</pre>
 */
public final class OpDef {
    /** Kinds of attribute values (see {@link Attrs} for the Java types). */
    public enum AttrKind { INT, FLOAT, BOOL, STRING, DTYPE, SHAPE, INTS, FLOATS, STRINGS, CONSTANT }

    /** One attribute: name, kind, default (null = required). */
    public record AttrSpec(String name, AttrKind kind, Object dflt, String doc) {}

    /** Infers the result type from operand types and attributes, or throws {@link ShapeException}. */
    @FunctionalInterface
    public interface ShapeRule { TensorType infer(List<TensorType> inputs, Attrs attrs); }

    /**
     * Reference kernel: plain, obviously correct Java. {@code out} is the node's result type with
     * every symbol bound to its runtime value.
     */
    @FunctionalInterface
    public interface Kernel { NdArray eval(List<NdArray> inputs, Attrs attrs, TensorType out); }

    /**
     * Reverse-mode rule: given the forward node and the gradient of its result, returns one gradient
     * node per operand (null where the operand is not differentiable).
     */
    @FunctionalInterface
    public interface GradRule { List<Node> grad(Node forward, Node gradOut); }

    private final String name;
    private final int minInputs, maxInputs;
    private final Map<String, AttrSpec> attrs;
    private final ShapeRule shapeRule;
    private final Kernel kernel;
    private final GradRule grad;
    private final boolean stateful;
    private final String doc;

    private OpDef(Builder b) {
        this.name = b.name;
        this.minInputs = b.minInputs;
        this.maxInputs = b.maxInputs;
        this.attrs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.attrs));
        this.shapeRule = b.shapeRule;
        this.kernel = b.kernel;
        this.grad = b.grad;
        this.stateful = b.stateful;
        this.doc = b.doc;
    }

    public static Builder builder(String name) { return new Builder(name); }

    public String name() { return name; }
    public int minInputs() { return minInputs; }
    /** Maximum operand count; {@link Integer#MAX_VALUE} for variadic ops. */
    public int maxInputs() { return maxInputs; }
    public Map<String, AttrSpec> attrSpecs() { return attrs; }
    public ShapeRule shapeRule() { return shapeRule; }
    public Kernel kernel() { return kernel; }
    /** The gradient rule, or null when the op is not differentiable (yet). */
    public GradRule gradRule() { return grad; }
    /** True for ops whose result is not a pure function of operands and attributes (dropout in training). */
    public boolean isStateful() { return stateful; }
    public String doc() { return doc; }

    public void checkArity(int n) {
        if (n < minInputs || n > maxInputs) {
            String want = minInputs == maxInputs ? String.valueOf(minInputs)
                    : maxInputs == Integer.MAX_VALUE ? "at least " + minInputs : minInputs + " to " + maxInputs;
            throw new ShapeException(name + " takes " + want + " operand" + ("1".equals(want) ? "" : "s") + ", got " + n);
        }
    }

    /** Validates attributes against the schema and fills in defaults. */
    public Attrs checkAttrs(Attrs given) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (var e : given.asMap().entrySet()) {
            AttrSpec spec = attrs.get(e.getKey());
            if (spec == null)
                throw new ShapeException(name + " has no attribute '" + e.getKey() + "'",
                        attrs.isEmpty() ? name + " takes no attributes" : "known attributes: " + String.join(", ", attrs.keySet()));
            if (!kindMatches(spec.kind(), e.getValue()))
                throw new ShapeException(name + " attribute '" + e.getKey() + "' must be " + kindText(spec.kind()) + ", got " + e.getValue());
            out.put(e.getKey(), e.getValue());
        }
        for (AttrSpec s : attrs.values()) {
            if (out.containsKey(s.name())) continue;
            if (s.dflt() == null) throw new ShapeException(name + " needs attribute '" + s.name() + "'");
            out.put(s.name(), s.dflt());
        }
        return Attrs.of(out);
    }

    static boolean kindMatches(AttrKind k, Object v) {
        return switch (k) {
            case INT -> v instanceof Long;
            case FLOAT -> v instanceof Double || v instanceof Long;
            case BOOL -> v instanceof Boolean;
            case STRING -> v instanceof String;
            case DTYPE -> v instanceof DType;
            case SHAPE -> v instanceof Shape;
            case INTS -> v instanceof List<?> l && l.stream().allMatch(x -> x instanceof Long);
            case FLOATS -> v instanceof List<?> l && l.stream().allMatch(x -> x instanceof Double || x instanceof Long);
            case STRINGS -> v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String);
            case CONSTANT -> v instanceof Constant;
        };
    }

    static String kindText(AttrKind k) {
        return switch (k) {
            case INT -> "an integer"; case FLOAT -> "a number"; case BOOL -> "true or false"; case STRING -> "a string";
            case DTYPE -> "a dtype"; case SHAPE -> "a shape"; case INTS -> "a list of integers";
            case FLOATS -> "a list of numbers"; case STRINGS -> "a list of strings"; case CONSTANT -> "a tensor constant";
        };
    }

    @Override public String toString() { return name; }

    public static final class Builder {
        private final String name;
        private int minInputs = 0, maxInputs = 0;
        private final Map<String, AttrSpec> attrs = new LinkedHashMap<>();
        private ShapeRule shapeRule;
        private Kernel kernel;
        private GradRule grad;
        private boolean stateful;
        private String doc = "";

        private Builder(String name) { this.name = name; }

        public Builder inputs(int n) { minInputs = maxInputs = n; return this; }
        public Builder inputs(int min, int max) { minInputs = min; maxInputs = max; return this; }
        public Builder variadic(int min) { minInputs = min; maxInputs = Integer.MAX_VALUE; return this; }
        /** Declares an attribute; {@code dflt == null} makes it required. */
        public Builder attr(String n, AttrKind kind, Object dflt, String doc) {
            attrs.put(n, new AttrSpec(n, kind, dflt == null ? null : Attrs.normalize(dflt), doc));
            return this;
        }
        public Builder attr(String n, AttrKind kind, Object dflt) { return attr(n, kind, dflt, ""); }
        /**
         * Applies settings several ops share, e.g. a forward op's attributes that its gradient op
         * repeats: {@code OpDef.builder("max_pool2d_grad").inputs(2).with(b -> NnOps.poolAttrs(b, true))}.
         */
        public Builder with(UnaryOperator<Builder> shared) { return shared.apply(this); }
        public Builder shape(ShapeRule r) { shapeRule = r; return this; }
        public Builder kernel(Kernel k) { kernel = k; return this; }
        public Builder grad(GradRule g) { grad = g; return this; }
        public Builder stateful() { stateful = true; return this; }
        public Builder doc(String d) { doc = d; return this; }
        public OpDef build() {
            if (shapeRule == null) throw new IllegalStateException("op " + name + " has no shape rule");
            if (kernel == null) throw new IllegalStateException("op " + name + " has no interpreter kernel");
            return new OpDef(this);
        }
    }

    /** Helper for families: a list builder that keeps definition order. */
    public static List<OpDef> list(OpDef... defs) { return new ArrayList<>(List.of(defs)); }
}
