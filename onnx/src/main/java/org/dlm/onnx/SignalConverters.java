package org.dlm.onnx;

import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;

/** ONNX window functions (HannWindow, HammingWindow, BlackmanWindow); the size must be known at import time. */
final class SignalConverters {
    private SignalConverters() {}

    private interface Window { double at(double n, double denom); }

    static void register(ConverterTable t) {
        t.one("HannWindow", cx -> window(cx, (n, d) -> 0.5 - 0.5 * Math.cos(2 * Math.PI * n / d)));
        t.one("HammingWindow", cx -> window(cx, (n, d) -> 25.0 / 46 - 21.0 / 46 * Math.cos(2 * Math.PI * n / d)));
        t.one("BlackmanWindow", cx -> window(cx, (n, d) -> 0.42 - 0.5 * Math.cos(2 * Math.PI * n / d) + 0.08 * Math.cos(4 * Math.PI * n / d)));
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
