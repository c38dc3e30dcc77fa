package org.dlm.passes.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

public class AutodiffTest {
    static Node param(String name, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F64, "shape", Shape.of(shape)));
    }

    static Node input(String name, long... shape) {
        return Node.of("input", List.of(), Attrs.of("name", name, "dtype", DType.F64, "shape", Shape.of(shape)));
    }

    static NdArray rand(Random r, long... shape) {
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = r.nextGaussian();
        return new NdArray(DType.F64, shape, d);
    }

    /** {@code x @ wᵀ} from broadcasting and a sum, so the test needs no linear-algebra op: [n, i] x [o, i] -> [n, o]. */
    public static Node dense(Node x, Node w, Node b) {
        long n = x.shape().dim(0).value(), i = x.shape().dim(1).value(), o = w.shape().dim(0).value();
        Node x3 = Node.of("reshape", List.of(x), Attrs.of("shape", Shape.of(n, 1, i)));
        Node prod = Node.of("mul", x3, w);                           // [n, o, i]
        return Node.of("add", Node.of("reduce_sum", List.of(prod), Attrs.of("axes", List.of(2L))), b);
    }

    /** Two-layer MLP with MSE loss; the hidden activation is used three times. */
    static Graph mlp() {
        Node x = input("x", 4, 3), y = input("y", 4, 2);
        Node w1 = param("fc1.weight", 5, 3), b1 = param("fc1.bias", 5);
        Node w2 = param("fc2.weight", 2, 5), b2 = param("fc2.bias", 2);
        Node h = dense(x, w1, b1);
        Node a = Node.of("tanh", h);
        Node out = dense(Node.of("add", a, Node.of("mul", a, h)), w2, b2);
        Node d = Node.of("sub", out, y);
        Node loss = Node.of("reduce_mean", Node.of("mul", d, d));
        return new Graph("mlp", List.of(x, y), List.of(w1, b1, w2, b2),
                List.of(new Graph.Output("loss", loss), new Graph.Output("out", out)));
    }

    /** Central finite differences of {@code loss} with respect to every parameter element of {@code g}. */
    static void assertGradientsMatch(Graph g, Graph dg, Map<String, NdArray> values) {
        Map<String, NdArray> got = GraphEval.run(dg, values);
        for (Node p : g.params()) {
            String name = p.attrs().getString("name");
            NdArray grad = got.get(Autodiff.GRAD_PREFIX + name);
            if (grad == null) continue;
            double[] x = values.get(name).data().clone();
            for (int k = 0; k < x.length; k++) {
                double old = x[k], h = 1e-6;
                x[k] = old + h;
                double fp = lossAt(g, values, name, x);
                x[k] = old - h;
                double fm = lossAt(g, values, name, x);
                x[k] = old;
                double num = (fp - fm) / (2 * h);
                assertEquals(num, grad.get(k), 1e-6 + 1e-5 * Math.abs(num), name + "[" + k + "]");
            }
        }
    }

    static double lossAt(Graph g, Map<String, NdArray> values, String name, double[] x) {
        Map<String, NdArray> v = new HashMap<>(values);
        v.put(name, new NdArray(DType.F64, values.get(name).shape(), x.clone()));
        return GraphEval.run(g, v).get("loss").get(0);
    }

    static Map<String, NdArray> values(Graph g, long seed) {
        Random r = new Random(seed);
        Map<String, NdArray> v = new LinkedHashMap<>();
        for (Node n : g.inputs()) if (n.dtype().isFloating()) v.put(n.attrs().getString("name"), rand(r, n.shape().sizes()));
        for (Node n : g.params()) v.put(n.attrs().getString("name"), rand(r, n.shape().sizes()));
        return v;
    }

    @Test
    void mlpGradientsMatchFiniteDifferences() {
        Graph g = mlp();
        Graph dg = Autodiff.differentiate(g, "loss", Set.of());
        assertEquals(List.of("loss", "out", "grad/fc1.weight", "grad/fc1.bias", "grad/fc2.weight", "grad/fc2.bias"),
                dg.outputs().stream().map(Graph.Output::name).toList());
        assertEquals("loss", dg.meta().get("autodiff.loss"));
        assertGradientsMatch(g, dg, values(g, 3));
    }

    /** A small LeNet-shaped network: conv, relu, max pool, flatten, linear, cross-entropy with class ids. */
    @Test
    void convNetGradientsMatchFiniteDifferences() {
        Node x = input("x", 2, 1, 6, 6);
        Node y = Node.of("input", List.of(), Attrs.of("name", "labels", "dtype", DType.I64, "shape", Shape.of(2)));
        Node cw = param("conv.weight", 2, 1, 3, 3), cb = param("conv.bias", 2), fw = param("fc.weight", 3, 8), fb = param("fc.bias", 3);
        Node h = Node.of("conv2d", List.of(x, cw, cb), Attrs.EMPTY);
        Node p = Node.of("max_pool2d", List.of(Node.of("relu", h)), Attrs.of("kernel", List.of(2L, 2L)));
        Node logits = Node.of("linear", Node.of("flatten", p), fw, fb);
        Node loss = Node.of("cross_entropy", logits, y);
        Graph g = new Graph("lenet_small", List.of(x, y), List.of(cw, cb, fw, fb),
                List.of(new Graph.Output("loss", loss), new Graph.Output("logits", logits)));
        Map<String, NdArray> v = values(g, 11);
        v.put("labels", NdArray.of(DType.I64, new long[] {2}, 2, 0));
        assertGradientsMatch(g, Autodiff.differentiate(g, "loss", Set.of()), v);
    }

    @Test
    void runsAsAVerifiedPassAndPrintsAsText() {
        var cx = new org.dlm.ir.pass.PassContext().set("autodiff.frozen", "fc2.bias, fc1.bias");
        Graph dg = new org.dlm.ir.pass.PassManager(List.of(new AutodiffPass())).verifyEach(true).run(mlp(), cx);
        assertEquals(List.of("loss", "out", "grad/fc1.weight", "grad/fc2.weight"), dg.outputs().stream().map(Graph.Output::name).toList());
        assertEquals(List.of("autodiff: added 2 gradient outputs for loss 'loss'"), cx.remarks());
        String text = org.dlm.ir.text.IrPrinter.print(dg);
        Graph back = org.dlm.ir.text.IrParser.parseChecked(text);
        assertEquals(text, org.dlm.ir.text.IrPrinter.print(back));
        assertSame(dg.output("grad/fc1.weight"), back.output("grad/fc1.weight"));   // hash-consed: same nodes
    }

    @Test
    void frozenAndNonTrainableParamsGetNoGradient() {
        Node x = input("x", 2, 3);
        Node w = param("w", 3, 3), v = param("v", 3, 3);
        Node buf = Node.of("param", List.of(), Attrs.of("name", "buf", "dtype", DType.F64, "shape", Shape.of(3), "trainable", false));
        Node xw = Node.of("tanh", dense(x, w, buf));
        Node loss = Node.of("reduce_sum", Node.of("add", dense(xw, v, buf), buf));
        Graph g = new Graph("m", List.of(x), List.of(w, v, buf), List.of(new Graph.Output("loss", loss)));
        Graph dg = Autodiff.differentiate(g, "loss", Set.of("w"));
        assertNull(dg.output("grad/w"));
        assertNull(dg.output("grad/buf"));
        assertNotNull(dg.output("grad/v"));
        assertGradientsMatch(g, dg, values(g, 5));
    }

    @Test
    void nodeUsedManyTimesAccumulates() {
        Node w = param("w", 3);
        Node sq = Node.of("mul", w, w);                       // w used twice by one node
        Node loss = Node.of("reduce_sum", Node.of("mul", sq, Node.of("add", sq, w)));  // sq used twice
        Graph g = new Graph("m", List.of(), List.of(w), List.of(new Graph.Output("loss", loss)));
        Graph dg = Autodiff.differentiate(g, "loss", Set.of());
        Map<String, NdArray> v = Map.of("w", NdArray.of(DType.F64, new long[] {3}, 1.0, -2.0, 0.5));
        NdArray grad = GraphEval.run(dg, v).get("grad/w");
        // d/dw (w^4 + w^3) = 4w^3 + 3w^2
        assertEquals(4 + 3, grad.get(0), 1e-12);
        assertEquals(-32 + 12, grad.get(1), 1e-12);
        assertEquals(0.5 + 0.75, grad.get(2), 1e-12);
    }

    @Test
    void unusedParamGetsZeroGradient() {
        Node w = param("w", 2), unused = param("unused", 2, 2);
        Node loss = Node.of("reduce_sum", Node.of("mul", w, w));
        Graph g = new Graph("m", List.of(), List.of(w, unused), List.of(new Graph.Output("loss", loss)));
        Map<String, NdArray> out = GraphEval.run(Autodiff.differentiate(g, "loss", Set.of()),
                Map.of("w", NdArray.of(DType.F64, new long[] {2}, 1, 2), "unused", NdArray.zeros(DType.F64, 2, 2)));
        assertEquals(NdArray.zeros(DType.F64, 2, 2), out.get("grad/unused"));
        assertEquals(NdArray.of(DType.F64, new long[] {2}, 2, 4), out.get("grad/w"));
    }

    @Test
    void broadcastGradientIsSummedBackToOperandShape() {
        // a rule returning the broadcast shape is reduced by Autodiff.unbroadcast
        Node g = Node.of("param", List.of(), Attrs.of("name", "g", "dtype", DType.F64, "shape", Shape.of(4, 2, 3)));
        Node r = Autodiff.unbroadcast(g, TensorType.of(DType.F64, 2, 1), "test");
        assertEquals(TensorType.of(DType.F64, 2, 1), r.type());
        NdArray gv = rand(new Random(1), 4, 2, 3);
        NdArray rv = GraphEval.eval(List.of(r), Map.of(g, gv)).get(0);
        for (int i = 0; i < 2; i++) {
            double s = 0;
            for (int a = 0; a < 4; a++) for (int c = 0; c < 3; c++) s += gv.get(a, i, c);
            assertEquals(s, rv.get(i, 0), 1e-12);
        }
    }

    // --- errors a user can cause ---

    private static final OpDef NO_RULE_A = OpDef.builder("mystery_a").inputs(1)
            .shape((in, a) -> in.get(0)).kernel((in, a, out) -> in.get(0)).build();
    private static final OpDef NO_RULE_B = OpDef.builder("mystery_b").inputs(1)
            .shape((in, a) -> in.get(0).withShape(Shape.SCALAR)).kernel((in, a, out) -> NdArray.scalar(out.dtype(), 0)).build();

    @Test
    void listsEveryOpWithoutGradientRule() {
        Node w = param("w", 3);
        Node loss = Node.of(NO_RULE_B, List.of(Node.of(NO_RULE_A, List.of(Node.of(NO_RULE_A, List.of(w), Attrs.EMPTY)), Attrs.EMPTY)), Attrs.EMPTY);
        Graph g = new Graph("m", List.of(), List.of(w), List.of(new Graph.Output("loss", loss)));
        AutodiffException e = assertThrows(AutodiffException.class, () -> Autodiff.differentiate(g, "loss", Set.of()));
        assertEquals("cannot differentiate: no gradient rule for mystery_a (2 uses), mystery_b", e.getMessage());
        assertTrue(e.hint().contains("freeze"));
        // freezing the only parameter leaves nothing to differentiate through: no error
        Graph dg = Autodiff.differentiate(g, "loss", Set.of("w"));
        assertEquals(1, dg.outputs().size());
    }

    @Test
    void rejectsBadLossAndUnknownFrozenNames() {
        Node w = param("w", 3);
        Node y = Node.of(NO_RULE_A, List.of(w), Attrs.EMPTY);
        Graph g = new Graph("m", List.of(), List.of(w), List.of(new Graph.Output("y", y)));
        AutodiffException e1 = assertThrows(AutodiffException.class, () -> Autodiff.differentiate(g, "loss", Set.of()));
        assertEquals("model m has no output 'loss' to differentiate", e1.getMessage());
        assertEquals("outputs are: y", e1.hint());
        AutodiffException e2 = assertThrows(AutodiffException.class, () -> Autodiff.differentiate(g, "y", Set.of()));
        assertEquals("loss 'y' must be a scalar, got f64[3]", e2.getMessage());
        Graph g2 = new Graph("m", List.of(), List.of(w), List.of(new Graph.Output("loss", Node.of(NO_RULE_B, List.of(w), Attrs.EMPTY))));
        AutodiffException e3 = assertThrows(AutodiffException.class, () -> Autodiff.differentiate(g2, "loss", Set.of("v", "u")));
        assertEquals("cannot freeze unknown parameters u, v", e3.getMessage());
        assertEquals("parameters are: w", e3.hint());
    }
}
