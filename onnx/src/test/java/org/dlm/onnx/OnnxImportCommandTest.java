package org.dlm.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
    void usageAndMissingFiles() {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(e, true, StandardCharsets.UTF_8), out = new PrintStream(new ByteArrayOutputStream());
        assertEquals(2, OnnxImportCommand.run(new String[] {}, out, err));
        assertEquals(1, OnnxImportCommand.run(new String[] {tmp.resolve("none.onnx").toString()}, out, err));
        assertTrue(e.toString(StandardCharsets.UTF_8).contains("does not exist"));
    }
}
