package org.dlm.ir.pass;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;

/**
 * Rebuilds a graph bottom-up: each node is visited once, after its operands, and may be replaced.
 * Nodes whose operands did not change are kept as they are; otherwise the node is rebuilt on the
 * new operands with the same op, attributes and type (a rule that changes the type must return
 * its own node). Iterative, so deep graphs do not overflow the stack.
 *
 * <pre>{@code
 * Graph out = GraphRewriter.rewrite(g, (old, rebuilt) -> isDoubleNeg(rebuilt) ? rebuilt.input(0).input(0) : rebuilt);
 * }</pre>
 */
public final class GraphRewriter {
    private GraphRewriter() {}

    /** A local rule: given the original node and its copy on rewritten operands, returns the replacement. */
    @FunctionalInterface
    public interface Rule { Node apply(Node original, Node rebuilt); }

    public static Graph rewrite(Graph g, Rule rule) {
        Map<Node, Node> map = rewriteNodes(g, rule);
        List<Node> params = g.params().stream().map(n -> map.getOrDefault(n, n)).toList();
        return rebuild(g, map, params);
    }

    /**
     * Like {@link #rewrite}, for compile-time rewrites that replace parameters by derived ones
     * (batch-norm folding, pre-transposed weights): the result's parameters are those its outputs
     * use, in topological order, so replaced parameters drop out and new ones are declared.
     */
    public static Graph rewriteParams(Graph g, Rule rule) {
        Map<Node, Node> map = rewriteNodes(g, rule);
        Graph probe = rebuild(g, map, List.of());
        List<Node> params = probe.topoOrder().stream().filter(n -> n.opName().equals("param")).toList();
        return rebuild(g, map, params);
    }

    private static Map<Node, Node> rewriteNodes(Graph g, Rule rule) {
        Map<Node, Node> map = new HashMap<>();
        for (Node n : g.topoOrder()) {
            List<Node> ins = new ArrayList<>(n.inputs().size());
            boolean changed = false;
            for (Node x : n.inputs()) {
                Node y = map.getOrDefault(x, x);
                changed |= y != x;
                ins.add(y);
            }
            Node rebuilt = changed ? Node.unchecked(n.op(), ins, n.attrs(), n.type()) : n;
            map.put(n, rule.apply(n, rebuilt));
        }
        return map;
    }

    private static Graph rebuild(Graph g, Map<Node, Node> map, List<Node> params) {
        List<Node> inputs = g.inputs().stream().map(n -> map.getOrDefault(n, n)).toList();
        List<Graph.Output> outs = g.outputs().stream().map(o -> new Graph.Output(o.name(), map.getOrDefault(o.node(), o.node()))).toList();
        Graph r = new Graph(g.name(), inputs, params, outs, g.meta());
        return r.equals(g) ? g : r;
    }
}
