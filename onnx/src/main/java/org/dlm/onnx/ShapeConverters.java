package org.dlm.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;

/** ONNX data-movement ops: Reshape, Transpose, Concat, Slice, Gather, Split, Pad, constants and shape queries. */
final class ShapeConverters {
    private ShapeConverters() {}

    static void register(ConverterTable t) {
        t.one("Constant", ShapeConverters::constant);
        t.one("Reshape", cx -> {
            Node x = cx.in(0);
            long[] req = cx.opset() < 5 ? cx.attrInts("shape") : cx.constInts(1, "shape");
            Shape target = ShapeMath.reshapeTarget(cx, x.shape(), req, cx.attrInt("allowzero", 0) != 0);
            return cx.op("reshape", List.of(x), "shape", target);
        });
        t.one("Flatten", cx -> {
            Node x = cx.in(0);
            long axis = cx.attrInt("axis", 1);
            if (axis < 0) axis += x.shape().rank();
            if (axis < 0 || axis > x.shape().rank()) throw cx.error("axis " + cx.attrInt("axis", 1) + " out of range for rank " + x.shape().rank());
            return cx.op("flatten", List.of(x), "axis", axis);
        });
        t.one("Transpose", cx -> {
            long[] perm = cx.attrInts("perm");
            return perm == null ? cx.op("transpose", cx.in(0)) : cx.op("transpose", List.of(cx.in(0)), "perm", perm);
        });
        t.one("Concat", cx -> cx.op("concat", cx.ins(), "axis", cx.attrInt("axis", 0)));
        t.one("Slice", ShapeConverters::slice);
        t.one("Gather", cx -> cx.op("gather", List.of(cx.in(0), cx.in(1)), "axis", cx.attrInt("axis", 0)));
        t.one("Expand", cx -> {
            Node x = cx.in(0);
            Shape to = ShapeMath.broadcast(cx, x.shape(), Shape.of(cx.constInts(1, "shape")));
            return cx.op("expand", List.of(x), "shape", to);
        });
        t.one("Squeeze", cx -> {
            long[] axes = cx.intsFromAttrOrInput("axes", 1, "axes");
            return axes == null ? cx.op("squeeze", cx.in(0)) : cx.op("squeeze", List.of(cx.in(0)), "axes", axes);
        });
        t.one("Unsqueeze", cx -> {
            long[] axes = cx.intsFromAttrOrInput("axes", 1, "axes");
            if (axes == null) throw cx.error("needs axes");
            return cx.op("unsqueeze", List.of(cx.in(0)), "axes", axes);
        });
        t.one("Pad", ShapeConverters::pad);
        t.one("Tile", cx -> cx.op("tile", List.of(cx.in(0)), "repeats", cx.constInts(1, "repeats")));
        t.one("Shape", cx -> {
            Node x = cx.in(0);
            Node s = cx.op("shape_of", x);
            int r = x.shape().rank();
            long start = cx.attrInt("start", 0), end = cx.attrInt("end", r);
            if (start == 0 && end >= r) return s;
            return cx.op("slice", List.of(s), "starts", List.of(start), "ends", List.of(end), "axes", List.of(0L), "steps", List.of(1L));
        });
        t.one("Size", cx -> cx.op("reduce_prod", List.of(cx.op("shape_of", cx.in(0))), "keepdims", false));
        t.one("ConstantOfShape", cx -> {
            long[] shape = cx.constInts(0, "shape");
            NdArray v = cx.hasAttr("value") ? cx.attrTensor("value") : NdArray.scalar(DType.F32, 0);
            if (v.size() != 1) throw cx.error("value must hold one element, has " + v.size());
            return fill(cx, v.dtype(), v.get(0), shape);
        });
        t.one("Range", cx -> {
            NdArray s = cx.constIn(0, "start"), l = cx.constIn(1, "limit"), d = cx.constIn(2, "delta");
            double start = s.get(0), limit = l.get(0), delta = d.get(0);
            if (delta == 0) throw cx.error("delta is 0");
            long n = Math.max((long) Math.ceil((limit - start) / delta), 0);
            if (n > OnnxImporter.FOLD_LIMIT) throw cx.unsupported("with " + n + " elements");
            double[] v = new double[(int) n];
            for (int i = 0; i < n; i++) v[i] = start + i * delta;
            return cx.constant(new NdArray(s.dtype(), new long[] {n}, v));
        });
        t.one("EyeLike", cx -> {
            Node x = cx.in(0);
            if (x.shape().rank() != 2 || !x.shape().isStatic()) throw cx.unsupported("on a non-2-D or symbolic shape " + x.shape());
            DType dt = cx.hasAttr("dtype") ? OnnxDTypes.require((int) cx.attrInt("dtype", 1), cx.where()) : x.dtype();
            long rows = x.shape().dim(0).value(), cols = x.shape().dim(1).value(), k = cx.attrInt("k", 0);
            double[] v = new double[(int) (rows * cols)];
            for (long i = 0; i < rows; i++) if (i + k >= 0 && i + k < cols) v[(int) (i * cols + i + k)] = 1;
            return cx.constant(new NdArray(dt, new long[] {rows, cols}, v));
        });
        t.put("Split", ShapeConverters::split);
        t.put("Dropout", cx -> {
            Node x = cx.in(0);
            NdArray training = cx.staticIn(2);
            if (cx.hasInput(2) && training == null) throw cx.unsupported("with a computed training_mode");
            if (training != null && training.get(0) != 0) {
                NdArray ratio = cx.staticIn(1);
                if (ratio == null || ratio.get(0) != 0) throw cx.unsupported("in training mode (random masks)");
            }
            if (!cx.outputUsed(1)) return List.of(x);
            return List.of(x, cx.op("expand", List.of(cx.constant(NdArray.scalar(DType.BOOL, 1))), "shape", x.shape()));
        });
        t.one("DepthToSpace", cx -> {
            Node x = cx.in(0);
            if (x.shape().rank() != 4) throw cx.error("needs a 4-D input, got " + x.shape());
            long b = cx.attrInt("blocksize", 0);
            if (b <= 0) throw cx.error("blocksize must be positive");
            Dim n = x.shape().dim(0), c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
            Dim cb = c.floorDiv(b * b);
            boolean crd = cx.attrString("mode", "DCR").equals("CRD");
            Node r = crd ? cx.op("reshape", List.of(x), "shape", Shape.of(n, cb, Dim.of(b), Dim.of(b), h, w))
                         : cx.op("reshape", List.of(x), "shape", Shape.of(n, Dim.of(b), Dim.of(b), cb, h, w));
            r = cx.op("transpose", List.of(r), "perm", crd ? new long[] {0, 1, 4, 2, 5, 3} : new long[] {0, 3, 4, 1, 5, 2});
            return cx.op("reshape", List.of(r), "shape", Shape.of(n, cb, h.times(b), w.times(b)));
        });
        t.one("SpaceToDepth", cx -> {
            Node x = cx.in(0);
            if (x.shape().rank() != 4) throw cx.error("needs a 4-D input, got " + x.shape());
            long b = cx.attrInt("blocksize", 0);
            if (b <= 0) throw cx.error("blocksize must be positive");
            Dim n = x.shape().dim(0), c = x.shape().dim(1), h = x.shape().dim(2).floorDiv(b), w = x.shape().dim(3).floorDiv(b);
            Node r = cx.op("reshape", List.of(x), "shape", Shape.of(n, c, h, Dim.of(b), w, Dim.of(b)));
            r = cx.op("transpose", List.of(r), "perm", new long[] {0, 3, 5, 1, 2, 4});
            return cx.op("reshape", List.of(r), "shape", Shape.of(n, c.times(b * b), h, w));
        });
        t.one("OneHot", cx -> {
            Node idx = cx.in(0);
            long depth = (long) cx.constIn(1, "depth").get(0);
            NdArray values = cx.constIn(2, "values");
            if (values.size() != 2) throw cx.error("values must hold [off, on]");
            int outRank = idx.shape().rank() + 1;
            int axis = cx.axis(cx.attrInt("axis", -1), outRank);
            DType dt = values.dtype();
            Node i = idx.dtype().isInteger() ? idx : cx.op("cast", List.of(idx), "dtype", DType.I64);
            Node hot = cx.op("one_hot", List.of(i), "depth", depth, "dtype", dt);   // negative indices count from depth
            double off = values.get(0), on = values.get(1);
            if (off != 0 || on != 1) hot = cx.op("add", cx.op("mul", hot, cx.scalar(dt, on - off)), cx.scalar(dt, off));
            if (axis == outRank - 1) return hot;
            long[] perm = new long[outRank];
            for (int k = 0, src = 0; k < outRank; k++) perm[k] = k == axis ? outRank - 1 : src++;
            return cx.op("transpose", List.of(hot), "perm", perm);
        });
        t.one("GatherElements", ShapeConverters::gatherElements);
        t.one("ReverseSequence", cx -> {
            Node x = cx.in(0);
            long[] lens = cx.constInts(1, "sequence_lens");
            if (!x.shape().isStatic()) throw cx.unsupported("on symbolic shape " + x.shape());
            long[] s = x.shape().sizes(), st = NdArray.strides(s);
            int r = s.length, ba = cx.axis(cx.attrInt("batch_axis", 1), r), ta = cx.axis(cx.attrInt("time_axis", 0), r);
            int n = (int) NdArray.numel(s);
            double[] map = new double[n];
            for (int f = 0; f < n; f++) {
                long b = (f / st[ba]) % s[ba], tt = (f / st[ta]) % s[ta];
                long len = b < lens.length ? lens[(int) b] : s[ta];
                map[f] = tt < len ? f + (len - 1 - 2 * tt) * st[ta] : f;
            }
            Node flat = cx.op("reshape", List.of(x), "shape", Shape.of(n));
            Node g = cx.op("gather", List.of(flat, cx.constant(new NdArray(DType.I64, new long[] {n}, map))), "axis", 0L);
            return cx.op("reshape", List.of(g), "shape", x.shape());
        });
        t.one("Compress", cx -> {
            Node x = cx.in(0);
            NdArray cond = cx.constIn(1, "condition");
            List<Long> idx = new ArrayList<>();
            Node src = x;
            long len;
            long axis;
            if (cx.hasAttr("axis")) {
                axis = cx.axis(cx.attrInt("axis", 0), x.shape().rank());
                Dim d = x.shape().dim((int) axis);
                if (!d.isConst()) throw cx.unsupported("along symbolic dim " + d);
                len = d.value();
            } else {
                axis = 0;
                if (!x.shape().isStatic()) throw cx.unsupported("without axis on a symbolic shape");
                len = x.shape().numel().value();
                src = cx.op("reshape", List.of(x), "shape", Shape.of(len));
            }
            for (int k = 0; k < Math.min(len, cond.size()); k++) if (cond.get(k) != 0) idx.add((long) k);
            return cx.op("gather", List.of(src, cx.longs(idx.stream().mapToLong(Long::longValue).toArray())), "axis", axis);
        });
        t.put("Unique", ShapeConverters::unique);
        t.one("NonZero", cx -> {
            NdArray x = cx.staticIn(0);
            if (x == null) throw cx.unsupported("on a computed operand (its result size depends on the data)");
            long[] shape = x.shape(), strides = NdArray.strides(shape);
            List<Integer> hits = new ArrayList<>();
            for (int f = 0; f < x.size(); f++) if (x.get(f) != 0) hits.add(f);
            double[] r = new double[shape.length * hits.size()];
            for (int h = 0; h < hits.size(); h++)
                for (int d = 0; d < shape.length; d++) r[d * hits.size() + h] = (hits.get(h) / strides[d]) % shape[d];
            return cx.constant(new NdArray(DType.I64, new long[] {shape.length, hits.size()}, r));
        });
        t.one("Trilu", cx -> {
            Node x = cx.in(0);
            int r = x.shape().rank();
            if (r < 2) throw cx.error("needs rank >= 2");
            Dim dr = x.shape().dim(r - 2), dc = x.shape().dim(r - 1);
            if (!dr.isConst() || !dc.isConst()) throw cx.unsupported("with symbolic matrix dims " + x.shape());
            long k = cx.hasInput(1) ? (long) cx.constIn(1, "k").get(0) : 0;
            boolean upper = cx.attrInt("upper", 1) != 0;
            long rows = dr.value(), cols = dc.value();
            double[] m = new double[(int) (rows * cols)];
            for (long i = 0; i < rows; i++)
                for (long j = 0; j < cols; j++) m[(int) (i * cols + j)] = (upper ? j - i >= k : j - i <= k) ? 1 : 0;
            Node mask = cx.constant(new NdArray(DType.BOOL, new long[] {rows, cols}, m));
            return cx.op("where", mask, x, cx.scalar(x.dtype(), 0));
        });
    }

    /**
     * GatherElements as a one-hot contraction: out[p] = Σ_k x[p with axis=k] · [idx[p] = k], with x
     * first cut to idx's extent in the other dims.
     */
    private static Node gatherElements(OpContext cx) {
        Node x = cx.in(0), idx = cx.in(1);
        int r = x.shape().rank();
        if (idx.shape().rank() != r) throw cx.error("indices " + idx.shape() + " must have the rank of data " + x.shape());
        int a = cx.axis(cx.attrInt("axis", 0), r);
        Dim depth = x.shape().dim(a);
        if (!depth.isConst()) throw cx.unsupported("along symbolic dim " + depth);
        Node xs = x;
        for (int i = 0; i < r; i++) {
            if (i == a || idx.shape().dim(i).equals(x.shape().dim(i))) continue;
            Dim want = idx.shape().dim(i);
            if (!want.isConst()) throw cx.unsupported("with symbolic index dims " + idx.shape());
            xs = cx.op("slice", List.of(xs), "starts", List.of(0L), "ends", List.of(want.value()), "axes", List.of((long) i), "steps", List.of(1L));
        }
        DType dt = x.dtype() == DType.BOOL ? DType.I32 : x.dtype();
        if (dt != x.dtype()) xs = cx.op("cast", List.of(xs), "dtype", dt);
        long[] perm = new long[r];
        for (int k = 0, src = 0; k < r; k++) {
            if (src == a) src++;
            perm[k] = k == r - 1 ? a : src++;
        }
        Node moved = cx.op("unsqueeze", List.of(cx.op("transpose", List.of(xs), "perm", perm)), "axes", List.of((long) a));
        Node hot = cx.op("one_hot", List.of(idx), "depth", depth.value(), "dtype", dt);
        Node out = cx.op("reduce_sum", List.of(cx.op("mul", hot, moved)), "axes", List.of(-1L), "keepdims", false);
        return dt == x.dtype() ? out : cx.op("cast", List.of(out), "dtype", x.dtype());
    }

    /** Loop, unrolled: the trip count and every iteration's condition must be known at import time. */
    /** Unique on an operand known at import time (its result size depends on the data). */
    private static List<Node> unique(OpContext cx) {
        NdArray x = cx.staticIn(0);
        if (x == null) throw cx.unsupported("on a computed operand (its result size depends on the data)");
        long[] shape = x.shape();
        boolean hasAxis = cx.hasAttr("axis");
        int axis = hasAxis ? cx.axis(cx.attrInt("axis", 0), shape.length) : 0;
        long[] s = hasAxis ? shape : new long[] {x.size()};
        long[] st = NdArray.strides(s);
        int n = (int) s[axis];
        long inner = st[axis], outer = n == 0 ? 0 : x.size() / (n * inner);
        // slice i = all elements with coordinate i along the axis, in row-major order
        List<double[]> slices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] v = new double[(int) (outer * inner)];
            for (long o = 0; o < outer; o++)
                for (long k = 0; k < inner; k++) v[(int) (o * inner + k)] = x.get((int) (o * n * inner + i * inner + k));
            slices.add(v);
        }
        List<Integer> firsts = new ArrayList<>();
        int[] inverseFirst = new int[n];
        for (int i = 0; i < n; i++) {
            int found = -1;
            for (int f = 0; f < firsts.size(); f++) if (java.util.Arrays.equals(slices.get(firsts.get(f)), slices.get(i))) { found = f; break; }
            if (found < 0) { firsts.add(i); found = firsts.size() - 1; }
            inverseFirst[i] = found;
        }
        Integer[] order = new Integer[firsts.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        if (cx.attrInt("sorted", 1) != 0)
            java.util.Arrays.sort(order, (a, b) -> java.util.Arrays.compare(slices.get(firsts.get(a)), slices.get(firsts.get(b))));
        int[] rank = new int[order.length];
        for (int i = 0; i < order.length; i++) rank[order[i]] = i;
        int u = order.length;
        long[] ys = s.clone();
        ys[axis] = u;
        double[] y = new double[(int) (outer * u * inner)];
        for (int j = 0; j < u; j++) {
            double[] v = slices.get(firsts.get(order[j]));
            for (long o = 0; o < outer; o++)
                for (long k = 0; k < inner; k++) y[(int) (o * u * inner + j * inner + k)] = v[(int) (o * inner + k)];
        }
        double[] idx = new double[u], counts = new double[u], inv = new double[n];
        for (int j = 0; j < u; j++) idx[j] = firsts.get(order[j]);
        for (int i = 0; i < n; i++) {
            inv[i] = rank[inverseFirst[i]];
            counts[rank[inverseFirst[i]]]++;
        }
        return List.of(cx.constant(new NdArray(x.dtype(), ys, y)), cx.constant(new NdArray(DType.I64, new long[] {u}, idx)),
                cx.constant(new NdArray(DType.I64, new long[] {n}, inv)), cx.constant(new NdArray(DType.I64, new long[] {u}, counts)));
    }

    private static Node constant(OpContext cx) {
        OnnxAttrs a = cx.attrs();
        if (a.has("value")) return cx.constant(cx.attrTensor("value"));
        if (a.has("value_float")) return cx.constant(NdArray.scalar(DType.F32, a.f("value_float", 0)));
        if (a.has("value_int")) return cx.constant(NdArray.scalar(DType.I64, a.i("value_int", 0)));
        if (a.has("value_floats")) {
            double[] v = a.floats("value_floats");
            return cx.constant(new NdArray(DType.F32, new long[] {v.length}, v));
        }
        if (a.has("value_ints")) {
            long[] v = a.ints("value_ints");
            return cx.longs(v);
        }
        if (a.has("sparse_value")) throw cx.unsupported("with a sparse value");
        if (a.has("value_string") || a.has("value_strings")) throw cx.unsupported("with string values");
        throw cx.error("has no value");
    }

    static Node fill(OpContext cx, DType dt, double v, long[] shape) {
        long n = 1;
        for (long s : shape) {
            if (s < 0) throw cx.error("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, s);
        }
        if (n <= OnnxImporter.FOLD_LIMIT) {
            double[] d = new double[(int) n];
            Arrays.fill(d, v);
            return cx.constant(new NdArray(dt, shape, d));
        }
        return cx.op("expand", List.of(cx.constant(NdArray.scalar(dt, v))), "shape", Shape.of(shape));
    }

    private static Node slice(OpContext cx) {
        Node x = cx.in(0);
        long[] starts, ends, axes, steps = null;
        if (cx.opset() < 10) {
            starts = cx.attrInts("starts");
            ends = cx.attrInts("ends");
            axes = cx.attrInts("axes");
        } else {
            starts = cx.constInts(1, "starts");
            ends = cx.constInts(2, "ends");
            axes = cx.hasInput(3) ? cx.constInts(3, "axes") : null;
            steps = cx.hasInput(4) ? cx.constInts(4, "steps") : null;
        }
        if (starts == null || ends == null || starts.length != ends.length) throw cx.error("needs starts and ends of equal length");
        if (axes == null) {
            axes = new long[starts.length];
            for (int i = 0; i < axes.length; i++) axes[i] = i;
        }
        if (steps == null) {
            steps = new long[starts.length];
            Arrays.fill(steps, 1);
        }
        for (long s : steps) if (s == 0) throw cx.error("step 0");
        return cx.op("slice", List.of(x), "starts", starts, "ends", ends, "axes", axes, "steps", steps);
    }

    private static Node pad(OpContext cx) {
        Node x = cx.in(0);
        int r = x.shape().rank();
        String mode = cx.attrString("mode", "constant");
        if (!List.of("constant", "reflect", "edge").contains(mode)) throw cx.unsupported("mode '" + mode + "'");
        long[] pads;
        double value;
        if (cx.opset() < 11) {
            pads = cx.hasAttr("pads") ? cx.attrInts("pads") : cx.attrInts("paddings");
            value = cx.attrFloat("value", 0);
        } else {
            pads = cx.constInts(1, "pads");
            value = cx.hasInput(2) ? cx.constIn(2, "constant_value").get(0) : 0;
            if (cx.hasInput(3)) {
                long[] axes = cx.constInts(3, "axes");
                if (pads.length != 2 * axes.length) throw cx.error("needs 2 pads per axis");
                long[] full = new long[2 * r];
                for (int i = 0; i < axes.length; i++) {
                    int a = cx.axis(axes[i], r);
                    full[a] = pads[i];
                    full[a + r] = pads[i + axes.length];
                }
                pads = full;
            }
        }
        if (pads == null || pads.length != 2 * r) throw cx.error("needs " + 2 * r + " pads for rank " + r);
        return cx.op("pad", List.of(x), "pads", pads, "mode", mode, "value", value);
    }

    private static List<Node> split(OpContext cx) {
        Node x = cx.in(0);
        int r = x.shape().rank();
        int axis = cx.axis(cx.attrInt("axis", 0), r);
        long[] sizes = cx.intsFromAttrOrInput("split", 1, "split");
        int n = cx.outputCount();
        Dim d = x.shape().dim(axis);
        if (sizes == null) {
            long parts = cx.hasAttr("num_outputs") ? cx.attrInt("num_outputs", n) : n;
            if (!d.isConst()) throw cx.unsupported("an even split of symbolic dim " + d);
            long len = d.value(), each = (len + parts - 1) / parts;
            sizes = new long[(int) parts];
            for (int i = 0; i < parts; i++) sizes[i] = Math.max(0, Math.min(each, len - i * each));
        }
        List<Node> outs = new ArrayList<>();
        long start = 0;
        for (long s : sizes) {
            outs.add(cx.op("slice", List.of(x), "starts", List.of(start), "ends", List.of(start + s), "axes", List.of((long) axis), "steps", List.of(1L)));
            start += s;
        }
        if (d.isConst() && start != d.value()) throw cx.error("split sizes " + Arrays.toString(sizes) + " do not add up to dim " + d);
        return outs;
    }
}
