package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.Verifier;
import org.dlm.ir.text.IrParser;
import org.dlm.ir.text.IrPrinter;
import org.junit.jupiter.api.Test;

/** One node of every elementwise, reduction and shape op in a symbolic graph: verifies, prints and parses back. */
class OpFamiliesTextTest {
    @Test void everyOpVerifiesAndRoundTrips() {
        Node x = input("x", DType.F32, "B", 4, 6);
        Node y = input("y", DType.F32, 6);
        Node m = input("m", DType.BOOL, "B", 1, 6);
        Node ids = input("ids", DType.I64, "B", "T");
        List<Node> outs = new ArrayList<>();
        for (String op : List.of("neg", "abs", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "tanh", "sigmoid",
                "relu", "relu6", "gelu", "softplus", "erf", "floor", "ceil", "round", "sign", "isnan", "leaky_relu", "elu",
                "hard_sigmoid", "silu", "clip"))
            outs.add(Node.of(op, x));
        outs.add(Node.of("gelu", List.of(x), Attrs.of("approximate", "tanh")));
        outs.add(Node.of("clip", List.of(x), Attrs.of("min", -1.5, "max", 2.0)));
        outs.add(Node.of("cast", List.of(x), Attrs.of("dtype", DType.I32)));
        outs.add(Node.of("not", m));
        for (String op : List.of("add", "sub", "mul", "div", "pow", "max", "min", "mod", "eq", "ne", "lt", "le", "gt", "ge"))
            outs.add(Node.of(op, x, y));
        outs.add(Node.of("mod", List.of(x, y), Attrs.of("fmod", true)));
        for (String op : List.of("and", "or", "xor")) outs.add(Node.of(op, m, m));
        outs.add(Node.of("where", m, x, y));
        for (String op : List.of("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_l2", "reduce_logsumexp"))
            outs.add(Node.of(op, List.of(x), Attrs.of("axes", s(0, -1), "keepdims", true)));
        outs.add(Node.of("argmax", List.of(x), Attrs.of("axis", 1)));
        outs.add(Node.of("argmin", List.of(x), Attrs.of("axis", -1, "keepdims", true)));
        outs.add(Node.of("cumsum", List.of(x), Attrs.of("axis", 2)));
        outs.add(Node.of("reshape", List.of(x), Attrs.of("shape", tt(DType.F32, "B", -1).shape())));
        outs.add(Node.of("flatten", x));
        outs.add(Node.of("transpose", List.of(x), Attrs.of("perm", s(0, 2, 1))));
        outs.add(Node.of("concat", List.of(x, x), Attrs.of("axis", 1)));
        outs.add(Node.of("slice", List.of(x), Attrs.of("starts", s(1, -1), "ends", s(Long.MAX_VALUE, Long.MIN_VALUE), "axes", s(1, 2), "steps", s(1, -2))));
        outs.add(Node.of("gather", List.of(y, ids), Attrs.EMPTY));
        outs.add(Node.of("expand", List.of(y), Attrs.of("shape", tt(DType.F32, "B", 4, 6).shape())));
        outs.add(Node.of("squeeze", m));
        outs.add(Node.of("unsqueeze", List.of(x), Attrs.of("axes", s(-1))));
        outs.add(Node.of("pad", List.of(x), Attrs.of("pads", s(0, 1, 1, 0, 1, 1), "mode", "reflect")));
        outs.add(Node.of("tile", List.of(x), Attrs.of("repeats", s(1, 2, 3))));
        outs.add(Node.of("one_hot", List.of(ids), Attrs.of("depth", 10)));
        outs.add(Node.of("iota", List.of(), Attrs.of("dtype", DType.I64, "shape", Shape.of(5))));
        outs.add(Node.of("shape_of", x));

        Set<String> covered = new TreeSet<>();
        List<Graph.Output> go = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) {
            go.add(new Graph.Output("o" + i, outs.get(i)));
            covered.add(outs.get(i).opName());
        }
        Set<String> mine = new TreeSet<>();
        for (OpTable.Family f : List.of(new ElementwiseOps(), new ReductionOps(), new ShapeOps()))
            for (OpDef d : f.ops()) mine.add(d.name());
        assertEquals(mine, covered, "every op of the three families appears once");

        Graph g = new Graph("all_ops", List.of(x, y, m, ids), List.of(), go, Map.of());
        Verifier.verifyOrThrow(g);
        String text = IrPrinter.print(g);
        Graph back = IrParser.parseChecked(text);
        assertEquals(text, IrPrinter.print(back));
        for (int i = 0; i < go.size(); i++) assertSame(go.get(i).node(), back.outputs().get(i).node());
    }

    @Test void everyOpHasDocAndDifferentiableOpsHaveGradients() {
        Set<String> noGrad = Set.of("not", "isnan", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor",
                "argmax", "argmin", "one_hot", "iota", "shape_of");
        for (OpTable.Family f : List.of(new ElementwiseOps(), new ReductionOps(), new ShapeOps()))
            for (OpDef d : f.ops()) {
                assertFalse(d.doc().isBlank(), d.name() + " has no doc");
                assertEquals(!noGrad.contains(d.name()), d.gradRule() != null, d.name() + " gradient rule presence");
            }
    }
}
