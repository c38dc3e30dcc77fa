package org.dlm.frontend;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void languageFeaturesLowerToTheExpectedTypes() {
        Compilation c = Frontend.compile("f.dlm", """
                fn fib(n: int) = if n < 2 then n else fib(n - 1) + fib(n - 2)
                fn first_even(xs: list) {
                    for x in xs {
                        if x % 2 == 0 { return x } else if x > 100 { return -1 }
                    }
                    return none
                }
                fn merge(x: f32[N, T, D]) -> f32[N * T, D] = prim.reshape(x, shape = [N * T, D])
                fn Scale(k: float) {
                    forward(x) { return x * k }
                }
                model M {
                    let sizes = [fib(10), first_even([3, 5, 8, 9])][0:2]
                    scales = [Scale(float(i) / 2.0) for i in 1..4]
                    label = "w" + sizes[0] + "_" + len(scales)
                    forward(x: f32[B, T, 4]) -> f32[B * T, 2] {
                        let y = merge(x)
                        for s in scales[1:] { y = s(y) }
                        let z = y[:, 1:3] + y[:, ::2] * 2.0 - (-y[:, 0:2]) ** 2
                        return if label == "w55_3" and sizes[1] == 8 then z else y
                    }
                }
                """);
        assertTrue(c.ok(), DiagnosticsTest.render(c));
        Graph g = c.models().get("M");
        assertEquals("f32[B*T, 2]", g.outputs().get(0).node().type().toString());
        assertEquals("f32[B, T, 4]", g.inputs().get(0).type().toString());
    }

    @Test
    void importsResolveRelativeToTheFile(@TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("layers"));
        java.nio.file.Files.writeString(dir.resolve("layers/blocks.dlm"), """
                fn Affine(n: int) {
                    param w: f32[n] = ones()
                    forward(x: f32[B, n]) { return x }
                }
                fn helper(x) = x
                """);
        java.nio.file.Files.writeString(dir.resolve("main.dlm"), """
                import layers.blocks.{Affine as A}
                import layers.blocks
                model M {
                    a = A(3)
                    forward(x: f32[B, 3]) { return blocks.helper(a(x)) }
                }
                """);
        Compilation c = Frontend.compile(dir.resolve("main.dlm"));
        assertTrue(c.ok(), DiagnosticsTest.render(c));
        assertEquals(List.of("a.w"), c.models().get("M").params().stream().map(p -> p.attrs().getString("name")).toList());

        java.nio.file.Files.writeString(dir.resolve("bad.dlm"), "import layers.missing\nimport layers.blocks.{Afine}\nmodel M { forward(x: f32[B]) { return x } }\n");
        Compilation bad = Frontend.compile(dir.resolve("bad.dlm"));
        assertEquals(List.of("module 'layers.missing' not found", "module 'layers.blocks' has no 'Afine'"),
                bad.diagnostics().stream().map(Diagnostic::message).toList());
        assertEquals("did you mean 'Affine'?", bad.diagnostics().get(1).hint());
    }
}
