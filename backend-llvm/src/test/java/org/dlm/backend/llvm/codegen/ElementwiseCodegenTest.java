package org.dlm.backend.llvm.codegen;

import static org.dlm.backend.llvm.codegen.Diff.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ElementwiseCodegenTest {
    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"neg", "abs", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh", "sigmoid", "relu", "relu6",
            "gelu", "softplus", "erf", "floor", "ceil", "round", "sign", "silu", "leaky_relu", "elu", "hard_sigmoid", "clip"})
    void unaryOpsMatchTheInterpreter(String op) {
        Node x = input("x", DType.F32, 3, 37);
        Node in = switch (op) {
            case "log", "sqrt", "rsqrt" -> Node.of("abs", x);
            default -> x;
        };
        Attrs a = op.equals("clip") ? Attrs.of("min", -0.5, "max", 1.25) : Attrs.EMPTY;
        check(1, List.of(Node.of(op, List.of(in), a)), TOL);
        check(2, List.of(Node.of(op, List.of(Node.of("mul", in, Node.of("const", List.of(), Attrs.of("value", org.dlm.ir.Constant.scalar(DType.F32, 30))))), a)), TOL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"add", "sub", "mul", "div", "max", "min", "pow", "eq", "ne", "lt", "le", "gt", "ge", "mod"})
    void binaryOpsBroadcast(String op) {
        Node a = input("a", DType.F32, 4, 1, 5), b = input("b", DType.F32, 3, 1);
        Node l = op.equals("pow") ? Node.of("abs", a) : a;
        check(3, List.of(Node.of(op, l, b)), TOL);
        Node c = input("c", DType.F32, 1), d = input("d", DType.F32, 7, 9);
        check(4, List.of(Node.of(op, op.equals("pow") ? Node.of("abs", d) : d, c)), TOL);
    }

    @Test
    void fusedChainIsOneLoopAndWhereSelects() {
        Node x = input("x", DType.F32, 5, 8), y = input("y", DType.F32, 8);
        Node z = Node.of("relu", Node.of("add", Node.of("mul", x, x), y));
        Node w = Node.of("where", Node.of("gt", x, y), z, Node.of("neg", x));
        assertTrue(check(5, List.of(w, z), TOL) < TOL);
        Node i = input("i", DType.I32, 3, 4);
        check(6, List.of(Node.of("add", i, i), Node.of("cast", List.of(x), Attrs.of("dtype", DType.I32))), 0);
    }
}
