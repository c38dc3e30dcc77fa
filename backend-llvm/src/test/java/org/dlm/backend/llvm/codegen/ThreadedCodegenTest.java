package org.dlm.backend.llvm.codegen;

import static org.dlm.backend.llvm.codegen.Diff.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Graphs run on 1-4 threads with every parallel loop and GEMM threaded: results equal the interpreter's. */
class ThreadedCodegenTest {
    static final double TOL = 1e-4;

    static Node op(String name, Attrs a, Node... in) { return Node.of(name, List.of(in), a); }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void elementwiseAndReductions(int threads) {
        Node x = input("x", DType.F32, 7, 13, 5), y = input("y", DType.F32, 13, 5);
        Node e = Node.of("tanh", Node.of("add", Node.of("mul", x, y), Node.of("exp", x)));
        assertTrue(checkThreaded(1, List.of(e, op("reduce_sum", Attrs.of("axes", List.of(1L)), x),
                op("reduce_max", Attrs.of("axes", List.of(0L, 2L), "keepdims", true), x),
                op("softmax", Attrs.of("axis", -1L), x), op("argmax", Attrs.of("axis", 1L), x)), TOL, threads) < TOL);
    }
}
