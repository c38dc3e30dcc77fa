package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Neural-network ops: convolution, pooling, normalization, softmax, dropout, embedding, attention,
 * plus the backward ops their gradient rules emit ({@link NnGradOps}). Layout is NCHW; spatial
 * sizes stay symbolic where they can.
 *
 * <pre>{@code
 * Node y = Node.of("conv2d", List.of(x, w), Attrs.of("stride", new long[] {2, 2}, "padding", new long[] {1, 1, 1, 1}));
 * // x f32[B, 3, H, W], w f32[8, 3, 3, 3] -> f32[B, 8, (H+1)/2, (W+1)/2]
 * }</pre>
 */
public final class NnOps implements OpTable.Family {
    private static final List<Long> PAD0 = List.of(0L, 0L, 0L, 0L), ONES = List.of(1L, 1L), ZEROS2 = List.of(0L, 0L);

    @Override public List<OpDef> ops() {
        List<OpDef> all = new ArrayList<>(forward());
        all.addAll(NnGradOps.ops());
        return List.copyOf(all);
    }

    private static List<OpDef> forward() {
        return List.of(
            OpDef.builder("conv2d").inputs(2, 3)
                .with(NnOps::convAttrs)
                .grad(NnGrads::conv2d)
                .shape(NnOps::conv2dType)
                .kernel((in, a, out) -> ConvKernels.conv2d(in.get(0), in.get(1), in.size() > 2 ? in.get(2) : null,
                        conv2dWindow("conv2d", in.get(1).dim(2), in.get(1).dim(3), a), (int) a.getLong("groups"), out))
                .doc("2-D convolution (cross-correlation), NCHW: x[N,C,H,W], w[O,C/groups,kh,kw], b[O]?.")
                .build(),
            OpDef.builder("conv_transpose2d").inputs(2, 3)
                .attr("stride", INTS, ONES, "height, width")
                .attr("padding", INTS, PAD0, "top, left, bottom, right")
                .attr("output_padding", INTS, ZEROS2, "extra rows/columns at the bottom/right")
                .attr("dilation", INTS, ONES, "height, width")
                .attr("groups", INT, 1L, "channel groups")
                .grad(NnGrads::convTranspose2d)
                .shape(NnOps::convTranspose2dType)
                .kernel((in, a, out) -> ConvKernels.convTranspose2d(in.get(0), in.get(1), in.size() > 2 ? in.get(2) : null,
                        conv2dWindow("conv_transpose2d", in.get(1).dim(2), in.get(1).dim(3), a), (int) a.getLong("groups"), out))
                .doc("Transposed 2-D convolution (the adjoint of conv2d in x): x[N,C,H,W], w[C,O/groups,kh,kw], b[O]?; "
                        + "out = (H-1)*s - pt - pb + d*(k-1) + output_padding + 1.")
                .build(),
            OpDef.builder("max_pool2d").inputs(1)
                .with(b -> poolAttrs(b, true))
                .grad(NnGrads::maxPool2d)
                .shape((in, a) -> poolType("max_pool2d", in.get(0), a, true))
                .kernel((in, a, out) -> PoolKernels.maxPool2d(in.get(0), poolWindow("max_pool2d", a, true), out))
                .doc("2-D max pooling, NCHW (PyTorch MaxPool2d).")
                .build(),
            OpDef.builder("avg_pool2d").inputs(1)
                .with(b -> poolAttrs(b, false))
                .grad(NnGrads::avgPool2d)
                .shape((in, a) -> poolType("avg_pool2d", in.get(0), a, false))
                .kernel((in, a, out) -> PoolKernels.avgPool2d(in.get(0), poolWindow("avg_pool2d", a, false),
                        a.getBool("count_include_pad", false), out))
                .doc("2-D average pooling, NCHW (PyTorch AvgPool2d divisor rules).")
                .build(),
            globalPoolOp(false),
            globalPoolOp(true),
            OpDef.builder("batch_norm").inputs(5)
                .attr("eps", FLOAT, 1e-5, "added to the variance")
                .attr("training", BOOL, false, "normalize with batch statistics instead of mean/var")
                .grad(NnGrads::batchNorm)
                .shape(NnOps::batchNormType)
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    boolean training = a.getBool("training", false);
                    return NormKernels.batchNorm(x, in.get(1).data(), in.get(2).data(),
                            training ? NormKernels.channelMean(x) : in.get(3).data(),
                            training ? NormKernels.channelVar(x) : in.get(4).data(), a.getDouble("eps"), out);
                })
                .doc("Batch normalization of x[N, C, ...] with gamma, beta, running mean, running var (all [C]).")
                .build(),
            OpDef.builder("batch_mean").inputs(1)
                .grad(NnGrads::batchMean)
                .shape((in, a) -> channelStatType("batch_mean", in.get(0)))
                .kernel((in, a, out) -> new NdArray(out.dtype(), out.shape().sizes(), NormKernels.channelMean(in.get(0))))
                .doc("Per-channel mean of x[N, C, ...]: [C].")
                .build(),
            OpDef.builder("batch_var").inputs(1)
                .grad(NnGrads::batchVar)
                .shape((in, a) -> channelStatType("batch_var", in.get(0)))
                .kernel((in, a, out) -> new NdArray(out.dtype(), out.shape().sizes(), NormKernels.channelVar(in.get(0))))
                .doc("Per-channel biased variance of x[N, C, ...]: [C].")
                .build(),
            OpDef.builder("layer_norm").inputs(1, 3)
                .attr("axis", INT, -1L, "normalize over dims axis..end")
                .attr("eps", FLOAT, 1e-5, "added to the variance")
                .grad(NnGrads::layerNorm)
                .shape(NnOps::layerNormType)
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    int axis = OpChecks.axis("layer_norm", a.getLong("axis"), x.rank());
                    int rows = 1;
                    for (int i = 0; i < axis; i++) rows *= (int) x.dim(i);
                    return NormKernels.normalizeRows(x, rows, in.size() > 1 ? in.get(1).data() : null,
                            in.size() > 2 ? in.get(2).data() : null, 1, a.getDouble("eps"), out);
                })
                .doc("Layer normalization over dims axis..end; gamma and beta have the shape of those dims.")
                .build(),
            OpDef.builder("group_norm").inputs(3)
                .attr("groups", INT, null, "number of channel groups")
                .attr("eps", FLOAT, 1e-5, "added to the variance")
                .grad(NnGrads::groupNorm)
                .shape(NnOps::groupNormType)
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    int n = (int) x.dim(0), c = (int) x.dim(1), g = (int) a.getLong("groups");
                    int spatial = x.size() / Math.max(1, n * c);
                    return NormKernels.normalizeRows(x, n * g, in.get(1).data(), in.get(2).data(), spatial, a.getDouble("eps"), out);
                })
                .doc("Group normalization of x[N, C, ...]: statistics per sample and group of C/groups channels; gamma, beta [C].")
                .build(),
            softmaxOp(false),
            softmaxOp(true),
            OpDef.builder("dropout").inputs(1)
                .attr("p", FLOAT, 0.5, "drop probability")
                .attr("training", BOOL, false, "identity when false")
                .attr("seed", INT, 0L, "mask seed, see DropoutMask")
                .stateful()
                .grad(NnGrads::dropout)
                .shape(NnOps::dropoutType)
                .kernel((in, a, out) -> dropout(in.get(0), a, out))
                .doc("Training: zero element i unless DropoutMask.keep(seed, i, p), scale survivors by 1/(1-p). Else identity.")
                .build(),
            OpDef.builder("embedding").inputs(2)
                .grad(NnGrads::embedding)
                .shape(NnOps::embeddingType)
                .kernel((in, a, out) -> embedding(in.get(0), in.get(1), out))
                .doc("Rows of table[V, D] picked by integer ids[...]: [..., D].")
                .build(),
            OpDef.builder("attention").inputs(3, 4)
                .attr("scale", FLOAT, 0.0, "score scale; 0 = 1/sqrt(d)")
                .attr("causal", BOOL, false, "query i sees keys j <= i only")
                .grad(NnGrads::attention)
                .shape(NnOps::attentionType)
                .kernel(AttentionKernel::eval)
                .doc("softmax(q kᵀ · scale, masked) v; mask is bool, true = keep; a row with every key masked gives zeros.")
                .build(),
            GridSample.op());
    }

    // --- conv ---

    /** conv2d's window attributes, which conv2d_weight_grad repeats. */
    static OpDef.Builder convAttrs(OpDef.Builder b) {
        return b.attr("stride", INTS, ONES, "height, width")
                .attr("padding", INTS, PAD0, "top, left, bottom, right")
                .attr("dilation", INTS, ONES, "height, width")
                .attr("groups", INT, 1L, "channel groups; groups = C is depthwise");
    }

    static Window2d conv2dWindow(String op, long kh, long kw, Attrs a) {
        return Window2d.of(op, new long[] {kh, kw}, a, true);
    }

    private static void checkImage(String op, TensorType x) {
        checkImageRank(op, x);
        OpChecks.requireFloat(op, "input", x);
    }

    private static void checkImageRank(String op, TensorType x) {
        if (x.rank() != 4)
            throw new ShapeException(op + " expects an input of rank 4 ([N, C, H, W]), got " + x,
                    x.rank() == 3 ? "add a batch dimension with unsqueeze(x, axes = [0])" : "reshape the input to [N, C, H, W]");
    }

    /** Max pooling compares, so any number type works (ONNX MaxPool takes u8/i8); averaging needs floats. */
    private static void checkPoolDType(String op, TensorType x, boolean max) {
        if (max) {
            if (x.dtype() == DType.BOOL) throw new ShapeException(op + " needs a numeric input, got " + x, "insert cast(x, dtype = f32)");
        } else {
            OpChecks.requireFloat(op, "input", x);
        }
    }

    private static long staticDim(String op, String what, TensorType t, int i) {
        Dim d = t.shape().dim(i);
        if (!d.isConst()) throw new ShapeException(op + " needs a static kernel size, got " + what + " " + t);
        return d.value();
    }

    /** Checks conv2d's or conv_transpose2d's input, weight (laid out as {@code layout}) and groups; returns the window. */
    private static Window2d convOperands(String op, TensorType x, TensorType w, String layout, Attrs a) {
        checkImage(op, x);
        if (w.rank() != 4) throw new ShapeException(op + " expects a weight of rank 4 (" + layout + "), got " + w);
        OpChecks.sameDType(op, "the input", x, "the weight", w);
        long g = a.getLong("groups");
        if (g < 1) throw new ShapeException(op + " groups must be at least 1, got " + g);
        return conv2dWindow(op, staticDim(op, "weight", w, 2), staticDim(op, "weight", w, 3), a);
    }

    /** The optional third operand of a convolution: a bias vector of the output channels. */
    private static void checkBias(String op, List<TensorType> in, Dim outChannels) {
        if (in.size() < 3) return;
        OpChecks.sameDType(op, "the input", in.get(0), "the bias", in.get(2));
        OpChecks.requireVector(op, "the bias", in.get(2), outChannels);
    }

    static TensorType conv2dType(List<TensorType> in, Attrs a) {
        String op = "conv2d";
        TensorType x = in.get(0), w = in.get(1);
        Window2d win = convOperands(op, x, w, "[O, C/groups, kh, kw]", a);
        long g = a.getLong("groups");
        Dim c = x.shape().dim(1), o = w.shape().dim(0), cg = w.shape().dim(1);
        if (c.isConst() && c.value() % g != 0)
            throw new ShapeException(op + ": groups " + g + " does not divide the " + c + " input channels");
        if (o.isConst() && o.value() % g != 0)
            throw new ShapeException(op + ": groups " + g + " does not divide the " + o + " output channels (weight " + w + ")");
        if (!cg.times(g).equals(c)) {
            String expects = g == 1 ? cg.toString() : cg.times(g).toString();
            throw new ShapeException(op + ": input has " + c + " channels but the weight expects " + expects + " (weight " + w + ", groups " + g + ")",
                    g == 1 ? "the weight's second dimension is the number of input channels" : "with groups the weight's second dimension is channels / groups");
        }
        checkBias(op, in, o);
        Dim oh = win.outSize(op, 0, x.shape().dim(2), false), ow = win.outSize(op, 1, x.shape().dim(3), false);
        return new TensorType(x.dtype(), Shape.of(x.shape().dim(0), o, oh, ow));
    }

    static TensorType convTranspose2dType(List<TensorType> in, Attrs a) {
        String op = "conv_transpose2d";
        TensorType x = in.get(0), w = in.get(1);
        Window2d win = convOperands(op, x, w, "[C, O/groups, kh, kw]", a);
        long g = a.getLong("groups");
        long[] opad = OpChecks.ints(op, a, "output_padding", 2, 0, "height, width");
        for (int i = 0; i < 2; i++)
            if (opad[i] >= Math.max(win.stride()[i], win.dilation()[i]))
                throw new ShapeException(op + " output_padding " + a.getLongs("output_padding") + " must be smaller than the stride or the dilation");
        Dim c = x.shape().dim(1);
        if (!w.shape().dim(0).equals(c))
            throw new ShapeException(op + ": input has " + c + " channels but the weight expects " + w.shape().dim(0) + " (weight " + w + ", groups " + g + ")",
                    "a transposed convolution's weight is [in channels, out channels / groups, kh, kw]");
        if (c.isConst() && c.value() % g != 0)
            throw new ShapeException(op + ": groups " + g + " does not divide the " + c + " input channels");
        Dim o = w.shape().dim(1).times(g);
        checkBias(op, in, o);
        List<Dim> out = new ArrayList<>(List.of(x.shape().dim(0), o));
        for (int i = 0; i < 2; i++) {
            Dim h = x.shape().dim(2 + i);
            Dim r = h.minus(1).times(win.stride()[i]).plus(win.extent(i) - win.pad()[i] - win.pad()[i + 2] + opad[i]);
            if (r.isConst() && r.value() < 1)
                throw new ShapeException(op + ": the padding " + a.getLongs("padding") + " leaves no output for input " + x);
            out.add(r);
        }
        return new TensorType(x.dtype(), new Shape(out));
    }

    // --- pooling ---

    /** The window attributes of max_pool2d ({@code max}) or avg_pool2d, which their gradient ops repeat. */
    static OpDef.Builder poolAttrs(OpDef.Builder b, boolean max) {
        b.attr("kernel", INTS, null, "window height, width")
                .attr("stride", INTS, List.of(), "height, width; empty = kernel")
                .attr("padding", INTS, PAD0, max ? "top, left, bottom, right; pads are -inf" : "top, left, bottom, right");
        if (max) b.attr("dilation", INTS, ONES, "height, width");
        b.attr("ceil_mode", BOOL, false, "round the output size up");
        if (!max) b.attr("count_include_pad", BOOL, false, "divide by the window size including padding");
        return b;
    }

    static Window2d poolWindow(String op, Attrs a, boolean hasDilation) {
        long[] k = OpChecks.ints(op, a, "kernel", 2, 1, "height, width");
        return Window2d.of(op, k, a, hasDilation);
    }

    static TensorType poolType(String op, TensorType x, Attrs a, boolean hasDilation) {
        checkImageRank(op, x);
        checkPoolDType(op, x, op.startsWith("max"));
        Window2d win = poolWindow(op, a, hasDilation);
        // every window must touch the input (PyTorch is stricter: pad <= extent/2; ONNX allows this much)
        for (int i = 0; i < 4; i++)
            if (win.pad()[i] >= win.extent(i % 2))
                throw new ShapeException(op + " padding " + a.getLongs("padding") + " must be smaller than the kernel " + win.kernelText()
                        + (hasDilation && (win.dilation()[0] > 1 || win.dilation()[1] > 1) ? " (dilated)" : ""),
                        "pad the input with pad(...) first if you need more");
        boolean ceil = a.getBool("ceil_mode", false);
        Dim oh = win.outSize(op, 0, x.shape().dim(2), ceil), ow = win.outSize(op, 1, x.shape().dim(3), ceil);
        return new TensorType(x.dtype(), Shape.of(x.shape().dim(0), x.shape().dim(1), oh, ow));
    }

    /** global_max_pool ({@code max}) or global_avg_pool: one definition, the reduction differs. */
    private static OpDef globalPoolOp(boolean max) {
        String name = max ? "global_max_pool" : "global_avg_pool";
        return OpDef.builder(name).inputs(1)
                .attr("keepdims", BOOL, true, "keep the spatial dims as size 1")
                .grad((f, g) -> NnGrads.globalPool(f, g, max ? "max" : "avg"))
                .shape((in, a) -> globalPoolType(name, in.get(0), a))
                .kernel((in, a, out) -> globalPool(in.get(0), max, out))
                .doc((max ? "Max" : "Mean") + " over every spatial dim of x[N, C, ...].")
                .build();
    }

    static TensorType globalPoolType(String op, TensorType x, Attrs a) {
        if (x.rank() < 3) throw new ShapeException(op + " expects an input [N, C, spatial...] of rank 3 or more, got " + x);
        checkPoolDType(op, x, op.equals("global_max_pool"));
        List<Dim> out = new ArrayList<>(x.shape().dims().subList(0, 2));
        if (a.getBool("keepdims", true)) for (int i = 2; i < x.rank(); i++) out.add(Dim.of(1));
        return new TensorType(x.dtype(), new Shape(out));
    }

    static NdArray globalPool(NdArray x, boolean max, TensorType out) {
        int nc = (int) (x.dim(0) * x.dim(1)), s = x.size() / Math.max(1, nc);
        double[] r = new double[nc];
        for (int p = 0; p < nc; p++) {
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            for (int j = 0; j < s; j++) {
                double v = x.data()[p * s + j];
                acc = max ? (Double.isNaN(v) || v > acc ? v : acc) : acc + v;
                if (max && Double.isNaN(acc)) break;
            }
            r[p] = max ? acc : acc / s;
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    // --- normalization ---

    /** batch_norm, batch_mean/var and group_norm take a float x[N, C, ...] with channels on axis 1. */
    private static void checkChannelInput(String op, TensorType x) {
        if (x.rank() < 2) throw new ShapeException(op + " expects an input [N, C, ...] of rank 2 or more, got " + x);
        OpChecks.requireFloat(op, "input", x);
    }

    static TensorType batchNormType(List<TensorType> in, Attrs a) {
        String op = "batch_norm";
        TensorType x = in.get(0);
        checkChannelInput(op, x);
        String[] names = {"gamma", "beta", "running mean", "running variance"};
        for (int i = 1; i < 5; i++) {
            OpChecks.sameDType(op, "the input", x, names[i - 1], in.get(i));
            OpChecks.requireVector(op, names[i - 1], in.get(i), x.shape().dim(1));
        }
        checkEps(op, a);
        return x;
    }

    private static void checkEps(String op, Attrs a) {
        if (!(a.getDouble("eps") >= 0)) throw new ShapeException(op + " eps must be non-negative, got " + a.getDouble("eps"));
    }

    static TensorType channelStatType(String op, TensorType x) {
        checkChannelInput(op, x);
        return new TensorType(x.dtype(), Shape.of(x.shape().dim(1)));
    }

    static TensorType layerNormType(List<TensorType> in, Attrs a) {
        String op = "layer_norm";
        TensorType x = in.get(0);
        OpChecks.requireFloat(op, "input", x);
        int axis = OpChecks.axis(op, a.getLong("axis"), x.rank());
        Shape norm = new Shape(x.shape().dims().subList(axis, x.rank()));
        String[] names = {"gamma", "beta"};
        for (int i = 1; i < in.size(); i++) {
            OpChecks.sameDType(op, "the input", x, names[i - 1], in.get(i));
            if (!in.get(i).shape().equals(norm))
                throw new ShapeException(op + " expects " + names[i - 1] + " of shape " + norm + " (the normalized dims of " + x + "), got " + in.get(i));
        }
        checkEps(op, a);
        return x;
    }

    static TensorType groupNormType(List<TensorType> in, Attrs a) {
        String op = "group_norm";
        TensorType x = in.get(0);
        checkChannelInput(op, x);
        long g = a.getLong("groups");
        Dim c = x.shape().dim(1);
        if (g < 1) throw new ShapeException(op + " groups must be at least 1, got " + g);
        if (c.isConst() && c.value() % g != 0) throw new ShapeException(op + ": groups " + g + " does not divide the " + c + " channels of " + x);
        OpChecks.sameDType(op, "the input", x, "gamma", in.get(1));
        OpChecks.sameDType(op, "the input", x, "beta", in.get(2));
        OpChecks.requireVector(op, "gamma", in.get(1), c);
        OpChecks.requireVector(op, "beta", in.get(2), c);
        checkEps(op, a);
        return x;
    }

    // --- softmax, dropout, embedding, attention ---

    /** softmax, or log_softmax when {@code log}: one definition, the kernel's last step differs. */
    private static OpDef softmaxOp(boolean log) {
        String name = log ? "log_softmax" : "softmax";
        return OpDef.builder(name).inputs(1)
                .attr("axis", INT, -1L, "the normalized axis")
                .grad((f, g) -> NnGrads.softmax(f, g, log))
                .shape((in, a) -> softmaxType(name, in.get(0), a))
                .kernel((in, a, out) -> softmax(in.get(0), a.getLong("axis"), log, out))
                .doc(log ? "x - max - log Σ exp(x - max) along axis." : "exp(x - max) / Σ exp(x - max) along axis.")
                .build();
    }

    static TensorType softmaxType(String op, TensorType x, Attrs a) {
        OpChecks.requireFloat(op, "input", x);
        if (x.rank() == 0) throw new ShapeException(op + " needs an input of rank 1 or more, got " + x);
        OpChecks.axis(op, a.getLong("axis"), x.rank());
        return x;
    }

    static NdArray softmax(NdArray x, long axisAttr, boolean log, TensorType out) {
        int axis = (int) (axisAttr < 0 ? axisAttr + x.rank() : axisAttr);
        int len = (int) x.dim(axis), inner = 1;
        for (int i = axis + 1; i < x.rank(); i++) inner *= (int) x.dim(i);
        int outer = x.size() / Math.max(1, len * inner);
        double[] r = new double[x.size()], d = x.data();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) m = Math.max(m, d[base + j * inner]);
                double s = 0;
                for (int j = 0; j < len; j++) s += Math.exp(d[base + j * inner] - m);
                for (int j = 0; j < len; j++) {
                    double z = d[base + j * inner] - m;
                    r[base + j * inner] = log ? z - Math.log(s) : Math.exp(z) / s;
                }
            }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    static TensorType dropoutType(List<TensorType> in, Attrs a) {
        OpChecks.requireFloat("dropout", "input", in.get(0));
        double p = a.getDouble("p");
        if (!(p >= 0 && p <= 1)) throw new ShapeException("dropout probability p must be between 0 and 1, got " + p);
        return in.get(0);
    }

    static NdArray dropout(NdArray x, Attrs a, TensorType out) {
        double p = a.getDouble("p");
        if (!a.getBool("training", false) || p == 0) return new NdArray(out.dtype(), out.shape().sizes(), x.data().clone());
        long seed = a.getLong("seed");
        double[] r = new double[x.size()];
        for (int i = 0; i < r.length; i++) r[i] = p < 1 && DropoutMask.keep(seed, i, p) ? x.data()[i] / (1 - p) : 0;
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    static TensorType embeddingType(List<TensorType> in, Attrs a) {
        TensorType table = in.get(0), ids = in.get(1);
        if (table.rank() != 2) throw new ShapeException("embedding expects a table of rank 2 ([V, D]), got " + table);
        if (table.dtype() == DType.BOOL) throw new ShapeException("embedding needs a numeric table, got " + table);
        OpChecks.requireInteger("embedding", "ids", ids);
        List<Dim> out = new ArrayList<>(ids.shape().dims());
        out.add(table.shape().dim(1));
        return new TensorType(table.dtype(), new Shape(out));
    }

    static NdArray embedding(NdArray table, NdArray ids, TensorType out) {
        int v = (int) table.dim(0), d = (int) table.dim(1);
        double[] r = new double[ids.size() * d];
        for (int i = 0; i < ids.size(); i++) {
            long id = (long) ids.data()[i];
            if (id < 0 || id >= v) throw new org.dlm.ir.interp.InterpreterException("embedding id " + id + " is out of range for a table of " + v + " rows");
            System.arraycopy(table.data(), (int) id * d, r, i * d, d);
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    static TensorType attentionType(List<TensorType> in, Attrs a) {
        String op = "attention";
        TensorType q = in.get(0), k = in.get(1), v = in.get(2);
        String[] names = {"q", "k", "v"};
        for (int i = 0; i < 3; i++) {
            if (in.get(i).rank() < 2) throw new ShapeException(op + " expects " + names[i] + " of rank 2 or more ([..., T, d]), got " + in.get(i));
            OpChecks.requireFloat(op, names[i], in.get(i));
            OpChecks.sameDType(op, "q", q, names[i], in.get(i));
        }
        if (!q.shape().dim(-1).equals(k.shape().dim(-1)))
            throw new ShapeException(op + ": q and k need the same head size, got " + q + " and " + k);
        if (!k.shape().dim(-2).equals(v.shape().dim(-2)))
            throw new ShapeException(op + ": k and v need the same number of keys, got " + k + " and " + v);
        Shape batch = Broadcast.shapes(op, List.of(batchOf(q), batchOf(k), batchOf(v)));
        List<Dim> scores = new ArrayList<>(batch.dims());
        scores.add(q.shape().dim(-2));
        scores.add(k.shape().dim(-2));
        if (in.size() == 4) {
            TensorType m = in.get(3);
            if (m.dtype() != DType.BOOL) throw new ShapeException(op + " needs a bool mask (true = keep), got " + m, "compare to build one, e.g. ne(ids, 0)");
            Shape target = new Shape(scores);
            if (m.rank() > target.rank() || !Broadcast.shapes(op, List.of(m.shape(), target)).equals(target))
                throw new ShapeException(op + " cannot broadcast the mask " + m + " to the score shape " + target);
        }
        List<Dim> out = new ArrayList<>(batch.dims());
        out.add(q.shape().dim(-2));
        out.add(v.shape().dim(-1));
        return new TensorType(q.dtype(), new Shape(out));
    }

    static Shape batchOf(TensorType t) { return new Shape(t.shape().dims().subList(0, t.rank() - 2)); }
}
