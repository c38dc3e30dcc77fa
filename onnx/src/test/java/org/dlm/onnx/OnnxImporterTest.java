package org.dlm.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.dlm.onnx.TestModels.*;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.GraphProto;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.onnx.proto.OnnxProto.StringStringEntryProto;
import org.dlm.onnx.proto.OnnxProto.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImporterTest {
    @TempDir Path tmp;

    private static Map<String, NdArray> run(ModelProto m, Map<String, NdArray> in) { return OnnxRunner.run(m, null, in); }

    private static NdArray range(long... shape) {
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = i * 0.25 - 1;
        return new NdArray(DType.F32, shape, d);
    }

    @Test
    void softmaxBeforeOpset13FlattensAtAxis() {
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2, 3, 4))
                .addNode(node("Softmax", List.of("x"), List.of("y"), i("axis", 1)))
                .addOutput(value("y", FLOAT, 2, 3, 4)).build();
        NdArray x = range(2, 3, 4);
        NdArray old = run(model(11, g), Map.of("x", x)).get("y"), now = run(model(13, g), Map.of("x", x)).get("y");
        // opset 11: one softmax over the 12 values of each batch row; opset 13: over the 3 values of axis 1
        double sumOld = 0, sumNew = 0;
        for (int k = 0; k < 12; k++) sumOld += old.get(k);
        for (int c = 0; c < 3; c++) sumNew += now.get(c * 4);
        assertEquals(1.0, sumOld, 1e-6);
        assertEquals(1.0, sumNew, 1e-6);
        double e = 0;
        for (int k = 0; k < 12; k++) e += Math.exp(x.get(k) - x.get(11));
        assertEquals(1 / e, old.get(11), 1e-6);
    }

    @Test
    void attributesMovedToOperandsAreReadInBothForms() {
        NdArray x = range(2, 3, 4);
        GraphProto slice9 = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2, 3, 4))
                .addNode(node("Slice", List.of("x"), List.of("y"), ints("starts", 1), ints("ends", 3), ints("axes", 2)))
                .addOutput(value("y", FLOAT, 2, 3, 2)).build();
        GraphProto slice13 = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2, 3, 4))
                .addInitializer(longs("s", 1)).addInitializer(longs("e", 3)).addInitializer(longs("a", 2))
                .addNode(node("Slice", List.of("x", "s", "e", "a"), List.of("y")))
                .addOutput(value("y", FLOAT, 2, 3, 2)).build();
        NdArray a = run(model(9, slice9), Map.of("x", x)).get("y"), b = run(model(13, slice13), Map.of("x", x)).get("y");
        assertArrayEquals(new long[] {2, 3, 2}, a.shape());
        assertEquals(a, b);
        assertEquals(x.get(1), a.get(0));

        GraphProto clip6 = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2, 3, 4))
                .addNode(node("Clip", List.of("x"), List.of("y"), f("min", -0.5f), f("max", 0.5f)))
                .addOutput(value("y", FLOAT, 2, 3, 4)).build();
        GraphProto clip12 = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2, 3, 4))
                .addInitializer(floats("lo", new long[0], -0.5f)).addInitializer(floats("hi", new long[0], 0.5f))
                .addNode(node("Clip", List.of("x", "lo", "hi"), List.of("y")))
                .addOutput(value("y", FLOAT, 2, 3, 4)).build();
        NdArray c6 = run(model(6, clip6), Map.of("x", x)).get("y"), c12 = run(model(12, clip12), Map.of("x", x)).get("y");
        assertEquals(c6, c12);
        assertEquals(-0.5, c6.get(0));
        assertEquals(0.5, c6.get(23));

        GraphProto sq11 = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2, 1, 4))
                .addNode(node("Squeeze", List.of("x"), List.of("y"), ints("axes", 1)))
                .addNode(node("ReduceSum", List.of("y"), List.of("z"), ints("axes", -1), i("keepdims", 0)))
                .addOutput(value("z", FLOAT, 2)).build();
        GraphProto sq13 = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2, 1, 4))
                .addInitializer(longs("ax", 1)).addInitializer(longs("rx", -1))
                .addNode(node("Squeeze", List.of("x", "ax"), List.of("y")))
                .addNode(node("ReduceSum", List.of("y", "rx"), List.of("z"), i("keepdims", 0)))
                .addOutput(value("z", FLOAT, 2)).build();
        NdArray x2 = range(2, 1, 4);
        assertEquals(run(model(11, sq11), Map.of("x", x2)).get("z"), run(model(13, sq13), Map.of("x", x2)).get("z"));
    }

    @Test
    void symbolicBatchSurvivesReshapeWithZeroAndMinusOne() {
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, -1, 3, 4))
                .addInitializer(longs("shape", 0, -1))
                .addNode(node("Reshape", List.of("x", "shape"), List.of("y")))
                .addOutput(value("y", FLOAT, -1, 12)).build();
        ImportedModel m = OnnxImporter.importModel(model(14, g), null, OnnxImporter.Options.DEFAULT);
        Node y = m.graph().output("y");
        assertEquals(new Shape(List.of(Dim.sym("N"), Dim.of(12))), y.shape());
        assertEquals(List.of("x"), m.inputNames());
    }

    @Test
    void computedShapeOperandIsUnsupportedWhenImportingWithoutValues() {
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2, 6)).addInput(value("s", INT64, 2))
                .addNode(node("Reshape", List.of("x", "s"), List.of("y")).toBuilder().setName("r").build())
                .addOutput(value("y", FLOAT, 3, 4)).build();
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxImporter.importModel(model(13, g), null, OnnxImporter.Options.DEFAULT));
        assertEquals(3, e.exitCode());
        assertEquals("UNSUPPORTED: Reshape with a computed 'shape' operand (only constants and initializers are supported) (node 'r')",
                e.issues().getFirst().render());
        // a single run knows the value and specializes to it
        NdArray y = run(model(13, g), Map.of("x", range(2, 6), "s", NdArray.of(DType.I64, new long[] {2}, 3, 4))).get("y");
        assertArrayEquals(new long[] {3, 4}, y.shape());
    }

    @Test
    void initializersBecomeParamsOrSmallIntegerConstants() {
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2, 2))
                .addInitializer(floats("w", new long[] {2, 2}, 1, 2, 3, 4)).addInitializer(longs("perm", 1, 0))
                .addNode(node("MatMul", List.of("x", "w"), List.of("y")))
                .addNode(node("Transpose", List.of("y"), List.of("z"), ints("perm", 1, 0)))
                .addOutput(value("z", FLOAT, 2, 2)).build();
        ImportedModel m = OnnxImporter.importModel(model(13, g), null, OnnxImporter.Options.DEFAULT);
        assertEquals(1, m.graph().params().size());
        Node w = m.graph().params().getFirst();
        assertEquals("w", w.attrs().getString("name"));
        assertTrue(w.attrs().getBool("trainable", false));
        assertEquals(NdArray.of(DType.F32, new long[] {2, 2}, 1, 2, 3, 4), m.weights().get("w"));
    }

    @Test
    void decodesEveryDtypeFromRawAndTypedFields() {
        TensorDecoder d = new TensorDecoder(null);
        TensorProto f16 = TensorProto.newBuilder().setDataType(FLOAT16).addDims(2).addInt32Data(0x3c00).addInt32Data(0xc000).build();
        assertEquals(NdArray.of(DType.F16, new long[] {2}, 1, -2), d.decode(f16, "t"));
        TensorProto bf16 = TensorProto.newBuilder().setDataType(BFLOAT16).addDims(1).setRawData(ByteString.copyFrom(new byte[] {(byte) 0x80, 0x3f})).build();
        assertEquals(NdArray.of(DType.BF16, new long[] {1}, 1), d.decode(bf16, "t"));
        TensorProto i8 = TensorProto.newBuilder().setDataType(INT8).addDims(2).setRawData(ByteString.copyFrom(new byte[] {-3, 7})).build();
        assertEquals(NdArray.of(DType.I8, new long[] {2}, -3, 7), d.decode(i8, "t"));
        TensorProto u8 = TensorProto.newBuilder().setDataType(UINT8).addDims(1).addInt32Data(200).build();
        assertEquals(NdArray.of(DType.U8, new long[] {1}, 200), d.decode(u8, "t"));
        TensorProto f64 = TensorProto.newBuilder().setDataType(DOUBLE).addDims(1).addDoubleData(0.1).build();
        assertEquals(0.1, d.decode(f64, "t").get(0));
        TensorProto b = TensorProto.newBuilder().setDataType(BOOL).addDims(2).setRawData(ByteString.copyFrom(new byte[] {0, 1})).build();
        assertEquals(NdArray.of(DType.BOOL, new long[] {2}, 0, 1), d.decode(b, "t"));
        TensorProto i32 = TensorProto.newBuilder().setDataType(INT32).addDims(1).addInt32Data(-5).build();
        assertEquals(-5.0, d.decode(i32, "t").get(0));

        OnnxException str = assertThrows(OnnxException.class, () -> d.decode(TensorProto.newBuilder().setDataType(8).build(), "s"));
        assertEquals("UNSUPPORTED: dtype STRING (s): DLM supports float, double, float16, bfloat16, int8, uint8, int32, int64 and bool", str.issues().getFirst().render());
        OnnxException lying = assertThrows(OnnxException.class, () -> d.decode(
                TensorProto.newBuilder().setDataType(FLOAT).addDims(1_000_000_000L).addDims(1_000_000_000L).build(), "big"));
        assertTrue(lying.getMessage().contains("big"), lying.getMessage());
        OnnxException short_ = assertThrows(OnnxException.class, () -> d.decode(
                TensorProto.newBuilder().setDataType(FLOAT).addDims(1000).setRawData(ByteString.copyFrom(new byte[8])).build(), "short"));
        assertEquals("error: model short declares 1000 f32 values (4000 bytes) but holds 8 bytes", short_.issues().getFirst().render());
    }

    private static TensorProto external(String name, String location, long dim, Long length) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT).addDims(dim)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location));
        if (length != null) t.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(String.valueOf(length)));
        return t.build();
    }

    private ModelProto addModel(TensorProto w) {
        return model(13, GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2)).addInitializer(w)
                .addNode(node("Add", List.of("x", "w"), List.of("y"))).addOutput(value("y", FLOAT, 2)).build());
    }

    @Test
    void externalDataIsReadFromTheModelsFolderOnly() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f);
        Files.write(dir.resolve("w.bin"), b.array());
        NdArray x = NdArray.of(DType.F32, new long[] {2}, 1, 1);
        NdArray y = OnnxRunner.run(addModel(external("w", "w.bin", 2, null)), dir, Map.of("x", x)).get("y");
        assertEquals(NdArray.of(DType.F32, new long[] {2}, 2.5, -1), y);

        Files.write(tmp.resolve("secret.bin"), b.array());
        for (String bad : List.of("../secret.bin", tmp.resolve("secret.bin").toString(), "sub/../../secret.bin")) {
            OnnxException e = assertThrows(OnnxException.class, () -> OnnxRunner.run(addModel(external("w", bad, 2, null)), dir, Map.of("x", x)));
            assertEquals(1, e.exitCode());
            assertTrue(e.getMessage().contains("outside the model's folder"), e.getMessage());
        }
        Files.createSymbolicLink(dir.resolve("link.bin"), tmp.resolve("secret.bin"));
        OnnxException link = assertThrows(OnnxException.class, () -> OnnxRunner.run(addModel(external("w", "link.bin", 2, null)), dir, Map.of("x", x)));
        assertTrue(link.getMessage().contains("outside the model's folder"), link.getMessage());

        OnnxException tooShort = assertThrows(OnnxException.class, () -> OnnxRunner.run(addModel(external("w", "w.bin", 1_000_000, null)).toBuilder()
                .setGraph(addModel(external("w", "w.bin", 1_000_000, null)).getGraph().toBuilder().setInput(0, value("x", FLOAT, 1_000_000))).build(), dir,
                Map.of("x", NdArray.zeros(DType.F32, 1_000_000))));
        assertTrue(tooShort.getMessage().contains("which has only 8 bytes"), tooShort.getMessage());
        OnnxException wrongLength = assertThrows(OnnxException.class, () -> OnnxRunner.run(addModel(external("w", "w.bin", 2, 4L)), dir, Map.of("x", x)));
        assertTrue(wrongLength.getMessage().contains("needs 8 bytes of external data, the model declares 4"), wrongLength.getMessage());
        OnnxException missing = assertThrows(OnnxException.class, () -> OnnxRunner.run(addModel(external("w", "nope.bin", 2, null)), dir, Map.of("x", x)));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }

    @Test
    void opsetsOutsideTheRangeAreUnsupported() {
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 2))
                .addNode(node("Relu", List.of("x"), List.of("y"))).addOutput(value("y", FLOAT, 2)).build();
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxImporter.importModel(model(99, g), null, OnnxImporter.Options.DEFAULT));
        assertEquals(3, e.exitCode());
        assertTrue(e.getMessage().startsWith("UNSUPPORTED: opset 99"), e.getMessage());
    }
}
