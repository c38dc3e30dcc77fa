package org.dlm.ir.interp;

import static org.dlm.ir.IrFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.junit.jupiter.api.Test;

class InterpreterTest {
    private static NdArray arr(DType t, long... shape) {
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return new NdArray(t, shape, d);
    }

    private final Node x = input("x", DType.F32, sym("B"), Dim.of(3));
    private final Node y = input("y", DType.F32, sym("B"), sym("T").times(2).plus(1));
    private final Node w = param("w", DType.F32, 2, 3);
    private final Node c = constant(DType.I64, new long[] {2}, 5, -6);
    private final Graph g = new Graph("G", List.of(x, y), List.of(w),
            List.of(new Graph.Output("c", c), new Graph.Output("x", x), new Graph.Output("w", w), new Graph.Output("y", y)));

    @Test void bindsSymbolsAndReturnsOutputsInOrder() {
        NdArray xa = arr(DType.F32, 4, 3), ya = arr(DType.F32, 4, 7), wa = arr(DType.F32, 2, 3);
        Map<String, NdArray> out = Interpreter.run(g, Map.of("x", xa, "y", ya), Map.of("w", wa));
        assertEquals(List.of("c", "x", "w", "y"), List.copyOf(out.keySet()));
        assertEquals(NdArray.of(DType.I64, new long[] {2}, 5, -6), out.get("c"));
        assertSame(xa, out.get("x"));
        assertSame(wa, out.get("w"));
    }

    @Test void shapeBinderSolvesAffineDims() {
        var b = new ShapeBinder();
        b.bind("input y", TensorType.of(DType.F32, sym("T").times(2).plus(1)), DType.F32, new long[] {9});
        assertEquals(Map.of("T", 4L), b.finish());
        var odd = new ShapeBinder();
        odd.bind("input y", TensorType.of(DType.F32, sym("T").times(2).plus(1)), DType.F32, new long[] {8});
        var e = assertThrows(InterpreterException.class, odd::finish);
        assertEquals("input y: cannot determine T from dimension 0 (2*T+1 = 8)", e.getMessage());
    }

    @Test void inconsistentSymbolIsAClearError() {
        var e = assertThrows(InterpreterException.class,
                () -> Interpreter.run(g, Map.of("x", arr(DType.F32, 5, 3), "y", arr(DType.F32, 3, 7)), Map.of("w", arr(DType.F32, 2, 3))));
        assertEquals("input y: dimension B is 3 here but 5 in input x", e.getMessage());
    }

    @Test void compositeDimMismatchNamesTheBindings() {
        Node z = input("z", DType.F32, sym("T").times(2).plus(1));
        Node t = input("t", DType.F32, sym("T"));
        Graph g2 = new Graph("G", List.of(z, t), List.of(), List.of(new Graph.Output("z", z)));
        var e = assertThrows(InterpreterException.class, () -> Interpreter.run(g2, Map.of("z", arr(DType.F32, 8), "t", arr(DType.F32, 3)), Map.of()));
        assertEquals("input z: dimension 0 is 2*T+1 = 7 (with T=3 from input t) but the tensor has 8", e.getMessage());
    }

    @Test void inputErrors() {
        Map<String, NdArray> p = Map.of("w", arr(DType.F32, 2, 3));
        assertMessage("missing input 'y' (f32[B, 2*T+1])", () -> Interpreter.run(g, Map.of("x", arr(DType.F32, 4, 3)), p));
        assertMessage("input x: expected f32 data (type f32[B, 3]), got f64",
                () -> Interpreter.run(g, Map.of("x", arr(DType.F64, 4, 3), "y", arr(DType.F32, 4, 7)), p));
        assertMessage("input x: expected rank 2 (f32[B, 3]), got shape [12]",
                () -> Interpreter.run(g, Map.of("x", arr(DType.F32, 12), "y", arr(DType.F32, 4, 7)), p));
        assertMessage("input x: dimension 1 must be 3 (f32[B, 3]), got shape [4, 2]",
                () -> Interpreter.run(g, Map.of("x", arr(DType.F32, 4, 2), "y", arr(DType.F32, 4, 7)), p));
        assertMessage("unknown input 'q'; the graph's inputs are x, y",
                () -> Interpreter.run(g, Map.of("q", arr(DType.F32, 1), "x", arr(DType.F32, 4, 3), "y", arr(DType.F32, 4, 7)), p));
    }

    @Test void paramErrors() {
        Map<String, NdArray> in = Map.of("x", arr(DType.F32, 4, 3), "y", arr(DType.F32, 4, 7));
        assertMessage("missing parameter 'w' (f32[2, 3])", () -> Interpreter.run(g, in, Map.of()));
        assertMessage("parameter w: expected f32[2, 3], got f32[3, 2]", () -> Interpreter.run(g, in, Map.of("w", arr(DType.F32, 3, 2))));
        assertMessage("parameter w: expected f32[2, 3], got i32[2, 3]", () -> Interpreter.run(g, in, Map.of("w", arr(DType.I32, 2, 3))));
        assertMessage("unknown parameter 'v'; the graph's parameters are w",
                () -> Interpreter.run(g, in, Map.of("w", arr(DType.F32, 2, 3), "v", arr(DType.F32, 1))));
    }

    /** An op outside the op table, so the interpreter's own checks can be exercised before the real ops exist. */
    private static OpDef testOp(String name, OpDef.Kernel k) {
        return OpDef.builder(name).inputs(1).shape((in, a) -> in.get(0)).kernel(k).build();
    }

    @Test void kernelsRunInTopologicalOrderWithBoundTypes() {
        TensorType[] seen = new TensorType[1];
        OpDef twice = testOp("twice", (in, a, out) -> { seen[0] = out; return in.get(0).map(v -> 2 * v); });
        Node n = Node.unchecked(twice, List.of(x), Attrs.EMPTY, x.type());
        Node m = Node.unchecked(twice, List.of(n), Attrs.EMPTY, x.type());
        Graph g2 = new Graph("G", List.of(x), List.of(), List.of(new Graph.Output("m", m)));
        NdArray r = Interpreter.run(g2, Map.of("x", arr(DType.F32, 2, 3)), Map.of()).get("m");
        assertArrayEquals(new double[] {0, 4, 8, 12, 16, 20}, r.data());
        assertEquals(TensorType.of(DType.F32, 2, 3), seen[0], "kernels see static types");
    }

    @Test void kernelBugsAreInternalErrorsNamingTheOp() {
        OpDef bad = testOp("sloppy", (in, a, out) -> NdArray.zeros(DType.F32, 3, 3));
        Node n = Node.unchecked(bad, List.of(x), Attrs.EMPTY, x.type());
        Graph g2 = new Graph("G", List.of(x), List.of(), List.of(new Graph.Output("m", n)));
        var e = assertThrows(IllegalStateException.class, () -> Interpreter.run(g2, Map.of("x", arr(DType.F32, 2, 3)), Map.of()));
        assertEquals("internal error: the sloppy kernel returned f32[3, 3] for %0 = sloppy, whose type is f32[2, 3]", e.getMessage());

        Node wrongConst = Node.unchecked(OpTable.require("const"), List.of(), Attrs.of("value", Constant.scalar(DType.F32, 1)), TensorType.of(DType.F32, 2));
        Graph g3 = new Graph("G", List.of(), List.of(), List.of(new Graph.Output("m", wrongConst)));
        var e3 = assertThrows(IllegalStateException.class, () -> Interpreter.run(g3, Map.of(), Map.of()));
        assertTrue(e3.getMessage().startsWith("internal error: the const kernel returned f32[]"), e3.getMessage());
    }

    @Test void kernelFailuresNameTheNode() {
        OpDef picky = testOp("picky", (in, a, out) -> { throw new IllegalArgumentException("index 7 out of range"); });
        Node n = Node.unchecked(picky, List.of(x), Attrs.EMPTY, x.type());
        Graph g2 = new Graph("G", List.of(x), List.of(), List.of(new Graph.Output("m", n)));
        assertMessage("%0 = picky: picky failed on operands f32[2, 3]: index 7 out of range",
                () -> Interpreter.run(g2, Map.of("x", arr(DType.F32, 2, 3)), Map.of()));
    }

    @Test void undeclaredLeavesAndUnboundSymbolsAreErrors() {
        Node stray = input("s", DType.F32, 2);
        OpDef id = testOp("id", (in, a, out) -> in.get(0));
        Graph g2 = new Graph("G", List.of(), List.of(), List.of(new Graph.Output("m", Node.unchecked(id, List.of(stray), Attrs.EMPTY, stray.type()))));
        assertMessage("%0 = input: input 's' is not declared by graph G", () -> Interpreter.run(g2, Map.of(), Map.of()));
        Node sym = Node.unchecked(id, List.of(x), Attrs.EMPTY, TensorType.of(DType.F32, sym("K")));
        Graph g3 = new Graph("G", List.of(x), List.of(), List.of(new Graph.Output("m", sym)));
        assertMessage("%0 = id: type f32[K] uses K, which no input shape binds", () -> Interpreter.run(g3, Map.of("x", arr(DType.F32, 1, 3)), Map.of()));
    }

    @Test void intermediatesAreFreedButOutputsKept() {
        // a chain whose intermediate is also an output must still be returned intact
        OpDef inc = testOp("inc", (in, a, out) -> in.get(0).map(v -> v + 1));
        Node a = Node.unchecked(inc, List.of(x), Attrs.EMPTY, x.type());
        Node b = Node.unchecked(inc, List.of(a), Attrs.EMPTY, x.type());
        Node c2 = Node.unchecked(inc, List.of(b), Attrs.EMPTY, x.type());
        Graph g2 = new Graph("G", List.of(x), List.of(), List.of(new Graph.Output("c", c2), new Graph.Output("a", a)));
        List<String> seen = new java.util.ArrayList<>();
        Map<String, NdArray> out = Interpreter.run(g2, Map.of("x", NdArray.full(DType.F32, 1, 1, 3)), Map.of(),
                (node, value) -> seen.add(node.opName() + "=" + value.get(0)));
        assertEquals(List.of("inc=2.0", "inc=3.0", "inc=4.0"), seen);
        assertArrayEquals(new double[] {4, 4, 4}, out.get("c").data());
        assertArrayEquals(new double[] {2, 2, 2}, out.get("a").data());
        assertEquals(Shape.of(1, 3), new Shape(java.util.Arrays.stream(out.get("a").shape()).mapToObj(Dim::of).toList()));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable run) {
        var e = assertThrows(InterpreterException.class, run);
        assertEquals(expected, e.getMessage());
    }
}
