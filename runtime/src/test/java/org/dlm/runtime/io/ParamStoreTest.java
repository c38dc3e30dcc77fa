package org.dlm.runtime.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParamStoreTest {
    @TempDir Path tmp;

    static Node param(String name, DType t, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", t, "shape", Shape.of(shape)));
    }

    static final Graph G = new Graph("Net",
        List.of(Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(2, 400)))),
        List.of(param("fc1.weight", DType.F32, 120, 400), param("fc1.bias", DType.F32, 120), param("steps", DType.I64)),
        List.of());

    static Map<String, NdArray> good() {
        Map<String, NdArray> m = new LinkedHashMap<>();
        m.put("fc1.weight", Fixtures.values(DType.F32, 'f', 120, 400));
        m.put("fc1.bias", Fixtures.values(DType.F32, 'f', 120));
        m.put("steps", NdArray.scalar(DType.I64, 7));
        return m;
    }

    @Test void savesAndLoadsSafetensorsAndNpz() throws IOException {
        Path st = tmp.resolve("ckpt.safetensors");
        ParamStore.save(st, G, good());
        assertEquals(good(), ParamStore.load(G, st));
        assertEquals("Net", Safetensors.read(st).metadata().get("model"));
        Path npz = tmp.resolve("w.npz");
        Npz.writeArrays(npz, good(), true);
        assertEquals(good(), ParamStore.load(G, npz));
    }

    @Test void reportsEveryMismatchAtOnce() throws IOException {
        Map<String, NdArray> bad = new LinkedHashMap<>();
        bad.put("fc1.weight", NdArray.zeros(DType.F32, 512, 784));
        bad.put("steps", NdArray.scalar(DType.F64, 7));
        bad.put("fc2.weight", NdArray.zeros(DType.F32, 1));
        bad.put("extra", NdArray.zeros(DType.F32, 1));
        Path npz = tmp.resolve("weights.npz");
        Npz.writeArrays(npz, bad, false);
        var e = assertThrows(DataFormatException.class, () -> ParamStore.load(G, npz));
        assertEquals(String.join("\n",
            npz + ": tensor 'fc1.weight' has shape [512, 784] but the model expects [120, 400]",
            npz + ": tensor 'steps' has dtype f64 but the model expects i64",
            npz + ": 1 parameter of model 'Net' is missing: fc1.bias",
            npz + ": 2 tensors in the file are not parameters of model 'Net': fc2.weight, extra"), e.getMessage());
    }

    @Test void savingChecksTheValuesToo() {
        Map<String, NdArray> m = good();
        m.remove("steps");
        var e = assertThrows(DataFormatException.class, () -> ParamStore.save(tmp.resolve("c.safetensors"), G, m));
        assertTrue(e.getMessage().endsWith("1 parameter of model 'Net' is missing: steps"), e.getMessage());
        assertFalse(java.nio.file.Files.exists(tmp.resolve("c.safetensors")));
    }
}
