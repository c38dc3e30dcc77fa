package org.dlm.ir;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model in Graph IR: named inputs ({@code input} nodes), parameters ({@code param} nodes) and
 * named outputs. Immutable; passes return new graphs.
 *
 * @param name    model name
 * @param inputs  {@code input} nodes in call order
 * @param params  {@code param} nodes in declaration order (names are dotted paths: {@code conv1.weight})
 * @param outputs named results
 * @param meta    free-form metadata (source file, ...), printed as comments-free key/values
 */
public record Graph(String name, List<Node> inputs, List<Node> params, List<Output> outputs, Map<String, String> meta) {
    /** A named result of the graph. */
    public record Output(String name, Node node) {}

    public Graph {
        inputs = List.copyOf(inputs);
        params = List.copyOf(params);
        outputs = List.copyOf(outputs);
        meta = Map.copyOf(meta);
    }

    public Graph(String name, List<Node> inputs, List<Node> params, List<Output> outputs) {
        this(name, inputs, params, outputs, Map.of());
    }

    /** Every node reachable from the outputs (plus all inputs and params), operands before users. */
    public List<Node> topoOrder() {
        LinkedHashSet<Node> order = new LinkedHashSet<>(inputs);
        order.addAll(params);
        Set<Node> visiting = new HashSet<>();
        for (Output o : outputs) {
            // iterative DFS: deep graphs must not overflow the stack
            Deque<Object[]> stack = new ArrayDeque<>();
            stack.push(new Object[] {o.node(), 0});
            while (!stack.isEmpty()) {
                Object[] top = stack.peek();
                Node n = (Node) top[0];
                int i = (Integer) top[1];
                if (order.contains(n)) { stack.pop(); continue; }
                if (i < n.inputs().size()) {
                    top[1] = i + 1;
                    Node c = n.input(i);
                    if (!order.contains(c)) {
                        if (!visiting.add(c)) throw new IllegalStateException("cycle in graph at " + c);
                        stack.push(new Object[] {c, 0});
                    }
                } else {
                    order.add(n);
                    visiting.remove(n);
                    stack.pop();
                }
            }
        }
        return new ArrayList<>(order);
    }

    public Node input(String n) {
        return inputs.stream().filter(x -> x.attrs().getString("name").equals(n)).findFirst().orElse(null);
    }

    public Node param(String n) {
        return params.stream().filter(x -> x.attrs().getString("name").equals(n)).findFirst().orElse(null);
    }

    public Node output(String n) {
        return outputs.stream().filter(o -> o.name().equals(n)).map(Output::node).findFirst().orElse(null);
    }
}
