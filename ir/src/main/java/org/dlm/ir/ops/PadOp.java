package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * The {@code pad} op (ONNX Pad): {@code pads} lists the begin pads of every dim, then the end
 * pads. Negative pads crop. Modes: {@code constant} (fill with {@code value}), {@code reflect}
 * (mirror without repeating the edge; pads must be smaller than the dim), {@code edge}
 * (repeat the border element).
 */
final class PadOp {
    private PadOp() {}

    static OpDef def() {
        return OpDef.builder("pad").inputs(1)
                .attr("pads", INTS, null, "begin pads of each dim, then end pads")
                .attr("mode", STRING, "constant", "constant, reflect or edge")
                .attr("value", FLOAT, 0.0, "fill value for constant mode")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    long[] p = pads(a, t.rank());
                    String mode = a.getString("mode");
                    if (!List.of("constant", "reflect", "edge").contains(mode))
                        throw new ShapeException("pad mode must be constant, reflect or edge, got \"" + mode + "\"");
                    int r = t.rank();
                    List<Dim> ds = new ArrayList<>();
                    for (int i = 0; i < r; i++) {
                        Dim d = t.shape().dim(i);
                        Dim o = d.plus(p[i]).plus(p[r + i]);
                        if (o.isConst() && o.value() < 0)
                            throw new ShapeException("pad " + a.getLongs("pads") + " crops more than dim " + i + " of " + t + " holds");
                        if (d.isConst()) checkMode(mode, d.value(), p[i], p[r + i], i, t);
                        ds.add(o);
                    }
                    return t.withShape(new Shape(ds));
                })
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    int r = x.rank();
                    long[] p = pads(a, r), xs = x.shape(), st = x.strides(), os = new long[r];
                    String mode = a.getString("mode");
                    for (int i = 0; i < r; i++) {
                        checkMode(mode, xs[i], p[i], p[r + i], i, new TensorType(x.dtype(), Shape.of(xs)));
                        os[i] = xs[i] + p[i] + p[r + i];
                    }
                    return ShapeOps.mapIndex(x, os, o -> {
                        long f = 0;
                        for (int d = 0; d < r; d++) {
                            long j = o[d] - p[d], n = xs[d];
                            if (j < 0 || j >= n) {
                                switch (mode) {
                                    case "constant" -> { return -1; }
                                    case "edge" -> j = j < 0 ? 0 : n - 1;
                                    default -> j = j < 0 ? -j : 2 * (n - 1) - j;
                                }
                            }
                            f += j * st[d];
                        }
                        return f;
                    }, a.getDouble("value"));
                })
                .grad((f, g) -> List.of(grad(f, g)))
                .doc("pads (or with negative pads crops) every dim").build();
    }

    /**
     * Constant mode: pad by the negated pads (crops what was added, zero-fills what was cropped).
     * Reflect and edge: each padded axis is a gather of source indices, so its adjoint is a
     * scatter of those indices (static dims only).
     */
    private static Node grad(Node f, Node g) {
        TensorType x = f.input(0).type();
        int r = x.rank();
        long[] p = pads(f.attrs(), r);
        String mode = f.attrs().getString("mode");
        if (mode.equals("constant")) {
            long[] neg = new long[p.length];
            for (int i = 0; i < p.length; i++) neg[i] = -p[i];
            return Node.of("pad", List.of(g), Attrs.of("pads", neg));
        }
        Node out = g;
        for (int ax = 0; ax < r; ax++) {
            if (p[ax] == 0 && p[r + ax] == 0) continue;
            Dim d = x.shape().dim(ax);
            if (!d.isConst())
                throw new ShapeException("the gradient of " + mode + " padding needs a static size on axis " + ax + ", got " + x);
            long n = d.value();
            long[] idx = new long[(int) (n + p[ax] + p[r + ax])];
            for (int o = 0; o < idx.length; o++) {
                long j = o - p[ax];
                if (j < 0 || j >= n) j = mode.equals("edge") ? (j < 0 ? 0 : n - 1) : (j < 0 ? -j : 2 * (n - 1) - j);
                idx[o] = j;
            }
            out = GradUtil.scatterAlong(out, ax, GradUtil.indices(idx), n);
        }
        return out;
    }

    private static long[] pads(Attrs a, int rank) {
        long[] p = a.getLongArray("pads");
        if (p.length != 2 * rank)
            throw new ShapeException("pad needs " + 2 * rank + " pads (begin and end of each of " + rank + " dims), got " + p.length,
                    "list all begin pads, then all end pads");
        return p;
    }

    private static void checkMode(String mode, long n, long begin, long end, int axis, TensorType t) {
        if (mode.equals("reflect") && (begin >= n || end >= n) && (begin > 0 || end > 0))
            throw new ShapeException("reflect padding " + Math.max(begin, end) + " on dim " + axis + " of " + t + " needs the dim to be larger than the pad",
                    "use mode edge or constant, or pad less");
        if (mode.equals("edge") && n == 0 && (begin > 0 || end > 0))
            throw new ShapeException("edge padding cannot extend the empty dim " + axis + " of " + t);
    }
}
