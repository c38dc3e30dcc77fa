package org.dlm.stdlib;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Diagnostic;
import org.dlm.frontend.Frontend;
import org.dlm.ir.Graph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every std module compiles, and every layer, function and loss lowers with the right shapes. */
class StdlibTest {
    static String render(Compilation c) {
        StringBuilder sb = new StringBuilder();
        c.diagnostics().forEach(d -> sb.append(d.render()));
        return sb.toString();
    }

    static Graph model(String src, String name) {
        Compilation c = Frontend.compile("test.dlm", src);
        assertTrue(c.ok(), render(c));
        assertEquals(List.of(), c.diagnostics(), render(c));
        return c.models().get(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"std.ops", "std.nn", "std.losses"})
    void moduleCompilesWithoutDiagnostics(String module) {
        Compilation c = Frontend.compile("use.dlm", "import " + module + ".*\nmodel M { forward(x: f32[B, 2]) { return x } }\n");
        assertEquals(List.of(), c.diagnostics(), render(c));
        assertTrue(c.ok());
    }

    @Test
    void convolutionNormalizationAndPoolingLayers() {
        Graph g = model("""
                import std.nn.*
                import std.ops.{relu, flatten}
                model Vision {
                    conv = Conv2d(3, 8, kernel = 3, stride = 2, padding = 1)
                    dw = Conv2d(8, 8, 3, padding = [1, 1], groups = 8, bias = false)
                    bn = BatchNorm2d(8)
                    gn = GroupNorm(2, 8)
                    pool = MaxPool2d(2)
                    avg = AvgPool2d(kernel = 3, stride = 1, padding = 1)
                    fc = Linear(8 * 4 * 4, 32)
                    ln = LayerNorm(32)
                    drop = Dropout(0.1)
                    head = Sequential(Linear(32, 32), GELU(), Linear(32, 16), Tanh(), Identity())
                    forward(x: f32[B, 3, 16, 16]) -> f32[B, 16] {
                        let h = avg(pool(relu(gn(bn(dw(conv(x)))))))
                        return head(drop(ln(fc(flatten(h)))))
                    }
                }
                """, "Vision");
        assertEquals("f32[8, 3, 3, 3]", g.param("conv.weight").type().toString());
        assertEquals("f32[8, 1, 3, 3]", g.param("dw.weight").type().toString());
        assertNull(g.param("dw.bias"));
        assertEquals("f32[8]", g.param("bn.running_var").type().toString());
        assertEquals("f32[16, 32]", g.param("head.2.weight").type().toString());
        assertEquals("kaiming_uniform(fan_in=27, a=2.23606797749979)", g.param("conv.weight").attrs().getString("init"));
        assertEquals("uniform(low=-0.19245008972987526, high=0.19245008972987526)", g.param("conv.bias").attrs().getString("init"));
        assertEquals("f32[B, 16]", g.outputs().get(0).node().type().toString());
    }

    @Test
    void sequenceLayers() {
        Graph g = model("""
                import std.nn.*
                import std.ops.{mean}
                model Seq {
                    emb = Embedding(100, 32)
                    attn = MultiheadAttention(32, 4)
                    lstm = LSTMCell(32, 16)
                    gru = GRUCell(32, 16)
                    forward(ids: i64[B, T], h0: f32[B, 16], c0: f32[B, 16]) -> f32[B, 16] {
                        let x = mean(attn(emb(ids)), axis = 1)
                        let hc = lstm(x, h0, c0)
                        return gru(x, hc[0]) + hc[1]
                    }
                }
                """, "Seq");
        assertEquals(List.of("emb.weight", "attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias",
                "lstm.weight_ih", "lstm.weight_hh", "lstm.bias_ih", "lstm.bias_hh", "gru.weight_ih", "gru.weight_hh", "gru.bias_ih", "gru.bias_hh"),
                g.params().stream().map(p -> p.attrs().getString("name")).toList());
        assertEquals("f32[96, 32]", g.param("attn.in_proj_weight").type().toString());
        assertEquals("f32[64, 32]", g.param("lstm.weight_ih").type().toString());
        assertEquals("f32[48, 16]", g.param("gru.weight_hh").type().toString());
        assertEquals("f32[B, 16]", g.outputs().get(0).node().type().toString());
    }

    @Test
    void lossesAndFunctions() {
        Graph g = model("""
                import std.losses.*
                import std.ops.*
                model Loss {
                    forward(logits: f32[B, 10], labels: i64[B], t: f32[B, 10]) -> f32[] {
                        let p = softmax(logits)
                        let a = cross_entropy(logits, labels) + mse_loss(p, t) + l1_loss(p, t) + huber_loss(p, t, delta = 0.5)
                        let b = bce_with_logits(logits, t) + nll_loss(log_softmax(logits), labels)
                        let c = sum(swapaxes(reshape(p, [B, 2, 5]), 1, 2)[:, 0, 1:3]) / 10.0
                        return a + b + c + mean(concat([p, t], axis = 1)) + amax(hardswish(logits))
                    }
                }
                """, "Loss");
        assertEquals("f32[]", g.outputs().get(0).node().type().toString());
    }

    @Test
    void misuseOfAStdLayerIsReportedAtTheCall() {
        Compilation c = Frontend.compile("conv.dlm", """
                import std.nn.{Conv2d}
                model M {
                    conv = Conv2d(3, 8, kernel = 3)
                    forward(x: f32[B, 4, 16, 16]) { return conv(x) }
                }
                """);
        assertEquals(1, c.diagnostics().size(), render(c));
        Diagnostic d = c.diagnostics().get(0);
        assertEquals("Conv2d expects f32[N, 3, H, W], got f32[B, 4, 16, 16]", d.message());
        assertEquals("conv.dlm", d.file());
        assertEquals(4, d.line());
        assertEquals(44, d.column());
    }

    @Test
    void opShapeErrorsBecomeDiagnosticsAtTheExpression() {
        Compilation c = Frontend.compile("mm.dlm", """
                import std.ops.{relu}
                model M {
                    param w: f32[5, 3] = zeros()
                    forward(x: f32[B, 4]) {
                        let y = relu(x)
                        return y @ w
                    }
                }
                """);
        assertFalse(c.ok());
        assertEquals(1, c.diagnostics().size(), render(c));
        Diagnostic d = c.diagnostics().get(0);
        assertEquals(6, d.line());
        assertEquals(16, d.column());
        assertEquals(5, d.length());
        assertTrue(d.message().contains("matmul"), d.message());
    }

    @Test
    void unknownNameHintsTheStdImport() {
        Compilation c = Frontend.compile("m.dlm", "model M { forward(x: f32[B, 4]) { return relu(x) } }");
        assertEquals("import it: import std.ops.{relu}", c.diagnostics().get(0).hint());
    }

    @Test
    void errorsInsideTheStdLibraryAreShownAtTheUsersCall() {
        Compilation c = Frontend.compile("sm.dlm", """
                import std.ops.{softmax}
                model M {
                    forward(y: f32[B, 10]) {
                        return softmax(y, axis = 3)
                    }
                }
                """);
        assertEquals(1, c.diagnostics().size(), render(c));
        Diagnostic d = c.diagnostics().get(0);
        assertEquals("sm.dlm", d.file());
        assertEquals(4, d.line());
        assertEquals(16, d.column());
        assertEquals("softmax(y, axis = 3)".length(), d.length());
        assertTrue(d.hint().endsWith("(in std/ops.dlm:19)"), d.hint());
    }

    @Test
    void layerArgumentChecksReportAtTheConstruction() {
        Compilation c = Frontend.compile("mha.dlm", """
                import std.nn.{MultiheadAttention, Conv2d}
                model M {
                    attn = MultiheadAttention(30, 4)
                    conv = Conv2d(3, 8, 3, groups = 2)
                    forward(x: f32[B, 7, 30]) { return x }
                }
                """);
        assertEquals(List.of("3:12 MultiheadAttention: d (30) must be divisible by heads (4)",
                        "4:12 Conv2d: in (3) and out (8) must be divisible by groups (2)"),
                c.diagnostics().stream().map(d -> d.line() + ":" + d.column() + " " + d.message()).toList());
    }
}
