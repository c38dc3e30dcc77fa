package org.dlm.backend.opencl;

import static org.dlm.backend.opencl.Diff.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.junit.jupiter.api.Test;

/** Elementwise ops on OpenCL against the interpreter; each family is one graph, so one OpenCL program. */
class ElementwiseOpenClTest {
    static final double TOL = 1e-4;
    static final List<String> UNARY = List.of("neg", "abs", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh", "sigmoid",
            "relu", "relu6", "gelu", "softplus", "erf", "floor", "ceil", "round", "sign", "silu", "leaky_relu", "elu", "hard_sigmoid", "clip");
    static final List<String> BINARY = List.of("add", "sub", "mul", "div", "max", "min", "pow", "eq", "ne", "lt", "le", "gt", "ge", "mod");

    @Test
    void unaryOpsMatchTheInterpreter() {
        Node x = input("x", DType.F32, 3, 37);
        Node scaled = Node.of("mul", x, Node.of("const", List.of(), Attrs.of("value", Constant.scalar(DType.F32, 30))));
        List<Node> outs = new ArrayList<>();
        for (Node base : List.of(x, scaled)) {
            for (String op : UNARY) {
                Node in = switch (op) {
                    case "log", "sqrt", "rsqrt" -> Node.of("abs", base);
                    default -> base;
                };
                outs.add(Node.of(op, List.of(in), op.equals("clip") ? Attrs.of("min", -0.5, "max", 1.25) : Attrs.EMPTY));
            }
        }
        assertTrue(check(1, outs, TOL) < TOL);
    }

    @Test
    void binaryOpsBroadcast() {
        Node a = input("a", DType.F32, 4, 1, 5), b = input("b", DType.F32, 3, 1);
        Node c = input("c", DType.F32, 1), d = input("d", DType.F32, 7, 9);
        List<Node> outs = new ArrayList<>();
        for (String op : BINARY) {
            outs.add(Node.of(op, op.equals("pow") ? Node.of("abs", a) : a, b));
            outs.add(Node.of(op, op.equals("pow") ? Node.of("abs", d) : d, c));
        }
        assertTrue(check(3, outs, TOL) < TOL);
    }

    @Test
    void fusedChainsWhereCastsAndIntegers() {
        Node x = input("x", DType.F32, 5, 8), y = input("y", DType.F32, 8);
        Node z = Node.of("relu", Node.of("add", Node.of("mul", x, x), y));
        Node w = Node.of("where", Node.of("gt", x, y), z, Node.of("neg", x));
        Node i = input("i", DType.I32, 3, 4), l = input("l", DType.I64, 2, 5), u = input("u", DType.U8, 6), s = input("s", DType.I8, 6);
        Node bools = input("m", DType.BOOL, 5, 8);
        check(5, List.of(w, z, Node.of("add", i, i), Node.of("mul", l, l), Node.of("cast", List.of(x), Attrs.of("dtype", DType.I32)),
                Node.of("add", u, u), Node.of("sub", s, s), Node.of("abs", s), Node.of("max", i, Node.of("neg", i)),
                Node.of("where", bools, x, Node.of("neg", x)), Node.of("cast", List.of(bools), Attrs.of("dtype", DType.F32)),
                Node.of("cast", List.of(x), Attrs.of("dtype", DType.BOOL)), Node.of("cast", List.of(x), Attrs.of("dtype", DType.U8)),
                Node.of("pow", i, i)), 0);
    }

    @Test
    void doublesWhenTheDeviceHasFp64() {
        assertTrue(OpenClDevice.select(null).info().fp64(), "the test device (PoCL) supports cl_khr_fp64");
        Node x = input("x", DType.F64, 4, 9), y = input("y", DType.F64, 9);
        Node z = Node.of("tanh", Node.of("add", Node.of("exp", x), y));
        check(7, List.of(z, Node.of("reduce_sum", List.of(x), Attrs.of("axes", List.of(1L))), Node.of("max", x, y),
                Node.of("cast", List.of(x), Attrs.of("dtype", DType.F32))), 1e-12);
    }
}
