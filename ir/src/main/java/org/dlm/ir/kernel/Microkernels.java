package org.dlm.ir.kernel;

import java.util.Map;

/**
 * The microkernels Kernel IR may call, with their argument counts. Every backend maps each name
 * to its own implementation.
 *
 * <p>{@code sgemm_XY} (X, Y = n or t: A, B transposed): {@code (m, n, k, A, lda, B, ldb, C, ldc,
 * flags, bias)} computes {@code C = epilogue(A·B [+ C])}; flags: 1 accumulate into C, 2 add
 * {@code bias[n]} to every row, 4 add {@code bias[m]} to every column, 8 ReLU, 64 ReLU6 (clamp to [0, 6] by compare and
 * select, a NaN stays NaN).
 *
 * <p>{@code sconv_direct(o, c, ih, iw, kh, kw, sh, sw, dh, dw, X, W, Y, flags, bias)}: the
 * convolution of one (already padded) image without padding. {@code W} is {@code [o, c, kh, kw]}
 * (OIHW), {@code Y} is {@code [o, oh, ow]} with {@code oh = (ih - (kh-1)·dh - 1) / sh + 1},
 * {@code ow = (iw - (kw-1)·dw - 1) / sw + 1}, and {@code X} is the {@code [c, ih, iw]} image in
 * phase planes (space to depth): {@code [c, sh, sw, ⌈ih/sh⌉, ⌈iw/sw⌉]}, element
 * {@code [ci, ry, rx, y, x]} = pixel {@code (y·sh + ry, x·sw + rx)} of channel ci (0 past the
 * image); with stride 1 that is the image itself.
 * {@code Y[oc, oy, ox] = epilogue(Σ_{ci,ky,kx} W[oc, ci, ky, kx] · image[ci, oy·sh + ky·dh, ox·sw + kx·dw])}.
 * Flags: 4 add {@code bias[oc]}, 8 ReLU, 64 ReLU6. The scalar arguments must be constants (backends
 * specialize the kernel on them).
 *
 * <p>{@code sconv_wgrad(o, c, ih, iw, kh, kw, dh, dw, n, X, G, dW)}: the weight gradient of a
 * stride-1 convolution over {@code n} (already padded) images, without an im2col matrix.
 * {@code X} is {@code [n, c, ih, iw]}, {@code G} the output gradient on the input's row grid,
 * {@code [n, o, oh, iw]} with {@code oh = ih - (kh-1)·dh} and zeros in the columns
 * {@code >= ow = iw - (kw-1)·dw}; it sets (not accumulates)
 * {@code dW[oc, ci, ky, kx] = Σ_{img < n} Σ_{q < (oh-1)·iw + ow} G[img, oc, q] · X[img, ci, ky·dh·iw + kx·dw + q]}
 * (q = oy·iw + ox, a flat position in a plane). The scalar arguments must be constants.
 */
public final class Microkernels {
    public static final int ACCUMULATE = 1, BIAS_COLUMNS = 2, BIAS_ROWS = 4, RELU = 8, RELU6 = 64;

    /** The direct convolution microkernel (see the class comment). */
    public static final String SCONV_DIRECT = "sconv_direct";

    /** The direct convolution weight gradient (see the class comment). */
    public static final String SCONV_WGRAD = "sconv_wgrad";

    public static final Map<String, Integer> ARITY = Map.of(
            "sgemm_nn", 11, "sgemm_nt", 11, "sgemm_tn", 11, "sgemm_tt", 11, SCONV_DIRECT, 15, SCONV_WGRAD, 12);

    /** Indices of a microkernel's arguments that must be constants. */
    public static int[] constantArgs(String kernel) {
        return switch (kernel) {
            case SCONV_DIRECT -> new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13};
            case SCONV_WGRAD -> new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8};
            default -> new int[0];
        };
    }

    private Microkernels() {}

    public static String sgemm(boolean transA, boolean transB) {
        return "sgemm_" + (transA ? "t" : "n") + (transB ? "t" : "n");
    }

    /** The index of the argument a microkernel writes (C of a GEMM, Y of a convolution, dW of its weight gradient). */
    public static int outputArg(String kernel) {
        return switch (kernel) {
            case SCONV_DIRECT -> 12;
            case SCONV_WGRAD -> 11;
            default -> 7;
        };
    }
}
