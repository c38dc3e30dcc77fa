package org.dlm.ir.ops;

import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/** Reference kernels for 2-D pooling in NCHW, following PyTorch's window and divisor rules. */
final class PoolKernels {
    private PoolKernels() {}

    /** Max over each window; padding never wins (it is -inf); NaN propagates like PyTorch. */
    static NdArray maxPool2d(NdArray x, Window2d win, TensorType out) {
        int[] arg = argmax(x, win, out);
        double[] r = new double[arg.length];
        for (int i = 0; i < r.length; i++) r[i] = arg[i] < 0 ? Double.NEGATIVE_INFINITY : x.data()[arg[i]];
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    /** For each output element, the flat input index of its window's maximum (first one on ties), or -1. */
    static int[] argmax(NdArray x, Window2d win, TensorType out) {
        int nc = (int) (x.dim(0) * x.dim(1)), h = (int) x.dim(2), w = (int) x.dim(3);
        int oh = (int) out.shape().dim(2).value(), ow = (int) out.shape().dim(3).value();
        int[] r = new int[nc * oh * ow];
        double[] xd = x.data();
        for (int p = 0; p < nc; p++)
            for (int y = 0; y < oh; y++)
                for (int z = 0; z < ow; z++) {
                    int best = -1;
                    double m = Double.NEGATIVE_INFINITY;
                    for (int ki = 0; ki < win.kernel()[0]; ki++) {
                        long ih = y * win.stride()[0] - win.pad()[0] + ki * win.dilation()[0];
                        if (ih < 0 || ih >= h) continue;
                        for (int kj = 0; kj < win.kernel()[1]; kj++) {
                            long iw = z * win.stride()[1] - win.pad()[1] + kj * win.dilation()[1];
                            if (iw < 0 || iw >= w) continue;
                            int idx = (int) (((long) p * h + ih) * w + iw);
                            double v = xd[idx];
                            if (best < 0 || v > m || (Double.isNaN(v) && !Double.isNaN(m))) { best = idx; m = v; }
                        }
                    }
                    r[(p * oh + y) * ow + z] = best;
                }
        return r;
    }

    /** Gradient of max_pool2d: each output gradient goes to its window's argmax. */
    static NdArray maxPool2dGrad(NdArray x, NdArray gy, Window2d win, TensorType out) {
        int[] arg = argmax(x, win, new TensorType(gy.dtype(), org.dlm.ir.Shape.of(gy.shape())));
        double[] r = new double[x.size()];
        for (int i = 0; i < arg.length; i++) if (arg[i] >= 0) r[arg[i]] += gy.data()[i];
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    /**
     * Mean over each window. PyTorch's divisor: the window clipped to the padded input when
     * {@code countIncludePad}, else clipped to the input itself.
     */
    static NdArray avgPool2d(NdArray x, Window2d win, boolean countIncludePad, TensorType out) {
        int nc = (int) (x.dim(0) * x.dim(1)), h = (int) x.dim(2), w = (int) x.dim(3);
        int oh = (int) out.shape().dim(2).value(), ow = (int) out.shape().dim(3).value();
        double[] r = new double[nc * oh * ow];
        for (int p = 0; p < nc; p++)
            for (int y = 0; y < oh; y++)
                for (int z = 0; z < ow; z++) {
                    long[] box = window(win, y, z, h, w);
                    double s = 0;
                    for (long ih = box[0]; ih < box[1]; ih++)
                        for (long iw = box[2]; iw < box[3]; iw++) s += x.data()[(int) ((p * (long) h + ih) * w + iw)];
                    r[(p * oh + y) * ow + z] = s / (countIncludePad ? box[4] : (box[1] - box[0]) * (box[3] - box[2]));
                }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    /** Gradient of avg_pool2d: each output gradient spread evenly (by the same divisor) over its window. */
    static NdArray avgPool2dGrad(NdArray gy, long[] inShape, Window2d win, boolean countIncludePad, TensorType out) {
        int nc = (int) (inShape[0] * inShape[1]), h = (int) inShape[2], w = (int) inShape[3];
        int oh = (int) gy.dim(2), ow = (int) gy.dim(3);
        double[] r = new double[nc * h * w];
        for (int p = 0; p < nc; p++)
            for (int y = 0; y < oh; y++)
                for (int z = 0; z < ow; z++) {
                    long[] box = window(win, y, z, h, w);
                    double g = gy.data()[(p * oh + y) * ow + z] / (countIncludePad ? box[4] : (box[1] - box[0]) * (box[3] - box[2]));
                    for (long ih = box[0]; ih < box[1]; ih++)
                        for (long iw = box[2]; iw < box[3]; iw++) r[(int) ((p * (long) h + ih) * w + iw)] += g;
                }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    /** {h0, h1, w0, w1, paddedCount}: the window clipped to the input, and its size clipped to the padded input. */
    private static long[] window(Window2d win, int y, int z, int h, int w) {
        long h0 = y * win.stride()[0] - win.pad()[0], w0 = z * win.stride()[1] - win.pad()[1];
        long h1 = Math.min(h0 + win.kernel()[0], h + win.pad()[2]), w1 = Math.min(w0 + win.kernel()[1], w + win.pad()[3]);
        long padded = (h1 - h0) * (w1 - w0);
        return new long[] {Math.max(h0, 0), Math.min(h1, h), Math.max(w0, 0), Math.min(w1, w), padded};
    }
}
