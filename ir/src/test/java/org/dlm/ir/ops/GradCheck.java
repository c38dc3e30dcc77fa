package org.dlm.ir.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Checks gradient rules against central finite differences in f64. The function under test is
 * reduced to a scalar with fixed random weights, {@code L = sum(f(x) * w)}; reverse mode runs
 * over the op table's grad rules and the gradient graph is evaluated like any other graph.
 */
final class GradCheck {
    private GradCheck() {}

    static final double EPS = 1e-6;

    /** Reverse-mode gradients of scalar {@code loss} with respect to {@code wrt}, built from grad rules. */
    static List<Node> gradients(Node loss, List<Node> wrt) {
        Map<Node, Node> grads = new HashMap<>();
        grads.put(loss, GradUtil.scalar(1, loss));
        List<Node> order = OpTesting.topo(loss);
        Collections.reverse(order);
        for (Node n : order) {
            Node g = grads.get(n);
            if (g == null || n.inputs().isEmpty()) continue;
            assertNotNull(n.op().gradRule(), "op " + n.opName() + " has no gradient rule");
            List<Node> gs = n.op().gradRule().grad(n, g);
            assertEquals(n.inputs().size(), gs.size(), "gradient count of " + n.opName());
            for (int i = 0; i < gs.size(); i++) {
                Node gi = gs.get(i);
                if (gi == null) continue;
                Node in = n.input(i);
                assertEquals(in.type(), gi.type(), "gradient type of operand " + i + " of " + n.opName());
                grads.merge(in, gi, GradUtil::add);
            }
        }
        List<Node> r = new ArrayList<>();
        for (Node x : wrt) r.add(grads.getOrDefault(x, GradUtil.zerosLike(x)));
        return r;
    }

    /** Checks d sum(f(x)*w)/dx for every operand against finite differences (f64 inputs). */
    static void check(Function<List<Node>, Node> f, NdArray... xs) { check(1e-6, f, xs); }

    static void check(double tol, Function<List<Node>, Node> f, NdArray... xs) {
        List<Node> ins = new ArrayList<>();
        Map<Node, NdArray> bind = new HashMap<>();
        for (int i = 0; i < xs.length; i++) {
            assertEquals(DType.F64, xs[i].dtype(), "grad checks run in f64");
            Node n = OpTesting.input("g" + i + "_" + System.identityHashCode(xs[i]), new TensorType(DType.F64, Shape.of(xs[i].shape())));
            ins.add(n);
            bind.put(n, xs[i]);
        }
        Node y = f.apply(ins);
        Random rnd = new Random(42);
        long[] ys = y.shape().sizes();
        double[] w = new double[(int) NdArray.numel(ys)];
        for (int i = 0; i < w.length; i++) w[i] = 0.5 + rnd.nextDouble();
        Node wn = Node.of("const", List.of(), Attrs.of("value", new Constant(y.type(), w)));
        Node loss = Node.of("reduce_sum", List.of(GradUtil.mul(y, wn)), Attrs.EMPTY);
        List<Node> gs = gradients(loss, ins);
        for (int i = 0; i < xs.length; i++) {
            NdArray analytic = OpTesting.eval(gs.get(i), bind);
            double[] base = xs[i].data();
            for (int j = 0; j < base.length; j++) {
                double[] plus = base.clone(), minus = base.clone();
                plus[j] += EPS;
                minus[j] -= EPS;
                Map<Node, NdArray> bp = new HashMap<>(bind), bm = new HashMap<>(bind);
                bp.put(ins.get(i), new NdArray(DType.F64, xs[i].shape(), plus));
                bm.put(ins.get(i), new NdArray(DType.F64, xs[i].shape(), minus));
                double numeric = (OpTesting.eval(loss, bp).get(0) - OpTesting.eval(loss, bm).get(0)) / (2 * EPS);
                double a = analytic.get(j);
                assertEquals(numeric, a, tol * Math.max(1, Math.abs(numeric)),
                        "d loss / d operand " + i + " element " + j + " of " + y.opName() + " (analytic " + a + ", numeric " + numeric + ")");
            }
        }
    }
}
