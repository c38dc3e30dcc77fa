package org.dlm.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Frontend;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.text.IrParser;
import org.dlm.runtime.io.Npy;
import org.dlm.runtime.io.ParamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImportCommandTest {
    @TempDir Path tmp;

    @Test
    void lenetImportsToIrTextAndACheckpointThatRunAgain() throws Exception {
        Path dir = Path.of(OnnxImportCommandTest.class.getResource("/models/lenet/model.onnx").toURI()).getParent();
        Path ir = tmp.resolve("lenet.ir"), w = tmp.resolve("lenet.safetensors");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = OnnxImportCommand.run(new String[] {dir.resolve("model.onnx").toString(), "-o", ir.toString(), "--weights", w.toString()},
                new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(0, code, e.toString(StandardCharsets.UTF_8));
        String text = Files.readString(ir);
        assertTrue(text.contains("conv2d") && text.contains("max_pool2d") && text.contains("gemm"), text);
        Graph g = IrParser.parseChecked(text);
        Map<String, NdArray> params = ParamStore.load(g, w);
        NdArray got = Interpreter.run(g, Map.of("input", Npy.readArray(dir.resolve("input.npy"))), params).get("logits");
        NdArray want = Npy.readArray(dir.resolve("expected.npy"));
        assertTrue(got.maxAbsDiff(want) <= 1e-4, "max |diff| " + got.maxAbsDiff(want));
    }

    @Test
    void lenetImportsToADlmModelAndACheckpointThatRunAgain() throws Exception {
        Path dir = Path.of(OnnxImportCommandTest.class.getResource("/models/lenet/model.onnx").toURI()).getParent();
        Path dlm = tmp.resolve("lenet.dlm"), w = tmp.resolve("lenet.safetensors");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = OnnxImportCommand.run(new String[] {dir.resolve("model.onnx").toString(), "-o", dlm.toString(), "--weights", w.toString()},
                new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(0, code, e.toString(StandardCharsets.UTF_8));
        String text = Files.readString(dlm);
        assertTrue(text.contains("conv1 = Conv2d(1, 6, kernel = 5, padding = 2)") && text.contains("fc1 = Linear(400, 120)"), text);
        Compilation c = Frontend.compile(dlm);
        assertTrue(c.ok(), c.diagnostics().toString());
        Graph g = c.models().values().iterator().next();
        Map<String, NdArray> params = ParamStore.load(g, w);
        NdArray got = Interpreter.run(g, Map.of("input", Npy.readArray(dir.resolve("input.npy"))), params).get("logits");
        NdArray want = Npy.readArray(dir.resolve("expected.npy"));
        assertTrue(got.maxAbsDiff(want) <= 1e-4, "max |diff| " + got.maxAbsDiff(want));
        // without -o the .dlm goes to stdout; --format ir prints Graph IR
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        assertEquals(0, OnnxImportCommand.run(new String[] {dir.resolve("model.onnx").toString()}, new PrintStream(s, true, StandardCharsets.UTF_8), new PrintStream(e)));
        assertEquals(text, s.toString(StandardCharsets.UTF_8));
        s.reset();
        assertEquals(0, OnnxImportCommand.run(new String[] {dir.resolve("model.onnx").toString(), "--format", "ir"}, new PrintStream(s, true, StandardCharsets.UTF_8), new PrintStream(e)));
        assertTrue(s.toString(StandardCharsets.UTF_8).startsWith("graph "), s.toString(StandardCharsets.UTF_8));
    }

    @Test
    void namesThatAreNotDlmIdentifiersAreRenamedInTheModelAndTheWeights() throws Exception {
        var graph = org.dlm.onnx.proto.OnnxProto.GraphProto.newBuilder().setName("g")
                .addInput(TestModels.value("x", TestModels.FLOAT, 2, 3))
                .addInitializer(TestModels.floats("onnx::MatMul_3", new long[] {3, 2}, 1, 2, 3, 4, 5, 6))
                .addNode(TestModels.node("MatMul", List.of("x", "onnx::MatMul_3"), List.of("y")))
                .addOutput(TestModels.value("y", TestModels.FLOAT, 2, 2)).build();
        Path model = tmp.resolve("m.onnx"), dlm = tmp.resolve("m.dlm"), w = tmp.resolve("m.safetensors");
        Files.write(model, TestModels.model(17, graph).toByteArray());
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        assertEquals(0, OnnxImportCommand.run(new String[] {model.toString(), "-o", dlm.toString(), "--weights", w.toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(e, true, StandardCharsets.UTF_8)));
        assertTrue(e.toString(StandardCharsets.UTF_8).contains("'onnx::MatMul_3' is named 'onnx__MatMul_3'"), e.toString(StandardCharsets.UTF_8));
        Compilation c = Frontend.compile(dlm);
        assertTrue(c.ok(), c.diagnostics().toString());
        Graph g = c.models().values().iterator().next();
        Map<String, NdArray> params = ParamStore.load(g, w);
        NdArray x = new NdArray(org.dlm.ir.DType.F32, new long[] {2, 3}, new double[] {1, 0, 0, 0, 1, 1});
        NdArray y = Interpreter.run(g, Map.of("x", x), params).get("y");
        assertEquals(List.of(1.0, 2.0, 8.0, 10.0), java.util.Arrays.stream(y.data()).boxed().toList());
    }

    @Test
    void multiOutputModelsAreWrittenAsDlmThatReRunsToTheSameOutputs() throws Exception {
        var graph = org.dlm.onnx.proto.OnnxProto.GraphProto.newBuilder().setName("g")
                .addInput(TestModels.value("x", TestModels.FLOAT, 2))
                .addNode(TestModels.node("Relu", List.of("x"), List.of("a")))
                .addNode(TestModels.node("Exp", List.of("x"), List.of("b:0")))
                .addOutput(TestModels.value("a", TestModels.FLOAT, 2)).addOutput(TestModels.value("b:0", TestModels.FLOAT, 2)).build();
        Path model = tmp.resolve("two.onnx"), dlm = tmp.resolve("two.dlm");
        Files.write(model, TestModels.model(17, graph).toByteArray());
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        assertEquals(0, OnnxImportCommand.run(new String[] {model.toString(), "-o", dlm.toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(e, true, StandardCharsets.UTF_8)));
        assertEquals("note: output 'b:0' is named 'b_0' in the .dlm\n", e.toString(StandardCharsets.UTF_8));
        Compilation c = Frontend.compile(dlm);
        assertTrue(c.ok(), c.diagnostics().toString());
        Graph g = c.models().values().iterator().next();
        NdArray x = new NdArray(org.dlm.ir.DType.F32, new long[] {2}, new double[] {-1, 0.5});
        Map<String, NdArray> want = OnnxRunner.run(model, Map.of("x", x)), got = Interpreter.run(g, Map.of("x", x), Map.of());
        assertEquals(want.get("a"), got.get("a"));
        assertEquals(want.get("b:0"), got.get("b_0"));
    }

    @Test
    void modelsTheDlmFormCannotExpressExitThreeWithOneLinePerProblem() throws Exception {
        float[] v = new float[5000];
        for (int i = 0; i < v.length; i++) v[i] = i * 0.25f;
        var constant = org.dlm.onnx.proto.OnnxProto.AttributeProto.newBuilder().setName("value")
                .setType(org.dlm.onnx.proto.OnnxProto.AttributeProto.AttributeType.TENSOR).setT(TestModels.floats("c", new long[] {5000}, v)).build();
        var graph = org.dlm.onnx.proto.OnnxProto.GraphProto.newBuilder().setName("g")
                .addInput(TestModels.value("x", TestModels.FLOAT, 5000))
                .addNode(TestModels.node("Constant", List.of(), List.of("c"), constant))
                .addNode(TestModels.node("Add", List.of("x", "c"), List.of("y")))
                .addOutput(TestModels.value("y", TestModels.FLOAT, 5000)).build();
        Path model = tmp.resolve("big.onnx");
        Files.write(model, TestModels.model(17, graph).toByteArray());
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        assertEquals(3, OnnxImportCommand.run(new String[] {model.toString(), "-o", tmp.resolve("big.dlm").toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(e, true, StandardCharsets.UTF_8)));
        assertTrue(e.toString(StandardCharsets.UTF_8).startsWith("UNSUPPORTED: "), e.toString(StandardCharsets.UTF_8));
        assertTrue(e.toString(StandardCharsets.UTF_8).contains("hint: write Graph IR instead"), e.toString(StandardCharsets.UTF_8));
        assertTrue(!Files.exists(tmp.resolve("big.dlm")));
        assertEquals(0, OnnxImportCommand.run(new String[] {model.toString(), "-o", tmp.resolve("big.ir").toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(e)));
    }

    @Test
    void usageAndMissingFiles() {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(e, true, StandardCharsets.UTF_8), out = new PrintStream(new ByteArrayOutputStream());
        assertEquals(2, OnnxImportCommand.run(new String[] {}, out, err));
        assertEquals(1, OnnxImportCommand.run(new String[] {tmp.resolve("none.onnx").toString()}, out, err));
        assertTrue(e.toString(StandardCharsets.UTF_8).contains("does not exist"));
    }
}
