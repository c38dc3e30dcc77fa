package org.dlm.backend.opencl;

import org.dlm.ir.kernel.Microkernels;

/**
 * The OpenCL C kernels behind {@code sconv_direct} and {@code sconv_wgrad} calls (see {@link Microkernels}): the
 * convolution of one padded image (in phase planes when strided) without padding, one work item
 * per output element (channel, row, column), the taps summed straight from the image and the
 * OIHW weights, then bias and ReLU as the flags ask. Operands are passed as a storage block plus a byte offset, as for the GEMM.
 */
final class ConvKernel {
    static final String NAME = "dlm_sconv_direct";
    /** The kernel behind {@code sconv_wgrad} calls: one work item per weight-gradient element, summing over the images and grid positions. */
    static final String WGRAD = "dlm_sconv_wgrad";

    private ConvKernel() {}

    static final String SOURCE = """
            __kernel void dlm_sconv_direct(long o, long c, long ih, long iw, long kh, long kw, long sh, long sw, long dh, long dw,
                           __global const uchar* xb, long xoff, __global const uchar* wb, long woff,
                           __global uchar* yb, long yoff, int flags, __global const uchar* biasb, long biasoff) {
                __global const float* X = (__global const float*)(xb + xoff);
                __global const float* W = (__global const float*)(wb + woff);
                __global float* Y = (__global float*)(yb + yoff);
                const long oh = (ih - (kh - 1) * dh - 1) / sh + 1, ow = (iw - (kw - 1) * dw - 1) / sw + 1;
                const long ph = (ih + sh - 1) / sh, pw = (iw + sw - 1) / sw;
                const long id = get_global_id(0);   // the NDRange is exactly o * oh * ow
                const long oc = id / (oh * ow), r = id - oc * (oh * ow), oy = r / ow, ox = r - oy * ow;
                float acc = 0.0f;
                for (long ci = 0; ci < c; ci++)
                    for (long ky = 0; ky < kh; ky++) {
                        const long y = oy * sh + ky * dh;
                        __global const float* wr = W + ((oc * c + ci) * kh + ky) * kw;
                        for (long kx = 0; kx < kw; kx++) {
                            const long x = ox * sw + kx * dw;   // pixel (y, x) in the phase planes
                            acc = fma(wr[kx], X[((ci * sh + y %% sh) * sw + x %% sw) * ph * pw + (y / sh) * pw + x / sw], acc);
                        }
                    }
                __global const float* bias = (__global const float*)(biasb + biasoff);
                if (flags & %d) acc += bias[oc];
                if (flags & %d) acc = fmax(acc, 0.0f);
                if (flags & %d) { acc = acc < 0.0f ? 0.0f : acc; acc = acc > 6.0f ? 6.0f : acc; }
                Y[id] = acc;
            }
            __kernel void dlm_sconv_wgrad(long o, long c, long ih, long iw, long kh, long kw, long dh, long dw, long n,
                           __global const uchar* xb, long xoff, __global const uchar* gb, long goff, __global uchar* wb, long woff) {
                __global const float* X = (__global const float*)(xb + xoff);
                __global const float* G = (__global const float*)(gb + goff);
                __global float* W = (__global float*)(wb + woff);
                const long oh = ih - (kh - 1) * dh, ow = iw - (kw - 1) * dw, positions = (oh - 1) * iw + ow;
                const long id = get_global_id(0);   // the NDRange is exactly o * c * kh * kw
                const long kx = id %% kw, ky = (id / kw) %% kh, ci = (id / (kw * kh)) %% c, oc = id / (kw * kh * c);
                const long off = ky * dh * iw + kx * dw;
                float acc = 0.0f;
                for (long img = 0; img < n; img++) {
                    __global const float* g = G + (img * o + oc) * oh * iw;
                    __global const float* x = X + (img * c + ci) * ih * iw + off;
                    for (long q = 0; q < positions; q++) acc = fma(g[q], x[q], acc);
                }
                W[id] = acc;
            }
            """.formatted(Microkernels.BIAS_ROWS, Microkernels.RELU, Microkernels.RELU6);
}
