package org.dlm.passes.lower;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.pass.GraphRewriter;

/**
 * Stores the weight of an f32 {@code linear} transposed when its value is known at compile time:
 * {@code linear(x, w, b)} becomes {@code linear(x, transpose(w#t), b)} with a new parameter
 * {@code <w>#t = wᵀ} of shape [in, out]. The graph means the same; the linear lowering sees the
 * transpose of a parameter and calls {@code sgemm_nn} on {@code w#t} directly (no transposed operand,
 * so the GEMM's unpacked few-row path applies and nothing is packed per call).
 */
public final class LinearWeightTranspose {
    /** The rewritten graph and its parameter values (the given ones plus the transposed ones). */
    public record Result(Graph graph, Map<String, NdArray> params, int transposed) {}

    private LinearWeightTranspose() {}

    public static Result apply(Graph g, Map<String, NdArray> params) {
        Map<String, NdArray> values = new LinkedHashMap<>(params);
        Map<Node, Node> transposedParam = new IdentityHashMap<>();
        int[] count = {0};
        Graph out = GraphRewriter.rewriteParams(g, (n, rebuilt) -> {
            if (!n.opName().equals("linear") || n.dtype() != DType.F32 || !constantWeight(n.input(1), params)) return rebuilt;
            Node t = transposedParam.computeIfAbsent(n.input(1), w -> transposedParam(w, values));
            List<Node> ins = new ArrayList<>(rebuilt.inputs());
            ins.set(1, Node.of("transpose", List.of(t), Attrs.of("perm", List.of(1L, 0L))));
            count[0]++;
            return Node.of("linear", ins, n.attrs());
        });
        return count[0] == 0 ? new Result(g, params, 0) : new Result(out, values, count[0]);
    }

    private static boolean constantWeight(Node w, Map<String, NdArray> params) {
        if (!w.opName().equals("param") || w.dtype() != DType.F32) return false;
        NdArray v = params.get(w.attrs().getString("name"));
        return v != null && v.shape().length == 2;
    }

    private static Node transposedParam(Node w, Map<String, NdArray> values) {
        String name = w.attrs().getString("name");
        NdArray v = values.get(name);
        int out = (int) v.shape()[0], in = (int) v.shape()[1];
        double[] t = new double[out * in];
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++) t[i * out + o] = v.get(o * in + i);
        long[] shape = {in, out};
        values.put(name + "#t", new NdArray(DType.F32, shape, t));
        return DerivedParam.node(name + "#t", shape);
    }

    /** Whether {@code n} is the transpose of a weight parameter made by this pass (2-D, dims swapped). */
    static boolean isTransposedWeight(Node n) {
        if (!n.opName().equals("transpose") || !n.input(0).opName().equals("param") || n.input(0).shape().rank() != 2) return false;
        long[] perm = n.attrs().getLongArray("perm");
        return perm.length == 0 || (perm.length == 2 && perm[0] == 1 && perm[1] == 0);
    }
}
