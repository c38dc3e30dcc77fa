package org.dlm.ir.text;

import static org.dlm.ir.IrFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.Verifier;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/** Text round trip, verifier and interpreter over graphs of real ops. */
class RealOpsIrTest {
    static Graph lenet() {
        Node x = input("x", DType.F32, sym("B"), Dim.of(1), Dim.of(28), Dim.of(28));
        Node c1w = Node.of("param", List.of(), Attrs.of("name", "conv1.weight", "dtype", DType.F32, "shape", Shape.of(6, 1, 5, 5),
                "init", "kaiming_uniform(fan_in=25)"));
        Node c1b = param("conv1.bias", DType.F32, 6);
        Node c2w = param("conv2.weight", DType.F32, 16, 6, 5, 5);
        Node c2b = param("conv2.bias", DType.F32, 16);
        Node fw = param("fc.weight", DType.F32, 10, 400);
        Node fb = param("fc.bias", DType.F32, 10);
        Node h = Node.of("conv2d", List.of(x, c1w, c1b), Attrs.of("padding", List.of(2, 2, 2, 2)));
        h = Node.of("max_pool2d", List.of(Node.of("relu", h)), Attrs.of("kernel", List.of(2, 2)));
        h = Node.of("conv2d", List.of(h, c2w, c2b), Attrs.EMPTY);
        h = Node.of("max_pool2d", List.of(Node.of("relu", h)), Attrs.of("kernel", List.of(2, 2)));
        Node logits = Node.of("linear", Node.of("flatten", h), fw, fb);
        Node probs = Node.of("softmax", List.of(logits), Attrs.of("axis", -1));
        return new Graph("LeNet", List.of(x), List.of(c1w, c1b, c2w, c2b, fw, fb),
                List.of(new Graph.Output("logits", logits), new Graph.Output("probs", probs)), Map.of("source", "lenet.dlm"));
    }

    static NdArray random(Random r, DType t, long... shape) {
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = r.nextGaussian() * 0.3;
        return new NdArray(t, shape, d);
    }

    @Test void lenetRoundTripsInBothModes() {
        Graph g = lenet();
        assertEquals(List.of(), Verifier.verify(g));
        String text = IrPrinter.print(g);
        assertEquals(g, IrTextTest.roundTrip(g));
        assertEquals(g, IrParser.parseChecked(text));
        assertTrue(text.startsWith("""
                graph LeNet(%x: f32[B, 1, 28, 28]) params(
                    %conv1.weight: f32[6, 1, 5, 5] {init = "kaiming_uniform(fan_in=25)", trainable = true},
                    %conv1.bias: f32[6] {init = "zeros", trainable = true},
                """), text);
        assertTrue(text.contains("    %fc.bias: f32[10] {init = \"zeros\", trainable = true}\n) meta {source = \"lenet.dlm\"} {\n"), text);
        assertTrue(text.contains("%0 = conv2d(%x, %conv1.weight, %conv1.bias) {dilation = [1, 1], groups = 1, padding = [2, 2, 2, 2], "
                + "stride = [1, 1]} : f32[B, 6, 28, 28]\n"), text);
        assertTrue(text.contains("%7 = linear(%6, %fc.weight, %fc.bias) : f32[B, 10]\n"), text);
        assertTrue(text.contains("return %logits = %7, %probs = %8\n"), text);
    }

    @Test void lenetRunsForAnyBatch() {
        Graph g = lenet();
        Random r = new Random(7);
        Map<String, NdArray> params = new java.util.HashMap<>();
        for (Node p : g.params()) params.put(p.attrs().getString("name"), random(r, DType.F32, p.shape().sizes()));
        for (long batch : new long[] {1, 3}) {
            Map<String, NdArray> out = Interpreter.run(g, Map.of("x", random(r, DType.F32, batch, 1, 28, 28)), params);
            assertArrayEquals(new long[] {batch, 10}, out.get("logits").shape());
            NdArray probs = out.get("probs");
            for (int b = 0; b < batch; b++) {
                double s = 0;
                for (int k = 0; k < 10; k++) s += probs.get(b, k);
                assertEquals(1.0, s, 1e-5);
            }
        }
        // deterministic: same inputs, same bits
        NdArray x = random(new Random(1), DType.F32, 2, 1, 28, 28);
        assertEquals(Interpreter.run(g, Map.of("x", x), params), Interpreter.run(g, Map.of("x", x), params));
    }

    @Test void mlpMatchesHandComputation() {
        Node x = input("x", DType.F32, sym("B"), Dim.of(3));
        Node w = param("w", DType.F32, 2, 3);
        Node b = param("b", DType.F32, 2);
        Node y = Node.of("relu", Node.of("linear", x, w, b));
        Graph g = new Graph("Mlp", List.of(x), List.of(w, b), List.of(new Graph.Output("y", y)));
        NdArray xa = NdArray.of(DType.F32, new long[] {2, 3}, 1, 2, 3, -1, 0, 1);
        NdArray wa = NdArray.of(DType.F32, new long[] {2, 3}, 1, 0, -1, 0.5, 0.5, 0.5);
        NdArray ba = NdArray.of(DType.F32, new long[] {2}, 0.25, -1);
        NdArray out = Interpreter.run(g, Map.of("x", xa), Map.of("w", wa, "b", ba)).get("y");
        // row 0: [1-3+0.25, 3-1] = [-1.75 -> 0, 2]; row 1: [-1-1+0.25, 0-1] = [0, 0]
        assertArrayEquals(new double[] {0, 2, 0, 0}, out.data());
    }

    @Test void verifierOnRealOps() {
        Node x = input("x", DType.F32, sym("B"), Dim.of(4));
        Node w = param("w", DType.F32, 4, 5);
        Node mm = Node.unchecked(OpTable.require("matmul"), List.of(x, w), Attrs.EMPTY, TensorType.of(DType.F32, sym("B"), Dim.of(4)));
        Node add1 = Node.unchecked(OpTable.require("add"), List.of(x), Attrs.EMPTY, x.type());
        Node soft = Node.unchecked(OpTable.require("softmax"), List.of(x), Attrs.of("axis", 1.5), x.type());
        Node conv = Node.unchecked(OpTable.require("max_pool2d"), List.of(x), Attrs.of("strides", List.of(1L)), x.type());
        Node bad = Node.unchecked(OpTable.require("matmul"), List.of(x, x), Attrs.EMPTY, x.type());
        Graph g = new Graph("Broken", List.of(x), List.of(w), List.of(new Graph.Output("a", mm), new Graph.Output("b", add1),
                new Graph.Output("c", soft), new Graph.Output("d", conv), new Graph.Output("e", bad)));
        List<String> ps = Verifier.verify(g).stream().map(Verifier.Problem::toString).toList();
        assertTrue(ps.contains("%0 = matmul: has type f32[B, 4] but matmul of f32[B, 4], f32[4, 5] gives f32[B, 5]"), ps::toString);
        assertTrue(ps.contains("%1 = add: add takes 2 operands, got 1"), ps::toString);
        assertTrue(ps.contains("%2 = softmax: attribute 'axis' must be an integer, got 1.5"), ps::toString);
        assertTrue(ps.stream().anyMatch(p -> p.startsWith("%3 = max_pool2d: unknown attribute 'strides' (known: kernel, stride,")), ps::toString);
        assertTrue(ps.contains("%3 = max_pool2d: missing required attribute 'kernel'"), ps::toString);
        assertTrue(ps.stream().anyMatch(p -> p.startsWith("%4 = matmul: shape rule rejects the operands: ")), ps::toString);
        // the broken graph survives a text round trip and the verifier finds the same problems
        Graph back = IrParser.parse(IrPrinter.print(g));
        assertEquals(ps, Verifier.verify(back).stream().map(Verifier.Problem::toString).toList());
    }

    @Test void checkedParseReportsShapeErrorsAtTheNode() {
        var e = assertThrows(IrParseException.class, () -> IrParser.parseChecked("""
                graph G(%x: f32[B, 4]) params(%w: f32[5, 6]) {
                  %0 = matmul(%x, %w) : f32[B, 6]
                  return %y = %0
                }"""));
        assertEquals(2, e.line());
        assertEquals(8, e.column());
        assertTrue(e.detail().startsWith("matmul"), e.getMessage());
    }

    @Test void fuzzedLenetTextNeverCrashes() {
        String good = IrPrinter.print(lenet());
        Random r = new Random(3);
        String alphabet = "%[](){}<>,=:\"-+.0123456789abefinrsxBHT_ \n*/";
        int parsed = 0;
        for (int trial = 0; trial < 400; trial++) {
            StringBuilder sb = new StringBuilder(good);
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                int at = r.nextInt(sb.length());
                if (r.nextBoolean()) sb.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
                else sb.deleteCharAt(at);
            }
            for (IrParser.Mode mode : IrParser.Mode.values()) {
                try {
                    Graph g = IrParser.parse("fuzz.ir", sb.toString(), mode);
                    Verifier.verify(g);
                    IrPrinter.print(g);
                    parsed++;
                } catch (IrParseException expected) {
                    assertTrue(expected.getMessage().startsWith("fuzz.ir:"), expected.getMessage());
                }
            }
        }
        assertTrue(parsed > 0, "some mutations (e.g. in comments or spacing) still parse");
    }

    @Test void floorDivisionDimsRoundTrip() {
        Dim h = sym("H");
        Node x = input("x", DType.F32, sym("B"), h, h.minus(3).floorDiv(2).plus(1), h.minus(3).floorDiv(2).times(2));
        Graph g = new Graph("Dims", List.of(x), List.of(), List.of(new Graph.Output("y", Node.of("relu", x))));
        IrTextTest.roundTrip(g);
        assertTrue(IrPrinter.print(g).startsWith("graph Dims(%x: f32[B, H, (H-3)/2+1, 2*((H-3)/2)])"), IrPrinter.print(g));
        assertEquals(List.of(), Verifier.verify(g));
    }
}
