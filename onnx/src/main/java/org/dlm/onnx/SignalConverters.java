package org.dlm.onnx;

import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX window functions (HannWindow, HammingWindow, BlackmanWindow; the size must be known at
 * import time) and DFT, a matmul with cosine and sine matrices built at import time.
 */
final class SignalConverters {
    private SignalConverters() {}

    private interface Window { double at(double n, double denom); }

    static void register(ConverterTable t) {
        t.one("HannWindow", cx -> window(cx, (n, d) -> 0.5 - 0.5 * Math.cos(2 * Math.PI * n / d)));
        t.one("HammingWindow", cx -> window(cx, (n, d) -> 25.0 / 46 - 21.0 / 46 * Math.cos(2 * Math.PI * n / d)));
        t.one("BlackmanWindow", cx -> window(cx, (n, d) -> 0.42 - 0.5 * Math.cos(2 * Math.PI * n / d) + 0.08 * Math.cos(4 * Math.PI * n / d)));
        t.one("DFT", SignalConverters::dft);
    }

    /** Largest signal length DFT builds its n×n matrices for. */
    static final long MAX_DFT_LENGTH = 4096;

    /**
     * DFT along one axis of a real ([..., 1]) or complex ([..., 2]) signal: X[k] = Σ_j x[j]·e^(∓2πi·jk/n)
     * (+ and a 1/n factor when inverse), n = dft_length (zero-padded or truncated), k < n/2+1 when onesided.
     */
    private static Node dft(OpContext cx) {
        Node x = cx.in(0);
        int r = x.shape().rank();
        if (r < 3) throw cx.error("input must be [batch, signal..., 1 or 2], got " + x.shape());
        if (!x.dtype().isFloating()) throw cx.error("input must be floating, got " + x.dtype());
        Dim parts = x.shape().dim(r - 1);
        if (!parts.isConst() || parts.value() != 1 && parts.value() != 2) throw cx.error("last dim must be 1 (real) or 2 (complex), got " + x.shape());
        long axisArg = cx.opset() >= 20 ? (cx.hasInput(2) ? (long) cx.constIn(2, "axis").get(0) : -2) : cx.attrInt("axis", 1);
        int axis = cx.axis(axisArg, r);
        if (axis == 0 || axis == r - 1) throw cx.error("axis " + axisArg + " must be a signal axis of " + x.shape());
        Dim len = x.shape().dim(axis);
        if (!len.isConst()) throw cx.unsupported("along a symbolic signal length " + len);
        long n = cx.hasInput(1) ? (long) cx.constIn(1, "dft_length").get(0) : len.value();
        if (n < 1 || n > MAX_DFT_LENGTH) throw cx.unsupported("of length " + n + " (1 to " + MAX_DFT_LENGTH + " are supported)");
        boolean inverse = cx.attrInt("inverse", 0) != 0, onesided = cx.attrInt("onesided", 0) != 0;
        long[] perm = new long[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        perm[axis] = r - 2;
        perm[r - 2] = axis;
        Node xt = axis == r - 2 ? x : cx.op("transpose", List.of(x), "perm", perm);
        if (n < len.value()) xt = cx.op("slice", List.of(xt), "starts", List.of(0L), "ends", List.of(n), "axes", List.of((long) r - 2));
        if (n > len.value()) {
            long[] pads = new long[2 * r];
            pads[r + r - 2] = n - len.value();
            xt = cx.op("pad", List.of(xt), "pads", pads);
        }
        Node re = part(cx, xt, r, 0), im = parts.value() == 2 ? part(cx, xt, r, 1) : null;
        long m = onesided ? n / 2 + 1 : n;
        double[] cos = new double[(int) (n * m)], sin = new double[(int) (n * m)];
        for (long j = 0; j < n; j++)
            for (long k = 0; k < m; k++) {
                double a = 2 * Math.PI * ((j * k) % n) / n;
                cos[(int) (j * m + k)] = Math.cos(a);
                sin[(int) (j * m + k)] = Math.sin(a);
            }
        DType dt = x.dtype();
        Node c = cx.constant(new NdArray(dt, new long[] {n, m}, cos)), s = cx.constant(new NdArray(dt, new long[] {n, m}, sin));
        Node reC = cx.op("matmul", re, c), reS = cx.op("matmul", re, s);
        Node yr, yi;
        if (!inverse) {   // (re + i·im)(cos - i·sin)
            yr = im == null ? reC : cx.op("add", reC, cx.op("matmul", im, s));
            yi = im == null ? cx.op("neg", reS) : cx.op("sub", cx.op("matmul", im, c), reS);
        } else {          // (re + i·im)(cos + i·sin) / n
            yr = im == null ? reC : cx.op("sub", reC, cx.op("matmul", im, s));
            yi = im == null ? reS : cx.op("add", cx.op("matmul", im, c), reS);
            Node scale = cx.scalar(dt, 1.0 / n);
            yr = cx.op("mul", yr, scale);
            yi = cx.op("mul", yi, scale);
        }
        Node y = cx.op("concat", List.of(cx.op("unsqueeze", List.of(yr), "axes", List.of((long) r - 1)),
                cx.op("unsqueeze", List.of(yi), "axes", List.of((long) r - 1))), "axis", (long) r - 1);
        return axis == r - 2 ? y : cx.op("transpose", List.of(y), "perm", perm);
    }

    /** The real (0) or imaginary (1) part: the last dim's entry, dropped. */
    private static Node part(OpContext cx, Node x, int r, long k) {
        Node p = cx.op("slice", List.of(x), "starts", List.of(k), "ends", List.of(k + 1), "axes", List.of((long) r - 1));
        return cx.op("squeeze", List.of(p), "axes", List.of((long) r - 1));
    }

    private static org.dlm.ir.Node window(OpContext cx, Window w) {
        long size = (long) cx.constIn(0, "size").get(0);
        if (size < 0 || size > OnnxImporter.FOLD_LIMIT) throw cx.error("size " + size + " is out of range");
        DType dt = OnnxDTypes.require((int) cx.attrInt("output_datatype", 1), cx.where());
        boolean periodic = cx.attrInt("periodic", 1) != 0;
        double denom = periodic ? size : size - 1;
        double[] v = new double[(int) size];
        for (int n = 0; n < size; n++) v[n] = (float) w.at(n, denom);
        return cx.constant(new NdArray(dt, new long[] {size}, v));
    }
}
