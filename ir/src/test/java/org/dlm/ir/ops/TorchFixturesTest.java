package org.dlm.ir.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Larger random cases checked against PyTorch 1.13 (float64), generated once by
 * {@code fixtures/gen_torch_fixtures.py}; the test itself only reads {@code fixtures/torch_ops.txt}.
 */
class TorchFixturesTest {
    record Case(String name, String op, Attrs attrs, List<NdArray> inputs, NdArray expected) {}

    @TestFactory Stream<DynamicTest> kernelsMatchPyTorch() throws IOException {
        List<Case> cases = load();
        assertTrue(cases.size() >= 40, "fixture file has all cases, got " + cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            NdArray got = OpRunner.run(c.op(), c.attrs(), c.inputs().toArray(NdArray[]::new));
            assertArrayEquals(c.expected().shape(), got.shape(), "shape");
            for (int i = 0; i < got.size(); i++) {
                double want = c.expected().get(i);
                assertEquals(want, got.get(i), 1e-8 * (1 + Math.abs(want)), c.name() + " element " + i);
            }
        }));
    }

    static List<Case> load() throws IOException {
        var in = TorchFixturesTest.class.getResourceAsStream("/fixtures/torch_ops.txt");
        assertNotNull(in, "fixtures/torch_ops.txt on the test class path");
        List<Case> out = new ArrayList<>();
        try (var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String name = null, op = null;
            Map<String, Object> attrs = new LinkedHashMap<>();
            List<NdArray> inputs = new ArrayList<>();
            NdArray expected = null;
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) continue;
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "case" -> { name = f[1]; attrs.clear(); inputs.clear(); }
                    case "op" -> op = f[1];
                    case "attr" -> attrs.put(f[1], attrValue(f[2], f[3]));
                    case "in" -> inputs.add(tensor(f));
                    case "out" -> expected = tensor(f);
                    case "end" -> out.add(new Case(name, op, Attrs.of(attrs), List.copyOf(inputs), expected));
                    default -> fail("bad fixture line: " + line);
                }
            }
        }
        return out;
    }

    private static Object attrValue(String kind, String v) {
        return switch (kind) {
            case "int" -> Long.parseLong(v);
            case "float" -> Double.parseDouble(v);
            case "bool" -> Boolean.parseBoolean(v);
            case "string" -> v;
            case "ints" -> Arrays.stream(v.split(",")).mapToLong(Long::parseLong).toArray();
            default -> throw new IllegalArgumentException("attribute kind " + kind);
        };
    }

    private static NdArray tensor(String[] f) {
        DType dt = DType.fromText(f[1]);
        long[] shape = f[2].equals("-") ? new long[0] : Arrays.stream(f[2].split(",")).mapToLong(Long::parseLong).toArray();
        double[] v = new double[f.length - 3];
        for (int i = 0; i < v.length; i++) v[i] = Double.parseDouble(f[i + 3]);
        return new NdArray(dt, shape, v);
    }
}
