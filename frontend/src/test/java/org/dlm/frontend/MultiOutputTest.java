package org.dlm.frontend;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.dlm.frontend.emit.DlmWriter;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/** A model's forward with several results: graph outputs, checking of arity and types, and the writer. */
class MultiOutputTest {
    static String render(Compilation c) { return DiagnosticsTest.render(c); }

    private static final String TWO = """
            model Two {
                param w: f32[4, 3] = zeros()
                forward(x: f32[B, 4]) -> (logits: f32[B, 3], probs: f32[B, 3]) {
                    let z = x @ w
                    return (z, prim.softmax(z, axis = -1))
                }
            }
            """;

    @Test
    void severalResultsAreNamedGraphOutputs() {
        Compilation c = Frontend.compile("two.dlm", TWO);
        assertTrue(c.ok(), render(c));
        Graph g = c.models().get("Two");
        assertEquals(List.of("logits", "probs"), g.outputs().stream().map(Graph.Output::name).toList());
        assertEquals("f32[B, 3]", g.outputs().get(1).node().type().toString());
        NdArray x = new NdArray(DType.F32, new long[] {1, 4}, new double[] {1, 2, 3, 4});
        NdArray w = new NdArray(DType.F32, new long[] {4, 3}, new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0});
        Map<String, NdArray> out = Interpreter.run(g, Map.of("x", x), Map.of("w", w));
        assertArrayEquals(new double[] {1, 2, 3}, out.get("logits").data());
        double e = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertEquals(Math.exp(3) / e, out.get("probs").get(2), 1e-6);
    }

    @Test
    void returningTooFewOrTooManyValuesIsAnError() {
        Compilation c = Frontend.compile("m.dlm", """
                model A {
                    forward(x: f32[B, 4]) -> (a: f32[B, 4], b: f32[B, 4]) {
                        return x
                    }
                }
                model C {
                    forward(x: f32[B, 4]) -> f32[B, 4] {
                        return (x, x)
                    }
                }
                fn f(x) {
                    return (x, x)
                }
                """);
        assertEquals("""
                m.dlm:3:9: error: forward declares 2 results (a, b) but returns one value
                 3 |         return x
                   |         ^^^^^^^^
                   hint: return all of them in order: return (a, b)
                m.dlm:8:9: error: return gives 2 values, but the forward declares one result
                 8 |         return (x, x)
                   |         ^^^^^^^^^^^^^
                   hint: declare the model's results: forward(...) -> (a: f32[...], b: f32[...])
                m.dlm:12:5: error: return gives 2 values, but a function returns one value
                 12 |     return (x, x)
                    |     ^^^^^^^^^^^^^
                   hint: return a list: return [a, b]
                """, render(c));
        assertTrue(c.models().isEmpty());
    }

    @Test
    void aResultOfTheWrongTypeIsReportedAtItsDeclaration() {
        Compilation c = Frontend.compile("m.dlm", """
                model M {
                    forward(x: f32[B, 4]) -> (same: f32[B, 4], sum: f32[B, 4]) {
                        return (x, prim.reduce_sum(x, axes = [1]))
                    }
                }
                """);
        assertFalse(c.ok());
        String r = render(c);
        assertTrue(r.startsWith("m.dlm:2:53: error: result 'sum' of model M is declared as f32[B, 4], got f32[B]"), r);
        assertTrue(c.models().isEmpty());
    }

    @Test
    void duplicateResultNamesAndSeveralResultsInALayerAreErrors() {
        Compilation c = Frontend.compile("m.dlm", """
                fn Pair() {
                    forward(x: f32[B, 4]) -> (a: f32[B, 4], b: f32[B, 4]) { return (x, x) }
                }
                model M {
                    p = Pair()
                    forward(x: f32[B, 4]) -> (y: f32[B, 4], y: f32[B, 4]) {
                        return (x, p(x))
                    }
                }
                """);
        String r = render(c);
        assertTrue(r.contains("m.dlm:2:45: error: layer Pair declares 2 results; only a model's forward may have several (they are its graph outputs)"), r);
        assertTrue(r.contains("m.dlm:6:45: error: result 'y' is declared twice"), r);
        assertTrue(c.models().isEmpty());
    }

    @Test
    void aResultNamedLikeAnInputIsAnError() {
        Compilation c = Frontend.compile("m.dlm", """
                model M {
                    forward(x: f32[B, 4]) -> (y: f32[B, 4], x: f32[B, 4]) { return (x, x) }
                }
                """);
        assertTrue(render(c).contains("error: the output is named 'x' like an input"), render(c));
    }

    @Test
    void writtenMultiOutputGraphsCompileBackToTheSameOutputs() {
        Graph g = Frontend.compile("two.dlm", TWO).models().get("Two");
        DlmWriter.Result r = DlmWriter.emit(g);
        assertEquals(List.of("logits", "probs"), r.outputNames());
        assertTrue(r.text().contains("-> (logits: f32[B, 3], probs: f32[B, 3]) {"), r.text());
        Compilation back = Frontend.compile("back.dlm", r.text());
        assertTrue(back.ok(), render(back) + r.text());
        Graph g2 = back.models().values().iterator().next();
        assertEquals(List.of("logits", "probs"), g2.outputs().stream().map(Graph.Output::name).toList());
        NdArray x = new NdArray(DType.F32, new long[] {2, 4}, new double[] {1, 2, 3, 4, -1, 0, 1, 0.5});
        NdArray w = new NdArray(DType.F32, new long[] {4, 3}, new double[] {1, 0, 2, 0, 1, 0, 3, 0, 1, 0, -1, 0});
        assertEquals(Interpreter.run(g, Map.of("x", x), Map.of("w", w)), Interpreter.run(g2, Map.of("x", x), Map.of("w", w)));
    }
}
