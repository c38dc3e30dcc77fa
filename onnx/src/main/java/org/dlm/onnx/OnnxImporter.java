package org.dlm.onnx;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.GraphProto;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.onnx.proto.OnnxProto.NodeProto;
import org.dlm.onnx.proto.OnnxProto.OperatorSetIdProto;
import org.dlm.onnx.proto.OnnxProto.TensorProto;
import org.dlm.onnx.proto.OnnxProto.TensorShapeProto;
import org.dlm.onnx.proto.OnnxProto.TypeProto;
import org.dlm.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * Imports an ONNX model (opsets 7–21, default domain) into Graph IR.
 *
 * <p>Initializers become {@code param} nodes (floating ones trainable) except small integer ones,
 * which become {@code const}; {@code Constant} nodes become {@code const}. Operands that must be
 * known at import time (shapes, axes, pads) are read from constants and initializers, and every
 * node whose operands are all constants is folded. Everything unsupported in a model is reported
 * at once in one {@link OnnxException}.
 *
 * <pre>{@code
 * ImportedModel m = OnnxImporter.importFile(Path.of("model.onnx"), OnnxImporter.Options.DEFAULT);
 * Graph g = m.graph();           // params' values are in m.weights()
 * }</pre>
 */
public final class OnnxImporter {
    /**
     * Oldest and newest default-domain opsets accepted. The converters follow opsets 7–21; older
     * models are accepted for ops whose definition did not change (legacy broadcast attributes are
     * checked per node).
     */
    public static final int MIN_OPSET = 1, MAX_OPSET = 21;

    /** Integer initializers up to this many elements become constants (they are usually shapes or axes). */
    static final int SMALL_INT_INITIALIZER = 4096;
    /** Results of constant folding beyond this many elements stay computed at run time. */
    static final long FOLD_LIMIT = 1 << 22;

    /**
     * @param inputShapes concrete shapes for some graph inputs (by ONNX name), replacing symbolic
     *                    or unknown dims; the runner passes the shapes of the arrays it was given
     * @param inputValues values of some graph inputs, used only where a converter needs an operand
     *                    at import time (a shape, axes, pads computed from inputs); the graph is then
     *                    specialized to those values, which is right for a single run
     */
    public record Options(Map<String, long[]> inputShapes, Map<String, NdArray> inputValues) {
        public static final Options DEFAULT = new Options(Map.of(), Map.of());
        public Options {
            inputShapes = Map.copyOf(inputShapes);
            inputValues = Map.copyOf(inputValues);
        }

        /** Shapes and values of the arrays a single run will use. */
        public static Options specializedTo(Map<String, NdArray> inputs) {
            Map<String, long[]> shapes = new java.util.HashMap<>();
            inputs.forEach((k, v) -> shapes.put(k, v.shape()));
            return new Options(shapes, inputs);
        }
    }

    private OnnxImporter() {}

    public static ImportedModel importFile(Path file, Options options) {
        ModelProto m = load(file);
        Path dir = file.toAbsolutePath().getParent();
        return importModel(m, dir, options);
    }

    /** Reads and parses an ONNX file; any malformation is an {@link OnnxException} error. */
    public static ModelProto load(Path file) {
        if (!Files.isRegularFile(file)) throw OnnxException.error("model", "file '" + file + "' does not exist or is not a file");
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8) throw OnnxException.error("model", "file '" + file + "' is larger than 2 GB; ONNX keeps such weights as external data");
            return parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw OnnxException.error("model", "cannot read '" + file + "': " + e.getMessage());
        }
    }

    public static ModelProto parse(byte[] bytes) {
        ModelProto m;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setRecursionLimit(64);
            m = ModelProto.parseFrom(in);
        } catch (IOException e) {
            throw OnnxException.error("model", "is not a valid ONNX file (" + e.getMessage() + ")");
        }
        if (!m.hasGraph()) throw OnnxException.error("model", "is not an ONNX model: it has no graph");
        return m;
    }

    public static ImportedModel importModel(ModelProto m, Path modelDir, Options options) {
        int opset = defaultOpset(m);
        Session s = new Session(new TensorDecoder(modelDir), opset, options);
        Graph g = s.run(m.getGraph());
        return new ImportedModel(g, s.usedWeights(g), opset);
    }

    private static int defaultOpset(ModelProto m) {
        Long v = null;
        for (OperatorSetIdProto o : m.getOpsetImportList())
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) v = o.getVersion();
        if (v == null) {
            if (m.getOpsetImportCount() == 0 && m.getIrVersion() < 3) v = 1L;
            else if (m.getOpsetImportCount() == 0) throw OnnxException.error("model", "declares no opset (opset_import is empty)");
            else v = (long) MAX_OPSET; // only custom domains imported: their nodes are reported one by one
        }
        if (v < MIN_OPSET || v > MAX_OPSET)
            throw OnnxException.unsupported("opset", v + ": DLM imports opsets " + MIN_OPSET + " to " + MAX_OPSET + " (convert the model with onnx.version_converter)");
        return (int) (long) v;
    }

    /** Names made safe for file names and symbols: characters outside [A-Za-z0-9_.-] become '_'. */
    public static String safeName(String name) {
        return name.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    static String symbolName(String name) {
        String s = name.replaceAll("[^A-Za-z0-9_]", "_");
        if (s.isEmpty() || !Character.isLetter(s.charAt(0)) && s.charAt(0) != '_') s = "d_" + s;
        return s;
    }

    /** State of one import: ONNX value names to Graph IR nodes, initializers, problems found so far. */
    static final class Session {
        private final TensorDecoder decoder;
        private final int opset;
        private final Options options;
        private final Map<String, Node> values = new HashMap<>();
        /** Sequence values (ONNX sequence ops), resolved at import time: {@link SequenceConverters}. */
        private final Map<String, List<Node>> sequences = new HashMap<>();
        private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
        private final Map<String, NdArray> weights = new LinkedHashMap<>();
        private final Set<String> poisoned = new HashSet<>();
        private final List<OnnxIssue> issues = new ArrayList<>();
        /** Unknown op type → nodes using it, reported as one line per op type. */
        private final Map<String, List<String>> unknownOps = new LinkedHashMap<>();

        Session(TensorDecoder decoder, int opset, Options options) {
            this.decoder = decoder;
            this.opset = opset;
            this.options = options;
        }

        Graph run(GraphProto g) {
            for (TensorProto t : g.getInitializerList()) {
                if (t.getName().isEmpty()) { issues.add(OnnxIssue.error("model", "has an initializer without a name")); continue; }
                initializers.put(t.getName(), t);
            }
            List<Node> inputs = new ArrayList<>();
            for (ValueInfoProto vi : g.getInputList()) {
                if (initializers.containsKey(vi.getName())) continue;
                try {
                    Node in = inputNode(vi);
                    values.put(vi.getName(), in);
                    inputs.add(in);
                } catch (OnnxException e) {
                    issues.addAll(e.issues());
                    poisoned.add(vi.getName());
                }
            }
            if (g.getSparseInitializerCount() > 0)
                issues.add(OnnxIssue.unsupported("model", "sparse initializers (" + g.getSparseInitializer(0).getValues().getName() + ")"));

            Set<String> used = new HashSet<>();
            for (NodeProto n : g.getNodeList()) used.addAll(n.getInputList());
            for (ValueInfoProto o : g.getOutputList()) used.add(o.getName());

            for (NodeProto n : g.getNodeList()) convertNode(n, used);

            List<Graph.Output> outputs = new ArrayList<>();
            for (ValueInfoProto o : g.getOutputList()) {
                if (poisoned.contains(o.getName())) continue;
                try {
                    outputs.add(new Graph.Output(o.getName(), value(o.getName())));
                } catch (OnnxException e) {
                    issues.addAll(e.issues());
                }
            }
            unknownOps.forEach((op, nodes) -> issues.add(OnnxIssue.unsupported(op,
                    "is not a supported op (" + (nodes.size() == 1 ? "node " : nodes.size() + " nodes: ") + abbreviate(nodes) + ")")));
            if (g.getOutputCount() == 0) issues.add(OnnxIssue.error("model", "has no outputs"));
            if (!issues.isEmpty()) throw new OnnxException(sorted(issues));
            String name = g.getName().isEmpty() ? "onnx_model" : symbolName(g.getName());
            return new Graph(name, inputs, reachableParams(outputs), outputs, Map.of("source", "onnx", "opset", String.valueOf(opset)));
        }

        private static List<OnnxIssue> sorted(List<OnnxIssue> issues) {
            List<OnnxIssue> r = new ArrayList<>(issues.stream().filter(OnnxIssue::unsupported).toList());
            r.addAll(issues.stream().filter(i -> !i.unsupported()).toList());
            return r;
        }

        private static String abbreviate(List<String> names) {
            if (names.size() <= 8) return String.join(", ", names);
            return String.join(", ", names.subList(0, 8)) + ", ... " + (names.size() - 8) + " more";
        }

        private void convertNode(NodeProto n, Set<String> used) {
            boolean inputsPoisoned = n.getInputList().stream().anyMatch(poisoned::contains);
            String domain = n.getDomain();
            String label = n.getName().isEmpty() ? (n.getOutputCount() > 0 ? "producing '" + n.getOutput(0) + "'" : "#?") : n.getName();
            if ((domain.isEmpty() || domain.equals("ai.onnx")) && SequenceConverters.OPS.contains(n.getOpType())) {
                convertSequenceNode(n, used, inputsPoisoned);
                return;
            }
            Converter conv = domain.isEmpty() || domain.equals("ai.onnx") ? ConverterTable.standard().get(n.getOpType()) : null;
            if (conv == null) {
                String key = domain.isEmpty() || domain.equals("ai.onnx") ? n.getOpType() : domain + "." + n.getOpType();
                unknownOps.computeIfAbsent(key, k -> new ArrayList<>()).add(label);
                poisoned.addAll(n.getOutputList());
                return;
            }
            if (inputsPoisoned) { poisoned.addAll(n.getOutputList()); return; }
            List<Boolean> outUsed = n.getOutputList().stream().map(o -> !o.isEmpty() && used.contains(o)).toList();
            OpContext cx = new OpContext(n, opset, this, outUsed);
            try {
                List<Node> outs = conv.convert(cx);
                for (int k = 0; k < n.getOutputCount(); k++) {
                    String name = n.getOutput(k);
                    if (name.isEmpty()) continue;
                    if (k < outs.size() && outs.get(k) != null) values.put(name, outs.get(k));
                    else if (outUsed.get(k)) throw cx.unsupported("output " + (k + 1) + " ('" + name + "')");
                    else poisoned.add(name);
                }
            } catch (RuntimeException e) {
                failed(n, cx, e);
            }
        }

        static String describe(Throwable e) {
            String m = e.getMessage();
            return m == null || m.isBlank() ? "invalid node (" + e.getClass().getSimpleName() + ")" : m;
        }

        private Node inputNode(ValueInfoProto vi) {
            TypeProto t = vi.getType();
            String name = vi.getName();
            if (name.isEmpty()) throw OnnxException.error("model", "has a graph input without a name");
            if (!t.hasTensorType()) {
                String kind = switch (t.getValueCase()) {
                    case SEQUENCE_TYPE -> "a sequence"; case MAP_TYPE -> "a map"; case OPTIONAL_TYPE -> "an optional";
                    case SPARSE_TENSOR_TYPE -> "a sparse tensor"; default -> "of unknown type";
                };
                throw OnnxException.unsupported("input", "'" + name + "' is " + kind + "; only tensors are supported");
            }
            DType dtype = OnnxDTypes.require(t.getTensorType().getElemType(), "input '" + name + "'");
            long[] given = options.inputShapes().get(name);
            List<Dim> dims = new ArrayList<>();
            if (t.getTensorType().hasShape()) {
                TensorShapeProto sp = t.getTensorType().getShape();
                if (given != null && given.length != sp.getDimCount())
                    throw OnnxException.error("input", "'" + name + "' has rank " + sp.getDimCount() + " but was given an array of shape " + Arrays.toString(given));
                for (int i = 0; i < sp.getDimCount(); i++) {
                    TensorShapeProto.Dimension d = sp.getDim(i);
                    if (given != null) {
                        if (d.hasDimValue() && d.getDimValue() != given[i])
                            throw OnnxException.error("input", "'" + name + "' needs shape " + describe(sp) + " but was given " + Arrays.toString(given));
                        dims.add(Dim.of(given[i]));
                    } else if (d.hasDimValue()) {
                        if (d.getDimValue() < 0) throw OnnxException.error("input", "'" + name + "' has negative dimension " + d.getDimValue());
                        dims.add(Dim.of(d.getDimValue()));
                    } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                        dims.add(Dim.sym(symbolName(d.getDimParam())));
                    } else {
                        dims.add(Dim.sym(symbolName(name + "_" + i)));
                    }
                }
            } else if (given != null) {
                for (long v : given) dims.add(Dim.of(v));
            } else {
                throw OnnxException.unsupported("input", "'" + name + "' has no shape (unknown rank)");
            }
            return Node.of("input", List.of(), Attrs.of("name", name, "dtype", dtype, "shape", new Shape(dims)));
        }

        private static String describe(TensorShapeProto sp) {
            List<String> l = new ArrayList<>();
            for (TensorShapeProto.Dimension d : sp.getDimList()) l.add(d.hasDimValue() ? String.valueOf(d.getDimValue()) : d.hasDimParam() ? d.getDimParam() : "?");
            return l.toString();
        }

        /** The node for ONNX value {@code name}: computed, graph input, or initializer (made a node on first use). */
        private void convertSequenceNode(NodeProto n, Set<String> used, boolean inputsPoisoned) {
            if (inputsPoisoned) { poisoned.addAll(n.getOutputList()); return; }
            List<Boolean> outUsed = n.getOutputList().stream().map(o -> !o.isEmpty() && used.contains(o)).toList();
            OpContext cx = new OpContext(n, opset, this, outUsed);
            try {
                SequenceConverters.Value v = SequenceConverters.convert(cx, (c, i) -> {
                    String name = c.hasInput(i) ? n.getInput(i) : "";
                    List<Node> items = sequences.get(name);
                    if (items == null) throw c.error("operand " + (i + 1) + " ('" + name + "') is not a sequence");
                    return items;
                });
                if (n.getOutputCount() == 0 || n.getOutput(0).isEmpty()) return;
                switch (v) {
                    case SequenceConverters.Seq s -> sequences.put(n.getOutput(0), List.copyOf(s.items()));
                    case SequenceConverters.Tensor t -> values.put(n.getOutput(0), t.node());
                }
            } catch (RuntimeException e) {
                failed(n, cx, e);
            }
        }

        /** Records why node {@code n} could not be converted; its outputs are poisoned so later uses stay quiet. */
        private void failed(NodeProto n, OpContext cx, RuntimeException e) {
            switch (e) {
                case OnnxException o -> issues.addAll(o.issues());
                case ShapeException se -> issues.add(OnnxIssue.error(n.getOpType(), cx.where() + ": " + se.getMessage() + (se.hint() == null ? "" : " (" + se.hint() + ")")));
                // malformed attributes or operands that slipped past the converter's checks
                default -> issues.add(OnnxIssue.error(n.getOpType(), cx.where() + ": " + describe(e)));
            }
            poisoned.addAll(n.getOutputList());
        }

        Node value(String name) {
            Node n = values.get(name);
            if (n != null) return n;
            if (sequences.containsKey(name))
                throw OnnxException.unsupported("model", "value '" + name + "' is a sequence where a tensor is expected (sequences are supported only between sequence ops inside the graph)");
            TensorProto t = initializers.get(name);
            if (t == null) throw OnnxException.error("model", "uses value '" + name + "' before it is defined (or never defines it)");
            NdArray a = decoder.decode(t, "initializer '" + name + "'");
            if (!a.dtype().isFloating() && a.size() <= SMALL_INT_INITIALIZER) {
                n = constant(a);
            } else {
                weights.put(name, a);
                n = Node.of("param", List.of(), Attrs.of("name", name, "dtype", a.dtype(), "shape", Shape.of(a.shape()),
                        "trainable", a.dtype().isFloating()));
            }
            values.put(name, n);
            return n;
        }

        private final Map<Node, NdArray> known = new HashMap<>();

        /**
         * The value of {@code n} when known at import time: a constant, a param's initializer, a
         * graph input whose value the options give, or a small pure computation on such values.
         */
        NdArray staticValue(Node n) {
            if (known.containsKey(n)) return known.get(n);
            NdArray v = switch (n.opName()) {
                case "const" -> {
                    Constant c = (Constant) n.attrs().get("value");
                    yield new NdArray(c.type().dtype(), c.type().shape().sizes(), c.values());
                }
                case "param" -> weights.get(n.attrs().getString("name"));
                case "input" -> options.inputValues().get(n.attrs().getString("name"));
                default -> {
                    if (n.op().isStateful() || !n.shape().isStatic() || n.shape().numel().value() > FOLD_LIMIT) yield null;
                    List<NdArray> args = new ArrayList<>();
                    for (Node i : n.inputs()) {
                        NdArray a = staticValue(i);
                        if (a == null) yield null;
                        args.add(a);
                    }
                    yield Interpreter.evalNode(n, args, n.type(), "import-time evaluation of " + n.opName());
                }
            };
            known.put(n, v);
            return v;
        }

        Node constant(NdArray a) {
            return Node.of("const", List.of(), Attrs.of("value", OpContext.constantOf(a)));
        }

        /** Builds a node; folds it into a constant when all operands are constants (or it only reads a static shape). */
        Node build(OpDef def, List<Node> in, Attrs attrs) {
            Node n = Node.of(def, in, attrs);
            if (def.isStateful() || !n.shape().isStatic() || n.shape().numel().value() > FOLD_LIMIT) return n;
            if (def.name().equals("shape_of") && in.getFirst().shape().isStatic()) {
                long[] s = in.getFirst().shape().sizes();
                double[] d = new double[s.length];
                for (int i = 0; i < s.length; i++) d[i] = s[i];
                return constant(new NdArray(DType.I64, new long[] {s.length}, d));
            }
            if (in.isEmpty() || !in.stream().allMatch(OpContext::isConst)) return n;
            List<NdArray> args = in.stream().map(this::staticValue).toList();
            return constant(Interpreter.evalNode(n, args, n.type(), "constant folding of " + def.name()));
        }

        private List<Node> reachableParams(List<Graph.Output> outputs) {
            Set<Node> seen = new HashSet<>();
            Deque<Node> todo = new ArrayDeque<>();
            for (Graph.Output o : outputs) todo.push(o.node());
            List<Node> params = new ArrayList<>();
            while (!todo.isEmpty()) {
                Node n = todo.pop();
                if (!seen.add(n)) continue;
                if (n.opName().equals("param")) params.add(n);
                n.inputs().forEach(todo::push);
            }
            List<String> order = new ArrayList<>(weights.keySet());
            params.sort((a, b) -> Integer.compare(order.indexOf(a.attrs().getString("name")), order.indexOf(b.attrs().getString("name"))));
            return params;
        }

        Map<String, NdArray> usedWeights(Graph g) {
            Map<String, NdArray> r = new LinkedHashMap<>();
            for (Node p : g.params()) r.put(p.attrs().getString("name"), weights.get(p.attrs().getString("name")));
            return r;
        }

        int opset() { return opset; }

        /**
         * Converts a subgraph (a branch of an If whose condition is known) into this session; its
         * nodes may read outer values by name. Returns its outputs; problems are recorded as usual.
         */
        List<Node> inline(GraphProto g) { return inline(g, List.of()); }

        /** Same, binding the subgraph's inputs to {@code inputs} first (one iteration of a Loop body). */
        List<Node> inline(GraphProto g, List<Node> inputs) {
            if (inputs.size() != g.getInputCount())
                throw OnnxException.error("model", "subgraph '" + g.getName() + "' takes " + g.getInputCount() + " inputs, got " + inputs.size());
            for (int i = 0; i < inputs.size(); i++) {
                values.put(g.getInput(i).getName(), inputs.get(i));
                poisoned.remove(g.getInput(i).getName());
            }
            for (TensorProto t : g.getInitializerList()) initializers.put(t.getName(), t);
            Set<String> used = new HashSet<>();
            for (NodeProto n : g.getNodeList()) used.addAll(n.getInputList());
            for (ValueInfoProto o : g.getOutputList()) used.add(o.getName());
            int before = issues.size() + unknownOps.size();
            for (NodeProto n : g.getNodeList()) convertNode(n, used);
            if (issues.size() + unknownOps.size() > before) throw new OnnxException(List.of());
            List<Node> outs = new ArrayList<>();
            for (ValueInfoProto o : g.getOutputList()) outs.add(value(o.getName()));
            return outs;
        }

        NdArray decode(TensorProto t, String where) { return decoder.decode(t, where); }

        static TensorType typeOf(NdArray a) { return OpContext.typeOf(a); }
    }
}
