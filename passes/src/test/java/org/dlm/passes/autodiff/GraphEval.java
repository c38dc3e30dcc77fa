package org.dlm.passes.autodiff;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;

/** Test adapter over the reference {@link Interpreter}: evaluates loose nodes, or a graph with values by name. */
public final class GraphEval {
    private GraphEval() {}

    /** Values of {@code outs}; {@code bound} gives the values of the input and param nodes they use. */
    public static List<NdArray> eval(List<Node> outs, Map<Node, NdArray> bound) {
        List<Node> ins = new ArrayList<>(), ps = new ArrayList<>();
        Map<String, NdArray> inVals = new HashMap<>(), pVals = new HashMap<>();
        for (var e : bound.entrySet()) {
            boolean isInput = e.getKey().opName().equals("input");
            (isInput ? ins : ps).add(e.getKey());
            (isInput ? inVals : pVals).put(e.getKey().attrs().getString("name"), e.getValue());
        }
        List<Graph.Output> o = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) o.add(new Graph.Output("o" + i, outs.get(i)));
        Map<String, NdArray> r = Interpreter.run(new Graph("eval", ins, ps, o), inVals, pVals);
        List<NdArray> out = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) out.add(r.get("o" + i));
        return out;
    }

    /** Runs {@code g}, taking each declared input and param from {@code byName} (other entries are ignored). */
    public static Map<String, NdArray> run(Graph g, Map<String, NdArray> byName) {
        Map<String, NdArray> ins = new HashMap<>(), ps = new HashMap<>();
        for (Node n : g.inputs()) put(ins, byName, n);
        for (Node n : g.params()) put(ps, byName, n);
        return Interpreter.run(g, ins, ps);
    }

    private static void put(Map<String, NdArray> to, Map<String, NdArray> from, Node n) {
        String name = n.attrs().getString("name");
        if (from.containsKey(name)) to.put(name, from.get(name));
    }
}
