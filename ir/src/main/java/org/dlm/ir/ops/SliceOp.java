package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.InterpreterException;
import org.dlm.ir.interp.NdArray;

/**
 * The {@code slice} op with ONNX Slice semantics: negative starts/ends count from the end, values
 * are clamped to the dim (so ends like 2^63-1 mean "to the end"), steps may be negative.
 * On a symbolic dim the indices cannot be clamped, so they are assumed to lie inside it
 * ({@code x[2:]} on {@code T} has {@code T-2} elements).
 */
final class SliceOp {
    private SliceOp() {}

    /** Starts/ends at or beyond this magnitude mean "past the end" on symbolic dims (ONNX exporters use INT_MAX or INT64_MAX). */
    private static final long HUGE = Integer.MAX_VALUE;

    /** Per-axis parameters, resolved against the operand's rank. */
    private record Spec(int[] axes, long[] starts, long[] ends, long[] steps) {}

    static OpDef def() {
        return OpDef.builder("slice").inputs(1)
                .attr("starts", INTS, null, "first index per sliced axis")
                .attr("ends", INTS, null, "end index (exclusive) per sliced axis; clamped")
                .attr("axes", INTS, List.of(), "sliced axes; empty = 0, 1, ...")
                .attr("steps", INTS, List.of(), "step per sliced axis; empty = all 1; may be negative")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    Spec s = spec(a, t.rank());
                    var shape = t.shape();
                    for (int i = 0; i < s.axes.length; i++) {
                        int ax = s.axes[i];
                        Dim d = shape.dim(ax);
                        shape = shape.with(ax, d.isConst() ? Dim.of(range(d.value(), s.starts[i], s.ends[i], s.steps[i])[1])
                                : symbolicLength(d, s.starts[i], s.ends[i], s.steps[i]));
                    }
                    return t.withShape(shape);
                })
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    Spec s = spec(a, x.rank());
                    long[] xs = x.shape(), st = x.strides();
                    long[] first = new long[xs.length], step = new long[xs.length], os = xs.clone();
                    java.util.Arrays.fill(step, 1);
                    for (int i = 0; i < s.axes.length; i++) {
                        long[] r = range(xs[s.axes[i]], s.starts[i], s.ends[i], s.steps[i]);
                        first[s.axes[i]] = r[0];
                        os[s.axes[i]] = r[1];
                        step[s.axes[i]] = s.steps[i];
                    }
                    long[] want = out.shape().sizes();
                    for (int d = 0; d < os.length; d++)
                        if (os[d] != want[d])
                            throw new InterpreterException("slice " + a.getLongs("starts") + ":" + a.getLongs("ends")
                                    + " gives " + os[d] + " elements on axis " + d + " of size " + xs[d] + ", but its symbolic type promised "
                                    + want[d] + " (indices on a symbolic dim are assumed to lie inside it)");
                    return ShapeOps.mapIndex(x, os, o -> {
                        long f = 0;
                        for (int d = 0; d < o.length; d++) f += (first[d] + o[d] * step[d]) * st[d];
                        return f;
                    });
                })
                .grad((f, g) -> List.of(grad(f, g)))
                .doc("ONNX Slice: x[start:end:step] on the given axes, clamped").build();
    }

    private static Spec spec(Attrs a, int rank) {
        List<Long> starts = a.getLongs("starts"), ends = a.getLongs("ends");
        List<Long> axes = a.getLongs("axes", List.of()), steps = a.getLongs("steps", List.of());
        int n = starts.size();
        if (ends.size() != n)
            throw new ShapeException("slice has " + n + " starts but " + ends.size() + " ends", "give one start and one end per sliced axis");
        if (!axes.isEmpty() && axes.size() != n)
            throw new ShapeException("slice has " + n + " starts but " + axes.size() + " axes", "give one axis per start");
        if (!steps.isEmpty() && steps.size() != n)
            throw new ShapeException("slice has " + n + " starts but " + steps.size() + " steps", "give one step per start");
        if (axes.isEmpty() && n > rank)
            throw new ShapeException("slice has " + n + " starts for an operand of rank " + rank);
        List<Long> ax = axes;
        if (ax.isEmpty()) {
            ax = new ArrayList<>();
            for (long i = 0; i < n; i++) ax.add(i);
        }
        long[] st = new long[n], en = new long[n], sp = new long[n];
        for (int i = 0; i < n; i++) {
            st[i] = starts.get(i);
            en[i] = ends.get(i);
            sp[i] = steps.isEmpty() ? 1 : steps.get(i);
            if (sp[i] == 0) throw new ShapeException("slice step must not be 0", "use 1 to take every element, -1 to reverse");
        }
        return new Spec(OpChecks.axes("slice", ax, rank), st, en, sp);
    }

    /** ONNX Slice on a concrete dim: {first index, length}. */
    static long[] range(long dim, long start, long end, long step) {
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        long len;
        if (step > 0) {
            start = clamp(start, 0, dim);
            end = clamp(end, 0, dim);
            len = end > start ? (end - start + step - 1) / step : 0;
        } else {
            start = clamp(start, 0, dim - 1);
            end = clamp(end, -1, dim - 1);
            len = start > end ? (start - end - step - 1) / -step : 0;
        }
        return new long[] {start, len};
    }

    private static long clamp(long v, long lo, long hi) { return Math.max(lo, Math.min(hi, v)); }

    /** The sliced length of symbolic dim {@code d}, assuming finite indices lie inside it. */
    private static Dim symbolicLength(Dim d, long start, long end, long step) {
        Dim s, e;
        if (step > 0) {
            s = start >= HUGE ? d : start <= -HUGE ? Dim.of(0) : start < 0 ? d.plus(start) : Dim.of(start);
            e = end >= HUGE ? d : end <= -HUGE ? Dim.of(0) : end < 0 ? d.plus(end) : Dim.of(end);
            return nonNegative(e.minus(s)).ceilDiv(step);
        }
        s = start >= HUGE ? d.minus(1) : start <= -HUGE ? Dim.of(-1) : start < 0 ? d.plus(start) : Dim.of(start);
        e = end >= HUGE ? d.minus(1) : end <= -HUGE ? Dim.of(-1) : end < 0 ? d.plus(end) : Dim.of(end);
        return nonNegative(s.minus(e)).ceilDiv(-step);
    }

    private static Dim nonNegative(Dim d) { return d.isConst() && d.value() < 0 ? Dim.of(0) : d; }

    /**
     * Puts the gradient back where the slice took it from, one sliced axis at a time: zero
     * padding for step 1, a scatter of the taken indices for other steps.
     */
    private static Node grad(Node f, Node g) {
        TensorType x = f.input(0).type();
        int r = x.rank();
        Spec s = spec(f.attrs(), r);
        Node out = g;
        for (int i = 0; i < s.axes.length; i++) {
            int ax = s.axes[i];
            Dim d = x.shape().dim(ax);
            long[] pads = new long[2 * r];
            if (d.isConst()) {
                long n = d.value();
                long[] rg = range(n, s.starts[i], s.ends[i], s.steps[i]);
                if (s.steps[i] != 1) {
                    long[] idx = new long[(int) rg[1]];
                    for (int k = 0; k < idx.length; k++) idx[k] = rg[0] + k * s.steps[i];
                    out = GradUtil.scatterAlong(out, ax, GradUtil.indices(idx), n);
                    continue;
                }
                pads[ax] = rg[0];
                pads[r + ax] = n - rg[0] - rg[1];
            } else if (s.steps[i] == 1 && s.starts[i] < HUGE && (s.starts[i] >= 0 || s.starts[i] <= -HUGE)
                    && (s.ends[i] >= HUGE || (s.ends[i] < 0 && s.ends[i] > -HUGE))) {
                // x[k:], x[:-k], x[k:-m] on a symbolic dim: both pads are constants
                pads[ax] = Math.max(s.starts[i], 0);
                pads[r + ax] = s.ends[i] >= HUGE ? 0 : -s.ends[i];
            } else {
                throw new ShapeException("the gradient of slice on symbolic axis " + ax + " of " + x
                        + " needs step 1, a start counted from the beginning and an end counted from the end",
                        "slice a static dim, or write the slice as x[k:] or x[k:-m]");
            }
            out = Node.of("pad", List.of(out), Attrs.of("pads", pads));
        }
        return out;
    }
}
