package org.dlm.onnx;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.AttributeProto;
import org.dlm.onnx.proto.OnnxProto.GraphProto;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.onnx.proto.OnnxProto.NodeProto;
import org.dlm.onnx.proto.OnnxProto.OperatorSetIdProto;
import org.dlm.onnx.proto.OnnxProto.TensorProto;
import org.dlm.onnx.proto.OnnxProto.TensorShapeProto;
import org.dlm.onnx.proto.OnnxProto.TypeProto;
import org.dlm.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * Exports Graph IR to an ONNX model (opset {@value #OPSET}). Params become initializers with the
 * given values, constants become initializers, symbolic dims become {@code dim_param}s. Ops ONNX
 * lacks are composed (gelu, silu, rsqrt, attention, linear on batches). Every op that cannot be
 * exported is reported at once.
 *
 * <pre>{@code
 * ModelProto m = OnnxExporter.export(graph, weights);
 * Files.write(Path.of("model.onnx"), m.toByteArray());
 * }</pre>
 */
public final class OnnxExporter {
    public static final int OPSET = 17;

    /** Emits the ONNX nodes computing one Graph IR node; returns the name of the ONNX value holding its result. */
    @FunctionalInterface
    interface Emitter { String emit(Emit cx, Node n); }

    private static final Map<String, Emitter> EMITTERS = ExportEmitters.table();

    private OnnxExporter() {}

    public static ModelProto export(Graph g, Map<String, NdArray> weights) {
        Emit cx = new Emit(weights);
        GraphProto.Builder gb = cx.graph.setName(g.name());
        for (Node in : g.inputs()) {
            String name = in.attrs().getString("name");
            cx.names.put(in, name);
            gb.addInput(valueInfo(name, in.dtype(), in.shape()));
        }
        for (Node p : g.params()) {
            String name = p.attrs().getString("name");
            NdArray w = weights.get(name);
            if (w == null) throw OnnxException.error("export", "no value for parameter '" + name + "'");
            cx.names.put(p, name);
            gb.addInitializer(tensor(name, w));
        }
        List<String> problems = new ArrayList<>();
        Map<String, Integer> unsupported = new LinkedHashMap<>();
        for (Node n : g.topoOrder()) {
            if (cx.names.containsKey(n)) continue;
            if (n.opName().equals("input") || n.opName().equals("param"))
                throw OnnxException.error("export", n.opName() + " '" + n.attrs().getString("name", "?") + "' is not declared by graph " + g.name());
            if (n.inputs().stream().anyMatch(i -> !cx.names.containsKey(i))) continue; // downstream of an unsupported op
            Emitter e = EMITTERS.get(n.opName());
            if (e == null) { unsupported.merge(n.opName(), 1, Integer::sum); continue; }
            try {
                cx.names.put(n, e.emit(cx, n));
            } catch (OnnxException x) {
                problems.addAll(x.issues().stream().map(OnnxIssue::render).toList());
            }
        }
        List<OnnxIssue> issues = new ArrayList<>();
        unsupported.forEach((op, count) -> issues.add(OnnxIssue.unsupported("export", "of op " + op + " (" + count + (count == 1 ? " use)" : " uses)"))));
        for (String p : problems) issues.add(OnnxIssue.unsupported("export", p.replaceFirst("^UNSUPPORTED: ", "")));
        if (!issues.isEmpty()) throw new OnnxException(issues);
        for (Graph.Output o : g.outputs()) {
            cx.node("Identity", List.of(cx.names.get(o.node())), o.name());
            gb.addOutput(valueInfo(o.name(), o.node().dtype(), o.node().shape()));
        }
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("dlm").setProducerVersion("0.1")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(gb).build();
    }

    static ValueInfoProto valueInfo(String name, DType dtype, Shape shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (Dim d : shape.dims())
            s.addDim(d.isConst() ? TensorShapeProto.Dimension.newBuilder().setDimValue(d.value())
                    : TensorShapeProto.Dimension.newBuilder().setDimParam(d.toString()));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(OnnxDTypes.toOnnx(dtype)).setShape(s))).build();
    }

    /** Little-endian raw_data tensor, the inverse of {@link TensorDecoder}. */
    static TensorProto tensor(String name, NdArray a) {
        DType t = a.dtype();
        ByteBuffer b = ByteBuffer.allocate(a.size() * t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : a.data()) {
            switch (t) {
                case F32 -> b.putFloat((float) v);
                case F64 -> b.putDouble(v);
                case F16 -> b.putShort(Float.floatToFloat16((float) v));
                case BF16 -> b.putShort((short) (Float.floatToRawIntBits((float) v) >>> 16));   // values are already bf16-exact
                case I8, U8, BOOL -> b.put((byte) (long) v);
                case I32 -> b.putInt((int) (long) v);
                case I64 -> b.putLong((long) v);
            }
        }
        TensorProto.Builder tb = TensorProto.newBuilder().setName(name).setDataType(OnnxDTypes.toOnnx(t)).setRawData(ByteString.copyFrom(b.array()));
        for (long d : a.shape()) tb.addDims(d);
        return tb.build();
    }

    /** State of one export: names of emitted values, the graph being built, fresh names. */
    static final class Emit {
        final GraphProto.Builder graph = GraphProto.newBuilder();
        final Map<Node, String> names = new HashMap<>();
        private final Map<String, NdArray> weights;
        private int counter;

        Emit(Map<String, NdArray> weights) { this.weights = weights; }

        String name(Node n) { return names.get(n); }

        String fresh() { return "_v" + counter++; }

        /** Adds an ONNX node with one output (named freshly when {@code out} is null) and returns the output's name. */
        String node(String op, List<String> in, String out, AttributeProto... attrs) {
            String o = out == null ? fresh() : out;
            NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).addAllInput(in).addOutput(o).setName(o + "_" + op);
            for (AttributeProto a : attrs) b.addAttribute(a);
            graph.addNode(b);
            return o;
        }

        String node(String op, List<String> in, AttributeProto... attrs) { return node(op, in, null, attrs); }

        String initializer(NdArray a) {
            String name = "_c" + counter++;
            graph.addInitializer(tensor(name, a));
            return name;
        }

        String longs(long... v) {
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) d[i] = v[i];
            return initializer(new NdArray(DType.I64, new long[] {v.length}, d));
        }

        String scalar(DType t, double v) { return initializer(NdArray.scalar(t, v)); }

        String constant(Constant c) { return initializer(new NdArray(c.type().dtype(), c.type().shape().sizes(), c.values())); }

        NdArray weight(String name) { return weights.get(name); }

        OnnxException unsupported(Node n, String detail) {
            return OnnxException.unsupported("export", "of " + n.opName() + " " + detail);
        }
    }

    static AttributeProto attr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto attr(String name, double v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF((float) v).build();
    }

    static AttributeProto attr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto attr(String name, long[] v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) b.addInts(x);
        return b.build();
    }
}
