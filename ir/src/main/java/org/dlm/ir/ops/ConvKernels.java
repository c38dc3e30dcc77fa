package org.dlm.ir.ops;

import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Reference kernels for 2-D convolution in NCHW: direct loops, no tricks. Windows follow
 * {@link Window2d}; padding reads as zero.
 */
final class ConvKernels {
    private ConvKernels() {}

    /** y[n,o,oh,ow] = b[o] + Σ x[n, g·Cg+c, oh·s-pt+ki·d, ow·s-pl+kj·d] · w[o,c,ki,kj]. */
    static NdArray conv2d(NdArray x, NdArray w, NdArray b, Window2d win, int groups, TensorType out) {
        int n = (int) x.dim(0), c = (int) x.dim(1), h = (int) x.dim(2), wd = (int) x.dim(3);
        int o = (int) w.dim(0), cg = (int) w.dim(1), kh = (int) w.dim(2), kw = (int) w.dim(3);
        int oh = (int) out.shape().dim(2).value(), ow = (int) out.shape().dim(3).value();
        int og = o / groups;
        double[] xd = x.data(), wdat = w.data(), r = new double[n * o * oh * ow];
        for (int in = 0; in < n; in++)
            for (int oc = 0; oc < o; oc++) {
                int g = oc / og;
                for (int y = 0; y < oh; y++)
                    for (int z = 0; z < ow; z++) {
                        double s = b == null ? 0 : b.data()[oc];
                        for (int ci = 0; ci < cg; ci++) {
                            int ic = g * cg + ci;
                            for (int ki = 0; ki < kh; ki++) {
                                long ih = y * win.stride()[0] - win.pad()[0] + ki * win.dilation()[0];
                                if (ih < 0 || ih >= h) continue;
                                for (int kj = 0; kj < kw; kj++) {
                                    long iw = z * win.stride()[1] - win.pad()[1] + kj * win.dilation()[1];
                                    if (iw < 0 || iw >= wd) continue;
                                    s += xd[(int) (((long) (in * c + ic) * h + ih) * wd + iw)]
                                            * wdat[((oc * cg + ci) * kh + ki) * kw + kj];
                                }
                            }
                        }
                        r[((in * o + oc) * oh + y) * ow + z] = s;
                    }
            }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    /**
     * The adjoint of conv2d with respect to its input (a "deconvolution"): every input pixel
     * scatters x·w into the output window it would have been gathered from. w is [C, O/g, kh, kw].
     */
    static NdArray convTranspose2d(NdArray x, NdArray w, NdArray b, Window2d win, int groups, TensorType out) {
        int n = (int) x.dim(0), c = (int) x.dim(1), h = (int) x.dim(2), wd = (int) x.dim(3);
        int og = (int) w.dim(1), kh = (int) w.dim(2), kw = (int) w.dim(3);
        int o = og * groups, cg = c / groups;
        int oh = (int) out.shape().dim(2).value(), ow = (int) out.shape().dim(3).value();
        double[] xd = x.data(), wdat = w.data(), r = new double[n * o * oh * ow];
        for (int in = 0; in < n; in++)
            for (int ic = 0; ic < c; ic++) {
                int g = ic / cg;
                for (int y = 0; y < h; y++)
                    for (int z = 0; z < wd; z++) {
                        double v = xd[((in * c + ic) * h + y) * wd + z];
                        for (int oc = 0; oc < og; oc++)
                            for (int ki = 0; ki < kh; ki++) {
                                long ty = y * win.stride()[0] - win.pad()[0] + ki * win.dilation()[0];
                                if (ty < 0 || ty >= oh) continue;
                                for (int kj = 0; kj < kw; kj++) {
                                    long tz = z * win.stride()[1] - win.pad()[1] + kj * win.dilation()[1];
                                    if (tz < 0 || tz >= ow) continue;
                                    r[(int) ((((long) in * o + g * og + oc) * oh + ty) * ow + tz)]
                                            += v * wdat[((ic * og + oc) * kh + ki) * kw + kj];
                                }
                            }
                    }
            }
        if (b != null)
            for (int i = 0; i < r.length; i++) r[i] += b.data()[(i / (oh * ow)) % o];
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    /** dL/dw of conv2d: dw[o,c,ki,kj] = Σ_{n,oh,ow} gy[n,o,oh,ow] · x[n, g·Cg+c, oh·s-pt+ki·d, ow·s-pl+kj·d]. */
    static NdArray conv2dWeightGrad(NdArray x, NdArray gy, Window2d win, int groups, TensorType out) {
        int n = (int) x.dim(0), c = (int) x.dim(1), h = (int) x.dim(2), wd = (int) x.dim(3);
        int o = (int) gy.dim(1), oh = (int) gy.dim(2), ow = (int) gy.dim(3);
        int cg = c / groups, og = o / groups, kh = (int) win.kernel()[0], kw = (int) win.kernel()[1];
        double[] r = new double[o * cg * kh * kw];
        for (int oc = 0; oc < o; oc++) {
            int g = oc / og;
            for (int ci = 0; ci < cg; ci++)
                for (int ki = 0; ki < kh; ki++)
                    for (int kj = 0; kj < kw; kj++) {
                        double s = 0;
                        for (int in = 0; in < n; in++)
                            for (int y = 0; y < oh; y++) {
                                long ih = y * win.stride()[0] - win.pad()[0] + ki * win.dilation()[0];
                                if (ih < 0 || ih >= h) continue;
                                for (int z = 0; z < ow; z++) {
                                    long iw = z * win.stride()[1] - win.pad()[1] + kj * win.dilation()[1];
                                    if (iw < 0 || iw >= wd) continue;
                                    s += gy.data()[((in * o + oc) * oh + y) * ow + z]
                                            * x.data()[(int) (((long) (in * c + g * cg + ci) * h + ih) * wd + iw)];
                                }
                            }
                        r[((oc * cg + ci) * kh + ki) * kw + kj] = s;
                    }
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }
}
