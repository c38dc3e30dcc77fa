package org.dlm.onnx;

import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Node;

/** ONNX elementwise ops: unary math and activations, broadcasting binary ops, variadic Sum/Mean/Max/Min, Cast, Where. */
final class ElementwiseConverters {
    private ElementwiseConverters() {}

    static void register(ConverterTable t) {
        String[][] unary = {
            {"Abs", "abs"}, {"Neg", "neg"}, {"Exp", "exp"}, {"Log", "log"}, {"Sqrt", "sqrt"}, {"Reciprocal", "reciprocal"},
            {"Sin", "sin"}, {"Cos", "cos"}, {"Tan", "tan"}, {"Asin", "asin"}, {"Acos", "acos"}, {"Atan", "atan"}, {"Tanh", "tanh"}, {"Sigmoid", "sigmoid"}, {"Relu", "relu"},
            {"Softplus", "softplus"}, {"Erf", "erf"}, {"Floor", "floor"}, {"Ceil", "ceil"}, {"Round", "round"},
            {"Sign", "sign"}, {"Not", "not"}, {"IsNaN", "isnan"},
        };
        for (String[] u : unary) t.one(u[0], cx -> cx.op(u[1], cx.in(0)));
        String[][] binary = {
            {"Add", "add"}, {"Sub", "sub"}, {"Mul", "mul"}, {"Div", "div"}, {"Equal", "eq"}, {"Less", "lt"},
            {"LessOrEqual", "le"}, {"Greater", "gt"}, {"GreaterOrEqual", "ge"}, {"And", "and"}, {"Or", "or"}, {"Xor", "xor"},
        };
        for (String[] b : binary) t.one(b[0], cx -> cx.op(b[1], cx.in(0), cx.in(1)));

        t.one("Identity", cx -> cx.in(0));
        t.one("Pow", cx -> {
            Node x = cx.in(0), y = cx.in(1);
            if (y.dtype() != x.dtype()) y = cx.op("cast", List.of(y), "dtype", x.dtype());
            return cx.op("pow", x, y);
        });
        t.one("Mod", cx -> cx.op("mod", List.of(cx.in(0), cx.in(1)), "fmod", cx.attrInt("fmod", 0) != 0));
        t.one("Max", cx -> chain(cx, "max"));
        t.one("Min", cx -> chain(cx, "min"));
        t.one("Sum", cx -> chain(cx, "add"));
        t.one("Mean", cx -> {
            Node s = chain(cx, "add");
            return cx.op("div", s, cx.scalar(s.dtype(), cx.ins().size()));
        });
        t.one("Where", cx -> cx.op("where", cx.in(0), cx.in(1), cx.in(2)));

        t.one("LeakyRelu", cx -> cx.op("leaky_relu", List.of(cx.in(0)), "alpha", cx.attrFloat("alpha", 0.01)));
        t.one("Elu", cx -> cx.op("elu", List.of(cx.in(0)), "alpha", cx.attrFloat("alpha", 1.0)));
        t.one("HardSigmoid", cx -> cx.op("hard_sigmoid", List.of(cx.in(0)),
                "alpha", cx.attrFloat("alpha", 0.2), "beta", cx.attrFloat("beta", 0.5)));
        t.one("HardSwish", cx -> {
            Node x = cx.in(0);
            return cx.op("mul", x, cx.op("hard_sigmoid", List.of(x), "alpha", 1.0 / 6, "beta", 0.5));
        });
        t.one("Selu", cx -> {
            Node x = cx.in(0);
            double alpha = cx.attrFloat("alpha", 1.67326319217681884765625), gamma = cx.attrFloat("gamma", 1.05070102214813232421875);
            return cx.op("mul", cx.scalar(x.dtype(), gamma), cx.op("elu", List.of(x), "alpha", alpha));
        });
        t.one("Celu", cx -> {
            // celu(x) = alpha * elu(x / alpha, 1)
            Node x = cx.in(0);
            Node alpha = cx.scalar(x.dtype(), cx.attrFloat("alpha", 1.0));
            return cx.op("mul", alpha, cx.op("elu", List.of(cx.op("div", x, alpha)), "alpha", 1.0));
        });
        t.one("ThresholdedRelu", cx -> {
            Node x = cx.in(0);
            return cx.op("where", cx.op("gt", x, cx.scalar(x.dtype(), cx.attrFloat("alpha", 1.0))), x, cx.scalar(x.dtype(), 0));
        });
        t.one("Softsign", cx -> {
            Node x = cx.in(0);
            return cx.op("div", x, cx.op("add", cx.scalar(x.dtype(), 1), cx.op("abs", x)));
        });
        t.one("Mish", cx -> {
            Node x = cx.in(0);
            return cx.op("mul", x, cx.op("tanh", cx.op("softplus", x)));
        });
        t.one("Gelu", cx -> {
            String approx = cx.attrString("approximate", "none");
            if (!approx.equals("none") && !approx.equals("tanh")) throw cx.unsupported("approximate='" + approx + "'");
            return cx.op("gelu", List.of(cx.in(0)), "approximate", approx);
        });
        t.one("PRelu", cx -> {
            Node x = cx.in(0), slope = cx.in(1);
            Node zero = cx.scalar(x.dtype(), 0);
            return cx.op("where", cx.op("lt", x, zero), cx.op("mul", x, slope), x);
        });
        t.one("Clip", ElementwiseConverters::clip);
        t.one("Cast", cx -> {
            DType to = OnnxDTypes.require((int) cx.attrInt("to", 0), cx.where());
            return cx.op("cast", List.of(cx.in(0)), "dtype", to);
        });
        t.one("CastLike", cx -> cx.op("cast", List.of(cx.in(0)), "dtype", cx.in(1).dtype()));

        // hyperbolic functions from exp and log
        t.one("Sinh", cx -> {
            Node x = cx.in(0);
            return cx.op("mul", cx.scalar(x.dtype(), 0.5), cx.op("sub", cx.op("exp", x), cx.op("exp", cx.op("neg", x))));
        });
        t.one("Cosh", cx -> {
            Node x = cx.in(0);
            return cx.op("mul", cx.scalar(x.dtype(), 0.5), cx.op("add", cx.op("exp", x), cx.op("exp", cx.op("neg", x))));
        });
        t.one("Asinh", cx -> {
            Node x = cx.in(0);
            return cx.op("log", cx.op("add", x, cx.op("sqrt", cx.op("add", cx.op("mul", x, x), cx.scalar(x.dtype(), 1)))));
        });
        t.one("Acosh", cx -> {
            Node x = cx.in(0);
            return cx.op("log", cx.op("add", x, cx.op("sqrt", cx.op("sub", cx.op("mul", x, x), cx.scalar(x.dtype(), 1)))));
        });
        t.one("Atanh", cx -> {
            Node x = cx.in(0), one = cx.scalar(x.dtype(), 1);
            return cx.op("mul", cx.scalar(x.dtype(), 0.5), cx.op("log", cx.op("div", cx.op("add", one, x), cx.op("sub", one, x))));
        });
        t.one("Shrink", cx -> {
            Node x = cx.in(0);
            double lambd = cx.attrFloat("lambd", 0.5), bias = cx.attrFloat("bias", 0);
            Node b = cx.scalar(x.dtype(), bias), zero = cx.scalar(x.dtype(), 0);
            Node hi = cx.op("where", cx.op("gt", x, cx.scalar(x.dtype(), lambd)), cx.op("sub", x, b), zero);
            return cx.op("where", cx.op("lt", x, cx.scalar(x.dtype(), -lambd)), cx.op("add", x, b), hi);
        });
        t.one("BitShift", cx -> {
            // shifts as multiplication/division by 2^y in i64, wrapped back to the operand type
            Node x = cx.in(0), y = cx.in(1);
            String dir = cx.attrString("direction", "");
            if (!dir.equals("LEFT") && !dir.equals("RIGHT")) throw cx.error("direction must be LEFT or RIGHT");
            Node x64 = cx.op("cast", List.of(x), "dtype", DType.I64), y64 = cx.op("cast", List.of(y), "dtype", DType.I64);
            Node p = cx.op("pow", cx.scalar(DType.I64, 2), y64);
            Node r = dir.equals("LEFT") ? cx.op("mul", x64, p) : cx.op("div", x64, p);
            return cx.op("cast", List.of(r), "dtype", x.dtype());
        });
        t.one("IsInf", cx -> {
            Node x = cx.in(0);
            boolean pos = cx.attrInt("detect_positive", 1) != 0, neg = cx.attrInt("detect_negative", 1) != 0;
            Node p = cx.op("eq", x, cx.scalar(x.dtype(), Double.POSITIVE_INFINITY));
            Node n = cx.op("eq", x, cx.scalar(x.dtype(), Double.NEGATIVE_INFINITY));
            if (pos && neg) return cx.op("or", p, n);
            if (pos) return p;
            if (neg) return n;
            return cx.op("and", p, n);
        });
    }

    /** Left fold of a variadic op; one operand is the identity. */
    private static Node chain(OpContext cx, String op) {
        List<Node> in = cx.ins();
        if (in.isEmpty()) throw cx.error("needs at least one operand");
        Node acc = in.getFirst();
        for (int i = 1; i < in.size(); i++) acc = cx.op(op, acc, in.get(i));
        return acc;
    }

    private static Node clip(OpContext cx) {
        Node x = cx.in(0);
        if (cx.opset() < 11)
            return cx.op("clip", List.of(x), "min", cx.attrFloat("min", Double.NEGATIVE_INFINITY), "max", cx.attrFloat("max", Double.POSITIVE_INFINITY));
        var lo = cx.staticIn(1);
        var hi = cx.staticIn(2);
        boolean loOk = !cx.hasInput(1) || lo != null && lo.size() == 1, hiOk = !cx.hasInput(2) || hi != null && hi.size() == 1;
        if (loOk && hiOk)
            return cx.op("clip", List.of(x), "min", lo == null ? Double.NEGATIVE_INFINITY : lo.get(0),
                    "max", hi == null ? Double.POSITIVE_INFINITY : hi.get(0));
        // computed bounds: max then min, which is what Clip means
        Node r = x;
        if (cx.hasInput(1)) r = cx.op("max", r, cx.in(1));
        if (cx.hasInput(2)) r = cx.op("min", r, cx.in(2));
        return r;
    }
}
