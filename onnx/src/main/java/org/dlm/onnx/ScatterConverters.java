package org.dlm.onnx;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX ScatterElements, Scatter and ScatterND with indices known at import time: the scatter is
 * resolved into gathers from [data; updates; neutral element], one per round of updates that hit
 * the same element (reduction none keeps the last, add/mul/max/min combine them in order);
 * MaxUnpool as a one-hot contraction.
 */
final class ScatterConverters {
    private ScatterConverters() {}

    static void register(ConverterTable t) {
        t.one("ScatterElements", cx -> scatter(cx, false));
        t.one("Scatter", cx -> scatter(cx, false));
        t.one("ScatterND", cx -> scatter(cx, true));
        t.one("MaxUnpool", ScatterConverters::maxUnpool);
    }

    /**
     * MaxUnpool: x's values placed at their flat indices into a zero tensor of the size max pooling
     * came from (extended by zeros to output_shape), as a one-hot contraction so the indices may be computed at
     * run time: out = Σ_k where(one_hot(indices)[k, :], x[k], 0).
     */
    private static Node maxUnpool(OpContext cx) {
        Node x = cx.in(0), idx = cx.in(1);
        if (!x.shape().isStatic() || !idx.shape().equals(x.shape())) throw cx.unsupported("on symbolic or mismatched shapes " + x.shape() + ", " + idx.shape());
        long[] xs = x.shape().sizes();
        int spatial = xs.length - 2;
        if (spatial < 1) throw cx.error("needs [N, C, spatial...], got " + x.shape());
        long[] kernel = cx.attrInts("kernel_shape");
        if (kernel == null || kernel.length != spatial) throw cx.error("needs kernel_shape with " + spatial + " entries");
        long[] strides = cx.attrs().ints("strides", ones(spatial)), pads = cx.attrs().ints("pads", new long[2 * spatial]);
        long[] out = xs.clone();   // the shape max pooling came from: the indices count in it
        for (int d = 0; d < spatial; d++) out[d + 2] = (xs[d + 2] - 1) * strides[d] - pads[d] - pads[d + spatial] + kernel[d];
        // a given output_shape extends that shape with zeros at the end (as ONNX Runtime does)
        long[] given = cx.hasInput(2) ? cx.constInts(2, "output_shape") : out;
        if (given.length != xs.length || given[0] != xs[0] || given[1] != xs[1]) throw cx.error("output_shape " + java.util.Arrays.toString(given) + " does not fit " + x.shape());
        for (int d = 2; d < given.length; d++)
            if (given[d] < out[d]) throw cx.unsupported("with output_shape " + java.util.Arrays.toString(given) + " smaller than the pooled-from shape " + java.util.Arrays.toString(out));
        long k = NdArray.numel(xs), n = NdArray.numel(out);
        if (n < 1 || k * n > OnnxImporter.FOLD_LIMIT) throw cx.unsupported("scattering " + k + " values into " + n + " (at most " + OnnxImporter.FOLD_LIMIT + " one-hot entries)");
        // where, not a product with the one-hot matrix, so that an infinite value does not turn the zeros into NaN
        Node hot = cx.op("one_hot", List.of(cx.op("reshape", List.of(idx), "shape", Shape.of(k))), "depth", n, "dtype", DType.BOOL);
        Node placed = cx.op("where", hot, cx.op("reshape", List.of(x), "shape", Shape.of(k, 1)), cx.scalar(x.dtype(), 0));
        Node flat = cx.op("reduce_sum", List.of(placed), "axes", List.of(0L));
        Node y = cx.op("reshape", List.of(flat), "shape", Shape.of(out));
        if (java.util.Arrays.equals(given, out)) return y;
        long[] extend = new long[2 * given.length];
        for (int d = 2; d < given.length; d++) extend[given.length + d] = given[d] - out[d];
        return cx.op("pad", List.of(y), "pads", extend);
    }

    private static long[] ones(int n) {
        long[] r = new long[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }

    private static Node scatter(OpContext cx, boolean nd) {
        Node data = cx.in(0), updates = cx.in(2);
        NdArray idx = cx.constIn(1, "indices");
        if (!data.shape().isStatic() || !updates.shape().isStatic()) throw cx.unsupported("on symbolic shapes");
        String reduction = cx.attrString("reduction", "none");
        if (!List.of("none", "add", "mul", "max", "min").contains(reduction)) throw cx.error("unknown reduction '" + reduction + "'");
        long[] ds = data.shape().sizes(), us = updates.shape().sizes();
        int n = (int) NdArray.numel(ds), u = (int) NdArray.numel(us);
        int[] target = nd ? targetsNd(cx, ds, idx, us) : targetsElements(cx, ds, idx, us);
        // rounds[j][p]: which update lands on element p in round j (-1: none)
        List<int[]> rounds = new ArrayList<>();
        for (int k = 0; k < u; k++) {
            int p = target[k];
            int j = 0;
            while (j < rounds.size() && rounds.get(j)[p] >= 0) j++;
            if (j == rounds.size()) {
                int[] r = new int[n];
                java.util.Arrays.fill(r, -1);
                rounds.add(r);
            }
            rounds.get(j)[p] = k;
        }
        DType dt = data.dtype();
        Node flatData = cx.op("reshape", List.of(data), "shape", Shape.of(n));
        Node flatUpd = cx.op("reshape", List.of(updates), "shape", Shape.of(u));
        if (reduction.equals("none")) {
            // the last update wins: index into [data; updates]
            double[] map = new double[n];
            for (int p = 0; p < n; p++) {
                map[p] = p;
                for (int[] r : rounds) if (r[p] >= 0) map[p] = n + r[p];
            }
            Node src = cx.op("concat", List.of(flatData, flatUpd), "axis", 0L);
            return reshapeBack(cx, cx.op("gather", List.of(src, cx.constant(new NdArray(DType.I64, new long[] {n}, map))), "axis", 0L), ds);
        }
        double neutral = switch (reduction) {
            case "add" -> 0;
            case "mul" -> 1;
            case "max" -> dt.isFloating() ? Double.NEGATIVE_INFINITY : -9.2e18;
            default -> dt.isFloating() ? Double.POSITIVE_INFINITY : 9.2e18;
        };
        Node src = cx.op("concat", List.of(flatUpd, cx.op("reshape", List.of(cx.scalar(dt, neutral)), "shape", Shape.of(1))), "axis", 0L);
        String op = switch (reduction) { case "add" -> "add"; case "mul" -> "mul"; case "max" -> "max"; default -> "min"; };
        Node acc = flatData;
        for (int[] r : rounds) {
            double[] map = new double[n];
            for (int p = 0; p < n; p++) map[p] = r[p] >= 0 ? r[p] : u;
            acc = cx.op(op, acc, cx.op("gather", List.of(src, cx.constant(new NdArray(DType.I64, new long[] {n}, map))), "axis", 0L));
        }
        return reshapeBack(cx, acc, ds);
    }

    private static Node reshapeBack(OpContext cx, Node flat, long[] shape) {
        return cx.op("reshape", List.of(flat), "shape", Shape.of(shape));
    }

    private static long wrap(OpContext cx, double v, long dim) {
        long i = (long) v;
        if (i < 0) i += dim;
        if (i < 0 || i >= dim) throw cx.error("index " + (long) v + " is out of range for a dim of " + dim);
        return i;
    }

    /** ScatterElements: update k goes to its own position with the axis coordinate replaced by indices[k]. */
    private static int[] targetsElements(OpContext cx, long[] ds, NdArray idx, long[] us) {
        int r = ds.length;
        if (!java.util.Arrays.equals(idx.shape(), us)) throw cx.error("indices and updates must have the same shape");
        int axis = cx.axis(cx.attrInt("axis", 0), r);
        long[] ustr = NdArray.strides(us), dstr = NdArray.strides(ds);
        int[] t = new int[idx.size()];
        for (int k = 0; k < t.length; k++) {
            long off = 0;
            for (int d = 0; d < r; d++) {
                long c = (k / ustr[d]) % us[d];
                if (d == axis) c = wrap(cx, idx.get(k), ds[d]);
                else if (c >= ds[d]) throw cx.error("updates reach past the data");
                off += c * dstr[d];
            }
            t[k] = (int) off;
        }
        return t;
    }

    /** ScatterND: each index tuple selects a slice of data that the matching block of updates replaces. */
    private static int[] targetsNd(OpContext cx, long[] ds, NdArray idx, long[] us) {
        long[] is = idx.shape();
        int k = (int) is[is.length - 1];
        if (k > ds.length) throw cx.error("index tuples are longer than the data's rank");
        long block = 1;
        for (int i = k; i < ds.length; i++) block *= ds[i];
        int tuples = idx.size() / Math.max(k, 1);
        if ((long) tuples * block != NdArray.numel(us)) throw cx.error("updates do not match indices and data");
        int[] t = new int[(int) (tuples * block)];
        for (int q = 0; q < tuples; q++) {
            long row = 0;
            for (int j = 0; j < k; j++) row = row * ds[j] + wrap(cx, idx.get(q * k + j), ds[j]);
            for (int e = 0; e < block; e++) t[(int) (q * block + e)] = (int) (row * block + e);
        }
        return t;
    }
}
