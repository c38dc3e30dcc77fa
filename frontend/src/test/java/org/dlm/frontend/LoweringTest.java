package org.dlm.frontend;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.junit.jupiter.api.Test;

/** Layer placement and parameter naming (PyTorch state_dict paths), checked without tensor ops. */
class LoweringTest {
    @Test
    void paramsAreNamedByTheirPathLikeAStateDict() {
        Compilation c = Frontend.compile("net.dlm", """
                fn Block(n: int) {
                    param w: f32[n, n] = normal(std = 0.02)
                    buffer s: f32[n] = ones()
                    forward(x) { return x }
                }
                model Net {
                    a = Block(2)
                    seq = Sequential(Block(3), Block(4))
                    many = [Block(5) for i in 0..2]
                    param top: f32[7] = zeros()
                    forward(x: f32[B, 3]) -> f32[B, 3] { return many[1](seq(a(x))) }
                }
                """);
        assertTrue(c.ok(), DiagnosticsTest.render(c));
        Graph g = c.models().get("Net");
        assertEquals(List.of("a.w", "a.s", "seq.0.w", "seq.0.s", "seq.1.w", "seq.1.s", "many.0.w", "many.0.s", "many.1.w", "many.1.s", "top"),
                g.params().stream().map(p -> p.attrs().getString("name")).toList());
        Node w = g.param("seq.1.w");
        assertEquals("f32[4, 4]", w.type().toString());
        assertEquals("normal(mean=0.0, std=0.02)", w.attrs().getString("init"));
        assertTrue(w.attrs().getBool("trainable", true));
        assertFalse(g.param("seq.1.s").attrs().getBool("trainable", true));
        assertEquals("ones()", g.param("seq.1.s").attrs().getString("init"));
        assertEquals("f32[B, 3]", g.inputs().get(0).type().toString());
        assertSame(g.inputs().get(0), g.output("output"));
    }

    @Test
    void compileTimeValuesFoldAndConditionalMembersFollowArguments() {
        Compilation c = Frontend.compile("cfg.dlm", """
                fn Opt(n: int, extra: bool) {
                    param w: f32[n * 2 + 1, n / 2, 2 ** 3, 7 % 4] = kaiming_uniform(fan_in = n, a = 2.0)
                    if extra { param e: f32[n] = constant(0.5) } else { let e = none }
                    forward(x) { return if e == none then x else x }
                }
                fn widths(k: int) = [w * 2 for w in 1..k + 1 if w != 2]
                model M {
                    let ws = widths(4)
                    o1 = Opt(ws[0], true)
                    o2 = Opt(ws[-1], extra = false)
                    forward(x: f32[B, 3]) { return o2(o1(x)) }
                }
                """);
        assertTrue(c.ok(), DiagnosticsTest.render(c));
        Graph g = c.models().get("M");
        assertEquals(List.of("o1.w", "o1.e", "o2.w"), g.params().stream().map(p -> p.attrs().getString("name")).toList());
        assertEquals("f32[5, 1, 8, 3]", g.param("o1.w").type().toString());
        assertEquals("f32[17, 4, 8, 3]", g.param("o2.w").type().toString());
        assertEquals("kaiming_uniform(fan_in=8, a=2.0)", g.param("o2.w").attrs().getString("init"));
        assertEquals("constant(value=0.5)", g.param("o1.e").attrs().getString("init"));
    }

    @Test
    void trainBlockBecomesATrainSpec() {
        Compilation c = Frontend.compile("t.dlm", """
                model M { forward(x: f32[B, 3]) { return x } }
                train M {
                    data = mnist("data/mnist", split = 0.9)
                    loss = cross_entropy(logits, labels)
                    optimizer = adam(lr = 1e-3, weight_decay = 1e-4)
                    schedule = warmup(100) then cosine()
                    epochs = 10; batch = 64; early_stop = patience(3, on = val.accuracy)
                }
                """);
        assertTrue(c.ok(), DiagnosticsTest.render(c));
        TrainSpec t = c.trainSpecs().get("M");
        assertEquals("M", t.model());
        assertEquals(10L, t.settings().get("epochs"));
        assertEquals(64L, t.settings().get("batch"));
        assertEquals(new TrainSpec.Call("adam", List.of(), java.util.Map.of("lr", 1e-3, "weight_decay", 1e-4)), t.settings().get("optimizer"));
        assertEquals(new TrainSpec.Call("mnist", List.of("data/mnist"), java.util.Map.of("split", 0.9)), t.settings().get("data"));
        assertEquals(new TrainSpec.Call("then", List.of(new TrainSpec.Call("warmup", List.of(100L), java.util.Map.of()),
                new TrainSpec.Call("cosine", List.of(), java.util.Map.of())), java.util.Map.of()), t.settings().get("schedule"));
        assertEquals(new TrainSpec.Call("patience", List.of(3L), java.util.Map.of("on", "val.accuracy")), t.settings().get("early_stop"));
    }

    @Test
    void trainBlockValuesAreChecked() {
        Compilation c = Frontend.compile("t.dlm", """
                model M { forward(x: f32[B, 3]) { return x } }
                train N {
                    data = mnist("data/mnist")
                    loss = cross_entropie(logits, labels)
                    optimizer = adam(lr = -1.0)
                    epochs = 0
                }
                """);
        assertEquals(List.of("train names unknown model 'N'", "unknown loss 'cross_entropie'",
                        "learning rate must be a positive number, got -1.0", "epochs must be a positive integer, got 0"),
                c.diagnostics().stream().map(Diagnostic::message).toList());
    }

    @Test
    void forwardNamesTheGraphOutputAndTheLossMustUseIt() {
        Compilation c = Frontend.compile("o.dlm", """
                model M { forward(x: f32[B, 3]) -> scores: f32[B, 3] { return x } }
                train M {
                    data = mnist("data/mnist")
                    loss = cross_entropy(logits, labels)
                    optimizer = sgd(lr = 0.1)
                }
                """);
        assertEquals(List.of("loss uses 'logits' but the output of model M is named 'scores'"),
                c.diagnostics().stream().map(Diagnostic::message).toList());
        assertEquals("write cross_entropy(scores, labels)", c.diagnostics().get(0).hint());
        Compilation ok = Frontend.compile("o.dlm", "model M { forward(x: f32[B, 3]) -> scores: f32[B, 3] { return x } }");
        assertEquals(List.of("scores"), ok.models().get("M").outputs().stream().map(Graph.Output::name).toList());
    }
}
