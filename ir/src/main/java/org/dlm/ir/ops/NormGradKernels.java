package org.dlm.ir.ops;

import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Reference backward kernels of the normalizations. For a group of M values normalized together,
 * with xhat = (x - mean)·inv and dxhat = gy·gamma:
 * dx = inv/M · (M·dxhat - Σ dxhat - xhat · Σ dxhat·xhat); dgamma = Σ gy·xhat; dbeta = Σ gy.
 * {@code wrt} selects the result: 0 = x, 1 = gamma, 2 = beta.
 */
final class NormGradKernels {
    private NormGradKernels() {}

    /** Group membership of element i and its affine parameter index. */
    private interface Layout {
        int group(int i);
        int param(int i);
    }

    /**
     * The shared backward pass: {@code groups} sets of elements normalized together (given by
     * {@code layout}), statistics from the data unless {@code fixedMean} is given (batch norm in eval).
     */
    private static NdArray backward(NdArray x, NdArray gy, double[] gamma, int params, int groups, Layout layout,
                                    double[] fixedMean, double[] fixedVar, double eps, int wrt, TensorType out) {
        int n = x.size();
        double[] cnt = new double[groups], mean = new double[groups], var = new double[groups];
        for (int i = 0; i < n; i++) { int g = layout.group(i); cnt[g]++; mean[g] += x.get(i); }
        for (int g = 0; g < groups; g++) mean[g] /= cnt[g];
        for (int i = 0; i < n; i++) { int g = layout.group(i); double d = x.get(i) - mean[g]; var[g] += d * d; }
        for (int g = 0; g < groups; g++) var[g] /= cnt[g];
        if (fixedMean != null) { mean = fixedMean; var = fixedVar; }
        double[] xhat = new double[n];
        for (int i = 0; i < n; i++) { int g = layout.group(i); xhat[i] = (x.get(i) - mean[g]) / Math.sqrt(var[g] + eps); }
        if (wrt > 0) {
            double[] r = new double[params];
            for (int i = 0; i < n; i++) r[layout.param(i)] += gy.get(i) * (wrt == 1 ? xhat[i] : 1);
            return new NdArray(out.dtype(), out.shape().sizes(), r);
        }
        double[] r = new double[n], sumD = new double[groups], sumDX = new double[groups];
        for (int i = 0; i < n; i++) {
            int g = layout.group(i);
            double d = gy.get(i) * (gamma == null ? 1 : gamma[layout.param(i)]);
            r[i] = d;
            sumD[g] += d;
            sumDX[g] += d * xhat[i];
        }
        for (int i = 0; i < n; i++) {
            int g = layout.group(i);
            double inv = 1 / Math.sqrt(var[g] + eps);
            r[i] = fixedMean != null ? r[i] * inv : inv / cnt[g] * (cnt[g] * r[i] - sumD[g] - xhat[i] * sumDX[g]);
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    /** wrt 3 and 4 (running mean and variance, eval mode only) are the buffers' exact derivatives. */
    static NdArray batchNorm(NdArray x, NdArray gamma, NdArray mean, NdArray var, NdArray gy, double eps, boolean training, int wrt, TensorType out) {
        int c = (int) x.dim(1), s = x.size() / Math.max(1, (int) x.dim(0) * c);
        if (wrt >= 3) {
            double[] r = new double[c];
            for (int i = 0; i < x.size(); i++) {
                int ch = (i / s) % c;
                double inv = 1 / Math.sqrt(var.get(ch) + eps), dy = gy.get(i) * gamma.get(ch);
                r[ch] += wrt == 3 ? -dy * inv : -0.5 * dy * (x.get(i) - mean.get(ch)) * inv * inv * inv;
            }
            return new NdArray(out.dtype(), out.shape().sizes(), r);
        }
        Layout l = new Layout() {
            public int group(int i) { return (i / s) % c; }
            public int param(int i) { return (i / s) % c; }
        };
        return backward(x, gy, gamma.data(), c, c, l, training ? null : mean.data(), training ? null : var.data(), eps, wrt, out);
    }

    static NdArray layerNorm(NdArray x, NdArray gy, NdArray gamma, int axis, double eps, int wrt, TensorType out) {
        int len = 1;
        for (int i = axis; i < x.rank(); i++) len *= (int) x.dim(i);
        int rowLen = len;
        Layout l = new Layout() {
            public int group(int i) { return i / rowLen; }
            public int param(int i) { return i % rowLen; }
        };
        return backward(x, gy, gamma == null ? null : gamma.data(), len, x.size() / Math.max(1, len), l, null, null, eps, wrt, out);
    }

    static NdArray groupNorm(NdArray x, NdArray gamma, NdArray gy, int groups, double eps, int wrt, TensorType out) {
        int c = (int) x.dim(1), s = x.size() / Math.max(1, (int) x.dim(0) * c), per = c / groups * s;
        Layout l = new Layout() {
            public int group(int i) { return i / per; }
            public int param(int i) { return (i / s) % c; }
        };
        return backward(x, gy, gamma.data(), c, (int) x.dim(0) * groups, l, null, null, eps, wrt, out);
    }

    /** softmax: dx = y·(gy - Σ gy·y); log_softmax (y = log p): dx = gy - exp(y)·Σ gy. */
    static NdArray softmax(NdArray y, NdArray gy, int axis, boolean log, TensorType out) {
        int len = (int) y.dim(axis), inner = 1;
        for (int i = axis + 1; i < y.rank(); i++) inner *= (int) y.dim(i);
        int outer = y.size() / Math.max(1, len * inner);
        double[] r = new double[y.size()];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double s = 0;
                for (int j = 0; j < len; j++) s += gy.get(base + j * inner) * (log ? 1 : y.get(base + j * inner));
                for (int j = 0; j < len; j++) {
                    int k = base + j * inner;
                    r[k] = log ? gy.get(k) - Math.exp(y.get(k)) * s : y.get(k) * (gy.get(k) - s);
                }
            }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }
}
