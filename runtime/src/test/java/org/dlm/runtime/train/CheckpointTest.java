package org.dlm.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.io.DataFormatException;
import org.dlm.runtime.io.ParamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    static Graph model(String name, long hidden) {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(2, 3)));
        Node w = Node.of("param", List.of(), Attrs.of("name", "fc.weight", "dtype", DType.F32, "shape", Shape.of(hidden, 3)));
        Node b = Node.of("param", List.of(), Attrs.of("name", "fc.bias", "dtype", DType.F32, "shape", Shape.of(hidden)));
        Node y = Node.of("linear", x, w, b);
        return new Graph(name, List.of(x), List.of(w, b), List.of(new Graph.Output("y", y)));
    }

    static Map<String, NdArray> params(double v) {
        return Map.of("fc.weight", NdArray.full(DType.F32, v, 4, 3), "fc.bias", NdArray.full(DType.F32, -v, 4));
    }

    static Checkpoint ckpt(double v, long step) {
        return new Checkpoint(params(v), Map.of("opt/exp_avg/fc.weight", NdArray.full(DType.F32, v / 10, 4, 3)), step, 3, "adam",
                Map.of("seed", "42"));
    }

    @Test void roundTripKeepsPreviousAndLeavesNoTempFiles(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ckpt.safetensors");
        Graph g = model("mlp", 4);
        Checkpoint.save(f, g, ckpt(0.5, 100));
        Checkpoint.save(f, g, ckpt(0.25, 200));
        Checkpoint c = Checkpoint.load(f, g);
        assertEquals(200, c.step());
        assertEquals(3, c.epoch());
        assertEquals("adam", c.optimizer());
        assertEquals(Map.of("seed", "42"), c.extra());
        assertEquals(params(0.25), c.params());
        assertEquals(NdArray.full(DType.F32, 0.025, 4, 3), c.optimizerState().get("opt/exp_avg/fc.weight"));
        Checkpoint prev = Checkpoint.load(dir.resolve("ckpt.safetensors.prev"), g);
        assertEquals(100, prev.step());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("ckpt.safetensors", "ckpt.safetensors.prev"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test void refusesOtherModelsAndChangedGraphs(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.safetensors");
        Checkpoint.save(f, model("mlp", 4), ckpt(1, 1));
        assertEquals(f + ": checkpoint is for model 'mlp', not 'other'",
                assertThrows(DataFormatException.class, () -> Checkpoint.load(f, model("other", 4))).getMessage());
        String changed = assertThrows(DataFormatException.class, () -> Checkpoint.load(f, model("mlp", 5))).getMessage();
        assertTrue(changed.startsWith(f + ": checkpoint was written for a different version of model 'mlp' (graph hash "), changed);
        assertNotEquals(Checkpoint.graphHash(model("mlp", 4)), Checkpoint.graphHash(model("mlp", 5)));
        assertEquals(Checkpoint.graphHash(model("mlp", 4)), Checkpoint.graphHash(model("mlp", 4)));
    }

    @Test void refusesCorruptFilesAndPlainWeights(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.safetensors");
        Graph g = model("mlp", 4);
        Checkpoint.save(f, g, ckpt(1, 1));
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 10));
        DataFormatException e = assertThrows(DataFormatException.class, () -> Checkpoint.load(f, g));
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
        Path w = dir.resolve("weights.safetensors");
        ParamStore.save(w, g, params(1));
        assertEquals(w + ": not a DLM checkpoint (metadata format is 'dlm', expected dlm-checkpoint-1)",
                assertThrows(DataFormatException.class, () -> Checkpoint.load(w, g)).getMessage());
    }

    @Test void listsEveryTensorProblemAtOnce(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.safetensors");
        Graph g = model("mlp", 4);
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        meta.put("format", Checkpoint.FORMAT);
        meta.put("model", "mlp");
        meta.put("graph_hash", Checkpoint.graphHash(g));
        meta.put("step", "1");
        meta.put("epoch", "0");
        Map<String, NdArray> ts = new java.util.LinkedHashMap<>();
        ts.put("fc.weight", NdArray.zeros(DType.F32, 3, 3));
        ts.put("extra", NdArray.zeros(DType.F32, 1));
        org.dlm.runtime.io.Safetensors.writeArrays(f, ts, meta);
        assertEquals(f + ": tensor 'fc.weight' is f32[3, 3] but the model expects f32[4, 3]\n"
                + f + ": parameter 'fc.bias' (f32[4]) is missing\n"
                + f + ": tensor 'extra' is not a parameter of model 'mlp'",
                assertThrows(DataFormatException.class, () -> Checkpoint.load(f, g)).getMessage());
    }

    @Test void refusesToWriteMismatchedState(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.safetensors");
        var bad = new Checkpoint(params(1), Map.of("opt/exp_avg/fc.bias", NdArray.zeros(DType.F32, 3), "opt/m/nope", NdArray.zeros(DType.F32, 1)),
                1, 0, "adam", Map.of());
        String msg = assertThrows(DataFormatException.class, () -> Checkpoint.save(f, model("mlp", 4), bad)).getMessage();
        assertEquals(f + ": optimizer state 'opt/exp_avg/fc.bias' is f32[3] but parameter 'fc.bias' is f32[4]\n"
                + f + ": optimizer state 'opt/m/nope' belongs to no parameter of model 'mlp'", msg);
        assertTrue(Files.notExists(f));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint(params(1), Map.of(), 0, 0, "sgd", Map.of("step", "1")));
    }
}
