package org.dlm.cli;

import static org.dlm.cli.DlmcTest.dlmc;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.cli.DlmcTest.Result;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.io.Npy;
import org.dlm.runtime.io.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The llvm backend through the CLI: run, compile, bench, and the unsupported-op exit code. */
class NativeCommandsTest {
    @TempDir Path tmp;

    /** A conv + pool + linear model with a batch symbol: exercises GEMM, the direct convolution and reductions. */
    static final String SMALL_CNN = """
        import std.nn.{Conv2d, Linear}
        import std.ops.{relu, max_pool2d, flatten}

        model SmallCnn {
            conv = Conv2d(2, 3, 3, padding = 1)
            fc = Linear(48, 5)
            forward(x: f32[B, 2, 8, 8]) -> f32[B, 5] {
                return fc(flatten(max_pool2d(relu(conv(x)), 2), 1))
            }
        }
        """;

    private Path write(String name, String text) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static NdArray random(long seed, long... shape) {
        java.util.Random r = new java.util.Random(seed);
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = r.nextDouble() * 2 - 1;
        return new NdArray(DType.F32, shape, d);
    }

    private Path cnnWeights() throws IOException {
        Map<String, NdArray> w = new LinkedHashMap<>();
        w.put("conv.weight", random(1, 3, 2, 3, 3));
        w.put("conv.bias", random(2, 3));
        w.put("fc.weight", random(3, 5, 48));
        w.put("fc.bias", random(4, 5));
        Path p = tmp.resolve("cnn.npz");
        Npz.writeArrays(p, w, false);
        return p;
    }

    @Test void helpNamesTheNewCommands() {
        for (String cmd : List.of("compile", "bench")) {
            Result r = dlmc(cmd, "--help");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("Usage: dlmc " + cmd + " "), r.out());
        }
        Result top = dlmc("--help");
        assertTrue(top.out().contains("  compile ") && top.out().contains("  bench "), top.out());
    }

    @Test void runWithLlvmEqualsTheInterpreter() throws IOException {
        Path model = write("cnn.dlm", SMALL_CNN), w = cnnWeights(), x = tmp.resolve("x.npy");
        Npy.write(x, random(5, 3, 2, 8, 8));
        Path outInterp = tmp.resolve("interp"), outLlvm = tmp.resolve("llvm");
        Result ri = dlmc("run", model.toString(), "--backend", "interp", "--params", w.toString(), x.toString(), "-o", outInterp.toString());
        assertEquals(0, ri.code(), ri.err());
        Result rl = dlmc("run", model.toString(), "--backend", "llvm", "--threads", "1", "--params", w.toString(), x.toString(), "-o", outLlvm.toString());
        assertEquals(0, rl.code(), rl.err());
        assertEquals(ri.out().replace(outInterp.toString(), "OUT"), rl.out().replace(outLlvm.toString(), "OUT"));
        NdArray want = Npy.readArray(outInterp.resolve("output.npy")), got = Npy.readArray(outLlvm.resolve("output.npy"));
        assertArrayEquals(new long[] {3, 5}, got.shape());
        double diff = got.maxAbsDiff(want);
        assertTrue(diff < 1e-5, "max |llvm - interp| = " + diff);
        assertTrue(want.maxAbsDiff(NdArray.zeros(DType.F32, 3, 5)) > 0.1, "a real, non-zero result");
        // llvm is the default backend, and its result on the hand-computed Linear is exact
        Path tx = tmp.resolve("tx.npy");
        Npy.write(tx, DlmcTest.X);
        Path tw = tmp.resolve("tw.npz");
        Npz.writeArrays(tw, Map.of("fc.weight", DlmcTest.W, "fc.bias", DlmcTest.B), false);
        Result rt = dlmc("run", write("tiny.dlm", DlmcTest.TINY).toString(), "--params", tw.toString(), tx.toString());
        assertEquals(0, rt.code(), rt.err());
        assertEquals("output: f32[2, 3] = [1.5, 1.0, 10.0, -0.5, -3.0, -10.0]\n", rt.out());
    }

    @Test void runRejectsInputsOfTheWrongShape() throws IOException {
        Path model = write("cnn.dlm", SMALL_CNN), w = cnnWeights(), x = tmp.resolve("x.npy");
        Npy.write(x, random(5, 3, 2, 8, 7));
        Result r = dlmc("run", model.toString(), "--params", w.toString(), x.toString());
        assertEquals(1, r.code());
        assertEquals("error: input 'x' of SmallCnn should be f32[3, 2, 8, 8], got f32[3, 2, 8, 7]\n", r.err());
    }

    @Test void compilePrintsTimeAndMemoryPlan() throws IOException {
        Path model = write("cnn.dlm", SMALL_CNN), w = cnnWeights();
        Result r = dlmc("compile", model.toString(), "--params", w.toString(), "--batch", "4", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].matches("compiled SmallCnn for \\{B=4} \\(1 thread, weights .*cnn\\.npz\\) in [0-9.]+ ms"), lines[0]);
        assertTrue(lines[1].matches("  phases: lower \\d+ ms, LLVM setup \\d+ ms, IR build \\d+ ms, \\d+ modules? in \\d+ ms "
                + "\\(verify \\d+, O3 \\d+, machine code \\d+ ms summed(, \\d+ from the object cache)?\\), waiting for shared GEMM kernels \\d+ ms, link \\d+ ms"), lines[1]);
        assertEquals("memory plan:", lines[2]);
        assertTrue(lines[3].matches("  arena \\(peak of temporaries\\): [1-9]\\d* B.*, \\d+ temporaries of \\d+ B.* in total"), lines[3]);
        // 3*2*3*3 + 3 + 5*48 + 5 = 302 floats; the block may be padded for alignment
        long paramBytes = Long.parseLong(lines[4].replaceAll("^  parameters: +(\\d+) B.*$", "$1"));
        assertTrue(paramBytes >= 302 * 4 && paramBytes < 302 * 4 + 4 * 64, lines[4]);
        assertEquals("  input  x: f32[4, 2, 8, 8]", lines[5]);
        assertEquals("  output output: f32[4, 5]", lines[6]);
        // conv: 4*3*8*8 outputs x 2*3*3 MACs, linear: 4*5 x 48 MACs
        long flops = 2L * (4 * 3 * 8 * 8 * 18 + 4 * 5 * 48);
        assertTrue(lines[7].startsWith("FLOPs per call: " + flops + " FLOP (2 x MACs of conv2d/"), lines[7]);
        assertEquals("", r.err());

        Result k = dlmc("compile", model.toString(), "--params", w.toString(), "--batch", "4", "--emit=kernel");
        assertEquals(0, k.code(), k.err());
        assertTrue(k.out().startsWith("kernel "), k.out());
        assertTrue(k.out().contains("arena="), k.out());
        Result l = dlmc("compile", model.toString(), "--params", w.toString(), "--emit=llvm");
        assertEquals(0, l.code(), l.err());
        assertTrue(l.out().contains("define ") && l.out().contains("@dlm_run"), l.out().substring(0, Math.min(400, l.out().length())));
        Result bad = dlmc("compile", model.toString(), "--emit=asm");
        assertEquals(2, bad.code());
        bad.assertNoStackTrace();
        // no weights: synthetic values, said on stderr
        Result syn = dlmc("compile", model.toString());
        assertEquals(0, syn.code(), syn.err());
        assertTrue(syn.err().startsWith("note: no weights given for SmallCnn; using synthetic parameter values"), syn.err());
        assertTrue(syn.out().startsWith("compiled SmallCnn for {B=1}"), syn.out());
    }

    @Test void benchJsonIsOneParseableLineWithTheSchema() throws IOException {
        Path model = write("cnn.dlm", SMALL_CNN), w = cnnWeights(), x = tmp.resolve("x.npy"), out = tmp.resolve("o");
        NdArray input = random(6, 2, 2, 8, 8);
        Npy.write(x, input);
        assertEquals(0, dlmc("run", model.toString(), "--backend", "interp", "--params", w.toString(), x.toString(), "-o", out.toString()).code());
        Path expected = out.resolve("output.npy");
        Result r = dlmc("bench", model.toString(), "--params", w.toString(), "--input", x.toString(), "--expected", expected.toString(),
            "--batch", "2", "--threads", "1", "--min-time", "0.05", "--json");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(1, lines.length, r.out());
        Map<String, Object> rec = Json.parseObject(lines[0]);
        assertEquals("infer", rec.get("bench"));
        assertEquals("dlmc-llvm", rec.get("peer"));
        assertEquals("SmallCnn", rec.get("model"));
        assertEquals(2L, rec.get("batch"));
        assertEquals(1L, rec.get("threads"));
        for (String f : List.of("median_ms", "p10_ms", "p90_ms", "min_ms", "gflops", "compile_ms", "max_abs_diff", "other_cpu"))
            assertInstanceOf(Double.class, rec.get(f), f + " in " + lines[0]);
        double min = (Double) rec.get("min_ms"), p10 = (Double) rec.get("p10_ms"), med = (Double) rec.get("median_ms"), p90 = (Double) rec.get("p90_ms");
        assertTrue(0 < min && min <= p10 && p10 <= med && med <= p90, lines[0]);
        assertTrue((Long) rec.get("reps") >= 10, lines[0]);
        assertTrue((Double) rec.get("max_abs_diff") < 1e-5, lines[0]);
        assertTrue((Double) rec.get("gflops") > 0 && (Double) rec.get("compile_ms") > 0, lines[0]);
        assertEquals(2L * (2 * 3 * 8 * 8 * 18 + 2 * 5 * 48), rec.get("flops_per_call"));
        assertTrue((Long) rec.get("arena_bytes") > 0, lines[0]);

        // a list of thread counts: one line each
        Result two = dlmc("bench", model.toString(), "--params", w.toString(), "--input", x.toString(), "--threads", "1,2",
            "--min-time", "0", "--min-reps", "3", "--json");
        assertEquals(0, two.code(), two.err());
        String[] both = two.out().split("\n");
        assertEquals(2, both.length, two.out());
        assertEquals(1L, Json.parseObject(both[0]).get("threads"));
        assertEquals(2L, Json.parseObject(both[1]).get("threads"));
        assertEquals(3L, Json.parseObject(both[1]).get("reps"));

        // the text report, random inputs and synthetic weights
        Result t = dlmc("bench", model.toString(), "--batch", "3", "--threads", "1", "--min-time", "0.05", "--min-reps", "12");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().startsWith("SmallCnn (SmallCnn), batch 3, 1 thread, weights synthetic\n"), t.out());
        assertTrue(t.out().matches("(?s).*latency: +median [0-9.]+ ms +p10 [0-9.]+ ms +p90 [0-9.]+ ms +min [0-9.]+ ms +\\((1[2-9]|[2-9]\\d|\\d{3,}) timed calls\\).*"), t.out());
        assertTrue(t.out().contains("memory:   arena peak "), t.out());
    }

    @Test void benchTrainTimesACompiledStepOrReportsWhyNot() throws IOException {
        Result r = dlmc("bench", "mlp", "--train", "--batch", "8", "--threads", "1", "--min-time", "0", "--min-reps", "4", "--json");
        assertEquals(0, r.code(), r.out() + r.err());
        String[] lines = r.out().split("\n");
        assertEquals(1, lines.length, r.out());
        Map<String, Object> rec = Json.parseObject(lines[0]);
        assertEquals("train", rec.get("bench"));
        assertEquals("dlmc-llvm", rec.get("peer"));
        assertEquals("mlp", rec.get("model"));
        assertEquals(8L, rec.get("batch"));
        assertEquals(1L, rec.get("threads"));
        assertEquals("SGD(lr=0.01,momentum=0.9)+CrossEntropy", rec.get("optimizer"));
        assertTrue((Double) rec.get("median_ms") > 0 && (Double) rec.get("samples_per_s") > 0, lines[0]);
        assertTrue((Long) rec.get("reps") >= 4, lines[0]);
        assertTrue(rec.get("cpu_ms_per_step") instanceof Number cpu && cpu.doubleValue() >= 0, lines[0]);
        // SGD on one fixed batch of random labels memorizes it: the loss falls step by step
        assertTrue((Double) rec.get("last_loss") < (Double) rec.get("first_loss"), lines[0]);

        // a model whose step may not compile: one line either way, an error field instead of a crash
        Path model = write("cnn.dlm", SMALL_CNN);
        Result c = dlmc("bench", model.toString(), "--train", "--batch", "2", "--threads", "1", "--min-time", "0", "--min-reps", "2", "--json");
        c.assertNoStackTrace();
        Map<String, Object> cr = Json.parseObject(c.out().strip());
        assertEquals("train", cr.get("bench"));
        if (c.code() == 3) assertTrue(String.valueOf(cr.get("error")).startsWith("cannot compile the training step"), c.out());
        else assertEquals(0, c.code(), c.out() + c.err());
    }

    @Test void benchUserErrors() throws IOException {
        Path model = write("cnn.dlm", SMALL_CNN), w = cnnWeights(), x = tmp.resolve("x.npy"), y = tmp.resolve("y.npy");
        Npy.write(x, random(6, 2, 2, 8, 8));
        Npy.write(y, random(7, 2, 4));
        Result r = dlmc("bench", model.toString(), "--params", w.toString(), "--input", x.toString(), "--batch", "4", "--min-time", "0");
        assertEquals(1, r.code());
        assertEquals("error: --batch 4 but the input holds a batch of 2\n  hint: drop --batch or give an input of that batch\n", r.err());
        r = dlmc("bench", model.toString(), "--params", w.toString(), "--input", x.toString(), "--expected", y.toString(), "--min-time", "0");
        assertEquals(1, r.code());
        assertEquals("error: " + y + ": holds f32[2, 4] but output 'output' is f32[2, 5]\n", r.err());
        r = dlmc("bench", model.toString(), "--min-time", "-1");
        assertEquals(1, r.code());
        r = dlmc("bench", model.toString(), "--threads", "0", "--min-time", "0");
        assertEquals(1, r.code());
        assertEquals("error: --threads must be at least 1, got 0\n", r.err());
        r.assertNoStackTrace();
    }

    /** Every op lowers now (the gradient lowerings included); half precision still does not. */
    static final String HALF = """
        model Half {
            forward(a: f16[B, 4], b: f16[B, 4]) -> f16[B, 4] {
                return a + b
            }
        }
        """;

    @Test void unsupportedOpsExitWith3AndNameThem() throws IOException {
        Path model = write("half.dlm", HALF), a = tmp.resolve("a.npy"), b = tmp.resolve("b.npy");
        Npy.write(a, DlmcTest.X.cast(DType.F16));
        Npy.write(b, NdArray.zeros(DType.F16, 2, 4));
        Result r = dlmc("run", model.toString(), a.toString(), b.toString());
        assertEquals(3, r.code(), r.err());
        assertEquals("error: unsupported by the llvm backend: the LLVM backend cannot lower ops add on f16, input on f16\n"
            + "  hint: run this model with --backend interp\n", r.err());
        for (String cmd : List.of("compile", "bench")) {
            Result c = dlmc(cmd, model.toString(), "--batch", "2");
            assertEquals(3, c.code(), cmd + ": " + c.err());
            assertTrue(c.err().contains("cannot lower ops add on f16"), c.err());
            c.assertNoStackTrace();
        }
        // the interpreter runs it: x + 0
        Result ok = dlmc("run", model.toString(), "--backend", "interp", a.toString(), b.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().startsWith("output: f16[2, 4] = "), ok.out());
    }

    /** Random compile/bench/run command lines: every outcome is a clean exit code 0-3, never a stack trace. */
    @Test void randomNativeCommandLinesNeverCrash() throws IOException {
        Path model = write("cnn.dlm", SMALL_CNN), w = cnnWeights(), x = tmp.resolve("x.npy"), bad = write("bad.dlm", "model {");
        Npy.write(x, random(5, 2, 2, 8, 8));
        String[] words = {"compile", "bench", "run", model.toString(), bad.toString(), "--params", w.toString(), x.toString(), "--input",
            "--expected", "--batch", "--threads", "0", "2", "1,2", "-3", "x", "--min-time", "--min-reps", "--json", "--emit=kernel",
            "--emit=llvm", "--emit=asm", "--dim", "B=2", "Q=3", "--backend", "interp", "llvm", "missing.dlm"};
        java.util.Random rnd = new java.util.Random(11);
        for (int i = 0; i < 60; i++) {
            String[] args = new String[1 + rnd.nextInt(7)];
            args[0] = words[rnd.nextInt(3)];
            for (int k = 1; k < args.length; k++) args[k] = words[rnd.nextInt(words.length)];
            // keep bench short: a min-time of 0 unless the soup chose its own
            java.util.List<String> all = new java.util.ArrayList<>(List.of(args));
            if (args[0].equals("bench") && !all.contains("--min-time")) all.addAll(List.of("--min-time", "0", "--min-reps", "2"));
            Result r = dlmc(all.toArray(String[]::new));
            String cmd = String.join(" ", all);
            assertTrue(r.code() >= 0 && r.code() <= 3, cmd + " -> " + r.code() + "\n" + r.err());
            r.assertNoStackTrace();
            if (r.code() == 1) assertTrue(r.err().contains("error"), cmd + ": " + r.err());
        }
    }

    /** The FLOP counter reproduces the analytic counts of the PyTorch reference models (per sample). */
    @Test void flopCounterMatchesThePytorchReferenceCounts() {
        Map<String, Long> perSample = Map.of("mlp", 1_337_344L, "lenet", 833_040L, "resnet20", 81_626_368L,
            "mobilenet", 54_396_928L, "transformer", 436_212_736L);
        for (var e : perSample.entrySet()) {
            Graph g = ModelSource.load("test-models:" + e.getKey()).pick(null);
            assertEquals(e.getValue(), FlopCounter.flops(g, Map.of("B", 1L)), e.getKey());
            assertEquals(64 * e.getValue(), FlopCounter.flops(g, Map.of("B", 64L)), e.getKey());
        }
    }

    /** Just enough JSON for one flat object line: strings, integers (Long), other numbers (Double), booleans, null. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) { this.s = s; }

        static Map<String, Object> parseObject(String text) {
            Json p = new Json(text.strip());
            Map<String, Object> m = new LinkedHashMap<>();
            p.expect('{');
            if (p.peek() == '}') { p.i++; return m; }
            while (true) {
                String k = p.string();
                p.expect(':');
                assertNull(m.put(k, p.value()), "duplicate key " + k);
                char c = p.next();
                if (c == '}') break;
                assertEquals(',', c, "at " + p.i + " in " + text);
            }
            assertEquals(p.s.length(), p.i, "trailing text in " + text);
            return m;
        }

        private char peek() { while (s.charAt(i) == ' ') i++; return s.charAt(i); }
        private char next() { char c = peek(); i++; return c; }
        private void expect(char c) { assertEquals(c, next(), "at " + i + " in " + s); }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            for (char c; (c = s.charAt(i++)) != '"'; ) {
                if (c == '\\') {
                    char e = s.charAt(i++);
                    sb.append(switch (e) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        case 'u' -> { char u = (char) Integer.parseInt(s.substring(i, i + 4), 16); i += 4; yield u; }
                        default -> e;
                    });
                } else sb.append(c);
            }
            return sb.toString();
        }

        private Object value() {
            char c = peek();
            if (c == '"') return string();
            for (String lit : List.of("null", "true", "false"))
                if (s.startsWith(lit, i)) { i += lit.length(); return lit.equals("null") ? null : Boolean.valueOf(lit); }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            String num = s.substring(start, i);
            assertFalse(num.isEmpty(), "no value at " + start + " in " + s);
            return num.matches("-?\\d+") ? (Object) Long.parseLong(num) : (Object) Double.parseDouble(num);
        }
    }
}
