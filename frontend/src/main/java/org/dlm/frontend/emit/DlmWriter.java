package org.dlm.frontend.emit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;

/**
 * Writes a {@link Graph} as a readable {@code .dlm} model whose compilation computes the same
 * function with the same parameter names.
 *
 * <p>Mapping:
 * <ul>
 * <li>A parameter {@code a.b.weight} becomes the member {@code weight} of the field {@code b} of the
 *     model field {@code a}. Groups of parameters are small generated layers
 *     ({@code fn A_b() { param weight: f32[...] = zeros() }}); numeric path segments
 *     ({@code layers.0.weight}) become lists of layers ({@code layers = [Layers_0(), ...]}, gaps are
 *     {@code none}). Non-trainable params are {@code buffer}s. Values come from the weights file,
 *     so every initializer is {@code zeros()}.</li>
 * <li>Recognized patterns use {@code std.nn} layers: a {@code conv2d} whose operands are the f32
 *     params {@code X.weight} (and {@code X.bias}), with nothing else under {@code X}, becomes
 *     {@code X = Conv2d(in, out, kernel = [kh, kw], ...)} and the call {@code X(h)}; {@code linear} likewise
 *     becomes {@code X = Linear(in, out)}.</li>
 * <li>Other nodes are {@code prim.<op>(operands..., attribute = value)} calls with non-default
 *     attributes as named arguments, bound by {@code let} with names from the layer path or the op;
 *     single-use short expressions are inlined.</li>
 * <li>Constants: scalars are literals (next to a tensor operand of their dtype) or
 *     {@code prim.cast(v, dtype = t)}; splats are {@code prim.expand(...)}; other constants up to
 *     {@link #MAX_CONST_ELEMENTS} elements are a {@code tensor([...], t, [shape])} helper call; larger ones
 *     are refused ({@link DlmWriteException}).</li>
 * <li>Names that are not .dlm identifiers (or collide with keywords and other names) are renamed:
 *     {@link Result#paramNames()} maps every graph param to its name in the written model, so
 *     weights can be saved under the new names.</li>
 * </ul>
 * A graph with several outputs declares them all as named results of forward,
 * {@code -> (logits: f32[B, 10], probs: f32[B, 10])}, and returns them with {@code return (a, b)}.
 */
public final class DlmWriter {
    private DlmWriter() {}

    /** Largest non-splat constant written as a literal list. */
    public static final int MAX_CONST_ELEMENTS = 4096;

    /**
     * The text, the name of every graph param (graph name → name in the written model), of every
     * input, and of every output in graph order.
     */
    public record Result(String text, Map<String, String> paramNames, Map<String, String> inputNames, List<String> outputNames) {
        /** The name of the first (usually the only) output in the written model. */
        public String outputName() { return outputNames.getFirst(); }

        /** True when a param, input or the output has another name in the written model. */
        public boolean renamed() {
            return paramNames.entrySet().stream().anyMatch(e -> !e.getKey().equals(e.getValue()))
                    || inputNames.entrySet().stream().anyMatch(e -> !e.getKey().equals(e.getValue()));
        }
    }

    /** A graph the writer cannot express; one problem per line. */
    public static final class DlmWriteException extends RuntimeException {
        private final List<String> problems;

        public DlmWriteException(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() { return problems; }
    }

    public static String write(Graph g) { return emit(g).text(); }

    public static Result emit(Graph g) { return new Emitter(g).run(); }

    static final Set<String> KEYWORDS = Set.of("import", "as", "model", "fn", "train", "let", "param", "buffer", "forward", "return",
            "assert", "if", "then", "else", "for", "and", "or", "not", "true", "false", "none", "in");
    static final Set<String> RESERVED = Set.of("prim", "Sequential", "len", "float", "int", "shape", "rank", "dtype", "is_list",
            "is_tensor", "f32", "f64", "f16", "bf16", "i8", "u8", "i32", "i64", "bool", "string", "list", "layer", "any", "tensor",
            "Conv2d", "Linear", "BatchNorm2d", "LayerNorm", "zeros", "ones", "constant", "uniform", "normal", "kaiming_uniform", "kaiming_normal",
            "xavier_uniform", "xavier_normal", "output");

    static boolean isIdent(String s) {
        return s.matches("[A-Za-z_][A-Za-z0-9_]*") && !KEYWORDS.contains(s);
    }

    static String sanitize(String s) {
        String t = s.replaceAll("[^A-Za-z0-9_]", "_");
        if (t.isEmpty() || !Character.isLetter(t.charAt(0)) && t.charAt(0) != '_') t = "p_" + t;
        if (KEYWORDS.contains(t) || RESERVED.contains(t)) t = t + "_";
        return t;
    }

    /** A node of the parameter tree: a param leaf, or a group of named children. */
    private static final class Group {
        final String path;  // dlm path, "" for the model
        final Map<String, Group> children = new LinkedHashMap<>();
        Node param;
        String layer;       // "Conv2d(...)" / "Linear(...)" when recognized
        String fnName;

        Group(String path) { this.path = path; }

        boolean numeric() { return !children.isEmpty() && children.keySet().stream().allMatch(k -> k.matches("[0-9]+")); }
    }

    private static final class Emitter {
        final Graph g;
        final List<String> problems = new ArrayList<>();
        final Group root = new Group("");
        final Map<Node, String> paramRef = new IdentityHashMap<>();
        final Map<String, String> paramNames = new LinkedHashMap<>();
        final Map<String, String> inputNames = new LinkedHashMap<>();
        final Set<String> used = new HashSet<>();
        final Map<Node, String> names = new IdentityHashMap<>();   // let-bound or leaf expressions
        final Map<Node, Integer> uses = new IdentityHashMap<>();
        final Map<String, Integer> counters = new HashMap<>();
        final StringBuilder fns = new StringBuilder();
        final StringBuilder body = new StringBuilder();
        String model;
        final List<String> outNames = new ArrayList<>();
        /** Constants too long to inline, bound by let just before their first use (none when all uses are literals). */
        final Map<Node, String> pendingConst = new IdentityHashMap<>();
        boolean needTensorHelper;
        final Set<String> imports = new java.util.TreeSet<>();

        Emitter(Graph g) { this.g = g; }

        Result run() {
            if (g.outputs().isEmpty()) throw new DlmWriteException(List.of("the graph has no outputs"));
            used.addAll(RESERVED);
            for (Node in : g.inputs())  // symbolic dims are names in forward: lets must not shadow them
                for (Dim d : in.shape().dims())
                    for (String sym : d.symbols()) {
                        if (!isIdent(sym)) problems.add("input dimension '" + sym + "' is not a .dlm name");
                        used.add(sym);
                    }
            for (Node in : g.inputs()) {
                String n = in.attrs().getString("name");
                String m = unique(isIdent(n) && !RESERVED.contains(n) ? n : sanitize(n));
                inputNames.put(n, m);
                names.put(in, m);
            }
            buildTree();
            List<Node> order = g.topoOrder();
            for (Node n : order) for (Node i : n.inputs()) uses.merge(i, 1, Integer::sum);
            for (Graph.Output o : g.outputs()) uses.merge(o.node(), 2, Integer::sum);
            recognize(order);
            String name = isIdent(g.name()) && !RESERVED.contains(g.name()) ? g.name() : sanitize(g.name());
            model = used.contains(name) ? unique(name + "Model") : unique(name);  // before the generated layers take names
            checkListParams(root);
            emitGroups(root);
            for (Node n : order) emitNode(n);
            List<String> refs = problems.isEmpty() ? g.outputs().stream().map(o -> ref(o.node())).toList() : null;
            if (!problems.isEmpty()) throw new DlmWriteException(problems);
            String ret = refs.size() == 1 ? refs.getFirst() : "(" + String.join(", ", refs) + ")";
            String text = assemble(body, ret);
            return new Result(text, Map.copyOf(paramNames), Map.copyOf(inputNames), List.copyOf(outNames));
        }

        String unique(String base) {
            String b = base;
            if (used.contains(b) || KEYWORDS.contains(b)) {
                int k = counters.merge(base, 1, Integer::sum) + 1;
                b = base + "_" + k;
                while (used.contains(b)) b = base + "_" + (k = counters.merge(base, 1, Integer::sum) + 1);
            }
            used.add(b);
            return b;
        }

        // ------------------------------------------------------------ params

        void buildTree() {
            for (Node p : g.params()) {
                String name = p.attrs().getString("name");
                String[] segs = name.split("\\.", -1);
                List<String> out = new ArrayList<>();
                for (int i = 0; i < segs.length; i++) {
                    String s = segs[i];
                    if (i > 0 && s.matches("[0-9]{1,6}")) out.add(String.valueOf(Integer.parseInt(s)));
                    else out.add(isIdent(s) && !(i == 0 && RESERVED.contains(s)) ? s : sanitize(s));
                }
                // a param can't be a list element (w.0): such names, like non-identifiers, become one sanitized name
                if (!out.equals(List.of(segs)) || out.getLast().matches("[0-9]+")) out = List.of(sanitize(name));
                place(p, out);
            }
            // names of top-level fields must not be taken by inputs or lets
            Set<String> top = new HashSet<>(root.children.keySet());
            for (var e : inputNames.entrySet()) if (top.contains(e.getValue())) {
                String m = unique(e.getValue() + "_in");
                e.setValue(m);
            }
            for (Node in : g.inputs()) names.put(in, inputNames.get(in.attrs().getString("name")));
            used.addAll(top);
            fix(root);
            assignRefs(root, "");
        }

        void place(Node p, List<String> segs) {
            Group gr = root;
            StringBuilder path = new StringBuilder();
            for (int i = 0; i < segs.size(); i++) {
                String s = segs.get(i);
                if (gr.param != null) {  // a leaf param where a group is needed: give up the structure
                    place(p, List.of(unique(sanitize(p.attrs().getString("name")))));
                    return;
                }
                path.append(path.isEmpty() ? "" : ".").append(s);
                Group c = gr.children.get(s);
                if (c == null) gr.children.put(s, c = new Group(path.toString()));
                gr = c;
            }
            if (gr.param != null || !gr.children.isEmpty()) {
                place(p, List.of(unique(sanitize(p.attrs().getString("name")) + "_")));
                return;
            }
            gr.param = p;
            paramNames.put(p.attrs().getString("name"), gr.path);
        }

        /** Numeric and named children can't mix: rename numeric ones in a mixed group; the model's fields must be names. */
        void fix(Group gr) {
            boolean hasNum = gr.children.keySet().stream().anyMatch(k -> k.matches("[0-9]+"));
            boolean hasName = gr.children.keySet().stream().anyMatch(k -> !k.matches("[0-9]+"));
            if (hasNum && (hasName || gr == root)) {
                throw new DlmWriteException(List.of("parameters under '" + (gr.path.isEmpty() ? "<model>" : gr.path)
                        + "' mix numbered and named members, which a .dlm layer cannot express"));
            }
            for (Group c : gr.children.values()) fix(c);
        }

        void assignRefs(Group gr, String ref) {
            if (gr.param != null) { paramRef.put(gr.param, ref); return; }
            boolean num = gr.numeric();
            for (var e : gr.children.entrySet()) {
                String r = ref.isEmpty() ? e.getKey() : num ? ref + "[" + e.getKey() + "]" : ref + "." + e.getKey();
                assignRefs(e.getValue(), r);
            }
        }

        // ------------------------------------------------------------ patterns

        final Map<Node, Group> layerCalls = new IdentityHashMap<>();
        final Map<Node, String> inlinedOrigin = new IdentityHashMap<>();

        Group groupOf(Node param) {
            if (param == null || !param.opName().equals("param")) return null;
            String path = paramNames.get(param.attrs().getString("name"));
            if (path == null || !path.contains(".")) return null;
            Group gr = root;
            String[] segs = path.split("\\.");
            for (int i = 0; i < segs.length - 1; i++) gr = gr.children.get(segs[i]);
            return gr;
        }

        static boolean trainableF32(Node p) {
            return p.dtype() == DType.F32 && p.attrs().getBool("trainable", true);
        }

        void recognize(List<Node> order) {
            for (Node n : order) {
                if (recognizeNorm(n)) continue;
                boolean conv = n.opName().equals("conv2d"), lin = n.opName().equals("linear");
                if (n.opName().equals("gemm") && n.attrs().getDouble("alpha", 1) == 1 && n.attrs().getDouble("beta", 1) == 1
                        && !n.attrs().getBool("trans_a", false) && n.attrs().getBool("trans_b", false)
                        && (n.inputs().size() < 3 || n.input(2).shape().rank() == 1)) lin = true;
                if (!conv && !lin || n.inputs().size() < 2) continue;
                Node w = n.input(1), b = n.inputs().size() > 2 ? n.input(2) : null;
                Group gr = groupOf(w);
                if (gr == null || !trainableF32(w) || n.input(0).dtype() != DType.F32) continue;
                if (gr.children.get("weight") == null || gr.children.get("weight").param != w) continue;
                Group bg = gr.children.get("bias");
                if (b != null && (bg == null || bg.param != b || !trainableF32(b))) continue;
                if (gr.children.size() != (b == null ? 1 : 2) || (b == null && bg != null)) continue;
                String config;
                if (conv) {
                    if (n.input(0).shape().rank() != 4) continue;
                    long groups = n.attrs().getLong("groups", 1);
                    List<Dim> ws = w.shape().dims();
                    long out = ws.get(0).value(), in = ws.get(1).value() * groups;
                    if (!n.input(0).shape().dims().get(1).equals(Dim.of(in))) continue;
                    String stride = compact(n.attrs().getLongs("stride")), padding = compact(n.attrs().getLongs("padding"));
                    String dilation = compact(n.attrs().getLongs("dilation"));
                    long kh = ws.get(2).value(), kw = ws.get(3).value();
                    config = "Conv2d(" + in + ", " + out + ", kernel = " + (kh == kw ? String.valueOf(kh) : ints(List.of(kh, kw)))
                            + (stride.equals("1") ? "" : ", stride = " + stride) + (padding.equals("0") ? "" : ", padding = " + padding)
                            + (dilation.equals("1") ? "" : ", dilation = " + dilation)
                            + (groups != 1 ? ", groups = " + groups : "") + (b == null ? ", bias = false" : "") + ")";
                } else {
                    List<Dim> ws = w.shape().dims();
                    List<Dim> xs = n.input(0).shape().dims();
                    if (xs.isEmpty() || !xs.getLast().equals(ws.get(1))) continue;
                    config = "Linear(" + ws.get(1).value() + ", " + ws.get(0).value() + (b == null ? ", bias = false" : "") + ")";
                }
                if (gr.layer == null) {
                    gr.layer = config;
                    imports.add(conv ? "Conv2d" : "Linear");
                }
                if (gr.layer.equals(config)) layerCalls.put(n, gr);
            }
        }

        /** batch_norm (inference) on X.weight, X.bias, X.running_mean, X.running_var → BatchNorm2d; layer_norm on X.weight, X.bias → LayerNorm. */
        boolean recognizeNorm(Node n) {
            boolean bn = n.opName().equals("batch_norm"), ln = n.opName().equals("layer_norm");
            if (!bn && !ln) return false;
            List<String> members = bn ? List.of("weight", "bias", "running_mean", "running_var") : List.of("weight", "bias");
            if (n.inputs().size() != members.size() + 1 || n.input(0).dtype() != DType.F32) return false;
            Group gr = groupOf(n.input(1));
            if (gr == null || gr.children.size() != members.size()) return false;
            for (int k = 0; k < members.size(); k++) {
                Group c = gr.children.get(members.get(k));
                Node p = n.input(k + 1);
                if (c == null || c.param != p || p.dtype() != DType.F32 || p.shape().rank() != 1 || !p.shape().dims().getFirst().isConst()) return false;
                if (!p.shape().equals(n.input(1).shape())) return false;
            }
            Dim features = n.input(1).shape().dims().getFirst();
            List<Dim> xs = n.input(0).shape().dims();
            double eps = n.attrs().getDouble("eps", 1e-5);
            String epsArg = eps == 1e-5 ? "" : ", eps = " + number(eps);
            String config;
            if (bn) {
                if (n.attrs().getBool("training", false) || xs.size() != 4 || !xs.get(1).equals(features)) return false;
                config = "BatchNorm2d(" + features.value() + epsArg + ")";
            } else {
                long axis = n.attrs().getLong("axis", -1);
                if (xs.isEmpty() || axis != -1 && axis != xs.size() - 1 || !xs.getLast().equals(features)) return false;
                config = "LayerNorm(" + features.value() + epsArg + ")";
            }
            if (gr.layer == null) {
                gr.layer = config;
                imports.add(bn ? "BatchNorm2d" : "LayerNorm");
            }
            if (gr.layer.equals(config)) layerCalls.put(n, gr);
            return true;
        }

        static String compact(List<Long> v) {
            return v.stream().distinct().count() == 1 ? String.valueOf(v.getFirst()) : ints(v);
        }

        static String ints(List<Long> v) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < v.size(); i++) sb.append(i > 0 ? ", " : "").append(v.get(i));
            return sb.append("]").toString();
        }

        // ------------------------------------------------------------ forward

        void emitNode(Node n) {
            switch (n.opName()) {
                case "input" -> { return; }
                case "param" -> { names.put(n, paramRef.get(n)); return; }
                default -> {}
            }
            String expr;
            String base;
            Group layer = layerCalls.get(n);
            if (layer != null) {
                expr = groupRef(layer) + "(" + ref(n.input(0)) + ")";
                base = layer.path.replace('.', '_') + "_out";
            } else if (n.opName().equals("const")) {
                expr = constant((Constant) n.attrs().get("value"));
                if (expr == null) return;
                // short constants are written at every use: equal constants are one node again (hash-consing)
                if (expr.length() <= 32) names.put(n, expr);
                else pendingConst.put(n, expr);
                return;
            } else {
                expr = primCall(n);
                base = n.opName();
                String from = null;
                for (Node i : n.inputs()) {
                    Group gi = i.opName().equals("param") ? groupOf(i) : null;
                    if (gi != null) { from = gi.path.replace('.', '_'); break; }
                }
                // named after the layer its (inlined) operand comes from: conv1_max_pool2d = max_pool2d(relu(conv1(x)))
                for (int k = 0; from == null && k < n.inputs().size(); k++) from = inlinedOrigin.get(n.input(k));
                if (from != null) {
                    base = from + "_" + n.opName();
                    inlinedOrigin.put(n, from);
                }
            }
            if (layer != null) inlinedOrigin.put(n, layer.path.replace('.', '_'));
            if (expr == null) return;
            int u = uses.getOrDefault(n, 0);
            if (u == 2 && g.outputs().size() == 1 && n == g.outputs().getFirst().node() && expr.length() <= 60) {  // only returned: return it directly
                names.put(n, expr);
                return;
            }
            if (u == 1 && expr.length() <= 48 && !n.opName().equals("const")) {
                names.put(n, expr);
                return;
            }
            inlinedOrigin.remove(n);  // let-bound: its name says where it comes from
            String v = unique(sanitize(base));
            body.append("        let ").append(v).append(" = ").append(expr).append('\n');
            names.put(n, v);
        }

        /** How an operand is written; binds a pending constant on first use. */
        String ref(Node i) {
            String e = pendingConst.remove(i);
            if (e != null) {
                if (uses.getOrDefault(i, 0) == 1 && e.length() <= 80) names.put(i, e);
                else {
                    String v = unique("c");
                    body.append("        let ").append(v).append(" = ").append(e).append('\n');
                    names.put(i, v);
                }
            }
            return names.get(i);
        }

        String groupRef(Group gr) {
            Node any = firstParam(gr);
            String r = paramRef.get(any);
            // strip the param's own segments below gr
            String tail = paramNames.get(any.attrs().getString("name")).substring(gr.path.length() + 1);
            return r.substring(0, r.length() - tail.length() - 1);
        }

        static Node firstParam(Group gr) {
            if (gr.param != null) return gr.param;
            for (Group c : gr.children.values()) {
                Node p = firstParam(c);
                if (p != null) return p;
            }
            return null;
        }

        String primCall(Node n) {
            OpDef def = n.op();
            // and, or, not are keywords: the language's operators lower to these ops
            if (n.opName().equals("not") && n.inputs().size() == 1) return "(not " + ref(n.input(0)) + ")";
            if ((n.opName().equals("and") || n.opName().equals("or")) && n.inputs().size() == 2)
                return "(" + ref(n.input(0)) + " " + n.opName() + " " + ref(n.input(1)) + ")";
            StringBuilder sb = new StringBuilder("prim.").append(n.opName()).append('(');
            boolean first = true;
            for (int k = 0; k < n.inputs().size(); k++) {
                Node i = n.input(k);
                sb.append(first ? "" : ", ");
                first = false;
                String lit = literalOperand(n, k);
                sb.append(lit != null ? lit : ref(i));
            }
            for (var e : n.attrs().asMap().entrySet()) {
                OpDef.AttrSpec spec = def.attrSpecs().get(e.getKey());
                if (spec != null && spec.dflt() != null && Objects.equals(org.dlm.ir.Attrs.normalize(spec.dflt()), e.getValue())) continue;
                String v = attrValue(e.getValue(), n);
                if (v == null) return null;
                sb.append(first ? "" : ", ").append(e.getKey()).append(" = ").append(v);
                first = false;
            }
            return sb.append(')').toString();
        }

        /** A rank-0 constant operand written as a bare number: it takes the dtype of the first tensor operand. */
        String literalOperand(Node n, int k) {
            Node c = n.input(k);
            if (!c.opName().equals("const") || c.shape().rank() != 0) return null;
            Node firstTensor = null;
            for (int j = 0; j < n.inputs().size(); j++) {
                if (j == k) continue;
                Node o = n.input(j);
                if (o.opName().equals("const") && o.shape().rank() == 0) continue;
                firstTensor = o;
                break;
            }
            if (firstTensor == null || firstTensor.dtype() != c.dtype() || c.dtype() == DType.BOOL) return null;
            // other rank-0 constants operands before it would also be numbers: keep it simple, only when k is not first
            double v = ((Constant) c.attrs().get("value")).value(0);
            if (c.dtype().isInteger()) return v == Math.rint(v) && Math.abs(v) < 9.0e15 ? String.valueOf((long) v) : null;
            if (Double.isNaN(v) || Double.isInfinite(v) || v == 0 && 1 / v < 0) return null;
            return lit(c.dtype(), v);
        }

        String attrValue(Object v, Node n) {
            return switch (v) {
                case Long l -> String.valueOf(l);
                case Double d -> number(d);
                case Boolean b -> b.toString();
                case String s -> quote(s);
                case DType t -> t.text();
                case Shape s -> dims(s);
                case List<?> l -> {
                    StringBuilder sb = new StringBuilder("[");
                    for (int i = 0; i < l.size(); i++) {
                        String x = attrValue(l.get(i), n);
                        if (x == null) yield null;
                        sb.append(i > 0 ? ", " : "").append(x);
                    }
                    yield sb.append("]").toString();
                }
                default -> {
                    problems.add(n.opName() + ": attribute value " + v + " has no .dlm form");
                    yield null;
                }
            };
        }

        String dims(Shape s) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < s.rank(); i++) sb.append(i > 0 ? ", " : "").append(s.dims().get(i));
            return sb.append("]").toString();
        }

        static String number(double d) {
            if (Double.isNaN(d)) return "prim.log(-1.0)";
            if (Double.isInfinite(d)) return d > 0 ? "prim.exp(1000.0)" : "-prim.exp(1000.0)";
            if (d == 0 && 1 / d < 0) return "-0.0";
            String s = Double.toString(d);
            return s;
        }

        static String quote(String s) {
            StringBuilder sb = new StringBuilder("\"");
            for (char ch : s.toCharArray()) {
                switch (ch) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\t' -> sb.append("\\t");
                    default -> sb.append(ch);
                }
            }
            return sb.append('"').toString();
        }

        /** A literal for a value of the dtype: f32 values in their shortest float text (exact once rounded to f32). */
        static String lit(DType t, double v) {
            if (t.isInteger() || t == DType.BOOL) return String.valueOf((long) v);
            if (t == DType.F32 && !Double.isNaN(v) && !Double.isInfinite(v) && !(v == 0 && 1 / v < 0)) return Float.toString((float) v);
            return number(v);
        }

        /** An exact scalar tensor of the dtype. */
        String scalar(DType t, double v) {
            if (t == DType.BOOL) return "prim.cast(" + (v != 0 ? 1 : 0) + ", dtype = bool)";
            String lit = lit(t, v);
            boolean exactF32 = t.isInteger() ? Math.abs(v) <= (1 << 24) : Double.isNaN(v) || (double) (float) v == v;
            if (exactF32 && !(v == 0 && 1 / v < 0)) return "prim.cast(" + lit + ", dtype = " + t.text() + ")";
            return "prim.add(prim.cast(0, dtype = " + t.text() + "), " + lit + ")";
        }

        String constant(Constant c) {
            TensorType tt = c.type();
            DType t = tt.dtype();
            int size = c.size();
            if (tt.shape().rank() == 0) return scalar(t, c.value(0));
            boolean splat = true;
            for (int i = 1; i < size && splat; i++) splat = Double.compare(c.value(i), c.value(0)) == 0;
            if (splat && size > 0) return "prim.expand(" + scalar(t, c.value(0)) + ", shape = " + dims(tt.shape()) + ")";
            if (size > MAX_CONST_ELEMENTS) {
                problems.add("constant " + tt + " has " + size + " elements (at most " + MAX_CONST_ELEMENTS
                        + " non-uniform elements can be written as a .dlm literal)");
                return null;
            }
            needTensorHelper = true;
            StringBuilder sb = new StringBuilder("tensor([");
            for (int i = 0; i < size; i++) {
                double v = c.value(i);
                sb.append(i > 0 ? ", " : "");
                sb.append(lit(t, v));
            }
            sb.append("], ").append(t == DType.BOOL ? "i64" : t.text()).append(", ").append(dims(tt.shape())).append(")");
            return t == DType.BOOL ? "prim.cast(" + sb + ", dtype = bool)" : sb.toString();
        }

        // ------------------------------------------------------------ layers and file

        void emitGroups(Group gr) {
            for (Group c : gr.children.values()) emitGroups(c);
            if (gr == root || gr.param != null || gr.layer != null || gr.numeric()) return;
            gr.fnName = unique(fnName(gr.path));
            StringBuilder sb = new StringBuilder();
            sb.append("// parameters under '").append(gr.path).append("'\n");
            sb.append("fn ").append(gr.fnName).append("() {\n");
            boolean hasParam = members(gr, sb, "    ");
            if (!hasParam) sb.append("    forward(x) { return x }\n");
            sb.append("}\n\n");
            fns.append(sb);
        }

        static String fnName(String path) {
            StringBuilder sb = new StringBuilder();
            for (String s : path.split("\\.")) {
                if (sb.length() > 0) sb.append('_');
                sb.append(Character.toUpperCase(s.charAt(0))).append(s.substring(1));
            }
            String n = sb.toString();
            return Character.isLetter(n.charAt(0)) ? n : "L" + n;
        }

        /** Writes the members of a group; true when it declares a param or buffer directly. */
        boolean members(Group gr, StringBuilder sb, String indent) {
            boolean hasParam = false;
            for (var e : gr.children.entrySet()) {
                Group c = e.getValue();
                if (c.param != null) {
                    Node p = c.param;
                    boolean trainable = p.attrs().getBool("trainable", true);
                    sb.append(indent).append(trainable ? "param " : "buffer ").append(e.getKey()).append(": ")
                            .append(p.type()).append(" = zeros()\n");
                    hasParam = true;
                } else {
                    sb.append(indent).append(e.getKey()).append(" = ").append(ctor(c)).append('\n');
                }
            }
            return hasParam;
        }

        String ctor(Group c) {
            if (c.layer != null) return c.layer;
            if (c.numeric()) {
                int max = c.children.keySet().stream().mapToInt(Integer::parseInt).max().orElse(-1);
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i <= max; i++) {
                    Group x = c.children.get(String.valueOf(i));
                    sb.append(i > 0 ? ", " : "").append(x == null ? "none" : ctor(x));
                }
                return sb.append("]").toString();
            }
            if (c.param != null) throw new IllegalStateException("a param in a list: " + c.path);
            return c.fnName + "()";
        }

        String assemble(StringBuilder body, String ret) {
            StringBuilder sb = new StringBuilder();
            sb.append("// ").append(g.name()).append(": written by the DLM ONNX importer (dlmc onnx-import)\n");
            if (!imports.isEmpty()) sb.append("import std.nn.{").append(String.join(", ", imports)).append("}\n");
            sb.append('\n');
            if (needTensorHelper) {
                sb.append("// a constant tensor from its values in row-major order\n");
                sb.append("fn tensor(values: list, t, shape: list) =\n");
                sb.append("    prim.reshape(prim.concat([prim.reshape(prim.add(prim.cast(0, dtype = t), v), shape = [1]) for v in values], axis = 0), shape = shape)\n\n");
            }
            sb.append(fns);
            sb.append("model ").append(model).append(" {\n");
            if (members(root, sb, "    ")) sb.append('\n');
            else if (!root.children.isEmpty()) sb.append('\n');
            sb.append("    forward(");
            for (int i = 0; i < g.inputs().size(); i++) {
                Node in = g.inputs().get(i);
                sb.append(i > 0 ? ", " : "").append(names.get(in)).append(": ").append(in.type());
            }
            sb.append(") -> ");
            if (g.outputs().size() == 1) {
                Graph.Output out = g.outputs().getFirst();
                String outName = resultName(out.name());
                if (!outName.equals("output")) sb.append(outName).append(": ");
                outNames.add(outName);
                sb.append(out.node().type()).append(" {\n");
            } else {
                sb.append("(");
                for (Graph.Output out : g.outputs()) {
                    String outName = resultName(out.name());
                    for (int k = 2; outNames.contains(outName); k++) outName = resultName(out.name()) + "_" + k;
                    sb.append(outNames.isEmpty() ? "" : ", ").append(outName).append(": ").append(out.node().type());
                    outNames.add(outName);
                }
                sb.append(") {\n");
            }
            sb.append(body);
            sb.append("        return ").append(ret).append('\n');
            sb.append("    }\n}\n");
            return sb.toString();
        }

        /** A graph output's name as a .dlm result name: an identifier that no input has. */
        String resultName(String name) {
            if (isIdent(name) && !inputNames.containsValue(name)) return name;
            return sanitize(name + (inputNames.containsValue(name) ? "_out" : ""));
        }

        /** Params directly in a list ({@code w.0}) would need a layer per element: wrap is not possible, so refuse clearly. */
        void checkListParams(Group gr) {
            if (gr.numeric()) for (Group c : gr.children.values()) if (c.param != null)
                throw new DlmWriteException(List.of("parameter '" + c.param.attrs().getString("name")
                        + "' is an element of a list, which a .dlm layer cannot declare"));
            for (Group c : gr.children.values()) checkListParams(c);
        }
    }
}
