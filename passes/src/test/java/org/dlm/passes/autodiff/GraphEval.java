package org.dlm.passes.autodiff;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/** Evaluates static-shaped nodes by calling each op's reference kernel in topological order. */
public final class GraphEval {
    private GraphEval() {}

    /** Values of {@code outs}; {@code bound} gives the values of input and param nodes. */
    public static List<NdArray> eval(List<Node> outs, Map<Node, NdArray> bound) {
        List<Graph.Output> o = new java.util.ArrayList<>();
        for (int i = 0; i < outs.size(); i++) o.add(new Graph.Output("o" + i, outs.get(i)));
        Map<Node, NdArray> vals = new HashMap<>(bound);
        for (Node n : new Graph("eval", List.of(), List.of(), o).topoOrder()) {
            if (vals.containsKey(n)) continue;
            if (n.opName().equals("input") || n.opName().equals("param"))
                throw new IllegalArgumentException("no value bound for " + n);
            List<NdArray> in = n.inputs().stream().map(vals::get).toList();
            vals.put(n, n.op().kernel().eval(in, n.attrs(), n.type()));
        }
        return outs.stream().map(vals::get).toList();
    }

    /** Evaluates every output of {@code g} with params and inputs bound by name. */
    public static Map<String, NdArray> run(Graph g, Map<String, NdArray> byName) {
        Map<Node, NdArray> bound = new HashMap<>();
        for (Node n : g.inputs()) bound.put(n, byName.get(n.attrs().getString("name")));
        for (Node n : g.params()) bound.put(n, byName.get(n.attrs().getString("name")));
        bound.values().removeIf(java.util.Objects::isNull);
        List<NdArray> r = eval(g.outputs().stream().map(Graph.Output::node).toList(), bound);
        Map<String, NdArray> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < r.size(); i++) out.put(g.outputs().get(i).name(), r.get(i));
        return out;
    }
}
