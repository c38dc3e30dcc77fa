package org.dlm.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/**
 * Runs an imported graph whose shapes are all static (the runner imports with the shapes of the
 * arrays it was given) with the op table's reference kernels, freeing each value after its last use.
 */
final class StaticEvaluator {
    private StaticEvaluator() {}

    static Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs, Map<String, NdArray> params) {
        List<Node> order = g.topoOrder();
        Map<Node, Integer> uses = new HashMap<>();
        for (Node n : order) for (Node i : n.inputs()) uses.merge(i, 1, Integer::sum);
        for (Graph.Output o : g.outputs()) uses.merge(o.node(), 1, Integer::sum);
        Map<Node, NdArray> vals = new HashMap<>();
        for (Node n : order) {
            if (Thread.currentThread().isInterrupted()) throw new IllegalStateException("interrupted");
            NdArray v = switch (n.opName()) {
                case "input" -> inputs.get(n.attrs().getString("name"));
                case "param" -> params.get(n.attrs().getString("name"));
                default -> {
                    List<NdArray> args = new ArrayList<>(n.inputs().size());
                    for (Node i : n.inputs()) args.add(vals.get(i));
                    yield n.op().kernel().eval(args, n.attrs(), n.type());
                }
            };
            if (v == null) throw OnnxException.error("model", "no value bound for " + n.opName() + " '" + n.attrs().getString("name", "?") + "'");
            vals.put(n, v);
            for (Node i : n.inputs()) if (uses.merge(i, -1, Integer::sum) == 0) vals.remove(i);
        }
        Map<String, NdArray> out = new java.util.LinkedHashMap<>();
        for (Graph.Output o : g.outputs()) out.put(o.name(), vals.get(o.node()));
        return out;
    }
}
