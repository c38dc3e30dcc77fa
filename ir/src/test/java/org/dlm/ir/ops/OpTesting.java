package org.dlm.ir.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Test support for op families: builds nodes through the shape rules and evaluates them with the
 * reference interpreter, which also checks every kernel result against the node's type.
 */
final class OpTesting {
    private OpTesting() {}

    static long[] s(long... shape) { return shape; }

    static NdArray arr(DType t, long[] shape, double... v) { return NdArray.of(t, shape, v); }
    static NdArray f32(long[] shape, double... v) { return arr(DType.F32, shape, v); }
    static NdArray f64(long[] shape, double... v) { return arr(DType.F64, shape, v); }
    static NdArray i32(long[] shape, double... v) { return arr(DType.I32, shape, v); }
    static NdArray i64(long[] shape, double... v) { return arr(DType.I64, shape, v); }
    static NdArray bool(long[] shape, double... v) { return arr(DType.BOOL, shape, v); }
    static NdArray vec(DType t, double... v) { return arr(t, new long[] {v.length}, v); }

    private static int counter;

    static Node input(String name, TensorType t) {
        return Node.of("input", List.of(), Attrs.of("name", name, "dtype", t.dtype(), "shape", t.shape()));
    }

    static Node input(String name, DType d, Object... dims) {
        List<Dim> ds = new ArrayList<>();
        for (Object o : dims) ds.add(o instanceof String str ? Dim.parse(str) : Dim.of(((Number) o).longValue()));
        return input(name, new TensorType(d, new Shape(ds)));
    }

    /** The type the op's shape rule infers for operands of the given types. */
    static TensorType type(String op, Attrs a, TensorType... in) {
        List<Node> ns = new ArrayList<>();
        for (TensorType t : in) ns.add(input("t" + (counter++), t));
        return Node.of(op, ns, a).type();
    }

    static TensorType type(String op, TensorType... in) { return type(op, Attrs.EMPTY, in); }

    static TensorType tt(DType d, Object... dims) {
        List<Dim> ds = new ArrayList<>();
        for (Object o : dims) ds.add(o instanceof String str ? Dim.parse(str) : Dim.of(((Number) o).longValue()));
        return new TensorType(d, new Shape(ds));
    }

    /** The shape rule's error for these operands; fails when the rule accepts them. */
    static ShapeException shapeError(String op, Attrs a, TensorType... in) {
        return assertThrows(ShapeException.class, () -> type(op, a, in));
    }

    /** Applies {@code op} to concrete arrays: shape rule, then kernel; checks the kernel agrees with the rule. */
    static NdArray run(String op, Attrs a, NdArray... in) {
        List<Node> ns = new ArrayList<>();
        Map<Node, NdArray> bind = new HashMap<>();
        for (NdArray x : in) {
            Node n = input("x" + (counter++), new TensorType(x.dtype(), Shape.of(x.shape())));
            ns.add(n);
            bind.put(n, x);
        }
        return eval(Node.of(op, ns, a), bind);
    }

    static NdArray run(String op, NdArray... in) { return run(op, Attrs.EMPTY, in); }

    /**
     * Evaluates {@code out} with the reference interpreter; {@code bind} gives the value of each
     * {@code input} node (symbols are bound from their shapes by the interpreter).
     */
    static NdArray eval(Node out, Map<Node, NdArray> bind) {
        Map<String, NdArray> inputs = new HashMap<>();
        for (var e : bind.entrySet()) inputs.put(e.getKey().attrs().getString("name"), e.getValue());
        Graph g = new Graph("test", List.copyOf(bind.keySet()), List.of(), List.of(new Graph.Output("y", out)));
        return Interpreter.run(g, inputs, Map.of()).get("y");
    }

    static List<Node> topo(Node out) {
        LinkedHashSet<Node> order = new LinkedHashSet<>();
        visit(out, order);
        return new ArrayList<>(order);
    }

    private static void visit(Node n, LinkedHashSet<Node> order) {
        if (order.contains(n)) return;
        for (Node i : n.inputs()) visit(i, order);
        order.add(n);
    }

    /** Asserts values (exactly, or within tol) and shape. */
    static void assertClose(NdArray got, long[] shape, double tol, double... want) {
        assertArrayEquals(shape, got.shape(), "shape");
        assertEquals(want.length, got.size(), "element count");
        for (int i = 0; i < want.length; i++) {
            double g = got.get(i), w = want[i];
            if (Double.isNaN(w)) assertTrue(Double.isNaN(g), "element " + i + ": want NaN, got " + g);
            else assertEquals(w, g, tol, "element " + i + " of " + got);
        }
    }

    static void assertValues(NdArray got, long[] shape, double... want) { assertClose(got, shape, 0, want); }
}
