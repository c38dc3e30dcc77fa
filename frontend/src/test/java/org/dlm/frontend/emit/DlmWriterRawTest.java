package org.dlm.frontend.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Frontend;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/** Graphs without std layers (this module has no std library): params as nested generated layers and lists. */
class DlmWriterRawTest {
    static Node param(String name, boolean trainable, long... dims) {
        List<Dim> d = java.util.Arrays.stream(dims).mapToObj(Dim::of).toList();
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", new Shape(d), "trainable", trainable));
    }

    @Test
    void dottedAndNumberedParamNamesSurvive() {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", new Shape(List.of(Dim.sym("B"), Dim.of(2)))));
        Node a = param("enc.layers.0.w", true, 2, 2), b = param("enc.layers.2.w", true, 2, 2), s = param("enc.stats.scale", false, 2);
        Node y = Node.of("mul", Node.of("matmul", Node.of("tanh", Node.of("matmul", x, a)), b), s);
        Graph g = new Graph("Enc", List.of(x), List.of(a, b, s), List.of(new Graph.Output("output", y)));
        DlmWriter.Result r = DlmWriter.emit(g);
        String t = r.text();
        assertTrue(t.contains("layers = [Enc_layers_0(), none, Enc_layers_2()]") || t.contains("layers = [Enc_Layers_0(), none, Enc_Layers_2()]"), t);
        assertTrue(t.contains("buffer scale: f32[2] = zeros()"), t);
        assertTrue(t.contains("enc.layers[2].w"), t);
        Compilation c = Frontend.compile("enc.dlm", t);
        assertTrue(c.ok(), c.diagnostics() + "\n" + t);
        Graph back = c.models().get("Enc");
        assertEquals(List.of("enc.layers.0.w", "enc.layers.2.w", "enc.stats.scale"),
                back.params().stream().map(p -> p.attrs().getString("name")).sorted().toList());
        assertEquals(false, back.param("enc.stats.scale").attrs().getBool("trainable", true));
        Map<String, NdArray> w = Map.of("enc.layers.0.w", new NdArray(DType.F32, new long[] {2, 2}, new double[] {1, 2, 3, 4}),
                "enc.layers.2.w", new NdArray(DType.F32, new long[] {2, 2}, new double[] {0.5, -1, 2, 0}),
                "enc.stats.scale", new NdArray(DType.F32, new long[] {2}, new double[] {3, -2}));
        Map<String, NdArray> in = Map.of("x", new NdArray(DType.F32, new long[] {3, 2}, new double[] {0.1, 0.2, -0.3, 0.4, 1, -1}));
        NdArray want = Interpreter.run(g, in, w).get("output"), got = Interpreter.run(back, in, w).get("output");
        assertEquals(0.0, want.maxAbsDiff(got));
    }
}
