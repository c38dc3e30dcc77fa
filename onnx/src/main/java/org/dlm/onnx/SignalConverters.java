package org.dlm.onnx;

import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX window functions (HannWindow, HammingWindow, BlackmanWindow; the size must be known at
 * import time), DFT and STFT (a matmul with cosine and sine matrices built at import time), and
 * MelWeightMatrix (computed at import time).
 */
final class SignalConverters {
    private SignalConverters() {}

    private interface Window { double at(double n, double denom); }

    static void register(ConverterTable t) {
        t.one("HannWindow", cx -> window(cx, (n, d) -> 0.5 - 0.5 * Math.cos(2 * Math.PI * n / d)));
        t.one("HammingWindow", cx -> window(cx, (n, d) -> 25.0 / 46 - 21.0 / 46 * Math.cos(2 * Math.PI * n / d)));
        t.one("BlackmanWindow", cx -> window(cx, (n, d) -> 0.42 - 0.5 * Math.cos(2 * Math.PI * n / d) + 0.08 * Math.cos(4 * Math.PI * n / d)));
        t.one("DFT", SignalConverters::dft);
        t.one("STFT", SignalConverters::stft);
        t.one("MelWeightMatrix", SignalConverters::melWeightMatrix);
    }

    /** Largest signal length DFT builds its n×n matrices for. */
    static final long MAX_DFT_LENGTH = 1024;

    /**
     * DFT along one axis of a real ([..., 1]) or complex ([..., 2]) signal: X[k] = Σ_j x[j]·e^(∓2πi·jk/n)
     * (+ and a 1/n factor when inverse), n = dft_length (zero-padded or truncated), k < n/2+1 when onesided.
     */
    private static Node dft(OpContext cx) {
        Node x = cx.in(0);
        int r = x.shape().rank();
        checkSignal(cx, x);
        long axisArg = cx.opset() >= 20 ? (cx.hasInput(2) ? (long) cx.constIn(2, "axis").get(0) : -2) : cx.attrInt("axis", 1);
        int axis = cx.axis(axisArg, r);
        if (axis == 0 || axis == r - 1) throw cx.error("axis " + axisArg + " must be a signal axis of " + x.shape());
        Dim len = x.shape().dim(axis);
        if (!len.isConst()) throw cx.unsupported("along a symbolic signal length " + len);
        long n = cx.hasInput(1) ? (long) cx.constIn(1, "dft_length").get(0) : len.value();
        return transform(cx, x, axis, n, cx.attrInt("inverse", 0) != 0, cx.attrInt("onesided", 0) != 0);
    }

    private static void checkSignal(OpContext cx, Node x) {
        int r = x.shape().rank();
        if (r < 3) throw cx.error("input must be [batch, signal..., 1 or 2], got " + x.shape());
        if (!x.dtype().isFloating()) throw cx.error("input must be floating, got " + x.dtype());
        Dim parts = x.shape().dim(r - 1);
        if (!parts.isConst() || parts.value() != 1 && parts.value() != 2) throw cx.error("last dim must be 1 (real) or 2 (complex), got " + x.shape());
    }

    /** The DFT of length n along {@code axis} (a static dim) of a checked signal [..., 1 or 2]. */
    private static Node transform(OpContext cx, Node x, int axis, long n, boolean inverse, boolean onesided) {
        int r = x.shape().rank();
        long len = x.shape().dim(axis).value(), nParts = x.shape().dim(r - 1).value();
        if (n < 1 || n > MAX_DFT_LENGTH) throw cx.unsupported("of length " + n + " (1 to " + MAX_DFT_LENGTH + " are supported)");
        long[] perm = new long[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        perm[axis] = r - 2;
        perm[r - 2] = axis;
        Node xt = axis == r - 2 ? x : cx.op("transpose", List.of(x), "perm", perm);
        if (n < len) xt = cx.op("slice", List.of(xt), "starts", List.of(0L), "ends", List.of(n), "axes", List.of((long) r - 2));
        if (n > len) {
            long[] pads = new long[2 * r];
            pads[r + r - 2] = n - len;
            xt = cx.op("pad", List.of(xt), "pads", pads);
        }
        Node re = part(cx, xt, r, 0), im = nParts == 2 ? part(cx, xt, r, 1) : null;
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

    /**
     * STFT of signal [batch, length, 1 or 2]: frames of frame_length every frame_step samples
     * (a gather with import-time positions), times the window, each transformed: [batch, frames, bins, 2].
     */
    private static Node stft(OpContext cx) {
        Node x = cx.in(0);
        checkSignal(cx, x);
        if (x.shape().rank() != 3) throw cx.error("signal must be [batch, length, 1 or 2], got " + x.shape());
        Dim lenDim = x.shape().dim(1);
        if (!lenDim.isConst()) throw cx.unsupported("over a symbolic signal length " + lenDim);
        long len = lenDim.value(), step = (long) cx.constIn(1, "frame_step").get(0);
        Node window = cx.hasInput(2) ? cx.in(2) : null;
        Long frameLength = cx.hasInput(3) ? (long) cx.constIn(3, "frame_length").get(0) : null;
        if (window != null) {
            if (window.shape().rank() != 1 || !window.shape().dim(0).isConst()) throw cx.error("window must be a 1-D tensor of known length, got " + window.type());
            long wl = window.shape().dim(0).value();
            if (frameLength != null && frameLength != wl) throw cx.error("frame_length " + frameLength + " differs from the window's length " + wl);
            frameLength = wl;
        }
        if (frameLength == null) throw cx.error("needs a window or frame_length");
        if (step < 1 || frameLength < 1 || frameLength > len) throw cx.error("frame_step " + step + " and frame_length " + frameLength + " do not fit a signal of " + len);
        long frames = (len - frameLength) / step + 1;
        if (frames * frameLength > OnnxImporter.FOLD_LIMIT) throw cx.unsupported("with " + frames + " frames of " + frameLength);
        double[] at = new double[(int) (frames * frameLength)];
        for (long f = 0; f < frames; f++) for (long j = 0; j < frameLength; j++) at[(int) (f * frameLength + j)] = f * step + j;
        Node framed = cx.op("gather", List.of(x, cx.constant(new NdArray(DType.I64, new long[] {frames, frameLength}, at))), "axis", 1L);
        if (window != null) {   // [batch, frames, L, parts] * window[L, 1]
            Node w = window.dtype() == x.dtype() ? window : cx.op("cast", List.of(window), "dtype", x.dtype());
            framed = cx.op("mul", framed, cx.op("unsqueeze", List.of(w), "axes", List.of(1L)));
        }
        return transform(cx, framed, 2, frameLength, false, cx.attrInt("onesided", 1) != 0);
    }

    /**
     * The [dft_length/2+1, num_mel_bins] matrix of triangular mel filters, computed at import time
     * as ONNX's reference does (bin edges spaced evenly in mel, mapped to integer DFT bins).
     */
    private static Node melWeightMatrix(OpContext cx) {
        long mels = (long) cx.constIn(0, "num_mel_bins").get(0), dftLength = (long) cx.constIn(1, "dft_length").get(0);
        long rate = (long) cx.constIn(2, "sample_rate").get(0);
        double lower = cx.constIn(3, "lower_edge_hertz").get(0), upper = cx.constIn(4, "upper_edge_hertz").get(0);
        if (mels < 1 || dftLength < 1 || rate < 1 || mels * (dftLength / 2 + 1) > OnnxImporter.FOLD_LIMIT)
            throw cx.error("num_mel_bins " + mels + ", dft_length " + dftLength + " or sample_rate " + rate + " is out of range");
        DType dt = OnnxDTypes.require((int) cx.attrInt("output_datatype", 1), cx.where());
        long bins = dftLength / 2 + 1;
        double lowMel = 2595 * Math.log10(1 + lower / 700), highMel = 2595 * Math.log10(1 + upper / 700);
        double melStep = (highMel - lowMel) / (mels + 2);
        long[] edge = new long[(int) mels + 2];
        for (int i = 0; i < edge.length; i++) {
            double hz = 700 * (Math.pow(10, (i * melStep + lowMel) / 2595) - 1);
            edge[i] = (long) Math.floor((dftLength + 1) * hz / rate);
        }
        double[] out = new double[(int) (bins * mels)];
        for (int i = 0; i < mels; i++) {
            long left = edge[i], center = edge[i + 1], right = edge[i + 2];
            if (left < 0 || right >= bins) throw cx.error("mel filter " + i + " spans DFT bins " + left + ".." + right + ", outside 0.." + (bins - 1));
            if (center == left) out[(int) (center * mels + i)] = 1;
            else for (long j = left; j <= center; j++) out[(int) (j * mels + i)] = (double) (j - left) / (center - left);
            for (long j = center; j < right; j++) out[(int) (j * mels + i)] = (double) (right - j) / (right - center);
        }
        return cx.constant(new NdArray(dt, new long[] {bins, mels}, out));
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
