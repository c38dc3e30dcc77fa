package org.dlm.ir.ops;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.dlm.ir.Dim;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.interp.NdArray;

/** Numpy (multidirectional) broadcasting, for shape rules and for interpreter kernels. */
public final class Broadcast {
    private Broadcast() {}

    /** The broadcast shape of {@code shapes}, or a {@link ShapeException} naming the clashing dims. */
    public static Shape shapes(String op, List<Shape> shapes) {
        int rank = shapes.stream().mapToInt(Shape::rank).max().orElse(0);
        List<Dim> out = new ArrayList<>(Collections.nCopies(rank, Dim.of(1)));
        for (Shape s : shapes) {
            for (int i = 0; i < s.rank(); i++) {
                int o = rank - s.rank() + i;
                Dim cur = out.get(o), d = s.dim(i);
                if (d.equals(cur) || (d.isConst() && d.value() == 1)) continue;
                if (cur.isConst() && cur.value() == 1) { out.set(o, d); continue; }
                throw new ShapeException(op + " cannot broadcast " + join(shapes) + ": dimension " + d + " does not match " + cur,
                        "sizes must be equal or 1 in each trailing dimension");
            }
        }
        return new Shape(out);
    }

    private static String join(List<Shape> shapes) {
        return String.join(" and ", shapes.stream().map(Shape::toString).toList());
    }

    /** Concrete broadcast of static sizes. */
    public static long[] sizes(long[]... shapes) {
        int rank = 0;
        for (long[] s : shapes) rank = Math.max(rank, s.length);
        long[] out = new long[rank];
        java.util.Arrays.fill(out, 1);
        for (long[] s : shapes)
            for (int i = 0; i < s.length; i++) {
                int o = rank - s.length + i;
                if (s[i] == out[o] || s[i] == 1) continue;
                if (out[o] == 1) { out[o] = s[i]; continue; }
                throw new IllegalArgumentException("cannot broadcast " + java.util.Arrays.toString(s) + " to " + java.util.Arrays.toString(out));
            }
        return out;
    }

    /** For every flat index of {@code outShape}, the flat index into an array of shape {@code in} broadcast to it. */
    public static int[] indexMap(long[] in, long[] outShape) {
        int n = (int) NdArray.numel(outShape);
        int[] map = new int[n];
        long[] inStrides = NdArray.strides(in);
        int off = outShape.length - in.length;
        long[] idx = new long[outShape.length];
        for (int f = 0; f < n; f++) {
            long src = 0;
            for (int d = 0; d < in.length; d++) if (in[d] != 1) src += idx[d + off] * inStrides[d];
            map[f] = (int) src;
            for (int d = outShape.length - 1; d >= 0; d--) {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        return map;
    }
}
