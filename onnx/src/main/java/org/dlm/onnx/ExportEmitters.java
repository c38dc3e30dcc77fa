package org.dlm.onnx;

import static org.dlm.onnx.OnnxExporter.attr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.OnnxExporter.Emit;
import org.dlm.onnx.OnnxExporter.Emitter;

/** How each Graph IR op is written as ONNX (opset 17) nodes: the inverse of the import converters. */
final class ExportEmitters {
    private ExportEmitters() {}

    static Map<String, Emitter> table() {
        Map<String, Emitter> t = new HashMap<>();
        String[][] unary = {
            {"neg", "Neg"}, {"abs", "Abs"}, {"exp", "Exp"}, {"log", "Log"}, {"sqrt", "Sqrt"}, {"reciprocal", "Reciprocal"},
            {"sin", "Sin"}, {"cos", "Cos"}, {"tan", "Tan"}, {"tanh", "Tanh"}, {"sigmoid", "Sigmoid"}, {"relu", "Relu"},
            {"softplus", "Softplus"}, {"erf", "Erf"}, {"floor", "Floor"}, {"ceil", "Ceil"}, {"round", "Round"}, {"sign", "Sign"},
            {"not", "Not"}, {"isnan", "IsNaN"}, {"shape_of", "Shape"},
        };
        for (String[] u : unary) t.put(u[0], (cx, n) -> cx.node(u[1], List.of(in(cx, n, 0))));
        String[][] binary = {
            {"add", "Add"}, {"sub", "Sub"}, {"mul", "Mul"}, {"div", "Div"}, {"pow", "Pow"}, {"max", "Max"}, {"min", "Min"},
            {"eq", "Equal"}, {"lt", "Less"}, {"le", "LessOrEqual"}, {"gt", "Greater"}, {"ge", "GreaterOrEqual"},
            {"and", "And"}, {"or", "Or"}, {"xor", "Xor"}, {"matmul", "MatMul"},
        };
        for (String[] b : binary) t.put(b[0], (cx, n) -> cx.node(b[1], List.of(in(cx, n, 0), in(cx, n, 1))));
        t.put("const", (cx, n) -> cx.constant((Constant) n.attrs().get("value")));
        t.put("ne", (cx, n) -> cx.node("Not", List.of(cx.node("Equal", List.of(in(cx, n, 0), in(cx, n, 1))))));
        t.put("mod", (cx, n) -> cx.node("Mod", List.of(in(cx, n, 0), in(cx, n, 1)), attr("fmod", n.attrs().getBool("fmod", false) ? 1L : 0L)));
        t.put("where", (cx, n) -> cx.node("Where", List.of(in(cx, n, 0), in(cx, n, 1), in(cx, n, 2))));
        t.put("rsqrt", (cx, n) -> cx.node("Reciprocal", List.of(cx.node("Sqrt", List.of(in(cx, n, 0))))));
        t.put("relu6", (cx, n) -> cx.node("Clip", List.of(in(cx, n, 0), cx.scalar(n.dtype(), 0), cx.scalar(n.dtype(), 6))));
        t.put("silu", (cx, n) -> cx.node("Mul", List.of(in(cx, n, 0), cx.node("Sigmoid", List.of(in(cx, n, 0))))));
        t.put("gelu", ExportEmitters::gelu);
        t.put("leaky_relu", (cx, n) -> cx.node("LeakyRelu", List.of(in(cx, n, 0)), attr("alpha", n.attrs().getDouble("alpha"))));
        t.put("elu", (cx, n) -> cx.node("Elu", List.of(in(cx, n, 0)), attr("alpha", n.attrs().getDouble("alpha"))));
        t.put("hard_sigmoid", (cx, n) -> cx.node("HardSigmoid", List.of(in(cx, n, 0)),
                attr("alpha", n.attrs().getDouble("alpha")), attr("beta", n.attrs().getDouble("beta"))));
        t.put("clip", (cx, n) -> {
            double lo = n.attrs().getDouble("min"), hi = n.attrs().getDouble("max");
            List<String> in = new ArrayList<>(List.of(in(cx, n, 0), Double.isInfinite(lo) ? "" : cx.scalar(n.dtype(), lo)));
            if (!Double.isInfinite(hi)) in.add(cx.scalar(n.dtype(), hi));
            return cx.node("Clip", in);
        });
        t.put("cast", (cx, n) -> cx.node("Cast", List.of(in(cx, n, 0)), attr("to", (long) OnnxDTypes.toOnnx(n.dtype()))));

        t.put("reduce_sum", (cx, n) -> {
            long[] axes = n.attrs().getLongArray("axes");
            List<String> in = new ArrayList<>(List.of(in(cx, n, 0)));
            if (axes.length > 0) in.add(cx.longs(axes));
            return cx.node("ReduceSum", in, attr("keepdims", keep(n)));
        });
        String[][] reductions = {{"reduce_mean", "ReduceMean"}, {"reduce_max", "ReduceMax"}, {"reduce_min", "ReduceMin"},
            {"reduce_prod", "ReduceProd"}, {"reduce_l2", "ReduceL2"}, {"reduce_logsumexp", "ReduceLogSumExp"}};
        for (String[] r : reductions) t.put(r[0], (cx, n) -> {
            long[] axes = n.attrs().getLongArray("axes");
            return axes.length == 0 ? cx.node(r[1], List.of(in(cx, n, 0)), attr("keepdims", keep(n)))
                    : cx.node(r[1], List.of(in(cx, n, 0)), attr("axes", axes), attr("keepdims", keep(n)));
        });
        t.put("argmax", (cx, n) -> cx.node("ArgMax", List.of(in(cx, n, 0)), attr("axis", n.attrs().getLong("axis")), attr("keepdims", keep(n))));
        t.put("argmin", (cx, n) -> cx.node("ArgMin", List.of(in(cx, n, 0)), attr("axis", n.attrs().getLong("axis")), attr("keepdims", keep(n))));
        t.put("cumsum", (cx, n) -> cx.node("CumSum", List.of(in(cx, n, 0), cx.initializer(NdArray.scalar(DType.I64, n.attrs().getLong("axis"))))));

        t.put("reshape", (cx, n) -> cx.node("Reshape", List.of(in(cx, n, 0), cx.longs(shapeVector(cx, n, n.input(0).shape(), n.shape())))));
        t.put("flatten", (cx, n) -> cx.node("Flatten", List.of(in(cx, n, 0)), attr("axis", n.attrs().getLong("axis"))));
        t.put("transpose", (cx, n) -> {
            long[] perm = n.attrs().getLongArray("perm");
            return perm.length == 0 ? cx.node("Transpose", List.of(in(cx, n, 0))) : cx.node("Transpose", List.of(in(cx, n, 0)), attr("perm", perm));
        });
        t.put("concat", (cx, n) -> cx.node("Concat", n.inputs().stream().map(cx::name).toList(), attr("axis", n.attrs().getLong("axis"))));
        t.put("slice", (cx, n) -> {
            long[] starts = n.attrs().getLongArray("starts"), ends = n.attrs().getLongArray("ends");
            long[] axes = n.attrs().getLongArray("axes"), steps = n.attrs().getLongArray("steps");
            List<String> in = new ArrayList<>(List.of(in(cx, n, 0), cx.longs(starts), cx.longs(ends)));
            if (axes.length > 0 || steps.length > 0) in.add(axes.length > 0 ? cx.longs(axes) : "");
            if (steps.length > 0) in.add(cx.longs(steps));
            return cx.node("Slice", in);
        });
        t.put("gather", (cx, n) -> cx.node("Gather", List.of(in(cx, n, 0), in(cx, n, 1)), attr("axis", n.attrs().getLong("axis"))));
        t.put("embedding", (cx, n) -> cx.node("Gather", List.of(in(cx, n, 0), in(cx, n, 1)), attr("axis", 0L)));
        t.put("expand", (cx, n) -> cx.node("Expand", List.of(in(cx, n, 0), cx.longs(expandVector(cx, n)))));
        t.put("squeeze", (cx, n) -> {
            long[] axes = n.attrs().getLongArray("axes");
            return axes.length == 0 ? cx.node("Squeeze", List.of(in(cx, n, 0))) : cx.node("Squeeze", List.of(in(cx, n, 0), cx.longs(axes)));
        });
        t.put("unsqueeze", (cx, n) -> cx.node("Unsqueeze", List.of(in(cx, n, 0), cx.longs(n.attrs().getLongArray("axes")))));
        t.put("pad", (cx, n) -> cx.node("Pad", List.of(in(cx, n, 0), cx.longs(n.attrs().getLongArray("pads")),
                cx.scalar(n.dtype(), n.attrs().getDouble("value"))), attr("mode", n.attrs().getString("mode"))));
        t.put("tile", (cx, n) -> cx.node("Tile", List.of(in(cx, n, 0), cx.longs(n.attrs().getLongArray("repeats")))));
        t.put("one_hot", (cx, n) -> cx.node("OneHot", List.of(in(cx, n, 0), cx.initializer(NdArray.scalar(DType.I64, n.attrs().getLong("depth"))),
                cx.initializer(NdArray.of(n.dtype(), new long[] {2}, 0, 1))), attr("axis", -1L)));
        t.put("iota", (cx, n) -> {
            if (!n.shape().isStatic()) throw cx.unsupported(n, "with symbolic shape " + n.shape());
            return cx.initializer(org.dlm.ir.interp.Interpreter.evalNode(n, List.of(), n.type(), "iota"));
        });

        t.put("gemm", (cx, n) -> cx.node("Gemm", n.inputs().stream().map(cx::name).toList(),
                attr("alpha", n.attrs().getDouble("alpha")), attr("beta", n.attrs().getDouble("beta")),
                attr("transA", n.attrs().getBool("trans_a", false) ? 1L : 0L), attr("transB", n.attrs().getBool("trans_b", false) ? 1L : 0L)));
        t.put("linear", (cx, n) -> {
            Node x = n.input(0);
            List<String> in = new ArrayList<>(List.of(cx.name(x), in(cx, n, 1)));
            if (n.inputs().size() > 2) in.add(in(cx, n, 2));
            if (x.shape().rank() == 2) return cx.node("Gemm", in, attr("transB", 1L));
            String y = cx.node("MatMul", List.of(cx.name(x), cx.node("Transpose", List.of(in(cx, n, 1)), attr("perm", new long[] {1, 0}))));
            return n.inputs().size() > 2 ? cx.node("Add", List.of(y, in(cx, n, 2))) : y;
        });
        t.put("conv2d", (cx, n) -> cx.node("Conv", n.inputs().stream().map(cx::name).toList(),
                attr("strides", n.attrs().getLongArray("stride")), attr("pads", n.attrs().getLongArray("padding")),
                attr("dilations", n.attrs().getLongArray("dilation")), attr("group", n.attrs().getLong("groups")),
                attr("kernel_shape", new long[] {n.input(1).shape().dim(2).value(), n.input(1).shape().dim(3).value()})));
        t.put("conv_transpose2d", (cx, n) -> cx.node("ConvTranspose", n.inputs().stream().map(cx::name).toList(),
                attr("strides", n.attrs().getLongArray("stride")), attr("pads", n.attrs().getLongArray("padding")),
                attr("output_padding", n.attrs().getLongArray("output_padding")),
                attr("dilations", n.attrs().getLongArray("dilation")), attr("group", n.attrs().getLong("groups"))));
        t.put("max_pool2d", (cx, n) -> {
            long[] k = n.attrs().getLongArray("kernel"), s = n.attrs().getLongArray("stride");
            return cx.node("MaxPool", List.of(in(cx, n, 0)), attr("kernel_shape", k), attr("strides", s.length == 0 ? k : s),
                    attr("pads", n.attrs().getLongArray("padding")), attr("dilations", n.attrs().getLongArray("dilation")),
                    attr("ceil_mode", n.attrs().getBool("ceil_mode", false) ? 1L : 0L));
        });
        t.put("avg_pool2d", (cx, n) -> {
            long[] k = n.attrs().getLongArray("kernel"), s = n.attrs().getLongArray("stride");
            return cx.node("AveragePool", List.of(in(cx, n, 0)), attr("kernel_shape", k), attr("strides", s.length == 0 ? k : s),
                    attr("pads", n.attrs().getLongArray("padding")), attr("ceil_mode", n.attrs().getBool("ceil_mode", false) ? 1L : 0L),
                    attr("count_include_pad", n.attrs().getBool("count_include_pad", false) ? 1L : 0L));
        });
        t.put("global_avg_pool", (cx, n) -> globalPool(cx, n, "GlobalAveragePool"));
        t.put("global_max_pool", (cx, n) -> globalPool(cx, n, "GlobalMaxPool"));
        t.put("batch_norm", (cx, n) -> {
            if (n.attrs().getBool("training", false)) throw cx.unsupported(n, "in training mode");
            return cx.node("BatchNormalization", n.inputs().stream().map(cx::name).toList(), attr("epsilon", n.attrs().getDouble("eps")));
        });
        t.put("batch_mean", (cx, n) -> cx.node("ReduceMean", List.of(in(cx, n, 0)), attr("axes", allBut1(n.input(0))), attr("keepdims", 0L)));
        t.put("batch_var", (cx, n) -> {
            long[] axes = allBut1(n.input(0));
            String x = in(cx, n, 0);
            String mean = cx.node("ReduceMean", List.of(x), attr("axes", axes), attr("keepdims", 1L));
            String d = cx.node("Sub", List.of(x, mean));
            return cx.node("ReduceMean", List.of(cx.node("Mul", List.of(d, d))), attr("axes", axes), attr("keepdims", 0L));
        });
        t.put("layer_norm", ExportEmitters::layerNorm);
        t.put("softmax", (cx, n) -> cx.node("Softmax", List.of(in(cx, n, 0)), attr("axis", n.attrs().getLong("axis"))));
        t.put("log_softmax", (cx, n) -> cx.node("LogSoftmax", List.of(in(cx, n, 0)), attr("axis", n.attrs().getLong("axis"))));
        t.put("dropout", (cx, n) -> {
            if (n.attrs().getBool("training", false)) throw cx.unsupported(n, "in training mode");
            return in(cx, n, 0);
        });
        t.put("attention", ExportEmitters::attention);
        return t;
    }

    private static String in(Emit cx, Node n, int i) { return cx.name(n.input(i)); }

    private static long keep(Node n) { return n.attrs().getBool("keepdims", false) ? 1 : 0; }

    private static long[] allBut1(Node x) {
        long[] a = new long[x.shape().rank() - 1];
        for (int i = 0, k = 0; i < x.shape().rank(); i++) if (i != 1) a[k++] = i;
        return a;
    }

    /** ONNX Reshape's shape operand: constants, 0 for a dim copied from the same position, one -1 for the rest. */
    private static long[] shapeVector(Emit cx, Node n, Shape from, Shape to) {
        long[] v = new long[to.rank()];
        boolean inferred = false;
        for (int i = 0; i < v.length; i++) {
            Dim d = to.dim(i);
            if (d.isConst() && d.value() != 0) v[i] = d.value();
            else if (i < from.rank() && from.dim(i).equals(d)) v[i] = 0;
            else if (!inferred && !d.isConst()) { v[i] = -1; inferred = true; }
            else throw cx.unsupported(n, "to " + to + " from " + from + " (symbolic dims ONNX cannot express)");
        }
        return v;
    }

    /** ONNX Expand's shape operand: 1 keeps an input dim (bidirectional broadcast), so symbolic dims equal to the input's become 1. */
    private static long[] expandVector(Emit cx, Node n) {
        Shape from = n.input(0).shape(), to = n.shape();
        long[] v = new long[to.rank()];
        for (int i = 0; i < v.length; i++) {
            Dim d = to.dim(i);
            int j = i - (to.rank() - from.rank());
            if (d.isConst()) v[i] = d.value();
            else if (j >= 0 && from.dim(j).equals(d)) v[i] = 1;
            else throw cx.unsupported(n, "to symbolic shape " + to);
        }
        return v;
    }

    private static String globalPool(Emit cx, Node n, String op) {
        String y = cx.node(op, List.of(in(cx, n, 0)));
        if (n.attrs().getBool("keepdims", true)) return y;
        int r = n.input(0).shape().rank();
        long[] axes = new long[r - 2];
        for (int i = 2; i < r; i++) axes[i - 2] = i;
        return cx.node("Squeeze", List.of(y, cx.longs(axes)));
    }

    private static String gelu(Emit cx, Node n) {
        String x = in(cx, n, 0);
        DType t = n.dtype();
        if (n.attrs().getString("approximate", "none").equals("tanh")) {
            // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            String cube = cx.node("Mul", List.of(x, cx.node("Mul", List.of(x, x))));
            String inner = cx.node("Mul", List.of(cx.scalar(t, Math.sqrt(2 / Math.PI)), cx.node("Add", List.of(x, cx.node("Mul", List.of(cx.scalar(t, 0.044715), cube))))));
            return cx.node("Mul", List.of(cx.node("Mul", List.of(x, cx.scalar(t, 0.5))), cx.node("Add", List.of(cx.scalar(t, 1), cx.node("Tanh", List.of(inner))))));
        }
        String erf = cx.node("Erf", List.of(cx.node("Div", List.of(x, cx.scalar(t, Math.sqrt(2))))));
        return cx.node("Mul", List.of(cx.node("Mul", List.of(x, cx.scalar(t, 0.5))), cx.node("Add", List.of(cx.scalar(t, 1), erf))));
    }

    private static String layerNorm(Emit cx, Node n) {
        Node x = n.input(0);
        int r = x.shape().rank();
        long axis = n.attrs().getLong("axis");
        int a = (int) (axis < 0 ? axis + r : axis);
        List<String> in = new ArrayList<>(List.of(cx.name(x)));
        if (n.inputs().size() > 1) {
            in.add(in(cx, n, 1));
        } else {
            Shape norm = new Shape(x.shape().dims().subList(a, r));
            if (!norm.isStatic()) throw cx.unsupported(n, "without gamma over symbolic dims " + norm);
            in.add(cx.initializer(NdArray.full(x.dtype(), 1, norm.sizes())));
        }
        if (n.inputs().size() > 2) in.add(in(cx, n, 2));
        return cx.node("LayerNormalization", in, attr("axis", axis), attr("epsilon", n.attrs().getDouble("eps")));
    }

    /** softmax(q kᵀ · scale, masked) v from MatMul, Softmax and Where. */
    private static String attention(Emit cx, Node n) {
        Node q = n.input(0), k = n.input(1);
        int rk = k.shape().rank();
        long[] perm = new long[rk];
        for (int i = 0; i < rk; i++) perm[i] = i;
        perm[rk - 2] = rk - 1;
        perm[rk - 1] = rk - 2;
        DType t = n.dtype();
        double scale = n.attrs().getDouble("scale", 0);
        if (scale == 0) {
            Dim d = q.shape().dim(-1);
            if (!d.isConst()) throw cx.unsupported(n, "with symbolic head size");
            scale = 1 / Math.sqrt(d.value());
        }
        String kt = cx.node("Transpose", List.of(cx.name(k)), attr("perm", perm));
        String s = cx.node("Mul", List.of(cx.node("MatMul", List.of(cx.name(q), kt)), cx.scalar(t, scale)));
        String ninf = cx.scalar(t, Double.NEGATIVE_INFINITY);
        if (n.inputs().size() > 3) s = cx.node("Where", List.of(in(cx, n, 3), s, ninf));
        if (n.attrs().getBool("causal", false)) {
            Dim tq = q.shape().dim(-2), tk = k.shape().dim(-2);
            if (!tq.isConst() || !tk.isConst()) throw cx.unsupported(n, "causal with symbolic sequence lengths");
            double[] m = new double[(int) (tq.value() * tk.value())];
            for (int i = 0; i < tq.value(); i++) for (int j = 0; j < tk.value(); j++) m[(int) (i * tk.value() + j)] = j <= i ? 1 : 0;
            s = cx.node("Where", List.of(cx.initializer(new NdArray(DType.BOOL, new long[] {tq.value(), tk.value()}, m)), s, ninf));
        }
        return cx.node("MatMul", List.of(cx.node("Softmax", List.of(s), attr("axis", -1L)), in(cx, n, 2)));
    }


}
