package org.dlm.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.dlm.onnx.TestModels.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.GraphProto;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class OnnxRunCommandTest {
    @TempDir Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = OnnxRunCommand.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private Path resource(String name) throws Exception {
        return Path.of(OnnxRunCommandTest.class.getResource("/models/lenet/" + name).toURI());
    }

    private Path write(ModelProto m) throws IOException {
        Path f = tmp.resolve("model.onnx");
        Files.write(f, m.toByteArray());
        return f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"interp", "llvm", "opencl"})
    void lenetMatchesPyTorchWithin1e4(String backend) throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.copy(resource("input.npy"), in.resolve("input.npy"));   // the graph input is named "input"
        Run r = run(resource("model.onnx").toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString(),
                "--backend", backend);
        assertEquals(0, r.code(), r.err());
        NdArray got = Npy.readArray(tmp.resolve("out/logits.npy")), want = Npy.readArray(resource("expected.npy"));
        assertEquals(DType.F32, got.dtype());
        assertTrue(got.maxAbsDiff(want) <= 1e-4, "max |diff| " + got.maxAbsDiff(want));
    }

    @Test
    void inputsFallBackToPosition() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.copy(resource("input.npy"), in.resolve("input_0.npy"));
        Run r = run(resource("model.onnx").toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString(), "--timeout", "120");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(tmp.resolve("out/logits.npy")));
    }

    @Test
    void everyUnsupportedOpIsListedOnItsOwnLine() throws Exception {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("x", FLOAT, 2, 3))
                .addInput(value("v", FLOAT, 1, 1, 2, 2, 2))
                .addNode(node("Relu", List.of("x"), List.of("a")))
                .addNode(node("Bernoulli", List.of("a"), List.of("b")).toBuilder().setName("coin_1").build())
                .addNode(node("Bernoulli", List.of("b"), List.of("c")).toBuilder().setName("coin_2").build())
                .addNode(node("Frobnicate", List.of("c"), List.of("d")).toBuilder().setName("frob").setDomain("com.example").build())
                .addNode(node("Conv", List.of("v", "v"), List.of("e")).toBuilder().setName("conv3d").build())
                .addOutput(value("d", FLOAT, 2, 3)).addOutput(value("e", FLOAT, 1, 1, 1, 1, 1)).build();
        Path model = write(model(13, g));
        Path in = Files.createDirectories(tmp.resolve("in"));
        Npy.write(in.resolve("x.npy"), NdArray.zeros(DType.F32, 2, 3));
        Npy.write(in.resolve("v.npy"), NdArray.zeros(DType.F32, 1, 1, 2, 2, 2));
        Run r = run(model.toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString());
        assertEquals(3, r.code(), r.err());
        List<String> lines = r.err().lines().toList();
        assertTrue(lines.stream().allMatch(l -> l.startsWith("UNSUPPORTED: ")), r.err());
        assertTrue(lines.contains("UNSUPPORTED: Bernoulli is not a supported op (2 nodes: coin_1, coin_2)"), r.err());
        assertTrue(lines.contains("UNSUPPORTED: com.example.Frobnicate is not a supported op (node frob)"), r.err());
        assertTrue(lines.contains("UNSUPPORTED: Conv 3-D spatial input [1, 1, 2, 2, 2] (1-D and 2-D are supported) (node 'conv3d')"), r.err());
        assertEquals(3, lines.size(), r.err());
        assertTrue(Files.notExists(tmp.resolve("out/d.npy")));
    }

    @Test
    void outputsKeepTheOnnxTypeAndSanitizedNames() throws Exception {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("in:0", FLOAT, 3))
                .addNode(node("Cast", List.of("in:0"), List.of("half/out"), i("to", FLOAT16)))
                .addNode(node("Cast", List.of("in:0"), List.of("brain"), i("to", BFLOAT16)))
                .addNode(node("Greater", List.of("in:0", "zero"), List.of("positive?")))
                .addInitializer(floats("zero", new long[0], 0f))
                .addOutput(value("half/out", FLOAT16, 3)).addOutput(value("brain", BFLOAT16, 3)).addOutput(value("positive?", BOOL, 3)).build();
        Path model = write(model(13, g));
        Path in = Files.createDirectories(tmp.resolve("in"));
        Npy.write(in.resolve("in_0.npy"), NdArray.of(DType.F32, new long[] {3}, -1.5, 0.1, 3));
        Run r = run(model.toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(header(tmp.resolve("out/half_out.npy")).contains("'descr': '<f2'"));
        assertTrue(header(tmp.resolve("out/brain.npy")).contains("'descr': '<u2'"));
        assertTrue(header(tmp.resolve("out/positive_.npy")).contains("'descr': '|b1'"));
        assertEquals(NdArray.of(DType.BOOL, new long[] {3}, 0, 1, 1), Npy.readArray(tmp.resolve("out/positive_.npy")));
        NdArray half = Npy.readArray(tmp.resolve("out/half_out.npy"));
        assertEquals(0.0999755859375, half.get(1));   // 0.1 rounded to float16
        NdArray bf = Npy.read(tmp.resolve("out/brain.npy"), Npy.Options.BF16_AS_U2).toNdArray();
        assertEquals(DType.BF16, bf.dtype());
        assertEquals(-1.5, bf.get(0));
    }

    private static String header(Path npy) throws IOException {
        byte[] b = Files.readAllBytes(npy);
        return new String(b, 0, Math.min(b.length, 128), StandardCharsets.ISO_8859_1);
    }

    @Test
    void userErrorsExitOneWithAMessage() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Run missing = run(resource("model.onnx").toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("error: no file for input 'input'"), missing.err());

        Npy.write(in.resolve("input.npy"), NdArray.zeros(DType.F64, 1, 1, 28, 28));
        Run wrongType = run(resource("model.onnx").toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString());
        assertEquals(1, wrongType.code());
        assertTrue(wrongType.err().contains("'input' is f64 but the model expects f32"), wrongType.err());

        Files.writeString(tmp.resolve("garbage.onnx"), "this is not a model");
        Run garbage = run(tmp.resolve("garbage.onnx").toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString());
        assertEquals(1, garbage.code());
        assertTrue(garbage.err().startsWith("error: "), garbage.err());
        assertEquals(1, garbage.err().lines().count());

        Run noModel = run(tmp.resolve("nope.onnx").toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString());
        assertEquals(1, noModel.code());
        assertTrue(noModel.err().contains("does not exist"), noModel.err());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, run().code());
        assertEquals(2, run("m.onnx", "--input-dir", "a").code());
        assertEquals(2, run("m.onnx", "--input-dir", "a", "--output-dir", "b", "--frob").code());
        assertEquals(2, run("m.onnx", "--input-dir", "a", "--output-dir", "b", "--timeout", "soon").code());
        assertEquals(2, run("m.onnx", "--input-dir", "a", "--output-dir", "b", "--backend", "tpu").code());
        Run help = run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("usage: onnx-run"));
    }

    @Test
    void anOpTheOpenClLoweringRefusesIsUnsupported() throws Exception {
        // Kernel IR has no f16 arithmetic yet: the lowering refuses, whatever the device
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("x", FLOAT16, 2, 3))
                .addNode(node("Add", List.of("x", "x"), List.of("y")).toBuilder().setName("twice").build())
                .addOutput(value("y", FLOAT16, 2, 3)).build();
        Path model = write(model(13, g));
        Path in = Files.createDirectories(tmp.resolve("in"));
        Npy.write(in.resolve("x.npy"), NdArray.zeros(DType.F16, 2, 3));
        Run r = run(model.toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString(), "--backend", "opencl");
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().startsWith("UNSUPPORTED: opencl ") && r.err().contains("f16"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void timeoutStopsALongRun() throws Exception {
        int n = 700;
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("a", FLOAT, n, n))
                .addNode(node("MatMul", List.of("a", "a"), List.of("b")))
                .addNode(node("MatMul", List.of("b", "b"), List.of("c")))
                .addOutput(value("c", FLOAT, n, n)).build();
        Path model = write(model(13, g));
        Path in = Files.createDirectories(tmp.resolve("in"));
        Npy.write(in.resolve("a.npy"), NdArray.zeros(DType.F32, n, n));
        long t0 = System.nanoTime();
        Run r = run(model.toString(), "--input-dir", in.toString(), "--output-dir", tmp.resolve("out").toString(), "--timeout", "0.3");
        double secs = (System.nanoTime() - t0) / 1e9;
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("did not finish within the timeout of 0.3 s"), r.err());
        assertTrue(secs < 5, "took " + secs + " s");
    }
}
