package org.dlm.onnx;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Dim;
import org.dlm.ir.Shape;

/** Shape arithmetic the converters need: ONNX Reshape targets, Expand's broadcast, SAME padding. */
final class ShapeMath {
    private ShapeMath() {}

    /**
     * The shape ONNX Reshape produces from {@code x} and the requested sizes: 0 copies the input's
     * dim (unless {@code allowZero}), one -1 is inferred (symbolically when needed).
     */
    static Shape reshapeTarget(OpContext cx, Shape x, long[] req, boolean allowZero) {
        List<Dim> out = new ArrayList<>();
        int infer = -1;
        for (int i = 0; i < req.length; i++) {
            long r = req[i];
            if (r == -1) {
                if (infer >= 0) throw cx.error("shape " + java.util.Arrays.toString(req) + " has more than one -1");
                infer = i;
                out.add(null);
            } else if (r == 0 && !allowZero) {
                if (i >= x.rank()) throw cx.error("shape entry 0 at position " + i + " copies a dim the input (rank " + x.rank() + ") lacks");
                out.add(x.dim(i));
            } else if (r < 0) {
                throw cx.error("shape " + java.util.Arrays.toString(req) + " has negative entry " + r);
            } else {
                out.add(Dim.of(r));
            }
        }
        if (infer >= 0) out.set(infer, quotient(cx, x.dims(), out.stream().filter(d -> d != null).toList()));
        return new Shape(out);
    }

    /** numel(num) / numel(den), cancelling equal symbolic factors; unsupported when that does not leave a whole number. */
    static Dim quotient(OpContext cx, List<Dim> num, List<Dim> den) {
        List<Dim> n = new ArrayList<>(num), d = new ArrayList<>();
        long nc = 1, dc = 1;
        for (Dim x : den) {
            if (x.isConst()) dc *= x.value();
            else if (!n.remove(x)) d.add(x);
        }
        List<Dim> rest = new ArrayList<>();
        for (Dim x : n) {
            if (x.isConst()) nc *= x.value();
            else rest.add(x);
        }
        if (!d.isEmpty()) throw cx.unsupported("reshape whose -1 cannot be inferred from symbolic dims " + d);
        if (dc == 0) {
            if (nc == 0 && rest.isEmpty()) return Dim.of(0);
            throw cx.error("cannot infer -1 when other dims are 0");
        }
        Dim r = Dim.of(1);
        for (Dim x : rest) r = r.times(x);
        if (nc % dc == 0) return r.times(nc / dc);
        if (rest.isEmpty()) throw cx.error("cannot reshape " + nc + " elements into a shape with " + dc + " × ? elements");
        return r.times(nc).floorDiv(dc);
    }

    /** Numpy broadcast of two shapes (ONNX Expand is bidirectional). */
    static Shape broadcast(OpContext cx, Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            int ia = i - (r - a.rank()), ib = i - (r - b.rank());
            Dim da = ia >= 0 ? a.dim(ia) : Dim.of(1), db = ib >= 0 ? b.dim(ib) : Dim.of(1);
            if (da.equals(db) || db.isConst() && db.value() == 1) out.add(da);
            else if (da.isConst() && da.value() == 1) out.add(db);
            else throw cx.error("cannot broadcast " + a + " to " + b);
        }
        return new Shape(out);
    }

    /**
     * Explicit (begin..., end...) pads for ONNX auto_pad SAME_UPPER/SAME_LOWER: the output size is
     * ceil(in / stride); the odd pad goes at the end for SAME_UPPER and at the beginning for SAME_LOWER.
     */
    static long[] samePads(OpContext cx, Shape x, long[] kernel, long[] strides, long[] dilations, boolean upper) {
        int n = kernel.length;
        long[] pads = new long[2 * n];
        for (int i = 0; i < n; i++) {
            Dim d = x.dim(x.rank() - n + i);
            if (!d.isConst()) throw cx.unsupported("auto_pad SAME with symbolic spatial dim " + d + " (give the input a static shape)");
            long in = d.value();
            long out = (in + strides[i] - 1) / strides[i];
            long total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in);
            long small = total / 2, big = total - small;
            pads[i] = upper ? small : big;
            pads[i + n] = upper ? big : small;
        }
        return pads;
    }
}
