package org.dlm.ir;

import static org.dlm.ir.IrFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.ir.text.IrParser;
import org.junit.jupiter.api.Test;

class VerifierTest {
    private static List<String> problems(Graph g) {
        return Verifier.verify(g).stream().map(Verifier.Problem::toString).toList();
    }

    private static void assertProblem(Graph g, String expected) {
        List<String> ps = problems(g);
        assertTrue(ps.contains(expected), () -> "expected problem '" + expected + "' in " + ps);
    }

    @Test void wellFormedGraphHasNoProblems() {
        Node x = input("x", DType.F32, sym("B"), Dim.of(3));
        Node w = param("w", DType.F32, 3);
        Graph g = new Graph("Ok", List.of(x), List.of(w), List.of(new Graph.Output("x", x), new Graph.Output("w", w),
                new Graph.Output("c", constant(DType.I64, new long[] {2}, 1, 2))));
        assertEquals(List.of(), problems(g));
        assertDoesNotThrow(() -> Verifier.verifyOrThrow(g));
    }

    @Test void wrongTypeIsReported() {
        Node c = Node.unchecked(OpTable.require("const"), List.of(), Attrs.of("value", Constant.scalar(DType.F32, 1)), TensorType.of(DType.F32, 2));
        Graph g = new Graph("G", List.of(), List.of(), List.of(new Graph.Output("y", c)));
        assertEquals(List.of("%0 = const: has type f32[2] but const of its attributes gives f32[]"), problems(g));
    }

    @Test void wrongArityIsReported() {
        Node x = input("x", DType.F32, 2);
        Node c = Node.unchecked(OpTable.require("const"), List.of(x), Attrs.of("value", Constant.scalar(DType.F32, 1)), TensorType.of(DType.F32, 2));
        Graph g = new Graph("G", List.of(x), List.of(), List.of(new Graph.Output("y", c)));
        assertEquals(List.of("%0 = const: const takes 0 operands, got 1"), problems(g));
    }

    @Test void attributeSchemaIsChecked() {
        Node bad = Node.unchecked(OpTable.require("const"), List.of(),
                Attrs.of("value", Constant.scalar(DType.F32, 1), "colour", "red"), new TensorType(DType.F32, Shape.SCALAR));
        Node kind = Node.unchecked(OpTable.require("param"), List.of(),
                Attrs.of("name", "w", "dtype", DType.F32, "shape", Shape.of(2), "init", 3L, "trainable", true), TensorType.of(DType.F32, 2));
        Node missing = Node.unchecked(OpTable.require("const"), List.of(), Attrs.EMPTY, TensorType.of(DType.F32, 2));
        Graph g = new Graph("G", List.of(), List.of(kind), List.of(new Graph.Output("a", bad), new Graph.Output("b", missing), new Graph.Output("w", kind)));
        List<String> ps = problems(g);
        assertProblem(g, "%0 = const: unknown attribute 'colour' (known: value)");
        assertProblem(g, "%w: attribute 'init' must be a string, got 3");
        assertProblem(g, "%1 = const: missing required attribute 'value'");
        assertEquals(3, ps.size(), ps::toString);
    }

    @Test void undeclaredAndDuplicateLeavesAreReported() {
        Node x = input("x", DType.F32, sym("B"));
        Node x2 = input("x", DType.F32, 4);
        Node stray = input("z", DType.F32, 4);
        Node p = param("x", DType.F32, 4);
        Node strayP = param("q", DType.F32, 1);
        Graph g = new Graph("G", List.of(x, x2), List.of(p), List.of(new Graph.Output("y", stray),
                new Graph.Output("y", strayP), new Graph.Output("ok", x)));
        List<String> ps = problems(g);
        assertEquals(List.of(
                "%\"input#0\": name 'x' is used by another input or parameter",
                "%\"param#1\": name 'x' is used by another input or parameter",
                "output %y: output name used twice",
                "%0 = input: uses input 'z' that is not declared in the graph's inputs",
                "%1 = param: uses param 'q' that is not declared in the graph's params"), ps);
    }

    @Test void declarationsMustBeLeavesOfTheRightKind() {
        Node p = param("w", DType.F32, 2);
        Node x = input("x", DType.F32, 2);
        Graph g = new Graph("G", List.of(p), List.of(x), List.of(new Graph.Output("y", x)));
        List<String> ps = problems(g);
        assertTrue(ps.contains("%\"input#0\": declared as an input but is a param node"), ps::toString);
        assertTrue(ps.contains("%\"param#1\": declared as a parameter but is a input node"), ps::toString);
    }

    @Test void symbolsMustComeFromInputs() {
        Node x = input("x", DType.F32, sym("B"));
        Node c = Node.unchecked(OpTable.require("input"), List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(sym("B"))),
                TensorType.of(DType.F32, sym("B")));
        assertSame(x, c, "hash-consing");
        Node w = Node.of("param", List.of(), Attrs.of("name", "w", "dtype", DType.F32, "shape", Shape.of(sym("N"))));
        Graph g = new Graph("G", List.of(x), List.of(w), List.of(new Graph.Output("w", w)));
        assertEquals(List.of("%w: parameter shape [N] must be static", "%w: type f32[N] uses symbol N, which no input shape defines"), problems(g));
    }

    @Test void verifyOrThrowListsEveryProblem() {
        Graph g = IrParser.parse("""
                graph G(%x: f32[2]) {
                  %0 = const {value = dense<f32[]>[1.0]} : f32[2]
                  %1 = input {dtype = f32, name = "u", shape = shape[2]} : f32[2]
                  return %a = %0, %b = %1
                }""");
        var e = assertThrows(Verifier.VerifierException.class, () -> Verifier.verifyOrThrow(g));
        assertEquals("""
                graph G is malformed (2 problems):
                  %0 = const: has type f32[2] but const of its attributes gives f32[]
                  %1 = input: uses input 'u' that is not declared in the graph's inputs""", e.getMessage());
        assertEquals(2, e.problems().size());
    }

    @Test void opsMustBeTheRegisteredDefinitions() {
        OpDef impostor = OpDef.builder("const").inputs(0).shape((in, a) -> TensorType.of(DType.F32, 1))
                .kernel((in, a, out) -> null).build();
        OpDef unknown = OpDef.builder("frobnicate").inputs(0).shape((in, a) -> TensorType.of(DType.F32, 1))
                .kernel((in, a, out) -> null).build();
        Node n1 = Node.unchecked(impostor, List.of(), Attrs.EMPTY, TensorType.of(DType.F32, 1));
        Node n2 = Node.unchecked(unknown, List.of(), Attrs.EMPTY, TensorType.of(DType.F32, 1));
        Graph g = new Graph("G", List.of(), List.of(), List.of(new Graph.Output("a", n1), new Graph.Output("b", n2)));
        List<String> ps = problems(g);
        assertTrue(ps.contains("%0 = const: op 'const' is not the definition registered in the op table"), ps::toString);
        assertTrue(ps.contains("%1 = frobnicate: unknown op 'frobnicate'"), ps::toString);
    }

    @Test void constantsAreExactInTheirDtype() {
        // rounding happens when the constant is made, so equal values share one node
        Node c = Node.of("const", List.of(), Attrs.of("value", new Constant(TensorType.of(DType.I32, 3), new double[] {1, 2.5, -0.0})));
        Node d = Node.of("const", List.of(), Attrs.of("value", Constant.scalar(DType.F32, 0.1)));
        assertArrayEquals(new double[] {1, 2, 0}, ((Constant) c.attrs().get("value")).values());
        assertEquals((double) 0.1f, ((Constant) d.attrs().get("value")).value(0));
        assertSame(d, Node.of("const", List.of(), Attrs.of("value", Constant.scalar(DType.F32, 0.1f))));
    }

    @Test void negativeDimensionsAreReported() {
        Graph g = IrParser.parse("graph G(%x: f32[B, -2]) { return %x = %x }");
        assertEquals(List.of("%x: type f32[B, -2] has a negative dimension"), problems(g));
    }
}
