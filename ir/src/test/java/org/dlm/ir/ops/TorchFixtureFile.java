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
import java.util.TreeMap;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;

/**
 * Reads the PyTorch fixture files under {@code src/test/resources/fixtures} (written by the
 * {@code gen_torch_*.py} scripts there): one case per op application with its inputs, and either
 * the expected result ({@code out}) or a cotangent and the expected operand gradients.
 */
final class TorchFixtureFile {
    private TorchFixtureFile() {}

    record Case(String name, String op, Attrs attrs, List<NdArray> inputs, NdArray expected, NdArray cotangent,
                Map<Integer, NdArray> grads) {}

    static List<Case> load(String resource) throws IOException {
        var in = TorchFixtureFile.class.getResourceAsStream(resource);
        assertNotNull(in, resource + " on the test class path");
        List<Case> out = new ArrayList<>();
        try (var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String name = null, op = null;
            Map<String, Object> attrs = new LinkedHashMap<>();
            List<NdArray> inputs = new ArrayList<>();
            Map<Integer, NdArray> grads = new TreeMap<>();
            NdArray expected = null, cot = null;
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) continue;
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "case" -> { name = f[1]; attrs.clear(); inputs.clear(); grads.clear(); expected = null; cot = null; }
                    case "op" -> op = f[1];
                    case "attr" -> attrs.put(f[1], attrValue(f[2], f[3]));
                    case "in" -> inputs.add(tensor(f, 1));
                    case "out" -> expected = tensor(f, 1);
                    case "cot" -> cot = tensor(f, 1);
                    case "grad" -> grads.put(Integer.parseInt(f[1]), tensor(f, 2));
                    case "end" -> out.add(new Case(name, op, Attrs.of(attrs), List.copyOf(inputs), expected, cot, Map.copyOf(grads)));
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

    /** {@code <dtype> <shape or -> <values...>} starting at field {@code at}. */
    private static NdArray tensor(String[] f, int at) {
        DType dt = DType.fromText(f[at]);
        long[] shape = f[at + 1].equals("-") ? new long[0] : Arrays.stream(f[at + 1].split(",")).mapToLong(Long::parseLong).toArray();
        double[] v = new double[f.length - at - 2];
        for (int i = 0; i < v.length; i++) v[i] = Double.parseDouble(f[i + at + 2]);
        return new NdArray(dt, shape, v);
    }

    /** Element-wise comparison with a relative tolerance of 1e-7 (fixtures carry 9 significant digits). */
    static void assertMatches(NdArray want, NdArray got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        for (int i = 0; i < got.size(); i++)
            assertEquals(want.get(i), got.get(i), 1e-7 * (1 + Math.abs(want.get(i))), what + " element " + i);
    }
}
