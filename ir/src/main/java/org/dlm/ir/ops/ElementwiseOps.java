package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;
import static org.dlm.ir.ops.GradUtil.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.InterpreterException;
import org.dlm.ir.interp.NdArray;

/**
 * Elementwise ops: unary math and activations, binary arithmetic with numpy broadcasting,
 * comparisons, logic, {@code where}, {@code clip} and {@code cast}. Kernels compute in double and
 * round to the result dtype, so f32 results are correctly rounded and integer results wrap like
 * the machine types do.
 */
public final class ElementwiseOps implements OpTable.Family {
    /** Which operand dtypes an op accepts. */
    private enum Domain { FLOAT, NUMERIC, BOOL, ANY }

    private static final double SQRT1_2 = Math.sqrt(0.5);
    private static final double SQRT_2_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    @Override public List<OpDef> ops() {
        List<OpDef> l = new ArrayList<>();
        // --- unary ---
        l.add(unary("neg", Domain.NUMERIC, v -> -v, (f, g) -> List.of(neg(g)), "-x"));
        l.add(unary("abs", Domain.NUMERIC, Math::abs, (f, g) -> List.of(mul(g, op("sign", f.input(0)))), "|x|"));
        l.add(unary("exp", Domain.FLOAT, Math::exp, (f, g) -> List.of(mul(g, f)), "e^x"));
        l.add(unary("log", Domain.FLOAT, Math::log, (f, g) -> List.of(div(g, f.input(0))), "natural logarithm; log(0) = -inf, log(x<0) = NaN"));
        l.add(unary("sqrt", Domain.FLOAT, Math::sqrt, (f, g) -> List.of(div(g, mul(f, 2))), "square root"));
        l.add(unary("rsqrt", Domain.FLOAT, v -> 1 / Math.sqrt(v),
                (f, g) -> List.of(mul(g, mul(mul(f, mul(f, f)), -0.5))), "1/sqrt(x)"));
        l.add(unary("reciprocal", Domain.FLOAT, v -> 1 / v, (f, g) -> List.of(neg(mul(g, mul(f, f)))), "1/x"));
        l.add(unary("sin", Domain.FLOAT, Math::sin, (f, g) -> List.of(mul(g, op("cos", f.input(0)))), "sine"));
        l.add(unary("cos", Domain.FLOAT, Math::cos, (f, g) -> List.of(neg(mul(g, op("sin", f.input(0))))), "cosine"));
        l.add(unary("tan", Domain.FLOAT, Math::tan, (f, g) -> List.of(mul(g, add(scalar(1, f), mul(f, f)))), "tangent"));
        l.add(unary("asin", Domain.FLOAT, Math::asin, (f, g) -> {
            var x = f.input(0);
            return List.of(mul(g, op("rsqrt", sub(scalar(1, x), mul(x, x)))));
        }, "arcsine in [-pi/2, pi/2]; NaN outside [-1, 1]"));
        l.add(unary("acos", Domain.FLOAT, Math::acos, (f, g) -> {
            var x = f.input(0);
            return List.of(neg(mul(g, op("rsqrt", sub(scalar(1, x), mul(x, x))))));
        }, "arccosine in [0, pi]; NaN outside [-1, 1]"));
        l.add(unary("atan", Domain.FLOAT, Math::atan, (f, g) -> {
            var x = f.input(0);
            return List.of(div(g, add(scalar(1, x), mul(x, x))));
        }, "arctangent in (-pi/2, pi/2)"));
        l.add(unary("tanh", Domain.FLOAT, Math::tanh, (f, g) -> List.of(mul(g, sub(scalar(1, f), mul(f, f)))), "hyperbolic tangent"));
        l.add(unary("sigmoid", Domain.FLOAT, ElementwiseOps::sigmoid,
                (f, g) -> List.of(mul(g, mul(f, sub(scalar(1, f), f)))), "1/(1+e^-x), computed without overflow"));
        l.add(unary("relu", Domain.NUMERIC, v -> v > 0 ? v : (Double.isNaN(v) ? v : 0),
                // the mask from the result (x > 0 exactly where relu(x) > 0): the input need not be kept, so a
                // backend can compute relu in the loop that produces x
                (f, g) -> List.of(mask(op("gt", f, scalar(0, f)), g)), "max(x, 0)"));
        l.add(unary("relu6", Domain.NUMERIC, v -> Double.isNaN(v) ? v : Math.min(Math.max(v, 0), 6),
                (f, g) -> List.of(mask(op("and", op("gt", f, scalar(0, f)), op("lt", f, scalar(6, f))), g)),
                "min(max(x, 0), 6)"));
        l.add(gelu());
        l.add(unary("softplus", Domain.FLOAT, ElementwiseOps::softplus,
                (f, g) -> List.of(mul(g, op("sigmoid", f.input(0)))), "log(1+e^x), computed without overflow"));
        l.add(unary("erf", Domain.FLOAT, Erf::erf,
                (f, g) -> List.of(mul(g, mul(op("exp", neg(mul(f.input(0), f.input(0)))), 2 / Math.sqrt(Math.PI)))),
                "the error function (W. J. Cody's rational approximations)"));
        l.add(unary("floor", Domain.FLOAT, Math::floor, (f, g) -> List.of(zerosLike(g)), "round toward -inf"));
        l.add(unary("ceil", Domain.FLOAT, Math::ceil, (f, g) -> List.of(zerosLike(g)), "round toward +inf"));
        l.add(unary("round", Domain.FLOAT, Math::rint, (f, g) -> List.of(zerosLike(g)), "round half to even (ONNX Round)"));
        l.add(unary("sign", Domain.NUMERIC, Math::signum, (f, g) -> List.of(zerosLike(g)), "-1, 0 or 1 (NaN stays NaN)"));
        l.add(unary("not", Domain.BOOL, v -> v != 0 ? 0 : 1, null, "logical not"));
        l.add(OpDef.builder("isnan").inputs(1)
                .shape((in, a) -> { OpChecks.requireFloat("isnan", in.get(0)); return in.get(0).withDType(DType.BOOL); })
                .kernel((in, a, out) -> mapTo(in.get(0), DType.BOOL, v -> Double.isNaN(v) ? 1 : 0))
                .doc("true where x is NaN").build());
        l.add(OpDef.builder("leaky_relu").inputs(1).attr("alpha", FLOAT, 0.01, "slope for x < 0")
                .shape((in, a) -> checked("leaky_relu", Domain.FLOAT, in.get(0)))
                .kernel((in, a, out) -> { double al = a.getDouble("alpha"); return in.get(0).map(v -> v < 0 ? al * v : v); })
                .grad((f, g) -> { Node pos = op("gt", f.input(0), scalar(0, f));
                    return List.of(op("where", pos, g, mul(g, f.attrs().getDouble("alpha")))); })
                .doc("x for x >= 0, alpha*x otherwise").build());
        l.add(OpDef.builder("elu").inputs(1).attr("alpha", FLOAT, 1.0, "scale of the negative part")
                .shape((in, a) -> checked("elu", Domain.FLOAT, in.get(0)))
                .kernel((in, a, out) -> { double al = a.getDouble("alpha"); return in.get(0).map(v -> v > 0 ? v : al * Math.expm1(v)); })
                .grad((f, g) -> { Node pos = op("gt", f.input(0), scalar(0, f));
                    return List.of(op("where", pos, g, mul(g, add(f, scalar(f.attrs().getDouble("alpha"), f))))); })
                .doc("x for x > 0, alpha*(e^x - 1) otherwise").build());
        l.add(OpDef.builder("hard_sigmoid").inputs(1)
                .attr("alpha", FLOAT, 0.2, "slope").attr("beta", FLOAT, 0.5, "offset")
                .shape((in, a) -> checked("hard_sigmoid", Domain.FLOAT, in.get(0)))
                .kernel((in, a, out) -> { double al = a.getDouble("alpha"), be = a.getDouble("beta");
                    return in.get(0).map(v -> Double.isNaN(v) ? v : Math.max(0, Math.min(1, al * v + be))); })
                .grad((f, g) -> { double al = f.attrs().getDouble("alpha"), be = f.attrs().getDouble("beta");
                    Node z = add(mul(f.input(0), al), scalar(be, f));
                    Node inside = op("and", op("gt", z, scalar(0, f)), op("lt", z, scalar(1, f)));
                    return List.of(mask(inside, mul(g, al))); })
                .doc("max(0, min(1, alpha*x + beta)) (ONNX HardSigmoid)").build());
        l.add(unary("silu", Domain.FLOAT, v -> v * sigmoid(v), (f, g) -> {
            Node s = op("sigmoid", f.input(0));
            Node d = mul(s, add(scalar(1, f), mul(f.input(0), sub(scalar(1, f), s))));
            return List.of(mul(g, d)); }, "x*sigmoid(x) (swish)"));
        l.add(OpDef.builder("clip").inputs(1)
                .attr("min", FLOAT, Double.NEGATIVE_INFINITY, "lower bound")
                .attr("max", FLOAT, Double.POSITIVE_INFINITY, "upper bound")
                .shape((in, a) -> checked("clip", Domain.NUMERIC, in.get(0)))
                .kernel((in, a, out) -> { double lo = a.getDouble("min"), hi = a.getDouble("max");
                    return in.get(0).map(v -> Double.isNaN(v) ? v : Math.min(Math.max(v, lo), hi)); })
                .grad((f, g) -> { Node x = f.input(0);
                    Node inside = op("and", op("ge", x, scalar(f.attrs().getDouble("min"), f)), op("le", x, scalar(f.attrs().getDouble("max"), f)));
                    return List.of(mask(inside, g)); })
                .doc("min(max(x, min), max); when min > max every element becomes max (numpy)").build());
        l.add(OpDef.builder("cast").inputs(1).attr("dtype", DTYPE, null, "target dtype")
                .shape((in, a) -> in.get(0).withDType(a.getDType("dtype", null)))
                .kernel((in, a, out) -> in.get(0).cast(a.getDType("dtype", null)))
                .grad((f, g) -> Arrays.asList(f.input(0).dtype().isFloating() && g.dtype().isFloating()
                        ? Node.of("cast", List.of(g), Attrs.of("dtype", f.input(0).dtype())) : null))
                .doc("converts elements: float to int truncates toward zero, ints wrap, nonzero (and NaN) to bool is true").build());

        // --- binary, broadcasting ---
        l.add(binary("add", Domain.NUMERIC, false, Double::sum,
                (f, g) -> List.of(unbroadcast(g, f.input(0).shape()), unbroadcast(g, f.input(1).shape())), "a + b"));
        l.add(binary("sub", Domain.NUMERIC, false, (x, y) -> x - y,
                (f, g) -> List.of(unbroadcast(g, f.input(0).shape()), unbroadcast(neg(g), f.input(1).shape())), "a - b"));
        l.add(binary("mul", Domain.NUMERIC, false, (x, y) -> x * y,
                (f, g) -> List.of(unbroadcast(mul(g, f.input(1)), f.input(0).shape()), unbroadcast(mul(g, f.input(0)), f.input(1).shape())),
                "a * b"));
        l.add(divOp());
        l.add(binary("pow", Domain.NUMERIC, false, Math::pow, (f, g) -> {
            Node a = f.input(0), b = f.input(1);
            Node da = mul(g, mul(b, op("pow", a, sub(b, scalar(1, f)))));
            Node zeroBase = op("and", op("eq", a, scalar(0, f)), op("ge", b, scalar(0, f)));
            Node db = op("where", zeroBase, scalar(0, f), mul(g, mul(f, op("log", a))));
            return List.of(unbroadcast(da, a.shape()), unbroadcast(db, b.shape()));
        }, "a^b"));
        l.add(binary("max", Domain.NUMERIC, false, Math::max, (f, g) -> minMaxGrad(f, g, "gt"), "elementwise maximum; NaN propagates"));
        l.add(binary("min", Domain.NUMERIC, false, Math::min, (f, g) -> minMaxGrad(f, g, "lt"), "elementwise minimum; NaN propagates"));
        l.add(modOp());
        for (String c : List.of("eq", "ne", "lt", "le", "gt", "ge")) l.add(binary(c, Domain.ANY, true, comparison(c), null, "comparison, result bool"));
        l.add(binary("and", Domain.BOOL, false, (x, y) -> x != 0 && y != 0 ? 1 : 0, null, "logical and"));
        l.add(binary("or", Domain.BOOL, false, (x, y) -> x != 0 || y != 0 ? 1 : 0, null, "logical or"));
        l.add(binary("xor", Domain.BOOL, false, (x, y) -> (x != 0) != (y != 0) ? 1 : 0, null, "logical exclusive or"));
        l.add(whereOp());
        return l;
    }

    // ---------------------------------------------------------------- builders

    private static OpDef unary(String name, Domain dom, DoubleUnaryOperator f, OpDef.GradRule grad, String doc) {
        var b = OpDef.builder(name).inputs(1)
                .shape((in, a) -> checked(name, dom, in.get(0)))
                .kernel((in, a, out) -> in.get(0).map(f))
                .doc(doc);
        if (grad != null) b.grad(grad);
        return b.build();
    }

    private static TensorType checked(String op, Domain dom, TensorType t) {
        switch (dom) {
            case FLOAT -> OpChecks.requireFloat(op, t);
            case NUMERIC -> OpChecks.requireNumeric(op, t);
            case BOOL -> OpChecks.requireBool(op, t);
            case ANY -> { }
        }
        return t;
    }

    private static OpDef binary(String name, Domain dom, boolean boolResult, DoubleBinaryOperator f, OpDef.GradRule grad, String doc) {
        var b = OpDef.builder(name).inputs(2)
                .shape((in, a) -> binaryType(name, dom, boolResult, in))
                .kernel((in, a, out) -> broadcast2(in.get(0), in.get(1), boolResult ? DType.BOOL : in.get(0).dtype(), f))
                .doc(doc + " (numpy broadcasting)");
        if (grad != null) b.grad(grad);
        return b.build();
    }

    private static TensorType binaryType(String name, Domain dom, boolean boolResult, List<TensorType> in) {
        DType d = OpChecks.sameDType(name, in);
        checked(name, dom, in.get(0));
        Shape s = Broadcast.shapes(name, List.of(in.get(0).shape(), in.get(1).shape()));
        return new TensorType(boolResult ? DType.BOOL : d, s);
    }

    private static OpDef gelu() {
        return OpDef.builder("gelu").inputs(1).attr("approximate", STRING, "none", "\"none\" (exact, erf) or \"tanh\"")
                .shape((in, a) -> {
                    String ap = a.getString("approximate");
                    if (!ap.equals("none") && !ap.equals("tanh"))
                        throw new ShapeException("gelu approximate must be \"none\" or \"tanh\", got \"" + ap + "\"");
                    return checked("gelu", Domain.FLOAT, in.get(0));
                })
                .kernel((in, a, out) -> a.getString("approximate").equals("tanh")
                        ? in.get(0).map(v -> 0.5 * v * (1 + Math.tanh(SQRT_2_PI * (v + 0.044715 * v * v * v))))
                        : in.get(0).map(v -> 0.5 * v * (1 + Erf.erf(v * SQRT1_2))))
                .grad((f, g) -> {
                    Node x = f.input(0);
                    Node d;
                    if (f.attrs().getString("approximate").equals("tanh")) {
                        Node x2 = mul(x, x);
                        Node t = op("tanh", mul(add(x, mul(mul(x2, x), 0.044715)), SQRT_2_PI));
                        Node dt = sub(scalar(1, f), mul(t, t));
                        Node inner = mul(add(scalar(1, f), mul(x2, 3 * 0.044715)), SQRT_2_PI);
                        d = add(mul(add(scalar(1, f), t), 0.5), mul(mul(mul(x, dt), inner), 0.5));
                    } else {
                        Node cdf = mul(add(scalar(1, f), op("erf", mul(x, SQRT1_2))), 0.5);
                        Node pdf = mul(op("exp", mul(mul(x, x), -0.5)), INV_SQRT_2PI);
                        d = add(cdf, mul(x, pdf));
                    }
                    return List.of(mul(g, d));
                })
                .doc("x*Phi(x): exact with erf, or the tanh approximation").build();
    }

    private static OpDef divOp() {
        return OpDef.builder("div").inputs(2)
                .shape((in, a) -> binaryType("div", Domain.NUMERIC, false, in))
                .kernel((in, a, out) -> {
                    DType d = in.get(0).dtype();
                    if (!d.isInteger()) return broadcast2(in.get(0), in.get(1), d, (x, y) -> x / y);
                    return broadcast2(in.get(0), in.get(1), d, (x, y) -> {
                        if (y == 0) throw new InterpreterException("integer division by zero");
                        return truncDiv(x, y);
                    });
                })
                .grad((f, g) -> {
                    Node b = f.input(1);
                    return List.of(unbroadcast(div(g, b), f.input(0).shape()), unbroadcast(neg(div(mul(g, f), b)), b.shape()));
                })
                .doc("a / b; integers truncate toward zero (numpy broadcasting)").build();
    }

    private static OpDef modOp() {
        return OpDef.builder("mod").inputs(2).attr("fmod", BOOL, false, "true: sign of the dividend (C fmod); false: sign of the divisor (Python %)")
                .shape((in, a) -> binaryType("mod", Domain.NUMERIC, false, in))
                .kernel((in, a, out) -> {
                    boolean fm = a.getBool("fmod", false);
                    boolean integer = in.get(0).dtype().isInteger();
                    return broadcast2(in.get(0), in.get(1), in.get(0).dtype(), (x, y) -> {
                        if (integer && y == 0) throw new InterpreterException("integer modulo by zero");
                        return fm ? x % y : floorMod(x, y);
                    });
                })
                .grad((f, g) -> {
                    // a = q*b + r with q constant almost everywhere: dr/da = 1, dr/db = -q = -(a - r)/b
                    Node a = f.input(0), b = f.input(1);
                    Node q = div(sub(a, f), b);
                    return List.of(unbroadcast(g, a.shape()), unbroadcast(neg(mul(g, q)), b.shape()));
                })
                .doc("remainder (ONNX Mod); fmod=false also works for floats (numpy mod)").build();
    }

    private static OpDef whereOp() {
        return OpDef.builder("where").inputs(3)
                .shape((in, a) -> {
                    OpChecks.requireBool("where (condition)", in.get(0));
                    DType d = OpChecks.sameDType("where", in.subList(1, 3));
                    return new TensorType(d, Broadcast.shapes("where", in.stream().map(TensorType::shape).toList()));
                })
                .kernel((in, a, out) -> {
                    NdArray c = in.get(0), x = in.get(1), y = in.get(2);
                    long[] s = Broadcast.sizes(c.shape(), x.shape(), y.shape());
                    int[] mc = Broadcast.indexMap(c.shape(), s), mx = Broadcast.indexMap(x.shape(), s), my = Broadcast.indexMap(y.shape(), s);
                    double[] r = new double[mc.length];
                    for (int i = 0; i < r.length; i++) r[i] = c.get(mc[i]) != 0 ? x.get(mx[i]) : y.get(my[i]);
                    return new NdArray(x.dtype(), s, r);
                })
                .grad((f, g) -> {
                    Node c = f.input(0);
                    Node z = scalar(0, g);
                    return Arrays.asList(null, unbroadcast(op("where", c, g, z), f.input(1).shape()),
                            unbroadcast(op("where", c, z, g), f.input(2).shape()));
                })
                .doc("cond ? a : b, all three broadcast").build();
    }

    private static List<Node> minMaxGrad(Node f, Node g, String wins) {
        Node a = f.input(0), b = f.input(1);
        Node half = mul(g, 0.5);
        Node tie = op("eq", a, b);
        // ties split the gradient evenly, like PyTorch
        Node ga = op("where", op(wins, a, b), g, op("where", tie, half, scalar(0, g)));
        Node gb = op("where", op(wins, b, a), g, op("where", tie, half, scalar(0, g)));
        return List.of(unbroadcast(ga, a.shape()), unbroadcast(gb, b.shape()));
    }

    private static DoubleBinaryOperator comparison(String c) {
        return switch (c) {
            case "eq" -> (x, y) -> x == y ? 1 : 0;
            case "ne" -> (x, y) -> x != y ? 1 : 0;
            case "lt" -> (x, y) -> x < y ? 1 : 0;
            case "le" -> (x, y) -> x <= y ? 1 : 0;
            case "gt" -> (x, y) -> x > y ? 1 : 0;
            case "ge" -> (x, y) -> x >= y ? 1 : 0;
            default -> throw new IllegalArgumentException(c);
        };
    }

    // ---------------------------------------------------------------- kernels

    static double sigmoid(double v) {
        if (v >= 0) return 1 / (1 + Math.exp(-v));
        double e = Math.exp(v);
        return e / (1 + e);
    }

    static double softplus(double v) {
        return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
    }

    /** Integer division truncating toward zero, exact for |values| below 2^53. */
    static double truncDiv(double x, double y) {
        long a = (long) x, b = (long) y;
        if (b == -1) return -(double) a; // avoids Long.MIN_VALUE / -1 overflow; the dtype wraps
        return a / b;
    }

    /** Remainder with the sign of the divisor (Python %, numpy mod). */
    static double floorMod(double x, double y) {
        double r = x % y;
        if (r != 0 && (r < 0) != (y < 0)) r += y;
        return r;
    }

    static NdArray mapTo(NdArray x, DType to, DoubleUnaryOperator f) {
        double[] d = new double[x.size()];
        for (int i = 0; i < d.length; i++) d[i] = f.applyAsDouble(x.get(i));
        return new NdArray(to, x.shape(), d);
    }

    /** Applies {@code f} over the numpy broadcast of {@code a} and {@code b}. */
    static NdArray broadcast2(NdArray a, NdArray b, DType out, DoubleBinaryOperator f) {
        if (Arrays.equals(a.shape(), b.shape()) || b.size() == 1 && b.rank() <= a.rank()) {
            // same shape, or b a scalar-like operand: no index maps needed
            double[] r = new double[a.size()];
            for (int i = 0; i < r.length; i++) r[i] = f.applyAsDouble(a.get(i), b.get(b.size() == 1 ? 0 : i));
            return new NdArray(out, a.shape(), r);
        }
        long[] s = Broadcast.sizes(a.shape(), b.shape());
        int[] ma = Broadcast.indexMap(a.shape(), s), mb = Broadcast.indexMap(b.shape(), s);
        double[] r = new double[ma.length];
        for (int i = 0; i < r.length; i++) r[i] = f.applyAsDouble(a.get(ma[i]), b.get(mb[i]));
        return new NdArray(out, s, r);
    }
}
