package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/** Every gradient rule of the elementwise, reduction and shape families against finite differences. */
class GradientTest {
    // values away from the kinks of relu, abs, clip, floor, ... so finite differences are valid
    static final NdArray X = f64(s(2, 3), -1.3, 0.4, 2.2, -0.7, 1.1, 0.25);
    static final NdArray POS = f64(s(2, 3), 0.3, 1.4, 2.2, 0.7, 1.1, 0.25);
    static final NdArray ROW = f64(s(3), 0.5, -1.2, 0.9);
    static final NdArray COL = f64(s(2, 1), 1.7, -0.6);

    static Node un(String op, Attrs a, Node x) { return Node.of(op, List.of(x), a); }

    @Test void unaryGradients() {
        for (String op : List.of("neg", "abs", "exp", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "gelu", "softplus", "erf", "silu",
                "floor", "ceil", "round", "sign", "leaky_relu", "elu", "hard_sigmoid"))
            GradCheck.check(in -> un(op, Attrs.EMPTY, in.get(0)), X);
        for (String op : List.of("log", "sqrt", "rsqrt", "reciprocal"))
            GradCheck.check(in -> un(op, Attrs.EMPTY, in.get(0)), POS);
        GradCheck.check(in -> un("atan", Attrs.EMPTY, in.get(0)), X);
        for (String op : List.of("asin", "acos"))  // defined on [-1, 1]
            GradCheck.check(in -> un(op, Attrs.EMPTY, in.get(0)), f64(s(2, 3), -0.8, 0.4, 0.1, -0.3, 0.7, 0.25));
    }

    @Test void unaryGradientsWithAttributes() {
        GradCheck.check(in -> un("gelu", Attrs.of("approximate", "tanh"), in.get(0)), X);
        GradCheck.check(in -> un("leaky_relu", Attrs.of("alpha", 0.3), in.get(0)), X);
        GradCheck.check(in -> un("elu", Attrs.of("alpha", 2.0), in.get(0)), X);
        GradCheck.check(in -> un("hard_sigmoid", Attrs.of("alpha", 0.4, "beta", 0.3), in.get(0)), X);
        GradCheck.check(in -> un("clip", Attrs.of("min", -1.0, "max", 1.0), in.get(0)), X);
        GradCheck.check(in -> un("relu6", Attrs.EMPTY, in.get(0)), f64(s(4), -1, 3, 6.5, 0.2));
    }

    @Test void castGradientCastsBack() {
        Node x = input("cx", DType.F32, "B", 3);
        Node y = Node.of("cast", List.of(x), Attrs.of("dtype", DType.F64));
        Node g = OpTable.require("cast").gradRule().grad(y, input("cg", DType.F64, "B", 3)).get(0);
        assertEquals(tt(DType.F32, "B", 3), g.type());
        Node toInt = Node.of("cast", List.of(x), Attrs.of("dtype", DType.I32));
        assertNull(OpTable.require("cast").gradRule().grad(toInt, input("cg2", DType.I32, "B", 3)).get(0));
    }

    @Test void binaryGradientsWithBroadcasting() {
        for (String op : List.of("add", "sub", "mul", "div", "max", "min", "mod")) {
            GradCheck.check(in -> Node.of(op, in.get(0), in.get(1)), X, f64(s(2, 3), 0.9, -1.1, 1.3, 0.6, -2.5, 1.9));
            GradCheck.check(in -> Node.of(op, in.get(0), in.get(1)), X, ROW);
            GradCheck.check(in -> Node.of(op, in.get(0), in.get(1)), COL, ROW);
            GradCheck.check(in -> Node.of(op, in.get(0), in.get(1)), f64(s(), 0.83), X);
        }
        GradCheck.check(in -> Node.of("mod", List.of(in.get(0), in.get(1)), Attrs.of("fmod", true)), X, ROW);
        GradCheck.check(in -> Node.of("pow", in.get(0), in.get(1)), POS, ROW);
        GradCheck.check(in -> Node.of("pow", in.get(0), in.get(1)), POS, f64(s(2, 1), 2, 3));
    }

    @Test void minMaxTiesSplitTheGradient() {
        GradCheck.check(in -> Node.of("mul", Node.of("max", in.get(0), in.get(0)), in.get(0)), X);
    }

    @Test void whereGradient() {
        NdArray cond = bool(s(2, 1), 1, 0);
        Node cc = Node.of("const", List.of(), Attrs.of("value", new org.dlm.ir.Constant(tt(DType.BOOL, 2, 1), cond.data())));
        GradCheck.check(in -> Node.of("where", cc, in.get(0), in.get(1)), X, ROW);
    }

    @Test void reductionGradients() {
        for (String op : List.of("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_l2", "reduce_logsumexp")) {
            GradCheck.check(in -> un(op, Attrs.EMPTY, in.get(0)), X);
            GradCheck.check(in -> un(op, Attrs.of("axes", s(1)), in.get(0)), X);
            GradCheck.check(in -> un(op, Attrs.of("axes", s(0), "keepdims", true), in.get(0)), X);
        }
        // ties share the gradient of max evenly
        GradCheck.check(in -> un("reduce_max", Attrs.of("axes", s(1)), in.get(0)), f64(s(2, 2), 1, 1, 0.5, 2));
        GradCheck.check(in -> un("cumsum", Attrs.of("axis", 1), in.get(0)), X);
        GradCheck.check(in -> un("cumsum", Attrs.of("axis", 0), in.get(0)), X);
    }

    @Test void shapeGradients() {
        GradCheck.check(in -> un("reshape", Attrs.of("shape", Shape.of(3, 2)), in.get(0)), X);
        GradCheck.check(in -> un("flatten", Attrs.of("axis", 0), in.get(0)), X);
        GradCheck.check(in -> un("transpose", Attrs.EMPTY, in.get(0)), X);
        GradCheck.check(in -> un("transpose", Attrs.of("perm", s(1, 2, 0)), in.get(0)), f64(s(2, 1, 3), 1, 2, 3, 4, 5, 6));
        GradCheck.check(in -> Node.of("concat", List.of(in.get(0), in.get(1), in.get(0)), Attrs.of("axis", 1)), X, COL);
        GradCheck.check(in -> un("slice", Attrs.of("starts", s(1), "ends", s(3), "axes", s(1)), in.get(0)), X);
        GradCheck.check(in -> un("slice", Attrs.of("starts", s(-1, 0), "ends", s(Long.MAX_VALUE, 2)), in.get(0)), X);
        GradCheck.check(in -> un("expand", Attrs.of("shape", Shape.of(4, 2, 3)), in.get(0)), COL);
        GradCheck.check(in -> un("squeeze", Attrs.EMPTY, in.get(0)), COL);
        GradCheck.check(in -> un("unsqueeze", Attrs.of("axes", s(0, 2)), in.get(0)), X);
        GradCheck.check(in -> un("pad", Attrs.of("pads", s(1, 0, 0, 2)), in.get(0)), X);
        GradCheck.check(in -> un("pad", Attrs.of("pads", s(0, -1, 1, 0), "value", 3.0), in.get(0)), X);
        GradCheck.check(in -> un("tile", Attrs.of("repeats", s(2, 3)), in.get(0)), X);
    }

    @Test void compositeGraph() {
        // softmax-like chain mixing families: exp(x - max(x)) / sum(...)
        GradCheck.check(in -> {
            Node x = in.get(0);
            Node m = un("reduce_max", Attrs.of("axes", s(1), "keepdims", true), x);
            Node e = Node.of("exp", Node.of("sub", x, m));
            return Node.of("div", e, un("reduce_sum", Attrs.of("axes", s(1), "keepdims", true), e));
        }, X);
    }

    @Test void gradientsOfSymbolicShapesEvaluate() {
        // d/dx sum(mean(x + b, axis 0) * w) over a symbolic batch: unbroadcast and mean use symbolic sizes
        Node x = input("sx", DType.F64, "B", 3);
        Node b = input("sb", DType.F64, 3);
        Node y = un("reduce_mean", Attrs.of("axes", s(0)), Node.of("add", x, b));
        Node loss = un("reduce_sum", Attrs.EMPTY, y);
        List<Node> gs = GradCheck.gradients(loss, List.of(x, b));
        assertEquals(tt(DType.F64, "B", 3), gs.get(0).type());
        assertEquals(tt(DType.F64, 3), gs.get(1).type());
        NdArray xv = f64(s(4, 3), new double[12]);
        Map<Node, NdArray> bind = Map.of(x, xv, b, ROW);
        assertValues(eval(gs.get(0), bind), s(4, 3), 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25);
        assertValues(eval(gs.get(1), bind), s(3), 1, 1, 1);
    }

    @Test void unbroadcastSumsStretchedAxes() {
        Node g = input("ug", DType.F32, "B", 4, 3);
        assertEquals(tt(DType.F32, 3), GradUtil.unbroadcast(g, Shape.of(3)).type());
        assertEquals(tt(DType.F32, 4, 1), GradUtil.unbroadcast(g, Shape.of(4, 1)).type());
        assertSame(g, GradUtil.unbroadcast(g, g.shape()));
        NdArray gv = f32(s(1, 2, 3), 1, 2, 3, 4, 5, 6);
        Node g2 = input("ug2", DType.F32, 1, 2, 3);
        assertValues(eval(GradUtil.unbroadcast(g2, Shape.of(2, 1)), Map.of(g2, gv)), s(2, 1), 6, 15);
        assertValues(eval(GradUtil.unbroadcast(g2, Shape.of(1, 3)), Map.of(g2, gv)), s(1, 3), 5, 7, 9);
    }

    @Test void gatherAndStridedGradientsScatter() {
        NdArray table = f64(s(3, 2), 1, 2, 3, 4, 5, 6);
        Node ids = Node.of("const", List.of(), Attrs.of("value", new org.dlm.ir.Constant(tt(DType.I64, 2, 2), new double[] {0, -1, 2, 0})));
        GradCheck.check(in -> Node.of("gather", in.get(0), ids), table);
        GradCheck.check(in -> Node.of("gather", List.of(in.get(0), ids), Attrs.of("axis", 1)), f64(s(2, 3), 1, 2, 3, 4, 5, 6));
        GradCheck.check(in -> Node.of("gather", List.of(in.get(0), GradUtil.indices(1)), Attrs.of("axis", 0)), table);
        Node scalarIdx = Node.of("const", List.of(), Attrs.of("value", org.dlm.ir.Constant.scalar(DType.I32, 1)));
        GradCheck.check(in -> Node.of("gather", List.of(in.get(0), scalarIdx), Attrs.of("axis", 1)), table);
        GradCheck.check(in -> un("slice", Attrs.of("starts", s(0), "ends", s(6), "steps", s(2)), in.get(0)), f64(s(5), 1, 2, 3, 4, 5));
        GradCheck.check(in -> un("slice", Attrs.of("starts", s(-1, 2), "ends", s(Long.MIN_VALUE, 0), "axes", s(1, 0), "steps", s(-2, -1)), in.get(0)), X);
        GradCheck.check(in -> un("pad", Attrs.of("pads", s(1, 2, 1, 2), "mode", "reflect"), in.get(0)), X);
        GradCheck.check(in -> un("pad", Attrs.of("pads", s(2, 0, 1, 3), "mode", "edge"), in.get(0)), X);
    }

    @Test void sliceToTheEndOfASymbolicDimHasAGradient() {
        Node x = input("sx2", DType.F64, "B", "T");
        Node y = un("slice", Attrs.of("starts", s(1), "ends", s(Long.MAX_VALUE), "axes", s(1)), x);
        Node g = GradCheck.gradients(un("reduce_sum", Attrs.EMPTY, y), List.of(x)).get(0);
        assertEquals(tt(DType.F64, "B", "T"), g.type());
        assertValues(eval(g, Map.of(x, f64(s(2, 3), new double[6]))), s(2, 3), 0, 1, 1, 0, 1, 1);
        Node y2 = un("slice", Attrs.of("starts", s(1), "ends", s(-1), "axes", s(1)), x);
        assertEquals(tt(DType.F64, "B", "T-2"), y2.type());
        Node g2 = GradCheck.gradients(un("reduce_sum", Attrs.EMPTY, y2), List.of(x)).get(0);
        assertValues(eval(g2, Map.of(x, f64(s(1, 4), new double[4]))), s(1, 4), 0, 1, 1, 0);
    }

    @Test void concatGradientWithOneSymbolicOperand() {
        Node a = input("ca", DType.F64, "B", 3), b = input("cb", DType.F64, "B", "T"), c = input("cc", DType.F64, "B", 2);
        Node w = input("cw", DType.F64, "B", "T+5");
        Node cat = Node.of("concat", List.of(a, b, c), Attrs.of("axis", 1));
        assertEquals(w.type(), cat.type());
        List<Node> gs = GradCheck.gradients(un("reduce_sum", Attrs.EMPTY, Node.of("mul", cat, w)), List.of(a, b, c));
        assertEquals(List.of(a.type(), b.type(), c.type()), gs.stream().map(Node::type).toList());
        double[] wv = new double[9];
        for (int i = 0; i < 9; i++) wv[i] = i;
        Map<Node, NdArray> bind = Map.of(a, f64(s(1, 3), 0, 0, 0), b, f64(s(1, 4), 0, 0, 0, 0), c, f64(s(1, 2), 0, 0), w, f64(s(1, 9), wv));
        assertValues(eval(gs.get(0), bind), s(1, 3), 0, 1, 2);
        assertValues(eval(gs.get(1), bind), s(1, 4), 3, 4, 5, 6);
        assertValues(eval(gs.get(2), bind), s(1, 2), 7, 8);
        Node two = Node.of("concat", List.of(b, b), Attrs.of("axis", 1));
        ShapeException e = assertThrows(ShapeException.class, () -> two.op().gradRule().grad(two, input("cg", DType.F64, "B", "2*T")));
        assertTrue(e.getMessage().contains("one operand with a symbolic size"), e.getMessage());
    }

    @Test void unsupportedGradientsSayWhy() {
        Node x = input("ux", DType.F64, "T");
        Node sl = un("slice", Attrs.of("starts", s(0), "ends", s(4), "steps", s(2)), x);
        ShapeException e = assertThrows(ShapeException.class, () -> sl.op().gradRule().grad(sl, input("ug3", DType.F64, 2)));
        assertTrue(e.getMessage().contains("needs step 1, a start counted from the beginning and an end counted from the end"), e.getMessage());
        Node p = un("pad", Attrs.of("pads", s(1, 1), "mode", "edge"), x);
        e = assertThrows(ShapeException.class, () -> p.op().gradRule().grad(p, input("ug4", DType.F64, "T+2")));
        assertTrue(e.getMessage().contains("needs a static size on axis 0"), e.getMessage());
        Node t = input("ut", DType.F64, "V", 4);
        Node ga = Node.of("gather", t, input("ui", DType.I64, 3));
        e = assertThrows(ShapeException.class, () -> ga.op().gradRule().grad(ga, input("ug5", DType.F64, 3, 4)));
        assertTrue(e.getMessage().contains("gather needs a static size on axis 0"), e.getMessage());
    }
}
