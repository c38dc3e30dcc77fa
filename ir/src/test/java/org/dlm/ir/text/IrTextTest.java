package org.dlm.ir.text;

import static org.dlm.ir.IrFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.Verifier;
import org.junit.jupiter.api.Test;

class IrTextTest {
    /** Prints, parses, and checks the parse is equal (identical nodes) and prints identically. */
    static Graph roundTrip(Graph g) {
        String text = IrPrinter.print(g);
        Graph back = IrParser.parse(text);
        assertEquals(g, back, () -> "round trip changed the graph:\n" + text + "\nvs\n" + IrPrinter.print(back));
        for (int i = 0; i < g.outputs().size(); i++)
            assertSame(g.outputs().get(i).node(), back.outputs().get(i).node());
        assertEquals(text, IrPrinter.print(back));
        return back;
    }

    @Test void leavesAndSymbolicShapes() {
        Node x = input("x", DType.F32, sym("B"), Dim.of(1), Dim.of(28), Dim.of(28));
        Node t = input("tokens", DType.I64, sym("B"), sym("T").times(2).plus(1));
        Node w = Node.of("param", List.of(), Attrs.of("name", "conv1.weight", "dtype", DType.F32, "shape", Shape.of(6, 1, 5, 5),
                "init", "kaiming_uniform(fan_in=25)", "trainable", false));
        Node c = constant(DType.F32, new long[] {2}, 1.0, 2.0);
        Graph g = new Graph("LeNet", List.of(x, t), List.of(w), List.of(new Graph.Output("logits", x),
                new Graph.Output("w", w), new Graph.Output("c", c), new Graph.Output("tok", t)), Map.of("source", "lenet.dlm"));
        roundTrip(g);
        String text = IrPrinter.print(g);
        assertTrue(text.startsWith("graph LeNet(%x: f32[B, 1, 28, 28], %tokens: i64[B, 2*T+1]) params(%conv1.weight: f32[6, 1, 5, 5] "
                + "{init = \"kaiming_uniform(fan_in=25)\", trainable = false}) meta {source = \"lenet.dlm\"} {\n"), text);
        assertTrue(text.contains("  %0 = const {value = dense<f32[2]>[1.0, 2.0]} : f32[2]\n"), text);
        assertTrue(text.endsWith("  return %logits = %x, %w = %conv1.weight, %c = %0, %tok = %tokens\n}\n"), text);
        assertTrue(Verifier.verify(g).isEmpty(), () -> Verifier.verify(g).toString());
    }

    @Test void everyAttributeKindRoundTrips() {
        List<Object> values = List.of(0L, -7L, Long.MAX_VALUE, Long.MIN_VALUE,
                1.0, -0.0, 0.0, 0.1, 1e-5, 1.0 / 3, Math.PI * 1e300, Double.MIN_VALUE, -Double.MAX_VALUE,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, (double) (float) 0.1,
                true, false, "", "plain", "quote \" backslash \\ newline \n tab \t cr \r bell \u0007 unicode é ∑ 😀",
                DType.F32, DType.BF16, DType.BOOL, DType.U8,
                Shape.SCALAR, Shape.of(3, 4), Shape.of(Dim.sym("B"), Dim.sym("H").minus(3).floorDiv(2).plus(1), Dim.of(-1)),
                List.of(), List.of(1L, -2L, 3L), List.of(1.5, Double.NaN, -0.0), List.of("a", "b\"c"), List.of(1L, 2.0),
                List.of(List.of(1L), List.of()), List.of(Shape.of(1), DType.I8, true));
        Node base = constant(DType.F32, new long[] {}, 0.0);
        Node x = input("x", DType.F32, 3);
        List<Graph.Output> outs = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            Node n = Node.unchecked(OpTable.require("const"), List.of(x, base), Attrs.of("k", values.get(i)), TensorType.of(DType.F32, 3));
            outs.add(new Graph.Output("o" + i, n));
        }
        Graph g = new Graph("Attrs", List.of(x), List.of(), outs);
        Graph back = roundTrip(g);
        for (int i = 0; i < values.size(); i++) {
            Object v = back.outputs().get(i).node().attrs().get("k");
            assertEquals(values.get(i), v, "attribute value " + i);
            if (values.get(i) instanceof Double d)
                assertEquals(Double.doubleToLongBits(d), Double.doubleToLongBits((Double) v), "bits of " + d);
        }
    }

    @Test void constantsRoundTripExactly() {
        List<Constant> cs = List.of(
                new Constant(new TensorType(DType.F32, Shape.SCALAR), new double[] {3.5}),
                new Constant(TensorType.of(DType.F64, 2, 2), new double[] {Math.PI, -0.0, Double.NaN, Double.NEGATIVE_INFINITY}),
                new Constant(TensorType.of(DType.I64, 3), new double[] {-1, 0, 9007199254740992.0}),
                new Constant(TensorType.of(DType.F64, 2), new double[] {-0.0, 0.5}),
                new Constant(TensorType.of(DType.I32, 2), new double[] {-3, 2147483647}),
                new Constant(TensorType.of(DType.BOOL, 2), new double[] {1, 0}),
                new Constant(TensorType.of(DType.F32, 0), new double[] {}),
                new Constant(TensorType.of(DType.F32, 64, 3), new double[192]),
                new Constant(TensorType.of(DType.BF16, 2), new double[] {1e-40, 65504}));
        List<Graph.Output> outs = new ArrayList<>();
        for (int i = 0; i < cs.size(); i++) outs.add(new Graph.Output("c" + i, Node.of("const", List.of(), Attrs.of("value", cs.get(i)))));
        Graph back = roundTrip(new Graph("Consts", List.of(), List.of(), outs));
        for (int i = 0; i < cs.size(); i++) assertEquals(cs.get(i), back.outputs().get(i).node().attrs().get("value"));
        String text = IrPrinter.print(back);
        assertTrue(text.contains("dense<f32[64, 3]>splat(0.0)"), text);
        assertTrue(text.contains("dense<i64[3]>[-1, 0, 9007199254740992]"), text);
        assertTrue(text.contains("dense<f64[2]>[-0.0, 0.5]"), text);
        assertTrue(text.contains("dense<i32[2]>[-3, 2147483647]"), text);
    }

    @Test void strangeNamesAreQuoted() {
        Node x = input("input:0", DType.F32, 2);
        Node y = input("12", DType.F32, 2);
        Node p = param("layer.0.weight", DType.F32, 2);
        Graph g = new Graph("my model", List.of(x, y), List.of(p), List.of(new Graph.Output("out put", x),
                new Graph.Output("y", y), new Graph.Output("p", p)), Map.of("k e y", "v\"al", "a", ""));
        roundTrip(g);
        String text = IrPrinter.print(g);
        assertTrue(text.startsWith("graph \"my model\"(%\"input:0\": f32[2], %\"12\": f32[2]) params(%layer.0.weight: f32[2]"), text);
    }

    @Test void brokenGraphsStillRoundTrip() {
        // duplicate names, a leaf whose attributes disagree with its type, a stray undeclared input,
        // a node declared twice, and a duplicate output name: the verifier's business, not the printer's
        Node a = input("a", DType.F32, 2);
        Node a2 = Node.unchecked(OpTable.require("input"), List.of(), Attrs.of("name", "a", "dtype", DType.F32, "shape", Shape.of(3)),
                TensorType.of(DType.F32, 3));
        Node odd = Node.unchecked(OpTable.require("input"), List.of(), Attrs.of("name", "odd", "dtype", DType.F64, "shape", Shape.of(2)),
                TensorType.of(DType.F32, 2));
        Node nameless = Node.unchecked(OpTable.require("param"), List.of(), Attrs.EMPTY, TensorType.of(DType.F32, 1));
        Node stray = input("stray", DType.I32, sym("Q"));
        Node notLeaf = Node.unchecked(OpTable.require("const"), List.of(), Attrs.of("value", Constant.scalar(DType.F32, 1)), new TensorType(DType.F32, Shape.SCALAR));
        Graph g = new Graph("Broken", List.of(a, a2, odd, a), List.of(nameless, notLeaf),
                List.of(new Graph.Output("o", stray), new Graph.Output("o", a2)));
        Graph back = roundTrip(g);
        assertEquals(List.of(a, a2, odd, a), back.inputs());
        assertFalse(Verifier.verify(back).isEmpty());
    }

    @Test void handWrittenTextWithCommentsAndNamedValues() {
        Graph g = IrParser.parse("""
                // a comment line
                graph T(%x: f32[B, 4]) {   // trailing comment
                  %c = const {value = dense<f32[]>[2.0]} : f32[]
                  return %x = %x, %two = %c
                }
                """);
        assertEquals("T", g.name());
        assertEquals("U", IrParser.parse("\uFEFFgraph U() {\r\n  return\r\n}\r\n").name(), "BOM and CRLF are fine");
        assertEquals(Shape.of(Dim.sym("B"), Dim.of(4)), g.inputs().get(0).shape());
        assertEquals(2.0, ((Constant) g.output("two").attrs().get("value")).value(0));
        assertTrue(Verifier.verify(g).isEmpty());
    }

    @Test void checkedModeFillsDefaultsAndChecksTypes() {
        Graph g = IrParser.parseChecked("graph P() params(%w: f32[3]) { return %w = %w }");
        assertEquals("zeros", g.params().get(0).attrs().getString("init"));
        assertEquals(true, g.params().get(0).attrs().getBool("trainable", false));
        assertTrue(IrParser.parse("graph P() params(%w: f32[3]) { return %w = %w }").params().get(0).attrs().asMap().size() == 3,
                "unchecked mode adds nothing");

        var e = assertThrows(IrParseException.class, () -> IrParser.parseChecked("""
                graph P() {
                  %0 = const {value = dense<f32[2]>[1.0, 2.0]} : f32[3]
                  return %y = %0
                }"""));
        assertEquals(2, e.line());
        assertEquals(8, e.column());
        assertEquals("<ir>:2:8: const produces f32[2] but the text says f32[3]", e.getMessage());

        var v = assertThrows(IrParseException.class, () -> IrParser.parseChecked("""
                graph P(%x: f32[2]) {
                  %0 = input {name = "z", dtype = f32, shape = shape[2]} : f32[2]
                  return %y = %0
                }"""));
        assertEquals(2, v.line(), v.getMessage());
        assertTrue(v.getMessage().contains("not declared"), v.getMessage());

        var s = assertThrows(IrParseException.class, () -> IrParser.parseChecked("graph P() { %0 = const {valu = 1} : f32[] return %y = %0 }"));
        assertTrue(s.getMessage().startsWith("<ir>:1:18: const has no attribute 'valu'"), s.getMessage());
    }

    @Test void errorsHaveLineColumnAndMessage() {
        assertError("graph G(%x: f33[2]) { return }", 1, 13, "unknown element type 'f33'");
        assertError("graph G(%x: f32[2]) {\n  %0 = frob(%x) : f32[2]\n  return %y = %0\n}", 2, 8, "unknown op 'frob'");
        assertError("graph G(%x: f32[2]) {\n  %0 = const(%q) : f32[2]\n  return %y = %0\n}", 2, 14, "undefined value %q");
        assertError("graph G(%x: f32[2]) {\n  %0 = const : f32[2]\n  %0 = const : f32[2]\n  return\n}", 3, 3, "value %0 is already defined at 2:3");
        assertError("graph G(%x: f32[2], %x: f32[2]) { return }", 1, 21, "value %x is already defined at 1:9");
        assertError("graph G(%x: f32[B+]) { return }", 1, 17, "bad dimension 'B+'");
        assertError("graph G(%x: f32[2) { return }", 1, 17, "unterminated shape");
        assertError("graph G() { %0 = const {value = dense<f32[2]>[1.0]} : f32[2] return }", 1, 33, "dense<f32[2]> needs 2 values, got 1");
        assertError("graph G() { %0 = const {v = \"abc} : f32[2] return }", 1, 29, "unterminated string");
        assertError("graph G() { %0 = const {v = \"a\\qb\"} : f32[2] return }", 1, 31, "unknown escape '\\q'");
        assertError("graph G() { %0 = const {v = foo} : f32[2] return }", 1, 29, "unexpected 'foo' in an attribute value");
        assertError("graph G() { %0 = const {v = 99999999999999999999} : f32[2] return }", 1, 29, "bad number '99999999999999999999'");
        assertError("graph G() { %0 = const {v = 1, v = 2} : f32[2] return }", 1, 32, "attribute 'v' given twice");
        assertError("graph G() { return }\nextra", 2, 1, "unexpected text after the end of graph G");
        assertError("graph G() {\n", 2, 1, "missing 'return'");
        assertError("", 1, 1, "expected 'graph' but the text ended");
        assertError("graph G(%0: f32[2]) { return }", 1, 9, "inputs are named");
        assertError("graph G() { return %y = %1 }", 1, 25, "undefined value %1");
        assertError("graph G() { %0 = const {v = " + "[".repeat(100) + "} : f32[] return }", 1, 93, "nested more than 64 deep");
        assertError("graph G(%x: f32[" + "(".repeat(100) + "B" + ")".repeat(100) + "]) { return }", 1, 81, "dimension nested more than 64 deep");
        assertError("graph G() { %0 = const {v = dense<f32[100000, 100000]>splat(0.0)} : f32[] return }", 1, 29,
                "dense constant f32[100000, 100000] has 10000000000 elements; the text form allows at most 16777216");
    }

    private static void assertError(String text, int line, int col, String msg) {
        var e = assertThrows(IrParseException.class, () -> IrParser.parse(text), text);
        assertTrue(e.detail().contains(msg), () -> "expected '" + msg + "' in: " + e.getMessage());
        assertEquals(line + ":" + col, e.line() + ":" + e.column(), () -> e.getMessage());
    }

    @Test void garbageNeverCrashesTheParser() {
        String good = IrPrinter.print(new Graph("G", List.of(input("x", DType.F32, sym("B"), Dim.of(3))),
                List.of(param("w", DType.F32, 3)),
                List.of(new Graph.Output("y", constant(DType.F32, new long[] {2}, 1.5, -2)))));
        java.util.Random r = new java.util.Random(42);
        String alphabet = "%[](){}<>,=:\"\\-+.0123456789abefinrsx \n/*";
        for (int trial = 0; trial < 1000; trial++) {
            StringBuilder sb = new StringBuilder(good);
            int edits = 1 + r.nextInt(4);
            for (int k = 0; k < edits; k++) {
                int at = r.nextInt(sb.length() + 1);
                switch (r.nextInt(3)) {
                    case 0 -> sb.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    case 1 -> { if (at < sb.length()) sb.deleteCharAt(at); }
                    default -> sb.setLength(at);
                }
            }
            try {
                IrParser.parse(sb.toString());
                IrParser.parse("fuzz", sb.toString(), IrParser.Mode.CHECKED);
            } catch (IrParseException expected) {
                assertTrue(expected.line() >= 1 && expected.column() >= 1);
            }
        }
    }

    @Test void severalGraphsInOneFile() {
        Graph a = new Graph("A", List.of(input("x", DType.F32, 2)), List.of(), List.of(new Graph.Output("y", input("x", DType.F32, 2))));
        Graph b = new Graph("B", List.of(input("x", DType.I64, 3)), List.of(), List.of(new Graph.Output("y", constant(DType.F32, new long[] {1}, 4))));
        String text = IrPrinter.print(a) + "\n// next\n" + IrPrinter.print(b);
        assertEquals(List.of(a, b), IrParser.parseAll("two.ir", text, IrParser.Mode.CHECKED));
        assertEquals(List.of(), IrParser.parseAll("empty.ir", "// nothing\n", IrParser.Mode.UNCHECKED));
        var e = assertThrows(IrParseException.class, () -> IrParser.parseAll("dup.ir", IrPrinter.print(a) + IrPrinter.print(a), IrParser.Mode.UNCHECKED));
        assertEquals("dup.ir:4:1: graph A is defined twice", e.getMessage());
    }
}
