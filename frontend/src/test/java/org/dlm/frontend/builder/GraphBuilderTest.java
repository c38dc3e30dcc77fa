package org.dlm.frontend.builder;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Shape;
import org.dlm.ir.Verifier;
import org.dlm.ir.text.IrParser;
import org.dlm.ir.text.IrPrinter;
import org.junit.jupiter.api.Test;

class GraphBuilderTest {
    /** The line number of the caller. */
    private static int here() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst().orElseThrow().getLineNumber()); }

    private static void assertAt(int line, DlmBuildException e) {
        assertEquals("GraphBuilderTest.java", e.file(), e.getMessage());
        assertEquals(line, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith("GraphBuilderTest.java:" + line + ": "), e.getMessage());
    }

    @Test void leavesAndParamSettingsLandInTheGraph() {
        var b = new GraphBuilder("Leaves");
        Value x = b.input("x", DType.F32, "B", 784);
        Param w = b.param("fc1.weight", DType.F32, 512, 784);
        Param mean = b.param("bn.mean", DType.F32, 512);
        Value c = b.constant(DType.F32, new long[] {2}, 1, 2);
        b.output("x", x).output("w", w).output("mean", mean).output("c", c);
        w.init("kaiming_uniform");           // after use: build() still applies it
        mean.trainable(false);
        Graph g = b.build();
        assertEquals(Shape.of(Dim.sym("B"), Dim.of(784)), g.inputs().get(0).shape());
        assertEquals("kaiming_uniform", g.param("fc1.weight").attrs().getString("init"));
        assertFalse(g.param("bn.mean").attrs().getBool("trainable", true));
        assertSame(g.param("fc1.weight"), g.output("w"), "uses of the param see the final node");
        assertEquals(List.of(), Verifier.verify(g));
        assertEquals(g, IrParser.parse(IrPrinter.print(g)));
        assertEquals("""
                graph Leaves(%x: f32[B, 784]) params(
                    %fc1.weight: f32[512, 784] {init = "kaiming_uniform", trainable = true},
                    %bn.mean: f32[512] {init = "zeros", trainable = false}
                ) {
                  %0 = const {value = dense<f32[2]>[1.0, 2.0]} : f32[2]
                  return %x = %x, %w = %fc1.weight, %mean = %bn.mean, %c = %0
                }
                """, IrPrinter.print(g));
    }

    @Test void unknownOpPointsAtTheCaller() {
        var b = new GraphBuilder("M");
        Value x = b.input("x", DType.F32, "B", 3);
        int line = here(); var e = assertThrows(DlmBuildException.class, () -> x.op("frobnicate"));
        assertAt(line, e);
        assertEquals("unknown op 'frobnicate'", e.problem());
        assertEquals("the op catalogue is docs/ops.md", e.hint());
        assertTrue(e.getMessage().endsWith("\n  hint: the op catalogue is docs/ops.md"), e.getMessage());
    }

    @Test void attributeErrorsCarryTheOpHint() {
        var b = new GraphBuilder("M");
        int line = here(); var e = assertThrows(DlmBuildException.class, () -> b.op("const", Map.of("valu", 1)));
        assertAt(line, e);
        assertEquals("const has no attribute 'valu'", e.problem());
        assertEquals("known attributes: value", e.hint());
    }

    @Test void namingMistakes() {
        var b = new GraphBuilder("M");
        b.input("x", DType.F32, 3);
        int l1 = here(); var e1 = assertThrows(DlmBuildException.class, () -> b.param("x", DType.F32, 3));
        assertAt(l1, e1);
        assertEquals("parameter name 'x' is already used by an input", e1.problem());
        int l2 = here(); var e2 = assertThrows(DlmBuildException.class, () -> b.param("w", DType.F32, "N", 3));
        assertAt(l2, e2);
        assertEquals("parameter w has symbolic shape [N, 3]; parameter shapes are static", e2.problem());
        int l3 = here(); var e3 = assertThrows(DlmBuildException.class, () -> b.input("y", DType.F32, "B+", 3));
        assertAt(l3, e3);
        assertEquals("input y: bad dimension 'B+'", e3.problem());
        int l4 = here(); var e4 = assertThrows(DlmBuildException.class, () -> b.input("z", DType.F32, 2.5));
        assertAt(l4, e4);
        assertEquals("input z: a dimension must be an int or a symbol name, got Double 2.5", e4.problem());
        int l5 = here(); var e5 = assertThrows(DlmBuildException.class, () -> b.build());
        assertAt(l5, e5);
        assertEquals("model M has no outputs", e5.problem());
    }

    @Test void valuesDoNotCrossBuilders() {
        var a = new GraphBuilder("A");
        var b = new GraphBuilder("B");
        Value x = a.input("x", DType.F32, 3);
        int line = here(); var e = assertThrows(DlmBuildException.class, () -> b.output("y", x));
        assertAt(line, e);
        assertEquals("output y belongs to model A, not B", e.problem());
        b.output("c", b.constant(DType.F32, 1));
        int l2 = here(); var e2 = assertThrows(DlmBuildException.class, () -> b.output("c", b.constant(DType.F32, 2)));
        assertAt(l2, e2);
        assertEquals("output 'c' is defined twice", e2.problem());
    }

    @Test void constantShapeMismatch() {
        var b = new GraphBuilder("M");
        int line = here(); var e = assertThrows(DlmBuildException.class, () -> b.constant(DType.F32, new long[] {2, 2}, 1, 2, 3));
        assertAt(line, e);
        assertEquals("constant of f32[2, 2] needs 4 values, got 3", e.problem());
    }

    @Test void mlpWithRealOps() {
        var b = new GraphBuilder("Mlp");
        Value x = b.input("x", DType.F32, "B", 784);
        Param w1 = b.param("fc1.weight", DType.F32, 512, 784).init("kaiming_uniform");
        Value h = x.linear(w1, b.param("fc1.bias", DType.F32, 512)).relu();
        Value logits = h.linear(b.param("fc2.weight", DType.F32, 10, 512), b.param("fc2.bias", DType.F32, 10));
        b.output("logits", logits).output("probs", logits.softmax());
        Graph g = b.build();
        assertEquals("f32[B, 10]", g.output("logits").type().toString());
        assertEquals(List.of(), Verifier.verify(g));
        assertEquals(g, IrParser.parseChecked(IrPrinter.print(g)));
        assertEquals(4, g.params().size());
    }

    @Test void lenetWithRealOps() {
        var b = new GraphBuilder("LeNet");
        Value x = b.input("x", DType.F32, "B", 1, 28, 28);
        Value h = x.conv2d(b.param("conv1.weight", DType.F32, 6, 1, 5, 5), b.param("conv1.bias", DType.F32, 6), 1, 2).relu().maxPool2d(2);
        h = h.conv2d(b.param("conv2.weight", DType.F32, 16, 6, 5, 5), b.param("conv2.bias", DType.F32, 16)).relu().maxPool2d(2, 2);
        Value logits = h.flatten().linear(b.param("fc.weight", DType.F32, 10, 400), b.param("fc.bias", DType.F32, 10));
        Value scaled = logits.mul(0.5).add(logits.reshape("B", 2, 5).transpose(0, 2, 1).reshape("B", 10)).sum(1);
        b.output("logits", logits).output("scaled", scaled);
        Graph g = b.build();
        assertEquals("f32[B, 10]", g.output("logits").type().toString());
        assertEquals("f32[B]", g.output("scaled").type().toString());
        assertEquals(List.of(), Verifier.verify(g));
        String text = IrPrinter.print(g);
        assertTrue(text.contains("conv2d(%x, %conv1.weight, %conv1.bias) {dilation = [1, 1], groups = 1, padding = [2, 2, 2, 2], stride = [1, 1]} : f32[B, 6, 28, 28]"), text);
        assertEquals(g, IrParser.parseChecked(text));
    }

    @Test void shapeErrorsPointAtTheCallerWithTheOpMessage() {
        var b = new GraphBuilder("Bad");
        Value x = b.input("x", DType.F32, "B", 16, 5, 5);
        Param w = b.param("fc.weight", DType.F32, 120, 400);
        int line = here(); var e = assertThrows(DlmBuildException.class, () -> x.linear(w));
        assertAt(line, e);
        assertTrue(e.problem().startsWith("linear"), e.problem());
        assertTrue(e.problem().contains("f32[B, 16, 5, 5]"), e.problem());

        Value v = b.input("v", DType.F32, "B", 3);
        Value i = b.input("i", DType.I64, "B", 3);
        int l2 = here(); var e2 = assertThrows(DlmBuildException.class, () -> v.add(i));
        assertAt(l2, e2);
        assertTrue(e2.problem().contains("f32") && e2.problem().contains("i64"), e2.problem());

        int l3 = here(); var e3 = assertThrows(DlmBuildException.class, () -> v.op("softmax", Map.of("axis", 2.5)));
        assertAt(l3, e3);
        assertEquals("softmax attribute 'axis' must be an integer, got 2.5", e3.problem());
    }

    @Test void genericOpReachesTheWholeTable() {
        var b = new GraphBuilder("Generic");
        Value x = b.input("x", DType.F32, "B", 4);
        Value y = b.op("clip", Map.of("min", 0.0, "max", 6.0), x);
        Value z = y.op("gemm", Map.of("trans_b", true), b.param("w", DType.F32, 3, 4));
        b.output("z", z);
        Graph g = b.build();
        assertEquals("f32[B, 3]", g.output("z").type().toString());
        assertEquals(true, g.output("z").attrs().getBool("trans_b", false));
    }

    @Test void everyShortcutNamesARealOp() {
        var b = new GraphBuilder("All");
        Value x = b.input("x", DType.F32, "B", 4);
        Value img = b.input("img", DType.F32, "B", 2, 8, 8);
        Value w = b.param("w", DType.F32, 3, 4);
        List<Value> vs = List.of(
                x.add(x), x.add(1), x.sub(x), x.sub(1), x.mul(x), x.mul(2), x.div(x), x.div(2), x.pow(x), x.pow(2), x.max(x), x.min(x),
                x.neg(), x.abs(), x.exp(), x.log(), x.sqrt(), x.rsqrt(), x.sigmoid(), x.tanh(), x.relu(), x.gelu(), x.silu(),
                x.softplus(), x.leakyRelu(0.1), x.cast(DType.F64), x.matmul(w.transpose()), x.linear(w), x.linear(w, b.param("b", DType.F32, 3)),
                x.reshape("B", 2, 2), img.flatten(), img.flatten(2), x.transpose(), x.unsqueeze(0).squeeze(0), x.concat(1, x),
                x.sum(), x.sum(1), x.mean(1), x.reduceMax(0), x.argmax(1), x.softmax(), x.softmax(0), x.logSoftmax(), x.logSoftmax(1),
                img.conv2d(b.param("k", DType.F32, 3, 2, 3, 3)), img.conv2d(b.param("k2", DType.F32, 3, 2, 3, 3), null, Map.of("groups", 1)),
                img.maxPool2d(2), img.maxPool2d(3, 1), img.avgPool2d(2, 2), img.globalAvgPool(), x.dropout(0.1, false));
        for (int i = 0; i < vs.size(); i++) b.output("o" + i, vs.get(i));
        Graph g = b.build();
        assertEquals(List.of(), Verifier.verify(g));
        assertEquals("f32[B, 8]", vs.get(34).type().toString());
        assertEquals("i64[B]", vs.get(39).type().toString());
        assertEquals("f32[B, 3, 6, 6]", vs.get(44).type().toString());
        assertEquals(g, IrParser.parseChecked(IrPrinter.print(g)));
    }

    @Test void normsEmbeddingAttentionAndLosses() {
        var b = new GraphBuilder("Misc");
        Value ids = b.input("ids", DType.I64, "B", "T");
        Value labels = b.input("labels", DType.I64, "B");
        Value img = b.input("img", DType.F32, "B", 4, 3, 3);
        Value h = b.param("emb", DType.F32, 100, 8).embedding(ids);
        h = h.layerNorm(b.param("ln.g", DType.F32, 8), b.param("ln.b", DType.F32, 8));
        h = h.attention(h, h, true);
        Value logits = h.mean(1).linear(b.param("out", DType.F32, 5, 8));
        Value bn = img.batchNorm(b.param("bn.g", DType.F32, 4), b.param("bn.b", DType.F32, 4),
                b.param("bn.m", DType.F32, 4).trainable(false), b.param("bn.v", DType.F32, 4).init("ones").trainable(false), 1e-5, false);
        b.output("loss", logits.crossEntropy(labels)).output("mse", bn.mseLoss(img)).output("h", h);
        Graph g = b.build();
        assertEquals("f32[]", g.output("loss").type().toString());
        assertEquals("f32[]", g.output("mse").type().toString());
        assertEquals("f32[B, T, 8]", g.output("h").type().toString());
        assertEquals(List.of(), Verifier.verify(g));
        assertEquals("ones", g.param("bn.v").attrs().getString("init"));
    }
}
