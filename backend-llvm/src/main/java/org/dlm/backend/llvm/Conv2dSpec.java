package org.dlm.backend.llvm;

/**
 * A 2-D convolution with static sizes, NCHW input {@code [n, c, h, w]}, OIHW weight
 * {@code [cout, c, kh, kw]}, optional bias {@code [cout]}, output {@code [n, cout, oh, ow]}.
 */
public record Conv2dSpec(int n, int c, int h, int w, int cout, int kh, int kw,
                         int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
    public Conv2dSpec {
        if (n < 1 || c < 1 || h < 1 || w < 1 || cout < 1 || kh < 1 || kw < 1) throw new IllegalArgumentException("conv2d sizes must be positive: " + this);
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padH < 0 || padW < 0) throw new IllegalArgumentException("bad stride, padding or dilation: " + this);
        if (out(h, kh, strideH, padH, dilationH) < 1 || out(w, kw, strideW, padW, dilationW) < 1) throw new IllegalArgumentException("conv2d kernel larger than the padded input: " + this);
    }

    /** Stride 1, no dilation, the same padding on every side. */
    public static Conv2dSpec of(int n, int c, int h, int w, int cout, int k, int stride, int pad) {
        return new Conv2dSpec(n, c, h, w, cout, k, k, stride, stride, pad, pad, 1, 1);
    }

    public int outH() { return out(h, kh, strideH, padH, dilationH); }
    public int outW() { return out(w, kw, strideW, padW, dilationW); }

    private static int out(int size, int k, int stride, int pad, int dilation) {
        return Math.floorDiv(size + 2 * pad - dilation * (k - 1) - 1, stride) + 1;
    }
    /** Rows of the im2col matrix: c·kh·kw. */
    public int patch() { return c * kh * kw; }
    /** True when the input already is the im2col matrix (1×1, stride 1, no padding). */
    public boolean isPointwise() { return kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0; }
    /** 2 × multiply-accumulates. */
    public double flops() { return 2.0 * n * cout * outH() * outW() * patch(); }
}
