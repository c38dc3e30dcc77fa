package org.dlm.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.ir.text.IrPrinter;
import org.dlm.ir.text.ValueNames;

/**
 * Checks every invariant of a {@link Graph} and reports all violations at once, each naming the
 * node as the printed IR does ({@code %3 = conv2d}, {@code %x}; see {@link ValueNames}).
 *
 * <ul>
 *   <li>every op is the one registered in {@link OpTable} under its name;</li>
 *   <li>operand count within the op's arity; attributes known, of the right kind, required ones
 *       present, defaulted ones filled in (as {@link Node#of} does);</li>
 *   <li>the stored type equals what the op's shape rule infers from the operands;</li>
 *   <li>declared inputs are {@code input} nodes and params are {@code param} nodes, all names
 *       unique; parameter shapes are static;</li>
 *   <li>every node reachable from the outputs depends only on declared inputs and params;</li>
 *   <li>output names are unique;</li>
 *   <li>every symbol in any shape comes from an input's shape; no static dimension is negative.</li>
 * </ul>
 *
 * <pre>{@code
 * List<Verifier.Problem> ps = Verifier.verify(graph);   // empty when the graph is well formed
 * Verifier.verifyOrThrow(graph);                          // or throw with every problem listed
 * }</pre>
 */
public final class Verifier {
    private Verifier() {}

    /** One violated invariant: {@code where} is IR-text ({@code %3 = conv2d}, {@code output %y}, {@code graph}). */
    public record Problem(String where, Node node, String message) {
        @Override public String toString() { return where + ": " + message; }
    }

    /** Thrown by {@link #verifyOrThrow}; the message lists every problem, one per line. */
    public static final class VerifierException extends RuntimeException {
        private final List<Problem> problems;
        VerifierException(String graph, List<Problem> problems) {
            super("graph " + graph + " is malformed (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):\n  "
                    + String.join("\n  ", problems.stream().map(Problem::toString).toList()), null, false, false);
            this.problems = List.copyOf(problems);
        }
        public List<Problem> problems() { return problems; }
    }

    public static void verifyOrThrow(Graph g) {
        List<Problem> ps = verify(g);
        if (!ps.isEmpty()) throw new VerifierException(g.name(), ps);
    }

    public static List<Problem> verify(Graph g) {
        List<Problem> out = new ArrayList<>();
        ValueNames names;
        List<Node> order;
        try {
            names = new ValueNames(g);
            order = g.topoOrder();
        } catch (RuntimeException e) {
            out.add(new Problem("graph", null, "cannot be traversed: " + e.getMessage()));
            return out;
        }

        // declarations
        Set<String> leafNames = new HashSet<>();
        Set<Node> declared = new HashSet<>();
        Set<String> inputSymbols = new LinkedHashSet<>();
        for (int k = 0; k < 2; k++) {
            List<Node> decls = k == 0 ? g.inputs() : g.params();
            String op = k == 0 ? "input" : "param";
            for (Node n : decls) {
                String where = names.describe(n);
                if (!n.opName().equals(op)) {
                    out.add(new Problem(where, n, "declared as " + (k == 0 ? "an input" : "a parameter") + " but is a " + n.opName() + " node"));
                    continue;
                }
                if (!declared.add(n)) {
                    out.add(new Problem(where, n, "declared twice"));
                    continue;
                }
                if (n.attrs().get("name") instanceof String s) {
                    if (s.isEmpty()) out.add(new Problem(where, n, "has an empty name"));
                    else if (!leafNames.add(s)) out.add(new Problem(where, n, "name '" + s + "' is used by another input or parameter"));
                }
                if (k == 0) inputSymbols.addAll(symbols(n.shape()));
                else if (!n.shape().isStatic()) out.add(new Problem(where, n, "parameter shape " + n.shape() + " must be static"));
            }
        }

        // outputs
        Set<String> outNames = new HashSet<>();
        for (Graph.Output o : g.outputs()) {
            if (!outNames.add(o.name())) out.add(new Problem("output %" + ValueNames.quoteIfNeeded(o.name()), o.node(), "output name used twice"));
        }

        // nodes
        for (Node n : order) {
            String where = names.describe(n);
            OpDef registered = OpTable.get(n.opName());
            if (registered == null) {
                out.add(new Problem(where, n, "unknown op '" + n.opName() + "'"));
                continue;
            }
            if (registered != n.op()) out.add(new Problem(where, n, "op '" + n.opName() + "' is not the definition registered in the op table"));
            if ((n.opName().equals("input") || n.opName().equals("param")) && !declared.contains(n)) {
                Object nm = n.attrs().get("name");
                out.add(new Problem(where, n, "uses " + n.opName() + " " + (nm instanceof String s ? "'" + s + "'" : "node")
                        + " that is not declared in the graph's " + (n.opName().equals("input") ? "inputs" : "params")));
            }
            boolean ok = checkArity(registered, n, where, out) & checkAttrs(registered, n, where, out);
            if (ok) {
                try {
                    TensorType t = registered.shapeRule().infer(n.inputs().stream().map(Node::type).toList(), n.attrs());
                    if (!t.equals(n.type()))
                        out.add(new Problem(where, n, "has type " + n.type() + " but " + n.opName() + " of "
                                + operandTypes(n) + " gives " + t));
                } catch (ShapeException e) {
                    out.add(new Problem(where, n, "shape rule rejects the operands: " + e.getMessage()));
                } catch (RuntimeException e) {
                    out.add(new Problem(where, n, "shape rule of " + n.opName() + " failed (a bug in the op definition): " + e));
                }
            }
            for (Dim d : n.shape().dims())
                if (d.isConst() && d.value() < 0) {
                    out.add(new Problem(where, n, "type " + n.type() + " has a negative dimension"));
                    break;
                }
            if (!declared.contains(n) || !n.opName().equals("input")) {
                for (String s : symbols(n.shape()))
                    if (!inputSymbols.contains(s))
                        out.add(new Problem(where, n, "type " + n.type() + " uses symbol " + s + ", which no input shape defines"));
            }
        }
        return out;
    }

    private static String operandTypes(Node n) {
        if (n.inputs().isEmpty()) return "its attributes";
        return String.join(", ", n.inputs().stream().map(x -> x.type().toString()).toList());
    }

    private static boolean checkArity(OpDef d, Node n, String where, List<Problem> out) {
        int k = n.inputs().size();
        if (k >= d.minInputs() && k <= d.maxInputs()) return true;
        try {
            d.checkArity(k);
        } catch (ShapeException e) {
            out.add(new Problem(where, n, e.getMessage()));
        }
        return false;
    }

    private static boolean checkAttrs(OpDef d, Node n, String where, List<Problem> out) {
        boolean ok = true;
        Map<String, Object> given = n.attrs().asMap();
        for (var e : given.entrySet()) {
            OpDef.AttrSpec spec = d.attrSpecs().get(e.getKey());
            if (spec == null) {
                out.add(new Problem(where, n, "unknown attribute '" + e.getKey() + "'"
                        + (d.attrSpecs().isEmpty() ? " (" + d.name() + " takes none)" : " (known: " + String.join(", ", d.attrSpecs().keySet()) + ")")));
                ok = false;
                continue;
            }
            if (!OpDef.kindMatches(spec.kind(), e.getValue())) {
                out.add(new Problem(where, n, "attribute '" + e.getKey() + "' must be " + OpDef.kindText(spec.kind())
                        + ", got " + describeValue(e.getValue())));
                ok = false;
            }
        }
        for (OpDef.AttrSpec s : d.attrSpecs().values()) {
            if (given.containsKey(s.name())) continue;
            ok = false;
            out.add(new Problem(where, n, s.dflt() == null ? "missing required attribute '" + s.name() + "'"
                    : "missing attribute '" + s.name() + "' (nodes carry every attribute; its default is " + IrPrinter.value(s.dflt()) + ")"));
        }
        return ok;
    }

    private static String describeValue(Object v) {
        try {
            return IrPrinter.value(v);
        } catch (IllegalArgumentException e) {
            return v.getClass().getSimpleName() + " " + v;
        }
    }

    static List<String> symbols(Shape s) {
        List<String> r = new ArrayList<>();
        for (Dim d : s.dims()) r.addAll(d.symbols());
        return r;
    }
}
