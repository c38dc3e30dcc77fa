package org.dlm.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.NodeProto;

/**
 * What an op converter sees of one ONNX node: its operands as Graph IR nodes, constant operand
 * values, attributes with defaults, the opset, and a builder that folds constants as it goes.
 */
public final class OpContext {
    private final NodeProto node;
    private final int opset;
    private final OnnxImporter.Session session;
    private final OnnxAttrs attrs;
    private final List<Boolean> outputUsed;

    OpContext(NodeProto node, int opset, OnnxImporter.Session session, List<Boolean> outputUsed) {
        this.node = node;
        this.opset = opset;
        this.session = session;
        this.attrs = new OnnxAttrs(node);
        this.outputUsed = outputUsed;
    }

    public String opType() { return node.getOpType(); }
    OnnxImporter.Session session() { return session; }
    public int opset() { return opset; }
    OnnxAttrs attrs() { return attrs; }
    NodeProto proto() { return node; }

    /** "node 'conv1'" or, for unnamed nodes, "node producing 'y'". */
    public String where() {
        if (!node.getName().isEmpty()) return "node '" + node.getName() + "'";
        return node.getOutputCount() > 0 ? "node producing '" + node.getOutput(0) + "'" : "unnamed node";
    }

    // --- operands ---

    /** Number of operand slots, including empty (omitted) ones. */
    public int inputCount() { return node.getInputCount(); }

    public boolean hasInput(int i) { return i < node.getInputCount() && !node.getInput(i).isEmpty(); }

    public Node in(int i) {
        if (!hasInput(i)) throw error("needs operand " + (i + 1));
        return session.value(node.getInput(i));
    }

    /** All present operands (variadic ops). */
    public List<Node> ins() {
        List<Node> r = new ArrayList<>();
        for (int i = 0; i < node.getInputCount(); i++) if (hasInput(i)) r.add(in(i));
        return r;
    }

    /** The value of operand {@code i} when it is known at import time (initializer or constant), else null. */
    public NdArray staticIn(int i) { return hasInput(i) ? session.staticValue(in(i)) : null; }

    /** The value of operand {@code i}, which must be known at import time. */
    public NdArray constIn(int i, String what) {
        NdArray v = staticIn(i);
        if (v == null) {
            if (!hasInput(i)) throw error("needs operand '" + what + "'");
            throw unsupported("with a computed '" + what + "' operand (only constants and initializers are supported)");
        }
        return v;
    }

    public long[] constInts(int i, String what) {
        double[] d = constIn(i, what).data();
        long[] r = new long[d.length];
        for (int k = 0; k < d.length; k++) r[k] = (long) d[k];
        return r;
    }

    /** Reads a list of ints from attribute {@code attr} (older opsets) or operand {@code input} (newer ones); null when neither is given. */
    public long[] intsFromAttrOrInput(String attr, int input, String what) {
        long[] a = attrs.ints(attr);
        if (a != null) return a;
        if (hasInput(input)) return constInts(input, what);
        return null;
    }

    /** Imports a subgraph attribute (If branches, Loop bodies) into the current graph, its inputs bound to {@code inputs}. */
    List<Node> inline(String attr, List<Node> inputs) {
        if (!attrs.has(attr) || !attrs.get(attr).hasG()) throw error("needs graph attribute '" + attr + "'");
        return session.inline(attrs.get(attr).getG(), inputs);
    }

    /** The number of outputs of a subgraph attribute. */
    int subgraphOutputs(String attr) {
        if (!attrs.has(attr) || !attrs.get(attr).hasG()) throw error("needs graph attribute '" + attr + "'");
        return attrs.get(attr).getG().getOutputCount();
    }

    // --- outputs ---

    public int outputCount() { return node.getOutputCount(); }

    /** True when output {@code k} is present and read by a later node or the graph. */
    public boolean outputUsed(int k) { return k < outputUsed.size() && outputUsed.get(k); }

    // --- attributes ---

    public long attrInt(String name, long dflt) { return attrs.i(name, dflt); }
    public double attrFloat(String name, double dflt) { return attrs.f(name, dflt); }
    public String attrString(String name, String dflt) { return attrs.s(name, dflt); }
    public long[] attrInts(String name) { return attrs.ints(name); }
    public boolean hasAttr(String name) { return attrs.has(name); }

    /** A tensor-valued attribute, decoded. */
    public NdArray attrTensor(String name) {
        if (!attrs.has(name)) throw error("needs attribute '" + name + "'");
        return session.decode(attrs.get(name).getT(), "attribute '" + name + "' of " + where());
    }

    // --- building ---

    /** Builds a Graph IR node (shape-checked), folding it into a constant when all operands are constants. */
    public Node op(String name, List<Node> in, Attrs a) {
        OpDef def = OpTable.get(name);
        if (def == null) throw unsupported("(DLM op '" + name + "' is not available)");
        return session.build(def, in, a);
    }

    public Node op(String name, List<Node> in, Object... kv) { return op(name, in, Attrs.of(kv)); }

    public Node op(String name, Node... in) { return op(name, List.of(in), Attrs.EMPTY); }

    public Node constant(NdArray v) { return session.constant(v); }

    public Node scalar(DType dtype, double v) { return constant(NdArray.scalar(dtype, v)); }

    /** A 1-D i64 constant. */
    public Node longs(long... v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return constant(new NdArray(DType.I64, new long[] {v.length}, d));
    }

    // --- problems ---

    public OnnxException unsupported(String detail) {
        return OnnxException.unsupported(opType(), detail + " (" + where() + ")");
    }

    public OnnxException error(String detail) {
        return OnnxException.error(opType(), where() + ": " + detail);
    }

    // --- small shape helpers shared by converters ---

    /** Normalizes a possibly negative axis for a tensor of rank {@code rank}. */
    public int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw error("axis " + axis + " is out of range for rank " + rank);
        return (int) a;
    }

    static Shape shapeOf(long[] sizes) { return Shape.of(sizes); }

    static TensorType typeOf(NdArray a) { return new TensorType(a.dtype(), Shape.of(a.shape())); }

    static Constant constantOf(NdArray a) { return new Constant(typeOf(a), a.data()); }

    static List<Long> list(long[] v) { return Arrays.stream(v).boxed().toList(); }

    static Dim dim(long v) { return Dim.of(v); }

    static boolean isConst(Node n) { return n.opName().equals("const"); }

    static OpDef def(String name) { return OpTable.require(name); }
}
