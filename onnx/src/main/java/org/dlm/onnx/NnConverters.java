package org.dlm.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;

/** ONNX linear algebra, convolution, pooling, normalization, softmax and loss ops. 1-D conv/pool run as 2-D with a unit height. */
final class NnConverters {
    private NnConverters() {}

    static void register(ConverterTable t) {
        t.one("MatMul", cx -> cx.op("matmul", cx.in(0), cx.in(1)));
        t.one("Gemm", cx -> {
            List<Node> in = new ArrayList<>(List.of(cx.in(0), cx.in(1)));
            if (cx.hasInput(2)) in.add(cx.in(2));
            return cx.op("gemm", in, "alpha", cx.attrFloat("alpha", 1), "beta", cx.attrFloat("beta", 1),
                    "trans_a", cx.attrInt("transA", 0) != 0, "trans_b", cx.attrInt("transB", 0) != 0);
        });
        t.one("Conv", NnConverters::conv);
        t.one("ConvTranspose", NnConverters::convTranspose);
        t.put("MaxPool", cx -> {
            Node y = pool(cx, "max_pool2d");
            return cx.outputUsed(1) ? List.of(y, maxPoolIndices(cx, y)) : List.of(y);
        });
        t.one("AveragePool", cx -> pool(cx, "avg_pool2d"));
        t.one("GlobalAveragePool", cx -> cx.op("global_avg_pool", List.of(cx.in(0)), "keepdims", true));
        t.one("GlobalMaxPool", cx -> cx.op("global_max_pool", List.of(cx.in(0)), "keepdims", true));
        t.put("BatchNormalization", cx -> {
            if (cx.attrInt("spatial", 1) == 0) throw cx.unsupported("spatial=0 (per-activation statistics)");
            boolean training = cx.attrInt("training_mode", 0) != 0;
            Node x = cx.in(0), mean = cx.in(3), var = cx.in(4);
            Node y = cx.op("batch_norm", List.of(x, cx.in(1), cx.in(2), mean, var), "eps", cx.attrFloat("epsilon", 1e-5), "training", training);
            if (!training) {
                for (int k = 1; k < 5; k++) if (cx.outputUsed(k)) throw cx.unsupported("with statistics outputs outside training mode");
                return List.of(y);
            }
            if (cx.outputUsed(3) || cx.outputUsed(4)) throw cx.unsupported("with saved mean/variance outputs (opset < 14)");
            // running statistics: momentum · old + (1 − momentum) · batch statistic (biased variance)
            Node m = cx.scalar(x.dtype(), cx.attrFloat("momentum", 0.9)), rest = cx.scalar(x.dtype(), 1 - cx.attrFloat("momentum", 0.9));
            Node runMean = cx.op("add", cx.op("mul", mean, m), cx.op("mul", cx.op("batch_mean", x), rest));
            Node runVar = cx.op("add", cx.op("mul", var, m), cx.op("mul", cx.op("batch_var", x), rest));
            return List.of(y, runMean, runVar);
        });
        t.one("InstanceNormalization", cx -> {
            Node x = cx.in(0);
            Dim c = x.shape().dim(1);
            if (!c.isConst()) throw cx.unsupported("with a symbolic channel count");
            return cx.op("group_norm", List.of(x, cx.in(1), cx.in(2)), "groups", c.value(), "eps", cx.attrFloat("epsilon", 1e-5));
        });
        t.put("LayerNormalization", cx -> {
            Node x = cx.in(0);
            long axis = cx.attrInt("axis", -1);
            double eps = cx.attrFloat("epsilon", 1e-5);
            List<Node> in = new ArrayList<>(List.of(x, cx.in(1)));
            if (cx.hasInput(2)) in.add(cx.in(2));
            Node y = cx.op("layer_norm", in, "axis", axis, "eps", eps);
            if (!cx.outputUsed(1) && !cx.outputUsed(2)) return List.of(y);
            // Mean and InvStdDev keep the normalized dims as 1s
            int r = x.shape().rank(), a = cx.axis(axis, r);
            long[] axes = new long[r - a];
            for (int i = a; i < r; i++) axes[i - a] = i;
            Node mean = cx.op("reduce_mean", List.of(x), "axes", axes, "keepdims", true);
            Node d = cx.op("sub", x, mean);
            Node var = cx.op("reduce_mean", List.of(cx.op("mul", d, d)), "axes", axes, "keepdims", true);
            Node inv = cx.op("rsqrt", cx.op("add", var, cx.scalar(x.dtype(), eps)));
            return List.of(y, mean, inv);
        });
        t.one("GroupNormalization", NnConverters::groupNorm);
        t.one("Softmax", cx -> softmax(cx, "softmax"));
        t.one("LogSoftmax", cx -> softmax(cx, "log_softmax"));
        t.one("Hardmax", cx -> softmax(cx, "hardmax"));
        t.one("LpNormalization", cx -> {
            Node x = cx.in(0);
            long axis = cx.attrInt("axis", -1), p = cx.attrInt("p", 2);
            Node norm = switch ((int) p) {
                case 1 -> cx.op("reduce_sum", List.of(cx.op("abs", x)), "axes", List.of(axis), "keepdims", true);
                case 2 -> cx.op("reduce_l2", List.of(x), "axes", List.of(axis), "keepdims", true);
                default -> throw cx.unsupported("p=" + p);
            };
            return cx.op("div", x, norm);
        });
        t.one("MeanVarianceNormalization", cx -> {
            Node x = cx.in(0);
            long[] axes = cx.attrInts("axes");
            if (axes == null) axes = new long[] {0, 2, 3};
            Node mean = cx.op("reduce_mean", List.of(x), "axes", axes, "keepdims", true);
            Node meanSq = cx.op("reduce_mean", List.of(cx.op("mul", x, x)), "axes", axes, "keepdims", true);
            Node std = cx.op("sqrt", cx.op("sub", meanSq, cx.op("mul", mean, mean)));
            return cx.op("div", cx.op("sub", x, mean), cx.op("add", std, cx.scalar(x.dtype(), 1e-9)));
        });
        t.one("LRN", NnConverters::lrn);
        t.put("NegativeLogLikelihoodLoss", cx -> List.of(nll(cx, cx.in(0))));
        t.put("SoftmaxCrossEntropyLoss", cx -> {
            Node logp = cx.op("log_softmax", List.of(cx.in(0)), "axis", 1L);
            return List.of(nll(cx, logp), logp);
        });
    }

    // --- convolution and pooling ---

    /** Spatial rank of an N,C,spatial... tensor; 1-D is lifted to 2-D, 3-D and more are unsupported. */
    private static int spatialRank(OpContext cx, Node x) {
        int s = x.shape().rank() - 2;
        if (s == 1 || s == 2) return s;
        if (s < 1) throw cx.error("needs an input of rank 3 or 4 (N, C, spatial...), got " + x.shape());
        throw cx.unsupported(s + "-D spatial input " + x.shape() + " (1-D and 2-D are supported)");
    }

    private static Node lift(OpContext cx, Node x) { return cx.op("unsqueeze", List.of(x), "axes", List.of(2L)); }

    private static long[] ints(OpContext cx, String name, int n, long dflt) {
        long[] v = cx.attrInts(name);
        if (v == null) {
            v = new long[n];
            Arrays.fill(v, dflt);
        }
        if (v.length != n) throw cx.error("attribute " + name + " needs " + n + " values, got " + v.length);
        return v;
    }

    /** ONNX pads (begin..., end...) → DLM 2-D pads (top, left, bottom, right); explicit, VALID or SAME auto_pad. */
    private static long[] pads2d(OpContext cx, Node x, int s, long[] kernel, long[] strides, long[] dil) {
        String autoPad = cx.attrString("auto_pad", "NOTSET");
        long[] p = switch (autoPad) {
            case "NOTSET" -> ints(cx, "pads", 2 * s, 0);
            case "VALID" -> new long[2 * s];
            case "SAME_UPPER", "SAME_LOWER" -> ShapeMath.samePads(cx, x.shape(), kernel, strides, dil, autoPad.equals("SAME_UPPER"));
            default -> throw cx.error("unknown auto_pad '" + autoPad + "'");
        };
        for (long v : p) if (v < 0) throw cx.error("negative pads " + Arrays.toString(p));
        return s == 2 ? p : new long[] {0, p[0], 0, p[1]};
    }

    private static long[] to2d(long[] v, long unit) { return v.length == 2 ? v : new long[] {unit, v[0]}; }

    private static Node conv(OpContext cx) { return convOf(cx, cx.in(0), cx.in(1), cx.hasInput(2) ? cx.in(2) : null); }

    /** ONNX Conv of {@code x} and {@code w} (bias optional) with the node's strides, pads, dilations and group. */
    static Node convOf(OpContext cx, Node x, Node w, Node bias) {
        int s = spatialRank(cx, x);
        if (w.shape().rank() != s + 2) throw cx.error("weight " + w.shape() + " does not match input " + x.shape());
        long[] kernel = kernelOf(cx, w, s);
        long[] strides = ints(cx, "strides", s, 1), dil = ints(cx, "dilations", s, 1);
        long[] pads = pads2d(cx, x, s, kernel, strides, dil);
        List<Node> in = new ArrayList<>(List.of(s == 1 ? lift(cx, x) : x, s == 1 ? lift(cx, w) : w));
        if (bias != null) in.add(bias);
        Node y = cx.op("conv2d", in, "stride", to2d(strides, 1), "padding", pads, "dilation", to2d(dil, 1), "groups", cx.attrInt("group", 1));
        return s == 1 ? cx.op("squeeze", List.of(y), "axes", List.of(2L)) : y;
    }

    private static long[] kernelOf(OpContext cx, Node w, int s) {
        long[] k = new long[s];
        for (int i = 0; i < s; i++) {
            Dim d = w.shape().dim(2 + i);
            if (!d.isConst()) throw cx.unsupported("with a symbolic kernel size");
            k[i] = d.value();
        }
        long[] given = cx.attrInts("kernel_shape");
        if (given != null && !Arrays.equals(given, k)) throw cx.error("kernel_shape " + Arrays.toString(given) + " does not match the weight " + w.shape());
        return k;
    }

    private static Node convTranspose(OpContext cx) {
        Node x = cx.in(0), w = cx.in(1);
        int s = spatialRank(cx, x);
        if (w.shape().rank() != s + 2) throw cx.error("weight " + w.shape() + " does not match input " + x.shape());
        long[] kernel = kernelOf(cx, w, s);
        long[] strides = ints(cx, "strides", s, 1), dil = ints(cx, "dilations", s, 1);
        long[] outPad = ints(cx, "output_padding", s, 0);
        long[] outShape = cx.attrInts("output_shape");
        String autoPad = cx.attrString("auto_pad", "NOTSET");
        long[] pads;
        if (outShape != null || autoPad.startsWith("SAME")) {
            if (outShape != null && outShape.length > s) outShape = Arrays.copyOfRange(outShape, outShape.length - s, outShape.length);
            pads = new long[2 * s];
            for (int i = 0; i < s; i++) {
                Dim d = x.shape().dim(2 + i);
                if (!d.isConst()) throw cx.unsupported("output_shape/SAME padding with symbolic spatial dim " + d);
                long target = outShape != null ? outShape[i] : d.value() * strides[i];
                long total = strides[i] * (d.value() - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1 - target;
                if (total < 0) {
                    // a larger output_shape than the full result: the extra rows/cols are output padding
                    outPad[i] -= total;
                    total = 0;
                }
                boolean upper = autoPad.equals("SAME_UPPER");
                pads[i] = upper ? total / 2 : total - total / 2;
                pads[i + s] = upper ? total - total / 2 : total / 2;
            }
        } else if (autoPad.equals("VALID")) {
            pads = new long[2 * s];
        } else {
            pads = ints(cx, "pads", 2 * s, 0);
        }
        long[] p2 = s == 2 ? pads : new long[] {0, pads[0], 0, pads[1]};
        List<Node> in = new ArrayList<>(List.of(s == 1 ? lift(cx, x) : x, s == 1 ? lift(cx, w) : w));
        if (cx.hasInput(2)) in.add(cx.in(2));
        Node y = cx.op("conv_transpose2d", in, "stride", to2d(strides, 1), "padding", p2, "output_padding", to2d(outPad, 0),
                "dilation", to2d(dil, 1), "groups", cx.attrInt("group", 1));
        return s == 1 ? cx.op("squeeze", List.of(y), "axes", List.of(2L)) : y;
    }

    private static Node pool(OpContext cx, String op) {
        Node x = cx.in(0);
        int s = spatialRank(cx, x);
        long[] kernel = cx.attrInts("kernel_shape");
        if (kernel == null || kernel.length != s) throw cx.error("needs kernel_shape with " + s + " values");
        long[] strides = ints(cx, "strides", s, 1), dil = ints(cx, "dilations", s, 1);
        long[] pads = pads2d(cx, x, s, kernel, strides, dil);
        boolean ceil = cx.attrInt("ceil_mode", 0) != 0;
        boolean max = op.equals("max_pool2d");
        if (!max) for (long d : dil) if (d != 1) throw cx.unsupported("dilations " + Arrays.toString(dil));
        Node in = s == 1 ? lift(cx, x) : x;
        // integer max pooling runs in f64, which holds every 32-bit value exactly
        DType dt = in.dtype();
        if (max && !dt.isFloating()) in = cx.op("cast", List.of(in), "dtype", DType.F64);
        long[] k2 = to2d(kernel, 1), d2 = to2d(dil, 1), s2 = to2d(strides, 1);
        boolean wide = false;
        for (int i = 0; i < 4; i++) wide |= pads[i] > ((k2[i % 2] - 1) * d2[i % 2] + 1) / 2;
        Node y;
        if (wide) {
            // pads wider than half the window: pad explicitly, then pool without padding
            long[] full = {0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]};
            long[] none = new long[4];
            Node padded = cx.op("pad", List.of(in), "pads", full, "mode", "constant", "value", max ? Double.NEGATIVE_INFINITY : 0.0);
            if (max) {
                y = cx.op(op, List.of(padded), "kernel", k2, "stride", s2, "padding", none, "dilation", d2, "ceil_mode", ceil);
            } else {
                y = cx.op(op, List.of(padded), "kernel", k2, "stride", s2, "padding", none, "ceil_mode", ceil, "count_include_pad", true);
                if (cx.attrInt("count_include_pad", 0) == 0) {
                    Node ones = cx.op("expand", List.of(cx.scalar(in.dtype(), 1)), "shape", in.shape());
                    Node count = cx.op(op, List.of(cx.op("pad", List.of(ones), "pads", full, "mode", "constant", "value", 0.0)),
                            "kernel", k2, "stride", s2, "padding", none, "ceil_mode", ceil, "count_include_pad", true);
                    y = cx.op("div", y, count);
                }
            }
        } else if (max) {
            y = cx.op(op, List.of(in), "kernel", k2, "stride", s2, "padding", pads, "dilation", d2, "ceil_mode", ceil);
        } else {
            y = cx.op(op, List.of(in), "kernel", k2, "stride", s2, "padding", pads,
                    "ceil_mode", ceil, "count_include_pad", cx.attrInt("count_include_pad", 0) != 0);
        }
        if (y.dtype() != dt) y = cx.op("cast", List.of(y), "dtype", dt);
        return s == 1 ? cx.op("squeeze", List.of(y), "axes", List.of(2L)) : y;
    }

    /** Largest kernel window MaxPool's Indices output is composed for (one slice per window position). */
    static final long MAX_INDEX_WINDOW = 64;

    /**
     * MaxPool's Indices: the flat position in x (row-major over N, C, H, W; storage_order 1 makes
     * the spatial plane column-major) of the first maximum of each window in row-major window
     * order, as ONNX Runtime picks it. Each window position's strided slice of the (-inf padded)
     * input is compared with the best so far, and where it is strictly greater its import-time
     * position table replaces the index.
     */
    private static Node maxPoolIndices(OpContext cx, Node y) {
        Node x = cx.in(0);
        if (x.shape().rank() != 4 || !x.shape().isStatic() || !y.shape().isStatic())
            throw cx.unsupported("with the Indices output on " + x.shape() + " (static 2-D inputs are supported)");
        long[] kernel = cx.attrInts("kernel_shape"), strides = ints(cx, "strides", 2, 1), dil = ints(cx, "dilations", 2, 1);
        long[] pads = pads2d(cx, x, 2, kernel, strides, dil);
        if (kernel[0] * kernel[1] > MAX_INDEX_WINDOW) throw cx.unsupported("with the Indices output over a " + kernel[0] + "x" + kernel[1] + " window (at most " + MAX_INDEX_WINDOW + " positions)");
        boolean columnMajor = cx.attrInt("storage_order", 0) != 0;
        long[] xs = x.shape().sizes(), ys = y.shape().sizes();
        long n = xs[0], c = xs[1], h = xs[2], w = xs[3], ho = ys[2], wo = ys[3];
        Node in = x.dtype().isFloating() ? x : cx.op("cast", List.of(x), "dtype", DType.F64);
        // pad so that every window position's slice (ceil_mode windows included) lies inside
        long extraH = Math.max(0, (kernel[0] - 1) * dil[0] + (ho - 1) * strides[0] + 1 - (h + pads[0] + pads[2]));
        long extraW = Math.max(0, (kernel[1] - 1) * dil[1] + (wo - 1) * strides[1] + 1 - (w + pads[1] + pads[3]));
        Node padded = cx.op("pad", List.of(in), "pads", new long[] {0, 0, pads[0], pads[1], 0, 0, pads[2] + extraH, pads[3] + extraW},
                "mode", "constant", "value", Double.NEGATIVE_INFINITY);
        Node best = null, index = null;
        for (long i = 0; i < kernel[0]; i++)
            for (long j = 0; j < kernel[1]; j++) {
                long r0 = i * dil[0], c0 = j * dil[1];
                Node v = cx.op("slice", List.of(padded), "starts", List.of(r0, c0), "ends", List.of(r0 + (ho - 1) * strides[0] + 1, c0 + (wo - 1) * strides[1] + 1),
                        "axes", List.of(2L, 3L), "steps", List.of(strides[0], strides[1]));
                double[] pos = new double[(int) (n * c * ho * wo)];
                for (int f = 0; f < pos.length; f++) {
                    long ow = f % wo, oh = (f / wo) % ho, plane = f / (wo * ho);
                    long hh = oh * strides[0] - pads[0] + r0, ww = ow * strides[1] - pads[1] + c0;
                    pos[f] = plane * h * w + (columnMajor ? ww * h + hh : hh * w + ww);
                }
                Node at = cx.constant(new NdArray(DType.I64, ys, pos));
                if (best == null) { best = v; index = at; continue; }
                Node better = cx.op("gt", v, best);
                best = cx.op("where", better, v, best);
                index = cx.op("where", better, at, index);
            }
        return index;
    }

    // --- normalization ---

    private static Node groupNorm(OpContext cx) {
        Node x = cx.in(0);
        long g = cx.attrInt("num_groups", 0);
        if (g <= 0) throw cx.error("needs num_groups");
        Dim c = x.shape().dim(1);
        Node scale = cx.in(1), bias = cx.in(2);
        if (cx.opset() < 21 && scale.shape().rank() == 1 && scale.shape().dim(0).equals(Dim.of(g)) && !c.equals(Dim.of(g))) {
            // opset 18–20 scale and bias are per group: repeat each value over the group's channels
            if (!c.isConst()) throw cx.unsupported("with per-group scale and a symbolic channel count");
            scale = repeatPerGroup(cx, cx.constIn(1, "scale"), c.value() / g);
            bias = repeatPerGroup(cx, cx.constIn(2, "bias"), c.value() / g);
        }
        return cx.op("group_norm", List.of(x, scale, bias), "groups", g, "eps", cx.attrFloat("epsilon", 1e-5));
    }

    private static Node repeatPerGroup(OpContext cx, NdArray v, long per) {
        double[] d = new double[(int) (v.size() * per)];
        for (int i = 0; i < d.length; i++) d[i] = v.get((int) (i / per));
        return cx.constant(new NdArray(v.dtype(), new long[] {d.length}, d));
    }

    /**
     * Softmax, LogSoftmax, Hardmax. Before opset 13 the input is flattened to 2-D at {@code axis}
     * (default 1) and normalized over the second dim; from 13 on it is normalized over {@code axis} (default -1).
     */
    private static Node softmax(OpContext cx, String op) {
        Node x = cx.in(0);
        int r = x.shape().rank();
        if (cx.opset() >= 13) {
            int axis = cx.axis(cx.attrInt("axis", -1), r);
            if (op.equals("hardmax")) {
                if (axis != r - 1) {
                    long[] perm = swapLast(r, axis);
                    Node h = hardmaxLast(cx, cx.op("transpose", List.of(x), "perm", perm));
                    return cx.op("transpose", List.of(h), "perm", perm);
                }
                return hardmaxLast(cx, x);
            }
            return cx.op(op, List.of(x), "axis", (long) axis);
        }
        int axis = r == 0 ? 0 : cx.axis(cx.attrInt("axis", 1), r);
        Node flat = axis == r - 1 ? x : cx.op("flatten", List.of(x), "axis", (long) axis);
        Node y = op.equals("hardmax") ? hardmaxLast(cx, flat) : cx.op(op, List.of(flat), "axis", -1L);
        return flat == x ? y : cx.op("reshape", List.of(y), "shape", x.shape());
    }

    private static long[] swapLast(int r, int axis) {
        long[] p = new long[r];
        for (int i = 0; i < r; i++) p[i] = i;
        p[axis] = r - 1;
        p[r - 1] = axis;
        return p;
    }

    private static Node hardmaxLast(OpContext cx, Node x) {
        Dim d = x.shape().dim(-1);
        if (!d.isConst()) throw cx.unsupported("over a symbolic dim " + d);
        Node idx = cx.op("argmax", List.of(x), "axis", -1L, "keepdims", false);
        return cx.op("one_hot", List.of(idx), "depth", d.value(), "dtype", x.dtype());
    }

    /** LRN: x / (bias + alpha/size · Σ x² over a window of channels)^beta, the window sum as an average pool over channels. */
    private static Node lrn(OpContext cx) {
        Node x = cx.in(0);
        int r = x.shape().rank();
        if (r < 3) throw cx.error("needs rank >= 3");
        long size = cx.attrInt("size", 0);
        if (size <= 0) throw cx.error("needs a positive size");
        double alpha = cx.attrFloat("alpha", 1e-4), beta = cx.attrFloat("beta", 0.75), bias = cx.attrFloat("bias", 1.0);
        Dim rest = Dim.of(1);
        for (int i = 2; i < r; i++) rest = rest.times(x.shape().dim(i));
        Node sq = cx.op("reshape", List.of(cx.op("mul", x, x)), "shape", Shape.of(x.shape().dim(0), Dim.of(1), x.shape().dim(1), rest));
        long lo = (size - 1) / 2, hi = size - 1 - lo;
        Node avg = cx.op("avg_pool2d", List.of(sq), "kernel", new long[] {size, 1}, "stride", new long[] {1, 1},
                "padding", new long[] {lo, 0, hi, 0}, "ceil_mode", false, "count_include_pad", true);
        Node sum = cx.op("reshape", List.of(avg), "shape", x.shape());
        DType dt = x.dtype();
        Node denom = cx.op("pow", cx.op("add", cx.scalar(dt, bias), cx.op("mul", cx.scalar(dt, alpha), sum)), cx.scalar(dt, beta));
        return cx.op("div", x, denom);
    }

    // --- losses ---

    /** NegativeLogLikelihoodLoss on log-probabilities [N, C, d...] with optional class weights and ignore_index. */
    private static Node nll(OpContext cx, Node logp) {
        Node target = cx.in(1);
        int r = logp.shape().rank();
        if (r < 2) throw cx.error("needs input of rank >= 2, got " + logp.shape());
        Dim c = logp.shape().dim(1);
        if (!c.isConst()) throw cx.unsupported("with a symbolic class count");
        String reduction = cx.attrString("reduction", "mean");
        if (!List.of("mean", "sum", "none").contains(reduction)) throw cx.error("unknown reduction '" + reduction + "'");
        DType dt = logp.dtype();
        Node xt = logp;
        if (r > 2) {
            long[] perm = new long[r];
            perm[0] = 0;
            for (int i = 1; i < r - 1; i++) perm[i] = i + 1;
            perm[r - 1] = 1;
            xt = cx.op("transpose", List.of(logp), "perm", perm);
        }
        Node t = target.dtype() == DType.I64 ? target : cx.op("cast", List.of(target), "dtype", DType.I64);
        Node keep = null;
        if (cx.hasAttr("ignore_index")) {
            keep = cx.op("ne", t, cx.scalar(DType.I64, cx.attrInt("ignore_index", 0)));
            t = cx.op("where", keep, t, cx.scalar(DType.I64, 0));
        }
        Node hot = cx.op("one_hot", List.of(t), "depth", c.value(), "dtype", dt);
        Node picked = cx.op("reduce_sum", List.of(cx.op("mul", xt, hot)), "axes", List.of(-1L), "keepdims", false);
        Node w = cx.hasInput(2) ? cx.op("gather", List.of(cx.in(2), t), "axis", 0L) : null;
        if (keep != null) {
            Node k = cx.op("cast", List.of(keep), "dtype", dt);
            w = w == null ? k : cx.op("mul", w, k);
        }
        Node loss = cx.op("neg", picked);
        if (w != null) loss = cx.op("mul", loss, w);
        return switch (reduction) {
            case "none" -> loss;
            case "sum" -> cx.op("reduce_sum", List.of(loss), "keepdims", false);
            default -> w == null ? cx.op("reduce_mean", List.of(loss), "keepdims", false)
                    : cx.op("div", cx.op("reduce_sum", List.of(loss), "keepdims", false), cx.op("reduce_sum", List.of(w), "keepdims", false));
        };
    }
}
