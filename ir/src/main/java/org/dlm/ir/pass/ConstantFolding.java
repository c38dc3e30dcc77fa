package org.dlm.ir.pass;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.InterpreterException;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;

/**
 * Replaces every node whose operands are all {@code const} (including operand-free ops such as
 * {@code iota}) by a {@code const} holding its value,
 * computed with the op's reference kernel, when the result is static and small (at most
 * {@code fold.max-elements}, default 4096, elements; bigger results would bloat the graph).
 * Stateful ops (dropout) are left alone. Folding runs bottom-up in one sweep, so chains fold
 * completely. A kernel refusing constant operands leaves the node for run time to report.
 */
public final class ConstantFolding implements Pass {
    public static final String NAME = "constant-folding";
    /** Ops that are values already (or bound at run time); operand-free ops such as iota do fold. */
    private static final java.util.Set<String> LEAVES = java.util.Set.of("input", "param", "const");

    @Override public String name() { return NAME; }

    @Override public Graph run(Graph g, PassContext cx) {
        long max = cx.longOption("fold.max-elements", 4096);
        int[] folded = {0};
        Graph out = GraphRewriter.rewrite(g, (orig, n) -> {
            if (LEAVES.contains(n.opName()) || n.op().isStateful() || !n.shape().isStatic()) return n;
            for (Node x : n.inputs()) if (!x.opName().equals("const")) return n;
            if (n.shape().numel().value() > max) return n;
            List<NdArray> args = new ArrayList<>();
            for (Node x : n.inputs()) {
                Constant c = (Constant) x.attrs().get("value");
                args.add(new NdArray(c.type().dtype(), c.type().shape().sizes(), c.values()));
            }
            NdArray r;
            try {
                r = Interpreter.evalNode(n, args, n.type(), n.opName());
            } catch (InterpreterException e) {
                return n;
            }
            folded[0]++;
            return Node.of("const", List.of(), Attrs.of("value", new Constant(n.type(), r.data().clone())));
        });
        if (folded[0] > 0) cx.remark(NAME, "folded " + folded[0] + " node" + (folded[0] == 1 ? "" : "s"));
        return out;
    }
}
