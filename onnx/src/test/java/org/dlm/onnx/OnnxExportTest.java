package org.dlm.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exported models are run by ONNX Runtime and compared with the reference interpreter. */
class OnnxExportTest {
    @TempDir Path tmp;

    /** Runs an f32-in, f32-out model in ONNX Runtime. */
    static Map<String, NdArray> ort(ModelProto m, Map<String, NdArray> inputs) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(m.toByteArray(), o)) {
                Map<String, OnnxTensor> feed = new HashMap<>();
                for (var e : inputs.entrySet()) {
                    float[] f = new float[e.getValue().size()];
                    for (int i = 0; i < f.length; i++) f[i] = (float) e.getValue().get(i);
                    feed.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(f), e.getValue().shape()));
                }
                Map<String, NdArray> out = new LinkedHashMap<>();
                try (OrtSession.Result r = s.run(feed)) {
                    for (var e : r) {
                        OnnxTensor t = (OnnxTensor) e.getValue();
                        FloatBuffer fb = t.getFloatBuffer();
                        double[] d = new double[fb.remaining()];
                        for (int i = 0; i < d.length; i++) d[i] = fb.get(i);
                        out.put(e.getKey(), new NdArray(DType.F32, t.getInfo().getShape(), d));
                    }
                } finally {
                    feed.values().forEach(OnnxTensor::close);
                }
                return out;
            }
        }
    }

    private static NdArray random(Random rnd, double scale, long... shape) {
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = rnd.nextGaussian() * scale;
        return new NdArray(DType.F32, shape, d);
    }

    private static void assertClose(NdArray want, NdArray got, double tol, String what) {
        assertEquals(List.of(want.shape().length), List.of(got.shape().length), what);
        double err = want.maxAbsDiff(got), mag = 0;
        for (double v : want.data()) mag = Math.max(mag, Math.abs(v));
        assertTrue(err <= tol * Math.max(1, mag), what + ": max |diff| " + err + " (largest value " + mag + ")");
    }

    @Test
    void importedLenetRoundTripsThroughOnnxRuntime() throws Exception {
        Path dir = Path.of(OnnxExportTest.class.getResource("/models/lenet/model.onnx").toURI()).getParent();
        ImportedModel im = OnnxImporter.importFile(dir.resolve("model.onnx"), OnnxImporter.Options.DEFAULT);
        ModelProto back = OnnxExporter.export(im.graph(), im.weights());
        NdArray x = Npy.readArray(dir.resolve("input.npy")), want = Npy.readArray(dir.resolve("expected.npy"));
        NdArray got = ort(back, Map.of("input", x)).get("logits");
        assertTrue(got.maxAbsDiff(want) <= 1e-4, "max |diff| " + got.maxAbsDiff(want));
        // and the exported model imports again to the same numbers
        NdArray again = OnnxRunner.run(back, null, Map.of("input", x)).get("logits");
        assertTrue(again.maxAbsDiff(want) <= 1e-4, "re-import: max |diff| " + again.maxAbsDiff(want));
    }

    static Graph compileReference(String name) throws Exception {
        String text = new String(OnnxExportTest.class.getResourceAsStream("/models/" + name + ".dlm").readAllBytes(), StandardCharsets.UTF_8);
        Compilation c = Frontend.compile(name + ".dlm", text);
        assertTrue(c.ok(), c.diagnostics().toString());
        assertEquals(1, c.models().size());
        return c.models().values().iterator().next();
    }

    @Test
    void referenceModelsAgreeWithOnnxRuntime() throws Exception {
        for (String name : List.of("mlp", "lenet", "resnet20", "mobilenet", "transformer")) {
            Graph g = compileReference(name);
            Random rnd = new Random(name.hashCode());
            Map<String, NdArray> params = new LinkedHashMap<>();
            for (Node p : g.params()) {
                long[] s = p.shape().sizes();
                boolean variance = p.attrs().getString("name").endsWith("var");
                NdArray w = random(rnd, 0.2, s);
                params.put(p.attrs().getString("name"), variance ? w.map(v -> 1 + Math.abs(v)) : w);
            }
            Map<String, NdArray> inputs = new LinkedHashMap<>();
            for (Node in : g.inputs()) {
                long[] s = new long[in.shape().rank()];
                for (int i = 0; i < s.length; i++) s[i] = in.shape().dim(i).isConst() ? in.shape().dim(i).value() : 2;
                inputs.put(in.attrs().getString("name"), random(rnd, 1, s));
            }
            ModelProto m = OnnxExporter.export(g, params);
            Map<String, NdArray> want = Interpreter.run(g, inputs, params), got = ort(m, inputs);
            for (var e : want.entrySet()) assertClose(e.getValue(), got.get(e.getKey()), 1e-4, name + " output " + e.getKey());
            String batch = m.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam();
            assertEquals("B", batch, name + " keeps its symbolic batch");
        }
    }

    @Test
    void composedOpsAgreeWithOnnxRuntime() throws Exception {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(Dim.sym("B"), Dim.of(4), Dim.of(6))));
        Node q = Node.of("reshape", List.of(x), Attrs.of("shape", Shape.of(Dim.sym("B"), Dim.of(2), Dim.of(2), Dim.of(6))));
        Node att = Node.of("attention", List.of(q, q, q), Attrs.of("causal", true));
        Node gelu = Node.of("gelu", List.of(att), Attrs.of("approximate", "tanh"));
        Node silu = Node.of("silu", gelu);
        Node rs = Node.of("rsqrt", Node.of("add", Node.of("mul", silu, silu), Node.of("const", List.of(), Attrs.of("value", org.dlm.ir.Constant.scalar(DType.F32, 1)))));
        Node ln = Node.of("layer_norm", List.of(Node.of("gelu", x)), Attrs.of("axis", -1L, "eps", 1e-5));
        Node red = Node.of("reduce_mean", List.of(Node.of("relu6", ln)), Attrs.of("axes", List.of(1L), "keepdims", true));
        Node sm = Node.of("log_softmax", List.of(Node.of("expand", List.of(red), Attrs.of("shape", Shape.of(Dim.sym("B"), Dim.of(3), Dim.of(6))))), Attrs.of("axis", 1L));
        Graph g = new Graph("composed", List.of(x), List.of(), List.of(new Graph.Output("a", rs), new Graph.Output("b", sm)));
        Map<String, NdArray> in = Map.of("x", random(new Random(7), 1, 3, 4, 6));
        Map<String, NdArray> want = Interpreter.run(g, in, Map.of()), got = ort(OnnxExporter.export(g, Map.of()), in);
        assertClose(want.get("a"), got.get("a"), 1e-5, "attention/gelu/silu/rsqrt");
        assertClose(want.get("b"), got.get("b"), 1e-5, "layer_norm/relu6/reduce_mean/expand/log_softmax");
    }

    @Test
    void exportCommandWritesLenetWithTrainedWeights() throws Exception {
        Path src = tmp.resolve("lenet.dlm");
        Files.write(src, OnnxExportTest.class.getResourceAsStream("/models/lenet.dlm").readAllBytes());
        Path weights = tmp.resolve("lenet.safetensors");
        Files.write(weights, OnnxExportTest.class.getResourceAsStream("/weights/lenet.safetensors").readAllBytes());
        Path out = tmp.resolve("out/lenet.onnx");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = OnnxExportCommand.run(new String[] {src.toString(), "--weights", weights.toString(), "-o", out.toString()},
                new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(0, code, e.toString(StandardCharsets.UTF_8));
        ModelProto m = OnnxImporter.load(out);
        Graph g = compileReference("lenet");
        Map<String, NdArray> params = org.dlm.runtime.io.ParamStore.load(g, weights);
        Map<String, NdArray> in = Map.of(g.inputs().getFirst().attrs().getString("name"), random(new Random(3), 1, 2, 1, 28, 28));
        NdArray want = Interpreter.run(g, in, params).values().iterator().next(), got = ort(m, in).values().iterator().next();
        assertClose(want, got, 1e-4, "lenet");

        ByteArrayOutputStream e2 = new ByteArrayOutputStream();
        int noWeights = OnnxExportCommand.run(new String[] {src.toString(), "-o", out.toString()}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(e2, true, StandardCharsets.UTF_8));
        assertEquals(2, noWeights);
        assertTrue(e2.toString(StandardCharsets.UTF_8).startsWith("error: --weights is required"));
    }

    @Test
    void opsOnnxLacksAreAllReported() {
        Node logits = Node.of("input", List.of(), Attrs.of("name", "logits", "dtype", DType.F32, "shape", Shape.of(4, 3)));
        Node target = Node.of("input", List.of(), Attrs.of("name", "t", "dtype", DType.I64, "shape", Shape.of(4)));
        Node ce = Node.of("cross_entropy", List.of(logits, target), Attrs.EMPTY);
        Node gamma = Node.of("input", List.of(), Attrs.of("name", "g", "dtype", DType.F32, "shape", Shape.of(4)));
        Node beta = Node.of("input", List.of(), Attrs.of("name", "b", "dtype", DType.F32, "shape", Shape.of(4)));
        Node gn = Node.of("group_norm", List.of(Node.of("reshape", List.of(logits), Attrs.of("shape", Shape.of(1, 4, 3))), gamma, beta), Attrs.of("groups", 2L));
        Graph g = new Graph("losses", List.of(logits, target, gamma, beta), List.of(), List.of(new Graph.Output("loss", ce), new Graph.Output("gn", gn)));
        OnnxException ex = org.junit.jupiter.api.Assertions.assertThrows(OnnxException.class, () -> OnnxExporter.export(g, Map.of()));
        assertEquals(3, ex.exitCode());
        List<String> lines = ex.issues().stream().map(OnnxIssue::render).toList();
        assertTrue(lines.contains("UNSUPPORTED: export of op cross_entropy (1 use)"), lines.toString());
        assertTrue(lines.contains("UNSUPPORTED: export of op group_norm (1 use)"), lines.toString());
    }
}
