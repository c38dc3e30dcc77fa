package org.dlm.passes.lower;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.pass.GraphRewriter;

/**
 * Folds an inference {@code batch_norm} into the {@code conv2d} before it when all weights are
 * known at compile time: {@code w'[o] = w[o]·s[o]}, {@code b'[o] = (b[o] - mean[o])·s[o] + beta[o]}
 * with {@code s = gamma / sqrt(var + eps)}. The conv then carries the whole affine map (and a
 * following relu can still fuse into its GEMM epilogue). New parameters are named
 * {@code <weight>#bn} and {@code <weight>#bn_bias}.
 */
public final class ConvBatchNormFolding {
    /** The rewritten graph and its parameter values (the given ones plus the folded ones). */
    public record Result(Graph graph, Map<String, NdArray> params, int folded) {}

    private ConvBatchNormFolding() {}

    public static Result fold(Graph g, Map<String, NdArray> params) {
        Map<Node, Integer> uses = new IdentityHashMap<>();
        for (Node n : g.topoOrder()) for (Node in : n.inputs()) uses.merge(in, 1, Integer::sum);
        for (Graph.Output o : g.outputs()) uses.merge(o.node(), 2, Integer::sum);
        Map<String, NdArray> values = new LinkedHashMap<>(params);
        int[] folded = {0};
        Graph out = GraphRewriter.rewriteParams(g, (n, rebuilt) -> {
            if (!n.opName().equals("batch_norm") || !foldable(n, n.input(0), uses, params)) return rebuilt;
            folded[0]++;
            // rebuilt.input(0) is the conv on rewritten operands: keep its (rewritten) data input
            return foldInto(n, n.input(0), rebuilt.input(0).input(0), values);
        });
        return folded[0] == 0 ? new Result(g, params, 0) : new Result(out, values, folded[0]);
    }

    private static NdArray value(Node n, Map<String, NdArray> params) {
        if (n.opName().equals("param")) return params.get(n.attrs().getString("name"));
        return null;
    }

    private static boolean foldable(Node bn, Node conv, Map<Node, Integer> uses, Map<String, NdArray> params) {
        if (!conv.opName().equals("conv2d") || bn.attrs().getBool("training", false) || uses.getOrDefault(conv, 0) != 1) return false;
        if (conv.dtype() != DType.F32) return false;
        for (int i = 1; i < 5; i++) if (value(bn.input(i), params) == null) return false;
        if (value(conv.input(1), params) == null) return false;
        return conv.inputs().size() < 3 || value(conv.input(2), params) != null;
    }

    private static Node foldInto(Node bn, Node conv, Node x, Map<String, NdArray> values) {
        NdArray w = value(conv.input(1), values), b = conv.inputs().size() > 2 ? value(conv.input(2), values) : null;
        NdArray g = value(bn.input(1), values), beta = value(bn.input(2), values), mean = value(bn.input(3), values), var = value(bn.input(4), values);
        double eps = bn.attrs().getDouble("eps", 1e-5);
        long[] ws = w.shape();
        int o = (int) ws[0], per = (int) (w.size() / o);
        double[] nw = new double[w.size()], nb = new double[o];
        for (int i = 0; i < o; i++) {
            double s = g.get(i) / Math.sqrt(var.get(i) + eps);
            for (int j = 0; j < per; j++) nw[i * per + j] = NdArray.round(DType.F32, w.get(i * per + j) * s);
            nb[i] = NdArray.round(DType.F32, ((b == null ? 0 : b.get(i)) - mean.get(i)) * s + beta.get(i));
        }
        String base = conv.input(1).attrs().getString("name");
        Node wp = DerivedParam.node(base + "#bn", ws), bp = DerivedParam.node(base + "#bn_bias", new long[] {o});
        values.put(base + "#bn", new NdArray(DType.F32, ws, nw));
        values.put(base + "#bn_bias", new NdArray(DType.F32, new long[] {o}, nb));
        return Node.of("conv2d", List.of(x, wp, bp), conv.attrs());
    }

}
