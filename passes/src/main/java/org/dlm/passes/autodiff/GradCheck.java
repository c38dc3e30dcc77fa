package org.dlm.passes.autodiff;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;

/**
 * Checks one op's gradient rule against central finite differences in f64: builds
 * {@code y = op(x0, x1, ...)}, draws a random cotangent {@code s}, and compares the autodiff
 * gradient of {@code sum(s * y)} with respect to every floating operand with
 * {@code (f(x + h) - f(x - h)) / 2h} element by element.
 *
 * <pre>{@code
 * GradCheck.Result r = GradCheck.check(new GradCheck.Case("mul",
 *     List.of(GradCheck.Operand.random(2, 3), GradCheck.Operand.random(3)), Attrs.EMPTY), 42);
 * assertTrue(r.ok(), r.report());
 * }</pre>
 */
public final class GradCheck {
    private GradCheck() {}

    /** Finite-difference step and the tolerance |autodiff − numeric| ≤ ATOL + RTOL·|numeric|. */
    public static final double H = 1e-6, ATOL = 1e-6, RTOL = 1e-5;

    /**
     * One operand: shape, dtype, and either a value range for random draws (|values| in
     * [lo, hi], random sign unless {@code positive}) or fixed values (integer indices, targets).
     */
    public record Operand(long[] shape, DType dtype, double lo, double hi, boolean positive, double[] fixed) {
        public static Operand random(long... shape) { return new Operand(shape, DType.F64, 0.2, 1.2, false, null); }
        public static Operand positive(long... shape) { return new Operand(shape, DType.F64, 0.2, 1.2, true, null); }
        public static Operand range(double lo, double hi, long... shape) { return new Operand(shape, DType.F64, lo, hi, true, null); }
        public static Operand fixed(DType t, long[] shape, double... v) { return new Operand(shape, t, 0, 0, false, v); }
        /** Held constant (not differentiated), e.g. a target or class ids. */
        public boolean constant() { return fixed != null || !dtype.isFloating(); }

        public NdArray draw(Random rnd) {
            if (fixed != null) return NdArray.of(dtype, shape, fixed);
            double[] d = new double[(int) NdArray.numel(shape)];
            for (int i = 0; i < d.length; i++) {
                double m = lo + (hi - lo) * rnd.nextDouble();
                d[i] = positive || rnd.nextBoolean() ? m : -m;
            }
            return new NdArray(dtype, shape, d);
        }
    }

    /** The op, its operands and attributes. */
    public record Case(String op, List<Operand> operands, Attrs attrs) {
        @Override public String toString() { return op + (attrs.isEmpty() ? "" : attrs.toString()); }
    }

    /** Whether every element agreed, the largest error, and the first disagreements. */
    public record Result(boolean ok, double maxErr, String report) {}

    /** Runs the check with random draws from {@code seed}. */
    public static Result check(Case c, long seed) {
        return check(org.dlm.ir.OpTable.require(c.op()), c, seed);
    }

    /** Checks {@code op} (registered or not) with the operands and attributes of {@code c}. */
    public static Result check(org.dlm.ir.OpDef op, Case c, long seed) {
        Random rnd = new Random(seed);
        List<Node> ins = new ArrayList<>();
        List<NdArray> vals = new ArrayList<>();
        List<Node> wrt = new ArrayList<>();
        Map<Node, NdArray> bound = new HashMap<>();
        for (int i = 0; i < c.operands().size(); i++) {
            Operand o = c.operands().get(i);
            NdArray v = o.draw(rnd);
            Node n;
            if (o.constant()) {
                n = Node.of("const", List.of(), Attrs.of("value", new Constant(TensorType.of(o.dtype(), o.shape()), v.data().clone())));
            } else {
                n = Node.of("param", List.of(), Attrs.of("name", "x" + i, "dtype", o.dtype(), "shape", Shape.of(o.shape())));
                wrt.add(n);
                bound.put(n, v);
            }
            ins.add(n);
            vals.add(v);
        }
        Node y = Node.of(op, ins, c.attrs());
        NdArray sv = Operand.random(y.shape().sizes()).draw(rnd);
        Node s = Node.of("const", List.of(), Attrs.of("value", new Constant(y.type(), sv.data().clone())));
        Map<Node, Node> g = Autodiff.gradients(y, s, wrt);
        List<NdArray> analytic = eval(new ArrayList<>(g.values()), bound);

        StringBuilder rep = new StringBuilder();
        double maxErr = 0;
        boolean ok = true;
        for (int w = 0; w < wrt.size(); w++) {
            Node p = wrt.get(w);
            NdArray base = bound.get(p), ga = analytic.get(w);
            double[] x = base.data().clone();
            for (int k = 0; k < x.length; k++) {
                double old = x[k];
                x[k] = old + H;
                double fp = dot(sv, eval(y, bound, p, x));
                x[k] = old - H;
                double fm = dot(sv, eval(y, bound, p, x));
                x[k] = old;
                double num = (fp - fm) / (2 * H), ana = ga.get(k);
                double err = Math.abs(num - ana);
                maxErr = Math.max(maxErr, err);
                if (!(err <= ATOL + RTOL * Math.abs(num))) {
                    ok = false;
                    if (rep.length() < 2000)
                        rep.append(String.format("%s: d/d%s[%d] autodiff %.9g, finite difference %.9g%n",
                                c, p.attrs().getString("name"), k, ana, num));
                }
            }
        }
        return new Result(ok, maxErr, rep.toString());
    }

    private static NdArray eval(Node y, Map<Node, NdArray> bound, Node p, double[] x) {
        Map<Node, NdArray> b = new HashMap<>(bound);
        b.put(p, new NdArray(p.dtype(), p.shape().sizes(), x.clone()));
        return eval(List.of(y), b).get(0);
    }

    /** Values of {@code outs} on the reference interpreter; {@code bound} gives every param node's value. */
    private static List<NdArray> eval(List<Node> outs, Map<Node, NdArray> bound) {
        Map<String, NdArray> ps = new HashMap<>();
        bound.forEach((n, v) -> ps.put(n.attrs().getString("name"), v));
        List<Graph.Output> o = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) o.add(new Graph.Output("o" + i, outs.get(i)));
        Map<String, NdArray> r = Interpreter.run(new Graph("gradcheck", List.of(), new ArrayList<>(bound.keySet()), o), Map.of(), ps);
        List<NdArray> out = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) out.add(r.get("o" + i));
        return out;
    }

    private static double dot(NdArray a, NdArray b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) s += a.get(i) * b.get(i);
        return s;
    }
}
