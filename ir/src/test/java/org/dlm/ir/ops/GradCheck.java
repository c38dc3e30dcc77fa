package org.dlm.ir.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Checks gradient rules against central finite differences in f64. For a cotangent {@code R} the
 * analytic gradient of every operand must match {@code (⟨f(x+h·e), R⟩ - ⟨f(x-h·e), R⟩) / 2h},
 * element by element. Two entry points share that comparison:
 * <ul>
 *   <li>{@link #check(Function, NdArray...)}: a graph built from f64 inputs, differentiated by
 *       reverse mode over the op table's grad rules ({@link #gradients}) with fixed positive weights
 *       as {@code R};
 *   <li>{@link #check(String, Attrs, NdArray...)}: one op, whose grad rule is called directly with
 *       a Gaussian cotangent; integer, bool and {@code noGrad} operands must get no gradient.
 * </ul>
 * Everything is evaluated by the reference interpreter, which also checks each kernel result
 * against its node's type.
 *
 * <pre>{@code
 * GradCheck.check(in -> Node.of("mul", in.get(0), in.get(1)), x, y);
 * GradCheck.check("conv2d", Attrs.EMPTY, GradCheck.rand(1, 2, 2, 4, 4), GradCheck.rand(2, 3, 2, 2, 2));
 * }</pre>
 */
final class GradCheck {
    private GradCheck() {}

    static final double EPS = 1e-6;
    static final double TOL = 1e-6;

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
    static void check(Function<List<Node>, Node> f, NdArray... xs) { check(TOL, f, xs); }

    static void check(double tol, Function<List<Node>, Node> f, NdArray... xs) {
        for (NdArray x : xs) assertEquals(DType.F64, x.dtype(), "grad checks run in f64");
        Operands ops = Operands.of(xs, i -> "g" + i + "_" + System.identityHashCode(xs[i]));
        Node y = ops.apply(f);
        Random rnd = new Random(42);
        double[] w = new double[(int) NdArray.numel(y.shape().sizes())];
        for (int i = 0; i < w.length; i++) w[i] = 0.5 + rnd.nextDouble();
        Node wn = Node.of("const", List.of(), Attrs.of("value", new Constant(y.type(), w)));
        Node loss = Node.of("reduce_sum", List.of(GradUtil.mul(y, wn)), Attrs.EMPTY);
        List<Node> gs = gradients(loss, ops.nodes);
        for (int i = 0; i < xs.length; i++)
            compare(y.opName(), tol, ops, i, gs.get(i), loss, new NdArray(DType.F64, new long[0], new double[] {1}));
    }

    /** Checks every float operand of {@code op}; integer and bool operands must get no gradient. */
    static void check(String op, Attrs attrs, NdArray... in) { check(op, attrs, Set.of(), in); }

    /** As {@link #check(String, Attrs, NdArray...)}, but operands in {@code noGrad} (buffers, probability targets) must get no gradient. */
    static void check(String op, Attrs attrs, Set<Integer> noGrad, NdArray... in) {
        Operands ops = Operands.of(in, i -> "x" + i);
        Node f = Node.of(op, ops.nodes, attrs);
        assertNotNull(f.op().gradRule(), op + " has a gradient rule");
        NdArray cot = ConvOpsTest.random(new Random(op.hashCode()), f.type().shape().sizes());
        Node gy = OpTesting.input("gy", f.type());
        ops.bind.put(gy, cot);
        List<Node> grads = f.op().gradRule().grad(f, gy);
        assertEquals(in.length, grads.size(), op + " returns one gradient per operand");
        for (int i = 0; i < in.length; i++) {
            if (!in[i].dtype().isFloating() || noGrad.contains(i)) {
                assertNull(grads.get(i), op + " operand " + i + " is not differentiable");
                continue;
            }
            assertNotNull(grads.get(i), op + " operand " + i + " has a gradient");
            assertEquals(ops.nodes.get(i).type(), grads.get(i).type(), op + " gradient " + i + " has the operand's type");
            compare(op, TOL, ops, i, grads.get(i), f, cot);
        }
    }

    /** The checked function's operands: one {@code input} node per array, and the binding the interpreter gets. */
    private record Operands(NdArray[] values, List<Node> nodes, Map<Node, NdArray> bind) {
        static Operands of(NdArray[] values, java.util.function.IntFunction<String> name) {
            List<Node> nodes = new ArrayList<>();
            Map<Node, NdArray> bind = new HashMap<>();
            for (int i = 0; i < values.length; i++) {
                Node n = OpTesting.input(name.apply(i), new TensorType(values[i].dtype(), Shape.of(values[i].shape())));
                nodes.add(n);
                bind.put(n, values[i]);
            }
            return new Operands(values, nodes, bind);
        }

        Node apply(Function<List<Node>, Node> f) { return f.apply(nodes); }

        /** The binding with element {@code j} of operand {@code i} moved by {@code h}. */
        Map<Node, NdArray> nudged(int i, int j, double h) {
            double[] d = values[i].data().clone();
            d[j] += h;
            Map<Node, NdArray> b = new HashMap<>(bind);
            b.put(nodes.get(i), new NdArray(values[i].dtype(), values[i].shape(), d));
            return b;
        }
    }

    /** Compares the evaluated {@code grad} of operand {@code i} with central differences of ⟨y, cot⟩. */
    private static void compare(String what, double tol, Operands ops, int i, Node grad, Node y, NdArray cot) {
        NdArray analytic = OpTesting.eval(grad, ops.bind);
        for (int j = 0; j < ops.values[i].size(); j++) {
            double plus = ConvOpsTest.dot(OpTesting.eval(y, ops.nudged(i, j, EPS)), cot);
            double minus = ConvOpsTest.dot(OpTesting.eval(y, ops.nudged(i, j, -EPS)), cot);
            double numeric = (plus - minus) / (2 * EPS);
            double a = analytic.get(j);
            assertEquals(numeric, a, tol * Math.max(1, Math.abs(numeric)),
                    "d/d operand " + i + " element " + j + " of " + what + " (analytic " + a + ", numeric " + numeric + ")");
        }
    }

    static NdArray rand(long seed, long... shape) { return ConvOpsTest.random(new Random(seed), shape); }

    /** Uniform values in (lo, hi). */
    static NdArray uniform(long seed, double lo, double hi, long... shape) {
        Random r = new Random(seed);
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * r.nextDouble();
        return new NdArray(DType.F64, shape, d);
    }
}
