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
        List<Node> inputs = g.inputs().stream().map(n -> map.getOrDefault(n, n)).toList();
        List<Node> params = g.params().stream().map(n -> map.getOrDefault(n, n)).toList();
        List<Graph.Output> outs = g.outputs().stream().map(o -> new Graph.Output(o.name(), map.getOrDefault(o.node(), o.node()))).toList();
        Graph r = new Graph(g.name(), inputs, params, outs, g.meta());
        return r.equals(g) ? g : r;
    }
}
