package org.dlm.backend.opencl;

import org.dlm.ir.kernel.Microkernels;

/**
 * The OpenCL C kernel behind {@code sconv_direct} calls (see {@link Microkernels}): a stride-1
 * convolution of one padded image without padding, one work item per output element (channel,
 * row, column), the taps summed straight from the image and the OIHW weights, then bias and ReLU
 * as the flags ask. Operands are passed as a storage block plus a byte offset, as for the GEMM.
 */
final class ConvKernel {
    static final String NAME = "dlm_sconv_direct";

    private ConvKernel() {}

    static final String SOURCE = """
            __kernel void dlm_sconv_direct(long o, long c, long ih, long iw, long kh, long kw, long dh, long dw,
                           __global const uchar* xb, long xoff, __global const uchar* wb, long woff,
                           __global uchar* yb, long yoff, int flags, __global const uchar* biasb, long biasoff) {
                __global const float* X = (__global const float*)(xb + xoff);
                __global const float* W = (__global const float*)(wb + woff);
                __global float* Y = (__global float*)(yb + yoff);
                const long oh = ih - (kh - 1) * dh, ow = iw - (kw - 1) * dw;
                const long id = get_global_id(0);   // the NDRange is exactly o * oh * ow
                const long oc = id / (oh * ow), r = id - oc * (oh * ow), oy = r / ow, ox = r - oy * ow;
                float acc = 0.0f;
                for (long ci = 0; ci < c; ci++)
                    for (long ky = 0; ky < kh; ky++) {
                        __global const float* xr = X + (ci * ih + oy + ky * dh) * iw + ox;
                        __global const float* wr = W + ((oc * c + ci) * kh + ky) * kw;
                        for (long kx = 0; kx < kw; kx++) acc = fma(wr[kx], xr[kx * dw], acc);
                    }
                __global const float* bias = (__global const float*)(biasb + biasoff);
                if (flags & %d) acc += bias[oc];
                if (flags & %d) acc = fmax(acc, 0.0f);
                Y[id] = acc;
            }
            """.formatted(Microkernels.BIAS_ROWS, Microkernels.RELU);
}
