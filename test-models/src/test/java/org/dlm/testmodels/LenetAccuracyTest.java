package org.dlm.testmodels;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/**
 * End to end through the frontend: models/lenet.dlm, compiled and run by the reference
 * interpreter with the PyTorch-trained weights shipped in weights/lenet.safetensors, classifies
 * the shipped MNIST test digits as well as PyTorch did (95.3 % on all 2,000). This checks the
 * lowering's semantics (conv padding, pooling, flatten order, linear layout), not only its shapes.
 */
class LenetAccuracyTest {
    private static final int DIGITS = 300;

    static byte[] bytes(String path, boolean gz) throws IOException {
        try (InputStream raw = LenetAccuracyTest.class.getClassLoader().getResourceAsStream(path)) {
            assertNotNull(raw, path);
            return gz ? new GZIPInputStream(raw).readAllBytes() : raw.readAllBytes();
        }
    }

    /** Minimal safetensors reader for F32 tensors: header length, JSON header, little-endian data. */
    static Map<String, NdArray> safetensors(byte[] b) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) buf.getLong();
        String header = new String(b, 8, n, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"([\\w.]+)\":\\{\"dtype\":\"F32\",\"shape\":\\[([\\d,]*)\\],\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}")
                .matcher(header.replace(" ", ""));
        Map<String, NdArray> out = new HashMap<>();
        while (m.find()) {
            long[] shape = m.group(2).isEmpty() ? new long[0]
                    : java.util.Arrays.stream(m.group(2).split(",")).mapToLong(Long::parseLong).toArray();
            int from = 8 + n + Integer.parseInt(m.group(3)), to = 8 + n + Integer.parseInt(m.group(4));
            double[] data = new double[(to - from) / 4];
            for (int i = 0; i < data.length; i++) data[i] = buf.getFloat(from + 4 * i);
            out.put(m.group(1), new NdArray(DType.F32, shape, data));
        }
        return out;
    }

    @Test
    void lenetClassifiesTheShippedDigits() throws IOException {
        Graph g = ReferenceModelsTest.compile("lenet", "LeNet");
        Map<String, NdArray> weights = safetensors(bytes("weights/lenet.safetensors", false));
        Map<String, NdArray> params = new HashMap<>();
        for (Node p : g.params()) {
            String name = p.attrs().getString("name");
            NdArray w = weights.get(name);
            assertNotNull(w, name + " in the shipped weights");
            assertArrayEquals(p.shape().sizes(), w.shape(), name);
            params.put(name, w);
        }
        assertEquals(weights.keySet(), params.keySet());

        byte[] img = bytes("data/mnist/t10k-images-idx3-ubyte.gz", true);
        byte[] lab = bytes("data/mnist/t10k-labels-idx1-ubyte.gz", true);
        double[] x = new double[DIGITS * 28 * 28];
        for (int i = 0; i < x.length; i++) x[i] = (img[16 + i] & 0xff) / 255.0f;
        NdArray input = new NdArray(DType.F32, new long[] {DIGITS, 1, 28, 28}, x);

        Map<String, NdArray> out = Interpreter.run(g, Map.of("x", input), params);
        NdArray logits = out.get("output");
        assertArrayEquals(new long[] {DIGITS, 10}, logits.shape());
        int correct = 0;
        for (int i = 0; i < DIGITS; i++) {
            int best = 0;
            for (int k = 1; k < 10; k++) if (logits.get(i, k) > logits.get(i, best)) best = k;
            if (best == lab[8 + i]) correct++;
        }
        assertTrue(correct >= 0.93 * DIGITS, correct + " of " + DIGITS + " digits right");
        assertEquals(List.of("output"), g.outputs().stream().map(Graph.Output::name).toList());
    }
}
