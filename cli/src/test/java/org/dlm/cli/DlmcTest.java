package org.dlm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.io.Npy;
import org.dlm.runtime.io.Npz;
import org.dlm.runtime.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the picocli commands in process and checks exit codes, stdout and stderr. */
class DlmcTest {
    @TempDir Path tmp;

    record Result(int code, String out, String err) {
        void assertNoStackTrace() {
            assertFalse(err.contains("\tat ") || err.contains("Exception:"), "stack trace on stderr:\n" + err);
        }
    }

    static Result dlmc(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Dlmc.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    static final String TINY = """
        import std.nn.{Linear}

        model Tiny {
            fc = Linear(4, 3)
            forward(x: f32[B, 4]) -> f32[B, 3] {
                return fc(x)
            }
        }
        """;

    Path tiny() throws IOException {
        Path p = tmp.resolve("tiny.dlm");
        Files.writeString(p, TINY);
        return p;
    }

    static final NdArray W = NdArray.of(DType.F32, new long[] {3, 4}, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1);
    static final NdArray B = NdArray.of(DType.F32, new long[] {3}, 0.5, -1, 0);
    static final NdArray X = NdArray.of(DType.F32, new long[] {2, 4}, 1, 2, 3, 4, -1, -2, -3, -4);
    /** X @ W^T + B by hand. */
    static final NdArray Y = NdArray.of(DType.F32, new long[] {2, 3}, 1.5, 1, 10, -0.5, -3, -10);

    Path weights() throws IOException {
        Map<String, NdArray> w = new LinkedHashMap<>();
        w.put("fc.weight", W);
        w.put("fc.bias", B);
        Path p = tmp.resolve("w.npz");
        Npz.writeArrays(p, w, true);
        return p;
    }

    @Test void helpEverywhere() {
        for (String[] args : new String[][] {{"--help"}, {"check", "--help"}, {"ir", "--help"}, {"run", "--help"}, {"help", "run"}, {"help", "onnx-run"}}) {
            Result r = dlmc(args);
            assertEquals(0, r.code, String.join(" ", args));
            assertTrue(r.out.contains("Usage: dlmc"), r.out);
        }
        assertTrue(dlmc("--version").out.startsWith("dlmc "));
    }

    @Test void usageErrorsExitWith2() {
        for (String[] args : new String[][] {{}, {"frob"}, {"run"}, {"check"}, {"run", "lenet", "--digits", "many"},
                                              {"run", "lenet", "--backend", "gpu"}, {"ir", "lenet", "--bogus"}}) {
            Result r = dlmc(args);
            assertEquals(2, r.code, String.join(" ", args) + "\n" + r.err);
            r.assertNoStackTrace();
        }
    }

    @Test void checkSummarizesEachModel() throws IOException {
        Result r = dlmc("check", tiny().toString());
        assertEquals(0, r.code, r.err);
        assertEquals("Tiny: x: f32[B, 4] -> output: f32[B, 3]; 15 parameters in 2 tensors\n", r.out);
        r = dlmc("check", "lenet");
        assertEquals(0, r.code, r.err);
        assertEquals("LeNet: x: f32[B, 1, 28, 28] -> output: f32[B, 10]; 61706 parameters in 10 tensors\n", r.out);
        assertEquals(r.out, dlmc("check", "test-models:lenet").out);
    }

    @Test void checkReportsDiagnosticsWithExit1() throws IOException {
        Path bad = tmp.resolve("bad.dlm");
        Files.writeString(bad, TINY.replace("return fc(x)", "return fc(y)"));
        Result r = dlmc("check", bad.toString(), tiny().toString());
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith(bad + ":6:"), r.err);
        assertTrue(r.err.contains("error:") && r.err.contains("1 error"), r.err);
        assertTrue(r.out.contains("Tiny:"), "the good file is still checked: " + r.out);
        r.assertNoStackTrace();
        r = dlmc("check", tmp.resolve("nope.dlm").toString());
        assertEquals(1, r.code);
        assertEquals("error: " + tmp.resolve("nope.dlm") + ": no such file\n", r.err);
        r = dlmc("check", "nosuchmodel");
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("error: no file 'nosuchmodel' and no shipped model of that name"), r.err);
        r = dlmc("check", tmp.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + tmp + ": is a directory, not a .dlm file\n", r.err);
    }

    @Test void irPrintsTheGraph() throws IOException {
        Result r = dlmc("ir", tiny().toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.startsWith("graph Tiny(%x: f32[B, 4])"), r.out);
        assertTrue(r.out.contains("linear(%x, %fc.weight, %fc.bias)"), r.out);
        assertEquals(r.out, dlmc("ir", tiny().toString(), "--model", "Tiny").out);
        r = dlmc("ir", tiny().toString(), "--model", "Other");
        assertEquals(1, r.code);
        assertEquals("error: " + tiny() + " has no model 'Other'\n  hint: models in it: Tiny\n", r.err);
    }

    @Test void runWritesEachOutputAsNpy() throws IOException {
        Path x = tmp.resolve("x.npy");
        Npy.write(x, X);
        Path out = tmp.resolve("out");
        Result r = dlmc("run", tiny().toString(), "--backend", "interp", "--params", weights().toString(), "--input", "x=" + x, "--output-dir", out.toString());
        assertEquals(0, r.code, r.err);
        assertEquals(Y, Npy.readArray(out.resolve("output.npy")));
        assertEquals("output: f32[2, 3] -> " + out.resolve("output.npy") + "\n", r.out);
        // positional input, safetensors weights, values printed when small
        Path st = tmp.resolve("w.safetensors");
        Safetensors.writeArrays(st, Map.of("fc.weight", W, "fc.bias", B), Map.of());
        r = dlmc("run", tiny().toString(), "--params", st.toString(), x.toString());
        assertEquals(0, r.code, r.err);
        assertEquals("output: f32[2, 3] = [1.5, 1.0, 10.0, -0.5, -3.0, -10.0]\n", r.out);
    }

    @Test void runTakesInputsFromAnNpz() throws IOException {
        Path in = tmp.resolve("in.npz");
        Npz.writeArrays(in, Map.of("x", X), false);
        Result r = dlmc("run", tiny().toString(), "--params", weights().toString(), "--inputs", in.toString());
        assertEquals(0, r.code, r.err);
        assertEquals("output: f32[2, 3] = [1.5, 1.0, 10.0, -0.5, -3.0, -10.0]\n", r.out);
        Path bad = tmp.resolve("bad.npz");
        Npz.writeArrays(bad, Map.of("x", X, "z", X), false);
        r = dlmc("run", tiny().toString(), "--params", weights().toString(), "--inputs", bad.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + bad + ": tensor 'z' is not an input of model Tiny\n  hint: its inputs: x\n", r.err);
    }

    @Test void runConvertsFloatInputsWithANote() throws IOException {
        Path x = tmp.resolve("x64.npy");
        Npy.write(x, X.cast(DType.F64));
        Result r = dlmc("run", tiny().toString(), "--params", weights().toString(), x.toString());
        assertEquals(0, r.code, r.err);
        assertEquals("note: " + x + " holds f64; converted to f32 for input 'x'\n", r.err);
        Path xi = tmp.resolve("xi.npy");
        Npy.write(xi, X.cast(DType.I64));
        r = dlmc("run", tiny().toString(), "--params", weights().toString(), xi.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + xi + ": holds i64 but input 'x' of Tiny is f32[B, 4]\n", r.err);
    }

    @Test void runUserErrorsAreOneCleanMessage() throws IOException {
        Path x = tmp.resolve("x.npy");
        Npy.write(x, X);
        byte[] good = Files.readAllBytes(x);
        Path corrupt = tmp.resolve("corrupt.npy");
        Files.write(corrupt, java.util.Arrays.copyOf(good, good.length - 5));
        Result r = dlmc("run", tiny().toString(), "--params", weights().toString(), corrupt.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + corrupt + ": header says 8 elements of float32 (32 bytes) but the file holds 27 bytes of data (truncated?)\n", r.err);

        Path wrong = tmp.resolve("wrong.npz");
        Npz.writeArrays(wrong, Map.of("fc.weight", NdArray.zeros(DType.F32, 4, 3)), false);
        r = dlmc("run", tiny().toString(), "--params", wrong.toString(), x.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + wrong + ": tensor 'fc.weight' has shape [4, 3] but the model expects [3, 4]\n"
            + "error: " + wrong + ": 1 parameter of model 'Tiny' is missing: fc.bias\n", r.err);

        r = dlmc("run", tiny().toString(), "--params", weights().toString());
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("error: model Tiny needs input x\n  hint:"), r.err);
        r = dlmc("run", tiny().toString(), "--params", weights().toString(), x.toString(), x.toString());
        assertEquals(1, r.code);
        assertEquals("error: model Tiny takes 1 input (x) but 2 files were given\n", r.err);
        r = dlmc("run", tiny().toString(), "--params", weights().toString(), "--input", "y=" + x);
        assertEquals(1, r.code);
        assertEquals("error: model Tiny has no input 'y'\n  hint: its inputs: x\n", r.err);
        r = dlmc("run", tiny().toString(), x.toString());
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("error: model Tiny has 2 parameter tensors but no weights were given"), r.err);
        // an input whose shape contradicts the model: the interpreter's message, still no trace
        Path x3 = tmp.resolve("x3.npy");
        Npy.write(x3, NdArray.zeros(DType.F32, 2, 3));
        r = dlmc("run", tiny().toString(), "--params", weights().toString(), x3.toString());
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("error: ") && r.err.contains("x"), r.err);
        r.assertNoStackTrace();
        r = dlmc("run", tiny().toString(), "--params", weights().toString(), x.toString(), "-o", x.toString());
        assertEquals(1, r.code);
        assertEquals("error: " + x + ": exists and is not a directory\n  hint: give --output-dir a directory (it is created if missing)\n", r.err);
        r = dlmc("run", tiny().toString(), "--backend", "opencl");
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("error: model Tiny has 2 parameter tensors but no weights were given"), r.err);
    }

    @Test void runShippedLenetOnOpenCl() {
        Result r = dlmc("run", "lenet", "--digits", "8", "--backend", "opencl");
        assertEquals(0, r.code, r.err);
        assertEquals("""
            LeNet on the first 8 shipped MNIST test digits (backend opencl, weights test-models:weights/lenet.safetensors)
              label:     3 9 8 3 8 2 6 2
              predicted: 3 9 8 3 8 2 6 2
            accuracy: 8/8 = 100.0%
            """, r.out);
        r = dlmc("compile", "lenet", "--batch", "2", "--emit=opencl");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.startsWith("// DLM module LeNet") && r.out.contains("void dlm_sgemm(") && r.out.contains("get_global_id("), r.out);
    }

    @Test void runShippedLenetOnShippedDigits() {
        Result r = dlmc("run", "lenet", "--digits", "8", "--backend", "interp");
        assertEquals(0, r.code, r.err);
        assertEquals("""
            LeNet on the first 8 shipped MNIST test digits (backend interp, weights test-models:weights/lenet.safetensors)
              label:     3 9 8 3 8 2 6 2
              predicted: 3 9 8 3 8 2 6 2
            accuracy: 8/8 = 100.0%
            """, r.out);
        r = dlmc("run", "lenet", "--digits", "0");
        assertEquals(1, r.code);
        assertEquals("error: --digits must be between 1 and 2000, got 0\n", r.err);
    }

    @Test void onnxExportThenOnnxRunGiveTheInterpretersNumbers() throws IOException {
        Path onnx = tmp.resolve("tiny.onnx");
        Result r = dlmc("onnx-export", tiny().toString(), "--weights", weights().toString(), "-o", onnx.toString());
        assertEquals(0, r.code, r.err);
        Path in = Files.createDirectories(tmp.resolve("in")), out = tmp.resolve("out");
        Npy.write(in.resolve("x.npy"), X);
        r = dlmc("onnx-run", onnx.toString(), "--input-dir", in.toString(), "--output-dir", out.toString(), "--backend", "interp");
        assertEquals(0, r.code, r.err);
        try (var files = Files.list(out)) {
            List<Path> outs = files.toList();
            assertEquals(1, outs.size(), outs.toString());
            assertEquals(Y, Npy.readArray(outs.get(0)));
        }
        r = dlmc("onnx-run", "--help");
        assertEquals(0, r.code);
        assertTrue(r.out.startsWith("usage: onnx-run MODEL"), r.out);
        r = dlmc("onnx-run", tmp.resolve("missing.onnx").toString(), "--input-dir", in.toString(), "--output-dir", out.toString());
        assertEquals(1, r.code);
        assertTrue(r.err.contains("missing.onnx"), r.err);
        r.assertNoStackTrace();
    }

    /** Random argument soup: every outcome is a clean exit code 0-3, never a stack trace. */
    @Test void randomCommandLinesNeverCrash() throws IOException {
        Path x = tmp.resolve("x.npy");
        Npy.write(x, X);
        Path garbage = tmp.resolve("garbage.npy");
        Files.write(garbage, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) 0xff, (byte) 0xff, '{'});
        Path badDlm = tmp.resolve("bad.dlm");
        Files.writeString(badDlm, "model { forward( -> }");
        String[] words = {"check", "ir", "run", "help", "--help", "--model", "Tiny", "Nope", "--params", weights().toString(),
            garbage.toString(), x.toString(), "--input", "x=" + x, "x=" + garbage, "--inputs", "--backend", "interp", "llvm",
            "-o", tmp.resolve("o").toString(), tiny().toString(), badDlm.toString(), "--digits", "3", "-1", "", "=", "--debug",
            tmp.toString(), "missing.dlm", "lenet"};
        java.util.Random rnd = new java.util.Random(5);
        for (int i = 0; i < 150; i++) {
            String[] args = new String[rnd.nextInt(6)];
            for (int k = 0; k < args.length; k++) args[k] = words[rnd.nextInt(words.length)];
            Result r = dlmc(args);
            String cmd = String.join(" ", args);
            assertTrue(r.code >= 0 && r.code <= 3, cmd + " -> " + r.code + "\n" + r.err);
            r.assertNoStackTrace();
            if (r.code == 1) assertTrue(r.err.contains("error"), cmd + ": " + r.err);
        }
    }

    @Test void internalErrorsHideTheTraceUnlessDebugging() {
        StringWriter err = new StringWriter();
        assertEquals(70, Dlmc.report(new IllegalStateException("boom"), new PrintWriter(err, true), false));
        assertEquals("internal error: java.lang.IllegalStateException: boom\n"
            + "  this is a bug in dlmc; rerun with --debug for the stack trace and report it\n", err.toString());
        StringWriter dbg = new StringWriter();
        assertEquals(70, Dlmc.report(new IllegalStateException("boom"), new PrintWriter(dbg, true), true));
        assertTrue(dbg.toString().contains("\tat org.dlm.cli.DlmcTest"), dbg.toString());
        StringWriter un = new StringWriter();
        assertEquals(3, Dlmc.report(new UnsupportedOperationException("op 'fft' has no kernel"), new PrintWriter(un, true), false));
        assertEquals("error: not supported yet: op 'fft' has no kernel\n", un.toString());
    }
}
