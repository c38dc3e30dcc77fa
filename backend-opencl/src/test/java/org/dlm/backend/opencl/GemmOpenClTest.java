package org.dlm.backend.opencl;

import static org.dlm.ir.kernel.Expr.i64;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.ir.DType;
import org.dlm.ir.TensorType;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.KernelModule;
import org.dlm.ir.kernel.KernelVerifier;
import org.dlm.ir.kernel.Microkernels;
import org.dlm.ir.kernel.Stmt;
import org.dlm.passes.lower.Lowered;
import org.dlm.runtime.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Both OpenCL GEMMs (tiled and direct) for all four transposes and every flag, with odd sizes, padded leading
 * dimensions and non-zero operand offsets, against a plain Java product. One module (one
 * OpenCL program) per size holds every case as a statement writing its own output.
 */
class GemmOpenClTest {
    static final int[] FLAGS = {0, Microkernels.ACCUMULATE, Microkernels.BIAS_COLUMNS | Microkernels.RELU,
            Microkernels.BIAS_ROWS | Microkernels.ACCUMULATE, Microkernels.RELU | Microkernels.ACCUMULATE | Microkernels.BIAS_COLUMNS};

    @ParameterizedTest
    @CsvSource({"37,21,19,true", "1,1,1,true", "70,45,33,true", "5,130,2,true", "37,21,19,false", "1,1,1,false", "70,45,33,false", "5,130,2,false"})
    void everyTransposeAndFlagMatchesJava(int m, int n, int k, boolean tiled) {
        int offA = 5, offB = 3, ldc = n + 2;
        int lda = Math.max(m, k) + 3, ldb = Math.max(n, k) + 1;
        long sizeA = offA + (long) Math.max(m, k) * lda, sizeB = offB + (long) Math.max(n, k) * ldb;
        Buffer a = new Buffer("a", Buffer.Kind.INPUT, DType.F32, sizeA, 0, 0);
        Buffer b = new Buffer("b", Buffer.Kind.INPUT, DType.F32, sizeB, 1, 0);
        Buffer c0 = new Buffer("c0", Buffer.Kind.INPUT, DType.F32, (long) m * ldc, 2, 0);
        Buffer bias = new Buffer("bias", Buffer.Kind.INPUT, DType.F32, Math.max(m, n), 3, 0);
        List<Buffer> buffers = new ArrayList<>(List.of(a, b, c0, bias));
        List<Stmt> body = new ArrayList<>();
        List<Lowered.Port> outs = new ArrayList<>();
        List<int[]> cases = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            for (int flags : FLAGS) {
                boolean ta = (t & 2) != 0, tb = (t & 1) != 0;
                int slot = outs.size();
                Buffer c = new Buffer("c" + slot + "_out", Buffer.Kind.OUTPUT, DType.F32, (long) m * ldc, slot, 0);
                buffers.add(c);
                outs.add(new Lowered.Port("y" + slot, TensorType.of(DType.F32, m, ldc), c));
                cases.add(new int[] {ta ? 1 : 0, tb ? 1 : 0, flags});
                body.add(new Stmt.Loop("i" + slot, i64((long) m * ldc), 1, true,
                        List.of(new Stmt.Store(c, new Expr.Var("i" + slot, DType.I64), Expr.load(c0, new Expr.Var("i" + slot, DType.I64))))));
                body.add(new Stmt.Call(Microkernels.sgemm(ta, tb), List.of(
                        new Stmt.ScalarArg(i64(m)), new Stmt.ScalarArg(i64(n)), new Stmt.ScalarArg(i64(k)),
                        new Stmt.PtrArg(a, i64(offA)), new Stmt.ScalarArg(i64(lda)),
                        new Stmt.PtrArg(b, i64(offB)), new Stmt.ScalarArg(i64(ldb)),
                        new Stmt.PtrArg(c, i64(0)), new Stmt.ScalarArg(i64(ldc)),
                        new Stmt.ScalarArg(Expr.c(DType.I32, flags)),
                        (flags & (Microkernels.BIAS_COLUMNS | Microkernels.BIAS_ROWS)) != 0 ? new Stmt.PtrArg(bias, i64(0)) : new Stmt.NullArg())));
            }
        }
        KernelModule module = new KernelModule("gemm", buffers, body, 0, 0);
        KernelVerifier.verify(module);
        List<Lowered.Port> ins = List.of(new Lowered.Port("a", TensorType.of(DType.F32, sizeA), a), new Lowered.Port("b", TensorType.of(DType.F32, sizeB), b),
                new Lowered.Port("c0", TensorType.of(DType.F32, m, ldc), c0), new Lowered.Port("bias", TensorType.of(DType.F32, Math.max(m, n)), bias));
        Lowered lowered = new Lowered(module, Map.of(), ins, outs, 0);

        Random r = new Random(m * 1000L + n * 10L + k);
        float[] av = random(r, sizeA), bv = random(r, sizeB), cv = random(r, (long) m * ldc), biasv = random(r, Math.max(m, n));
        Map<String, Tensor> in = new HashMap<>();
        in.put("a", Tensor.ofFloats(new long[] {sizeA}, av));
        in.put("b", Tensor.ofFloats(new long[] {sizeB}, bv));
        in.put("c0", Tensor.ofFloats(new long[] {m, ldc}, cv));
        in.put("bias", Tensor.ofFloats(new long[] {Math.max(m, n)}, biasv));
        try (OpenClExecutable exe = OpenClExecutable.compile(lowered, OpenClDevice.select(null), tiled, System.nanoTime())) {
            Map<String, Tensor> got = exe.run(in);
            for (int s = 0; s < cases.size(); s++) {
                int[] cs = cases.get(s);
                boolean ta = cs[0] == 1, tb = cs[1] == 1;
                int flags = cs[2];
                try (Tensor y = got.get("y" + s)) {
                    float[] out = y.toFloatArray();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < ldc; j++) {
                            double want = cv[i * ldc + j];
                            if (j < n) {
                                double acc = 0;
                                for (int p = 0; p < k; p++)
                                    acc += (double) av[offA + (ta ? p * lda + i : i * lda + p)] * bv[offB + (tb ? j * ldb + p : p * ldb + j)];
                                if ((flags & Microkernels.ACCUMULATE) != 0) acc += cv[i * ldc + j];
                                if ((flags & Microkernels.BIAS_COLUMNS) != 0) acc += biasv[j];
                                if ((flags & Microkernels.BIAS_ROWS) != 0) acc += biasv[i];
                                if ((flags & Microkernels.RELU) != 0) acc = Math.max(acc, 0);
                                want = acc;
                            }
                            assertEquals(want, out[i * ldc + j], 1e-4 * (1 + Math.abs(want)),
                                    (tiled ? "tiled " : "direct ") + Microkernels.sgemm(ta, tb) + " flags " + flags + " " + m + "x" + n + "x" + k + " at (" + i + ", " + j + ")");
                        }
                    }
                }
            }
        } finally {
            in.values().forEach(Tensor::close);
        }
    }

    static float[] random(Random r, long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }
}
