package org.dlm.ir.ops;

import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Reference kernels for normalization. Statistics use the biased variance (divide by the count),
 * as PyTorch's normalization layers do in their forward pass.
 */
final class NormKernels {
    private NormKernels() {}

    /** Per-channel mean of x[N, C, ...] over every axis but 1. */
    static double[] channelMean(NdArray x) {
        int n = (int) x.dim(0), c = (int) x.dim(1), s = x.size() / Math.max(1, n * c);
        double[] m = new double[c];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int j = 0; j < s; j++) m[ch] += x.data()[(i * c + ch) * s + j];
        for (int ch = 0; ch < c; ch++) m[ch] /= (double) n * s;
        return m;
    }

    /** Per-channel biased variance of x[N, C, ...]. */
    static double[] channelVar(NdArray x) {
        int n = (int) x.dim(0), c = (int) x.dim(1), s = x.size() / Math.max(1, n * c);
        double[] m = channelMean(x), v = new double[c];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int j = 0; j < s; j++) {
                    double d = x.data()[(i * c + ch) * s + j] - m[ch];
                    v[ch] += d * d;
                }
        for (int ch = 0; ch < c; ch++) v[ch] /= (double) n * s;
        return v;
    }

    /** (x - mean[c]) / sqrt(var[c] + eps) · gamma[c] + beta[c], channel = axis 1. */
    static NdArray batchNorm(NdArray x, double[] gamma, double[] beta, double[] mean, double[] var, double eps, TensorType out) {
        int c = (int) x.dim(1), s = x.size() / Math.max(1, (int) x.dim(0) * c);
        double[] r = new double[x.size()];
        for (int i = 0; i < r.length; i++) {
            int ch = (i / s) % c;
            r[i] = (x.data()[i] - mean[ch]) / Math.sqrt(var[ch] + eps) * gamma[ch] + beta[ch];
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    /**
     * Normalizes each of {@code rows} contiguous blocks of {@code x} by its own mean and variance,
     * then applies the affine map: element i of a row gets {@code gamma[affine(i)]}, {@code beta[affine(i)]}
     * where affine(i) = (row·rowLen + i) / perParam % gamma.length (gamma null = 1, beta null = 0).
     */
    static NdArray normalizeRows(NdArray x, int rows, double[] gamma, double[] beta, int perParam, double eps, TensorType out) {
        int len = x.size() / Math.max(1, rows);
        double[] r = new double[x.size()];
        for (int row = 0; row < rows; row++) {
            double m = 0, v = 0;
            for (int j = 0; j < len; j++) m += x.data()[row * len + j];
            m /= len;
            for (int j = 0; j < len; j++) {
                double d = x.data()[row * len + j] - m;
                v += d * d;
            }
            v /= len;
            double inv = 1 / Math.sqrt(v + eps);
            for (int j = 0; j < len; j++) {
                int i = row * len + j;
                int p = gamma == null && beta == null ? 0 : (i / perParam) % (gamma != null ? gamma.length : beta.length);
                r[i] = (x.data()[i] - m) * inv * (gamma == null ? 1 : gamma[p]) + (beta == null ? 0 : beta[p]);
            }
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }
}
