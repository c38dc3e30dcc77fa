package org.dlm.passes.lower;

import static org.dlm.ir.kernel.Expr.*;

import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.kernel.Expr;

/** Unary, binary and ternary elementwise ops with numpy broadcasting, as fusable expressions. */
final class ElementwiseLowering {
    private ElementwiseLowering() {}

    static void register(LoweringTable t) {
        unary(t, "neg", x -> un(UnOp.NEG, x));
        unary(t, "abs", x -> un(UnOp.ABS, x));
        unary(t, "exp", x -> un(UnOp.EXP, x));
        unary(t, "log", x -> un(UnOp.LOG, x));
        unary(t, "sqrt", x -> un(UnOp.SQRT, x));
        unary(t, "rsqrt", x -> div(one(x), un(UnOp.SQRT, x)));
        unary(t, "reciprocal", x -> div(one(x), x));
        unary(t, "sin", x -> un(UnOp.SIN, x));
        unary(t, "cos", x -> un(UnOp.COS, x));
        unary(t, "tan", x -> div(un(UnOp.SIN, x), un(UnOp.COS, x)));
        unary(t, "tanh", x -> un(UnOp.TANH, x));
        unary(t, "sigmoid", ElementwiseLowering::sigmoid);
        unary(t, "relu", x -> max(x, c(x.type(), 0)));
        unary(t, "relu6", x -> min(max(x, c(x.type(), 0)), c(x.type(), 6)));
        unary(t, "softplus", x -> add(max(x, c(x.type(), 0)), un(UnOp.LOG, add(one(x), un(UnOp.EXP, un(UnOp.NEG, un(UnOp.ABS, x)))))));
        unary(t, "erf", x -> un(UnOp.ERF, x));
        unary(t, "floor", x -> un(UnOp.FLOOR, x));
        unary(t, "ceil", x -> un(UnOp.CEIL, x));
        unary(t, "round", x -> un(UnOp.ROUND, x));
        unary(t, "sign", x -> select(bin(BinOp.GT, x, c(x.type(), 0)), one(x), select(bin(BinOp.LT, x, c(x.type(), 0)), c(x.type(), -1), x)));
        unary(t, "not", x -> un(UnOp.NOT, x));
        unary(t, "isnan", x -> un(UnOp.ISNAN, x));
        unary(t, "silu", x -> mul(x, sigmoid(x)));
        t.elementwise("gelu", true, (n, idx, cx) -> {
            Expr x = cx.operand(n, 0, idx);
            Expr half = mul(c(x.type(), 0.5), x);
            if (n.attrs().getString("approximate", "none").equals("tanh")) {
                Expr inner = mul(c(x.type(), Math.sqrt(2 / Math.PI)), add(x, mul(c(x.type(), 0.044715), mul(x, mul(x, x)))));
                return mul(half, add(one(x), un(UnOp.TANH, inner)));
            }
            return mul(half, add(one(x), un(UnOp.ERF, mul(x, c(x.type(), Math.sqrt(0.5))))));
        });
        t.elementwise("leaky_relu", true, (n, idx, cx) -> {
            Expr x = cx.operand(n, 0, idx);
            return select(bin(BinOp.GE, x, c(x.type(), 0)), x, mul(c(x.type(), n.attrs().getDouble("alpha", 0.01)), x));
        });
        t.elementwise("elu", true, (n, idx, cx) -> {
            Expr x = cx.operand(n, 0, idx);
            return select(bin(BinOp.GT, x, c(x.type(), 0)), x, mul(c(x.type(), n.attrs().getDouble("alpha", 1)), sub(un(UnOp.EXP, x), one(x))));
        });
        t.elementwise("hard_sigmoid", true, (n, idx, cx) -> {
            Expr x = cx.operand(n, 0, idx);
            Expr y = add(mul(c(x.type(), n.attrs().getDouble("alpha", 0.2)), x), c(x.type(), n.attrs().getDouble("beta", 0.5)));
            return max(c(x.type(), 0), min(one(x), y));
        });
        t.elementwise("clip", true, (n, idx, cx) -> {
            Expr x = cx.operand(n, 0, idx);
            double lo = n.attrs().getDouble("min", Double.NEGATIVE_INFINITY), hi = n.attrs().getDouble("max", Double.POSITIVE_INFINITY);
            Expr y = x;
            if (lo != Double.NEGATIVE_INFINITY) y = max(y, c(x.type(), lo));
            if (hi != Double.POSITIVE_INFINITY) y = min(y, c(x.type(), hi));
            return y;
        });
        t.elementwise("cast", true, (n, idx, cx) -> {
            Expr x = cx.operand(n, 0, idx);
            if (n.dtype() == DType.BOOL) return x.type() == DType.BOOL ? x : bin(BinOp.NE, x, c(x.type(), 0));
            return cast(n.dtype(), x);
        });

        binary(t, "add", Expr::add);
        binary(t, "sub", Expr::sub);
        binary(t, "mul", Expr::mul);
        binary(t, "div", Expr::div);
        binary(t, "pow", (a, b) -> bin(BinOp.POW, a, b));
        binary(t, "max", Expr::max);
        binary(t, "min", Expr::min);
        for (String op : new String[] {"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor"}) {
            BinOp bop = BinOp.valueOf(op.toUpperCase());
            binary(t, op, (a, b) -> bin(bop, a, b));
        }
        t.elementwise("mod", true, (n, idx, cx) -> {
            Expr a = cx.operand(n, 0, idx), b = cx.operand(n, 1, idx);
            Expr r = rem(a, b);
            if (n.attrs().getBool("fmod", false)) return r;
            // Python's %: the result takes the divisor's sign
            Expr zero = c(a.type(), 0);
            Expr fix = bin(BinOp.AND, bin(BinOp.NE, r, zero), bin(BinOp.NE, bin(BinOp.LT, r, zero), bin(BinOp.LT, b, zero)));
            return select(fix, add(r, b), r);
        });
        t.elementwise("where", true, (n, idx, cx) -> select(cx.operand(n, 0, idx), cx.operand(n, 1, idx), cx.operand(n, 2, idx)));
        t.elementwise("expand", false, (n, idx, cx) -> cx.operand(n, 0, idx));
        t.elementwise("dropout", true, ElementwiseLowering::dropout);
    }

    /**
     * Training dropout multiplies by a per-element scale (0 or 1/(1-p)) made once at compile time
     * from {@link org.dlm.ir.ops.DropoutMask}: the mask depends only on the seed attribute and the
     * static shape, exactly as the interpreter draws it.
     */
    static Expr dropout(Node n, Index idx, Lowerer cx) {
        Expr x = cx.operand(n, 0, idx);
        double p = n.attrs().getDouble("p", 0.5);
        if (!n.attrs().getBool("training", false) || p == 0) return x;
        long seed = n.attrs().getLong("seed", 0);
        long[] shape = cx.shape(n);
        org.dlm.ir.kernel.Buffer mask = cx.derived(java.util.List.of(n, "mask"), "dropout_mask", () -> {
            double[] m = new double[(int) Lowerer.numel(shape)];
            for (int i = 0; i < m.length; i++) m[i] = p < 1 && org.dlm.ir.ops.DropoutMask.keep(seed, i, p) ? 1 / (1 - p) : 0;
            return new org.dlm.ir.interp.NdArray(n.dtype(), shape, m);
        });
        return mul(x, load(mask, idx.flat()));
    }

    static Expr one(Expr x) { return c(x.type(), 1); }

    static Expr sigmoid(Expr x) { return div(one(x), add(one(x), un(UnOp.EXP, un(UnOp.NEG, x)))); }

    private static void unary(LoweringTable t, String op, UnaryOperator<Expr> f) {
        t.elementwise(op, true, (n, idx, cx) -> f.apply(cx.operand(n, 0, idx)));
    }

    private static void binary(LoweringTable t, String op, BinaryOperator<Expr> f) {
        t.elementwise(op, true, (Node n, Index idx, Lowerer cx) -> f.apply(cx.operand(n, 0, idx), cx.operand(n, 1, idx)));
    }
}
