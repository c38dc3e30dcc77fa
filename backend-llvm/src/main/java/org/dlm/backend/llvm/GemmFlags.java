package org.dlm.backend.llvm;

/** Bit flags of the generated GEMM's epilogue: {@code C = relu|relu6(A·B [+ C] [+ bias])}. */
public final class GemmFlags {
    private GemmFlags() {}

    /** Add the product to C instead of overwriting C. */
    public static final int ACCUMULATE = 1;
    /** Add {@code bias[j]} to column j (a linear layer's bias). */
    public static final int BIAS_COLUMNS = 2;
    /** Add {@code bias[i]} to row i (a convolution's bias in im2col form). */
    public static final int BIAS_ROWS = 4;
    /** Clamp the result at zero. */
    public static final int RELU = 8;
    /** Clamp the result to [0, 6] (compare and select: a NaN stays NaN), after the bias. */
    public static final int RELU6 = 64;
    /**
     * {@code packA} already holds all of A packed ({@link GemmGenerator#prepackASize}, made by the
     * {@code _prepack_a} function): A is neither read nor packed. Set by the backend for constant
     * operands (parameters of an inference executable), never in Kernel IR.
     */
    public static final int PACKED_A = 16;
    /** {@code packB} already holds all of B packed ({@link GemmGenerator#prepackBSize}); see {@link #PACKED_A}. */
    public static final int PACKED_B = 32;
}
