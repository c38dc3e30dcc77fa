package org.dlm.ir.kernel;

import java.util.Map;

/**
 * The microkernels Kernel IR may call, with their argument counts. Every backend maps each name
 * to its own implementation.
 *
 * <p>{@code sgemm_XY} (X, Y = n or t: A, B transposed): {@code (m, n, k, A, lda, B, ldb, C, ldc,
 * flags, bias)} computes {@code C = epilogue(A·B [+ C])}; flags: 1 accumulate into C, 2 add
 * {@code bias[n]} to every row, 4 add {@code bias[m]} to every column, 8 ReLU.
 */
public final class Microkernels {
    public static final int ACCUMULATE = 1, BIAS_COLUMNS = 2, BIAS_ROWS = 4, RELU = 8;

    public static final Map<String, Integer> ARITY = Map.of(
            "sgemm_nn", 11, "sgemm_nt", 11, "sgemm_tn", 11, "sgemm_tt", 11);

    private Microkernels() {}

    public static String sgemm(boolean transA, boolean transB) {
        return "sgemm_" + (transA ? "t" : "n") + (transB ? "t" : "n");
    }
}
