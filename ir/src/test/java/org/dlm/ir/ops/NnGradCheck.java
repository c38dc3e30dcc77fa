package org.dlm.ir.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Finite-difference check of an op's gradient rule in f64: for a random cotangent R, the gradient
 * nodes evaluated on the inputs must match (⟨f(x+h·e), R⟩ - ⟨f(x-h·e), R⟩) / 2h for every element.
 */
final class NnGradCheck {
    private NnGradCheck() {}

    /** Evaluates a node DAG with the reference kernels; {@code input} nodes are bound by name. */
    static NdArray eval(Node n, Map<String, NdArray> inputs, Map<Node, NdArray> memo) {
        NdArray done = memo.get(n);
        if (done != null) return done;
        NdArray r;
        if (n.opName().equals("input")) {
            r = inputs.get(n.attrs().getString("name"));
            assertNotNull(r, "no value for input " + n.attrs().getString("name"));
        } else {
            List<NdArray> args = new ArrayList<>();
            for (Node in : n.inputs()) args.add(eval(in, inputs, memo));
            r = n.op().kernel().eval(args, n.attrs(), n.type());
        }
        memo.put(n, r);
        return r;
    }

    static NdArray eval(Node n, Map<String, NdArray> inputs) { return eval(n, inputs, new IdentityHashMap<>()); }

    /** Checks every float operand of {@code op}; integer and bool operands must get no gradient. */
    static void check(String op, Attrs attrs, NdArray... in) { check(op, attrs, java.util.Set.of(), in); }

    /** As {@link #check}, but operands in {@code noGrad} (buffers, probability targets) must get no gradient. */
    static void check(String op, Attrs attrs, java.util.Set<Integer> noGrad, NdArray... in) {
        double tol = 1e-6;
        List<Node> nodes = new ArrayList<>();
        Map<String, NdArray> env = new java.util.HashMap<>();
        for (int i = 0; i < in.length; i++) {
            nodes.add(OpRunner.input("x" + i, new TensorType(in[i].dtype(), Shape.of(in[i].shape()))));
            env.put("x" + i, in[i]);
        }
        Node f = Node.of(op, nodes, attrs);
        assertNotNull(f.op().gradRule(), op + " has a gradient rule");
        Random rnd = new Random(op.hashCode());
        NdArray cot = ConvOpsTest.random(rnd, f.type().shape().sizes());
        Node gy = OpRunner.input("gy", f.type());
        env.put("gy", cot);
        List<Node> grads = f.op().gradRule().grad(f, gy);
        assertEquals(in.length, grads.size(), op + " returns one gradient per operand");
        for (int i = 0; i < in.length; i++) {
            if (!in[i].dtype().isFloating() || noGrad.contains(i)) {
                assertNull(grads.get(i), op + " operand " + i + " is not differentiable");
                continue;
            }
            assertNotNull(grads.get(i), op + " operand " + i + " has a gradient");
            assertEquals(nodes.get(i).type(), grads.get(i).type(), op + " gradient " + i + " has the operand's type");
            NdArray g = eval(grads.get(i), env);
            for (int j = 0; j < in[i].size(); j++) {
                double fd = (objective(f, in, i, j, 1e-6, cot) - objective(f, in, i, j, -1e-6, cot)) / 2e-6;
                assertEquals(fd, g.get(j), tol * (1 + Math.abs(fd)), op + " d/d operand " + i + " element " + j);
            }
        }
    }

    /** ⟨f(x with x_i[j] += h), R⟩. */
    private static double objective(Node f, NdArray[] in, int i, int j, double h, NdArray cot) {
        List<NdArray> args = new ArrayList<>(List.of(in));
        double[] d = in[i].data().clone();
        d[j] += h;
        args.set(i, new NdArray(in[i].dtype(), in[i].shape(), d));
        NdArray y = f.op().kernel().eval(args, f.attrs(), f.type());
        return ConvOpsTest.dot(y, cot);
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
