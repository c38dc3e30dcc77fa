package org.dlm.ir.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/** Test helpers of the linalg/nn/loss tests: types from text ({@code f32[B, 10]}), literal arrays, value asserts. */
final class OpRunner {
    private OpRunner() {}

    /** Builds {@code op} on inputs of the arrays' types, then evaluates its kernel (see {@link OpTesting#run}). */
    static NdArray run(String op, Attrs attrs, NdArray... in) { return OpTesting.run(op, attrs, in); }

    static NdArray run(String op, NdArray... in) { return run(op, Attrs.EMPTY, in); }

    static Node input(String name, TensorType t) { return OpTesting.input(name, t); }

    /** Parses {@code f32[B, 3, 28, 28]}. */
    static TensorType type(String text) {
        int lb = text.indexOf('[');
        DType dt = DType.fromText(text.substring(0, lb).trim());
        String body = text.substring(lb + 1, text.lastIndexOf(']')).trim();
        List<Dim> dims = new ArrayList<>();
        if (!body.isEmpty()) for (String d : body.split(",")) dims.add(Dim.parse(d.trim()));
        return new TensorType(dt, new Shape(dims));
    }

    /** The inferred type of {@code op} applied to inputs of the given types. */
    static TensorType infer(String op, Attrs attrs, String... types) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < types.length; i++) nodes.add(input("x" + i, type(types[i])));
        return Node.of(op, nodes, attrs).type();
    }

    static ShapeException inferError(String op, Attrs attrs, String... types) {
        return assertThrows(ShapeException.class, () -> infer(op, attrs, types));
    }

    static NdArray arr(DType dt, long[] shape, double... v) { return NdArray.of(dt, shape, v); }
    static NdArray f32(long[] shape, double... v) { return NdArray.of(DType.F32, shape, v); }
    static NdArray f64(long[] shape, double... v) { return NdArray.of(DType.F64, shape, v); }
    static NdArray i64(long[] shape, double... v) { return NdArray.of(DType.I64, shape, v); }
    static long[] s(long... d) { return d; }

    static void assertClose(double[] want, NdArray got, double tol) {
        assertEquals(want.length, got.size(), "element count");
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got.get(i), tol, "element " + i + " of " + got);
    }

    static double[] seq(int n, double start) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = start + i;
        return r;
    }
}
