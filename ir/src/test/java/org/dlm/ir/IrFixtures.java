package org.dlm.ir;

import java.util.List;

/** Small graph-building helpers shared by the ir tests. */
public final class IrFixtures {
    private IrFixtures() {}

    public static Node input(String name, DType t, Dim... dims) {
        return Node.of("input", List.of(), Attrs.of("name", name, "dtype", t, "shape", Shape.of(dims)));
    }

    public static Node input(String name, DType t, long... dims) {
        return Node.of("input", List.of(), Attrs.of("name", name, "dtype", t, "shape", Shape.of(dims)));
    }

    public static Node param(String name, DType t, long... dims) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", t, "shape", Shape.of(dims)));
    }

    public static Node constant(DType t, long[] shape, double... values) {
        return Node.of("const", List.of(), Attrs.of("value", new Constant(TensorType.of(t, shape), values)));
    }

    public static Dim sym(String s) { return Dim.sym(s); }
}
