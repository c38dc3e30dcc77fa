package org.dlm.ir.ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.ShapeException;

/**
 * Gradient rules of the nn family. Convolutions reuse each other (the input gradient of conv2d is
 * a conv_transpose2d and vice versa); the rest use the backward ops of {@link NnGradOps}.
 */
final class NnGrads {
    private NnGrads() {}

    private static Attrs convAttrs(Node f) {
        Attrs a = f.attrs();
        return Attrs.of("stride", a.getLongs("stride"), "padding", a.getLongs("padding"),
                "dilation", a.getLongs("dilation"), "groups", a.getLong("groups"));
    }

    private static Attrs withKernel(Attrs a, Node w) {
        return a.with("kernel", new long[] {w.shape().dim(2).value(), w.shape().dim(3).value()});
    }

    private static Node biasGrad(Node g) {
        return Node.of("reduce_sum", List.of(g), Attrs.of("axes", List.of(0L, 2L, 3L), "keepdims", false));
    }

    static List<Node> conv2d(Node f, Node g) {
        Node x = f.input(0), w = f.input(1);
        Attrs a = convAttrs(f);
        long[] stride = a.getLongArray("stride"), pad = a.getLongArray("padding"), dil = a.getLongArray("dilation");
        long[] opad = new long[2];
        for (int i = 0; i < 2; i++) {
            // output_padding restores the rows the forward's floor division dropped
            long ext = dil[i] * (w.shape().dim(2 + i).value() - 1) + 1;
            Dim rebuilt = g.shape().dim(2 + i).minus(1).times(stride[i]).plus(ext - pad[i] - pad[i + 2]);
            Dim missing = x.shape().dim(2 + i).minus(rebuilt);
            if (!missing.isConst())
                throw new ShapeException("the gradient of conv2d with stride " + stride[i] + " needs a static input "
                        + (i == 0 ? "height" : "width") + ", got " + x.type(), "give the input a fixed spatial size");
            opad[i] = missing.value();
        }
        Node dx = Node.of("conv_transpose2d", List.of(g, w), a.with("output_padding", opad));
        Node dw = Node.of("conv2d_weight_grad", List.of(x, g), withKernel(a, w));
        return f.inputs().size() == 2 ? List.of(dx, dw) : List.of(dx, dw, biasGrad(g));
    }

    static List<Node> convTranspose2d(Node f, Node g) {
        Node x = f.input(0), w = f.input(1);
        Attrs a = convAttrs(f);
        Node dx = Node.of("conv2d", List.of(g, w), a);
        Node dw = Node.of("conv2d_weight_grad", List.of(g, x), withKernel(a, w));
        return f.inputs().size() == 2 ? List.of(dx, dw) : List.of(dx, dw, biasGrad(g));
    }

    static List<Node> maxPool2d(Node f, Node g) { return List.of(Node.of("max_pool2d_grad", List.of(f.input(0), g), f.attrs())); }

    static List<Node> avgPool2d(Node f, Node g) { return List.of(Node.of("avg_pool2d_grad", List.of(f.input(0), g), f.attrs())); }

    static List<Node> globalPool(Node f, Node g, String mode) {
        return List.of(Node.of("global_pool_grad", List.of(f.input(0), g), Attrs.of("mode", mode)));
    }

    /**
     * x, gamma and beta get gradients; in eval mode the running statistics do too (autodiff prunes
     * them when they are non-trainable buffers); in training mode they do not affect the result.
     */
    static List<Node> batchNorm(Node f, Node g) {
        List<Node> ops = new ArrayList<>(f.inputs().subList(0, 5));
        ops.add(g);
        ops.remove(2);   // beta is not an operand of the backward op: (x, gamma, mean, var, gy)
        List<Node> r = new ArrayList<>();
        boolean training = f.attrs().getBool("training", false);
        for (int i = 0; i < 5; i++) r.add(training && i >= 3 ? null : Node.of("batch_norm_grad", ops, GradNodes.wrt(f, i)));
        return r;
    }

    /** Every axis but the channel axis 1: the axes batch_mean and batch_var reduce over. */
    private static Attrs statAxes(Node x, boolean keepdims) {
        List<Long> axes = new ArrayList<>();
        for (int i = 0; i < x.shape().rank(); i++) if (i != 1) axes.add((long) i);
        return Attrs.of("axes", axes, "keepdims", keepdims);
    }

    /** batch_mean is reduce_mean over every axis but 1, so it shares that gradient. */
    static List<Node> batchMean(Node f, Node g) {
        Node m = Node.of("reduce_mean", List.of(f.input(0)), statAxes(f.input(0), false));
        return m.op().gradRule().grad(m, g);
    }

    /** d var / dx = 2·(x - mean)/M · g; the mean's own dependence on x cancels (Σ (x - mean) = 0). */
    static List<Node> batchVar(Node f, Node g) {
        Node x = f.input(0);
        Node spread = GradUtil.mul(batchMean(f, g).get(0), 2.0);
        Node centered = GradUtil.sub(x, Node.of("reduce_mean", List.of(x), statAxes(x, true)));
        return List.of(GradUtil.mul(spread, centered));
    }

    static List<Node> layerNorm(Node f, Node g) {
        List<Node> ops = new ArrayList<>(List.of(f.input(0), g));
        if (f.inputs().size() > 1) ops.add(f.input(1));
        List<Node> r = new ArrayList<>();
        for (int i = 0; i < f.inputs().size(); i++) r.add(Node.of("layer_norm_grad", ops, GradNodes.wrt(f, i)));
        return r;
    }

    static List<Node> groupNorm(Node f, Node g) {
        List<Node> ops = List.of(f.input(0), f.input(1), g);
        List<Node> r = new ArrayList<>();
        for (int i = 0; i < 3; i++) r.add(Node.of("group_norm_grad", ops, GradNodes.wrt(f, i)));
        return r;
    }

    static List<Node> softmax(Node f, Node g, boolean log) {
        return List.of(Node.of("softmax_grad", List.of(f, g), f.attrs().with("log", log)));
    }

    /** The same mask (same seed, same seed operand) applied to the gradient; identity when not training. No gradient for the seed. */
    static List<Node> dropout(Node f, Node g) {
        List<Node> in = new ArrayList<>(f.inputs());
        in.set(0, g);
        Node dg = f.attrs().getBool("training", false) ? Node.of("dropout", in, f.attrs()) : g;
        return f.inputs().size() > 1 ? Arrays.asList(dg, null) : List.of(dg);
    }

    static List<Node> embedding(Node f, Node g) {
        return Arrays.asList(Node.of("embedding_grad", List.of(f.input(0), f.input(1), g), Attrs.EMPTY), null);
    }

    static List<Node> attention(Node f, Node g) {
        List<Node> ops = new ArrayList<>(f.inputs().subList(0, 3));
        ops.add(g);
        if (f.inputs().size() > 3) ops.add(f.input(3));
        List<Node> r = new ArrayList<>();
        for (int i = 0; i < 3; i++) r.add(Node.of("attention_grad", ops, GradNodes.wrt(f, i)));
        if (f.inputs().size() > 3) r.add(null);
        return r;
    }
}
