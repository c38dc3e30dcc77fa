package org.dlm.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.onnx.proto.OnnxProto.TensorProto;
import org.junit.jupiter.api.Test;

/**
 * Runs ONNX's own backend node tests (the subset in src/test/resources/onnx-node, chosen by
 * src/test/python/generate_node_tests.py) through the importer and the reference interpreter.
 * Every test must finish without a crash or hang; the pass count must not fall below {@link #PASS_FLOOR}
 * (raise it as ops land: it is a ratchet).
 */
class OnnxNodeConformanceTest {
    /** Tests that must pass; the suite prints the actual count. */
    static final int PASS_FLOOR = 841;
    static final long TIMEOUT_SECONDS = 30;

    enum Outcome { PASS, MISMATCH, UNSUPPORTED, ERROR, CRASH, TIMEOUT }

    record Result(String test, Outcome outcome, String detail, List<OnnxIssue> issues) {}

    @Test
    void nodeTests() throws Exception {
        Path root = Path.of(OnnxNodeConformanceTest.class.getResource("/onnx-node/tests.txt").toURI()).getParent();
        List<String> tests = Files.readAllLines(root.resolve("tests.txt")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertTrue(tests.size() > 800, "test list is incomplete: " + tests.size());
        List<Result> results = new ArrayList<>();
        ExecutorService pool = daemonPool();
        for (String t : tests) {
            Future<Result> f = pool.submit(() -> runOne(root.resolve(t), t));
            try {
                results.add(f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            } catch (TimeoutException e) {
                f.cancel(true);
                pool.shutdownNow();
                pool = daemonPool();
                results.add(new Result(t, Outcome.TIMEOUT, "no result after " + TIMEOUT_SECONDS + " s", List.of()));
            }
        }
        pool.shutdownNow();
        report(results, tests.size());
        List<Result> broken = results.stream().filter(r -> r.outcome() == Outcome.CRASH || r.outcome() == Outcome.TIMEOUT).toList();
        assertEquals(List.of(), broken.stream().map(r -> r.test() + ": " + r.outcome() + " " + r.detail()).toList(), "crashes or hangs");
        long pass = results.stream().filter(r -> r.outcome() == Outcome.PASS).count();
        assertTrue(pass >= PASS_FLOOR, "only " + pass + " ONNX node tests pass, the floor is " + PASS_FLOOR);
    }

    private static ExecutorService daemonPool() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(null, r, "onnx-node-test", 64 << 20);
            th.setDaemon(true);
            return th;
        });
    }

    static Result runOne(Path dir, String name) {
        try {
            ModelProto m = OnnxImporter.load(dir.resolve("model.onnx"));
            Path data = dir.resolve("test_data_set_0");
            List<String> inNames = OnnxRunner.inputNames(m);
            Map<String, NdArray> inputs = new LinkedHashMap<>();
            for (int i = 0; i < inNames.size(); i++) inputs.put(inNames.get(i), readPb(data.resolve("input_" + i + ".pb")));
            Map<String, NdArray> got = OnnxRunner.run(m, dir, inputs);
            List<String> outNames = new ArrayList<>(OnnxRunner.outputTypes(m).keySet());
            StringBuilder why = new StringBuilder();
            for (int i = 0; i < outNames.size(); i++) {
                NdArray want = readPb(data.resolve("output_" + i + ".pb"));
                String d = compare(got.get(outNames.get(i)), want);
                if (d != null) why.append(outNames.get(i)).append(": ").append(d).append("; ");
            }
            return why.isEmpty() ? new Result(name, Outcome.PASS, "", List.of()) : new Result(name, Outcome.MISMATCH, why.toString(), List.of());
        } catch (OnnxException e) {
            return new Result(name, e.isUnsupported() ? Outcome.UNSUPPORTED : Outcome.ERROR, e.getMessage(), e.issues());
        } catch (Throwable e) {
            return new Result(name, Outcome.CRASH, e.toString() + " at " + (e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?"), List.of());
        }
    }

    static NdArray readPb(Path p) throws IOException {
        TensorProto t = TensorProto.parseFrom(Files.readAllBytes(p));
        // numpy has no bfloat16: ONNX's generator stores bf16 test data as uint16 bit patterns
        if (t.getDataType() == TensorProto.DataType.UINT16_VALUE) t = t.toBuilder().setDataType(TensorProto.DataType.BFLOAT16_VALUE).build();
        return new TensorDecoder(p.getParent()).decode(t, p.getFileName().toString());
    }

    /** ONNX's backend test tolerance (rtol 1e-3, atol 1e-7), looser for 16-bit floats, exact dtype and shape; NaN equals NaN. */
    static String compare(NdArray got, NdArray want) {
        if (got == null) return "no output";
        if (got.dtype() != want.dtype()) return "dtype " + got.dtype() + ", expected " + want.dtype();
        if (!Arrays.equals(got.shape(), want.shape())) return "shape " + Arrays.toString(got.shape()) + ", expected " + Arrays.toString(want.shape());
        double rtol = 1e-3, atol = 1e-7;
        if (want.dtype() == DType.F16) { rtol = 4e-3; atol = 1e-3; }
        if (want.dtype() == DType.BF16) { rtol = 2e-2; atol = 1e-2; }
        if (!want.dtype().isFloating()) { rtol = 0; atol = 0; }
        for (int i = 0; i < want.size(); i++) {
            double g = got.get(i), w = want.get(i);
            if (Double.isNaN(g) && Double.isNaN(w) || g == w) continue;
            if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w)))
                return "element " + i + " is " + g + ", expected " + w;
        }
        return null;
    }

    private static void report(List<Result> results, int total) throws IOException {
        Map<Outcome, Long> counts = results.stream().collect(Collectors.groupingBy(Result::outcome, TreeMap::new, Collectors.counting()));
        Map<String, Integer> unsupported = new TreeMap<>();
        for (Result r : results)
            for (OnnxIssue i : r.issues()) if (i.unsupported()) unsupported.merge(i.what(), 1, Integer::sum);
        String top = unsupported.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(25)
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
        long pass = counts.getOrDefault(Outcome.PASS, 0L);
        System.out.printf("ONNX node tests: %d of %d pass (%.1f %%) %s%n", pass, total, 100.0 * pass / total, counts);
        System.out.println("top unsupported: " + top);
        StringBuilder sb = new StringBuilder();
        for (Result r : results) sb.append(r.outcome()).append(' ').append(r.test()).append(' ').append(r.detail().replace('\n', ' ')).append('\n');
        Path out = Path.of("target", "onnx-node-report.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, sb.toString());
        System.out.println("details: " + out.toAbsolutePath());
    }
}
