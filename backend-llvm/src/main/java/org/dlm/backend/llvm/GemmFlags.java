package org.dlm.backend.llvm;

/** Bit flags of the generated GEMM's epilogue: {@code C = relu(A·B [+ C] [+ bias])}. */
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
}
