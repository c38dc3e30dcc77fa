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
        List<Node> order = g.topoOrder();
        Map<Node, Integer> uses = new IdentityHashMap<>();
        for (Node n : order) for (Node in : n.inputs()) uses.merge(in, 1, Integer::sum);
        for (Graph.Output o : g.outputs()) uses.merge(o.node(), 2, Integer::sum);
        Map<String, NdArray> values = new LinkedHashMap<>(params);
        Map<Node, Node> map = new IdentityHashMap<>();
        int folded = 0;
        for (Node n : order) {
            Node conv = n.opName().equals("batch_norm") ? n.input(0) : null;
            if (conv != null && foldable(n, conv, uses, params)) {
                Node fresh = foldInto(n, conv, map, values);
                map.put(n, fresh);
                folded++;
                continue;
            }
            List<Node> ins = new ArrayList<>();
            boolean same = true;
            for (Node in : n.inputs()) {
                Node m = map.getOrDefault(in, in);
                same &= m == in;
                ins.add(m);
            }
            map.put(n, same ? n : n.withInputs(ins));
        }
        if (folded == 0) return new Result(g, params, 0);
        List<Graph.Output> outs = g.outputs().stream().map(o -> new Graph.Output(o.name(), map.get(o.node()))).toList();
        List<Node> inputs = g.inputs().stream().map(map::get).toList();
        Graph probe = new Graph(g.name(), inputs, List.of(), outs, g.meta());
        List<Node> ps = probe.topoOrder().stream().filter(x -> x.opName().equals("param")).toList();
        return new Result(new Graph(g.name(), inputs, ps, outs, g.meta()), values, folded);
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

    private static Node foldInto(Node bn, Node conv, Map<Node, Node> map, Map<String, NdArray> values) {
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
        Node wp = param(base + "#bn", ws), bp = param(base + "#bn_bias", new long[] {o});
        values.put(base + "#bn", new NdArray(DType.F32, ws, nw));
        values.put(base + "#bn_bias", new NdArray(DType.F32, new long[] {o}, nb));
        Node x = map.getOrDefault(conv.input(0), conv.input(0));
        return Node.of("conv2d", List.of(x, wp, bp), conv.attrs());
    }

    private static Node param(String name, long[] shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", org.dlm.ir.Shape.of(shape), "trainable", false));
    }
}
