package org.dlm.ir.interp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.text.ValueNames;

/**
 * The reference interpreter: runs a {@link Graph} node by node with each op's plain-Java
 * {@link OpDef.Kernel}. It is the oracle every backend is compared against, so it is simple and
 * strict rather than fast: symbolic dims are bound from the actual inputs ({@link ShapeBinder}),
 * every kernel result is checked against the node's type with those values substituted, and
 * intermediates are dropped after their last use so large graphs fit in memory. Deterministic.
 *
 * <pre>{@code
 * Map<String, NdArray> out = Interpreter.run(graph,
 *     Map.of("x", NdArray.zeros(DType.F32, 8, 784)),
 *     Map.of("fc.weight", w, "fc.bias", b));
 * NdArray logits = out.get("logits");
 * }</pre>
 */
public final class Interpreter {
    private Interpreter() {}

    /**
     * Runs {@code g}. Returns one entry per graph output, in output order.
     *
     * @throws InterpreterException for missing, unknown or mis-shaped inputs/params, inconsistent
     *     symbol values, or a kernel refusing its runtime values
     * @throws IllegalStateException when a kernel returns a result of the wrong shape or dtype
     *     (a bug in the op definition, not in the caller's data)
     */
    public static Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs, Map<String, NdArray> params) {
        return run(g, inputs, params, null);
    }

    /**
     * Like {@link #run(Graph, Map, Map)}, and calls {@code observer} with every computed node and
     * its value in evaluation order, e.g. to find the first node where a backend disagrees.
     */
    public static Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs, Map<String, NdArray> params,
                                           BiConsumer<Node, NdArray> observer) {
        ValueNames names = new ValueNames(g);
        Map<Node, NdArray> values = new HashMap<>();
        ShapeBinder binder = new ShapeBinder();

        checkUnknown("input", inputs, g.inputs());
        checkUnknown("parameter", params, g.params());
        for (Node in : g.inputs()) {
            String name = in.attrs().getString("name", null);
            NdArray a = inputs.get(name);
            if (a == null) throw new InterpreterException("missing input '" + name + "' (" + in.type() + ")");
            binder.bind("input " + name, in.type(), a.dtype(), a.shape());
            values.put(in, a);
        }
        Map<String, Long> env = binder.finish();
        for (Node p : g.params()) {
            String name = p.attrs().getString("name", null);
            NdArray a = params.get(name);
            if (a == null) throw new InterpreterException("missing parameter '" + name + "' (" + p.type() + ")");
            TensorType want = staticType(p, env, names);
            if (a.dtype() != want.dtype() || !Arrays.equals(a.shape(), want.shape().sizes()))
                throw new InterpreterException("parameter " + name + ": expected " + want + ", got " + a.dtype() + Arrays.toString(a.shape()));
            values.put(p, a);
        }

        List<Node> order = g.topoOrder();
        Map<Node, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < order.size(); i++)
            for (Node x : order.get(i).inputs()) lastUse.put(x, i);
        Set<Node> keep = new HashSet<>();
        for (Graph.Output o : g.outputs()) keep.add(o.node());

        for (int i = 0; i < order.size(); i++) {
            Node n = order.get(i);
            if (!values.containsKey(n)) {
                if (n.opName().equals("input") || n.opName().equals("param"))
                    throw new InterpreterException(names.describe(n) + ": " + n.opName() + " '" + n.attrs().getString("name", "?")
                            + "' is not declared by graph " + g.name());
                List<NdArray> args = new ArrayList<>(n.inputs().size());
                for (Node x : n.inputs()) args.add(values.get(x));
                NdArray r = evalNode(n, args, staticType(n, env, names), names.describe(n));
                values.put(n, r);
                if (observer != null) observer.accept(n, r);
            }
            for (Node x : n.inputs())
                if (lastUse.get(x) == i && !keep.contains(x)) values.remove(x);
        }

        Map<String, NdArray> out = new LinkedHashMap<>();
        for (Graph.Output o : g.outputs()) out.put(o.name(), values.get(o.node()));
        return out;
    }

    /**
     * Evaluates one node's kernel on concrete operands and checks the result against {@code out};
     * {@code where} names the node in messages. Used by the interpreter and by constant folding.
     */
    public static NdArray evalNode(Node n, List<NdArray> args, TensorType out, String where) {
        NdArray r;
        try {
            r = n.op().kernel().eval(args, n.attrs(), out);
        } catch (InterpreterException e) {
            throw new InterpreterException(where + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new InterpreterException(where + ": " + n.opName() + " failed on operands "
                    + String.join(", ", args.stream().map(a -> a.dtype() + Arrays.toString(a.shape())).toList()) + ": " + e.getMessage(), e);
        }
        if (r == null) throw new IllegalStateException("internal error: the " + n.opName() + " kernel returned nothing for " + where);
        if (r.dtype() != out.dtype() || !Arrays.equals(r.shape(), out.shape().sizes()))
            throw new IllegalStateException("internal error: the " + n.opName() + " kernel returned " + r.dtype() + Arrays.toString(r.shape())
                    + " for " + where + ", whose type is " + out);
        return r;
    }

    private static TensorType staticType(Node n, Map<String, Long> env, ValueNames names) {
        Shape s = n.shape().substitute(env);
        if (!s.isStatic()) {
            var free = new TreeSet<String>();
            s.dims().forEach(d -> free.addAll(d.symbols()));
            throw new InterpreterException(names.describe(n) + ": type " + n.type() + " uses " + String.join(", ", free)
                    + ", which no input shape binds");
        }
        for (long v : s.sizes())
            if (v < 0) throw new InterpreterException(names.describe(n) + ": type " + n.type() + " has a negative size with " + env);
        return n.type().withShape(s);
    }

    private static void checkUnknown(String what, Map<String, NdArray> given, List<Node> declared) {
        List<String> known = declared.stream().map(n -> n.attrs().getString("name", "?")).toList();
        for (String k : given.keySet())
            if (!known.contains(k))
                throw new InterpreterException("unknown " + what + " '" + k + "'; the graph's " + what + "s are "
                        + (known.isEmpty() ? "none" : String.join(", ", known)));
    }
}
