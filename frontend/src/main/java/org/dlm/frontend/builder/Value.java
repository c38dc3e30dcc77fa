package org.dlm.frontend.builder;

import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;

/**
 * A typed value of a model under construction: a {@link Node} plus the {@link GraphBuilder} it
 * belongs to. Methods apply ops of the catalogue ({@code docs/ops.md}) and are shape-checked at
 * once; a mistake throws {@link DlmBuildException} naming the caller's line.
 *
 * <pre>{@code
 * Value h = x.conv2d(w, bias, 1, 2).relu().maxPool2d(2);   // stride 1, padding 2
 * Value logits = h.flatten().linear(fcW, fcB);
 * Value probs = logits.softmax();
 * }</pre>
 */
public class Value {
    private final GraphBuilder builder;
    private final Node node;

    Value(GraphBuilder builder, Node node) {
        this.builder = builder;
        this.node = node;
    }

    public Node node() { return node; }
    public GraphBuilder builder() { return builder; }
    public TensorType type() { return node.type(); }
    public DType dtype() { return node.dtype(); }
    public Shape shape() { return node.shape(); }
    public int rank() { return node.shape().rank(); }

    /** Applies {@code opName} to this value and {@code more} operands. */
    public Value op(String opName, Map<String, ?> attrs, Value... more) {
        Value[] all = new Value[more.length + 1];
        all[0] = this;
        System.arraycopy(more, 0, all, 1, more.length);
        return builder.op(opName, attrs, all);
    }

    public Value op(String opName, Value... more) { return op(opName, Map.of(), more); }

    private Value scalar(double v) { return builder.constant(dtype(), v); }

    // ---- elementwise binary (numpy broadcasting); a double is a scalar of this value's dtype

    public Value add(Value o) { return op("add", o); }
    public Value add(double o) { return op("add", scalar(o)); }
    public Value sub(Value o) { return op("sub", o); }
    public Value sub(double o) { return op("sub", scalar(o)); }
    public Value mul(Value o) { return op("mul", o); }
    public Value mul(double o) { return op("mul", scalar(o)); }
    public Value div(Value o) { return op("div", o); }
    public Value div(double o) { return op("div", scalar(o)); }
    public Value pow(Value o) { return op("pow", o); }
    public Value pow(double o) { return op("pow", scalar(o)); }
    public Value max(Value o) { return op("max", o); }
    public Value min(Value o) { return op("min", o); }

    // ---- elementwise unary

    public Value neg() { return op("neg"); }
    public Value abs() { return op("abs"); }
    public Value exp() { return op("exp"); }
    public Value log() { return op("log"); }
    public Value sqrt() { return op("sqrt"); }
    public Value rsqrt() { return op("rsqrt"); }
    public Value sigmoid() { return op("sigmoid"); }
    public Value tanh() { return op("tanh"); }
    public Value relu() { return op("relu"); }
    public Value gelu() { return op("gelu"); }
    public Value silu() { return op("silu"); }
    public Value softplus() { return op("softplus"); }
    public Value leakyRelu(double alpha) { return op("leaky_relu", Map.of("alpha", alpha)); }
    public Value cast(DType to) { return op("cast", Map.of("dtype", to)); }

    // ---- linear algebra

    public Value matmul(Value o) { return op("matmul", o); }
    /** {@code x @ wᵀ} for a weight {@code w[out, in]} (PyTorch Linear without bias). */
    public Value linear(Value w) { return op("linear", w); }
    /** {@code x @ wᵀ + b}. */
    public Value linear(Value w, Value b) { return op("linear", w, b); }

    // ---- shapes

    /** New shape; dims are ints, symbol names or expressions ({@code "B"}, {@code "B*T"}); one may be -1. */
    public Value reshape(Object... dims) { return op("reshape", Map.of("shape", GraphBuilder.shape(dims, "reshape"))); }
    /** Keeps the first dim and flattens the rest (ONNX Flatten, axis 1). */
    public Value flatten() { return flatten(1); }
    public Value flatten(int axis) { return op("flatten", Map.of("axis", axis)); }
    /** Permutes dims; no arguments reverses them. */
    public Value transpose(int... perm) { return op("transpose", Map.of("perm", perm)); }
    public Value squeeze(int... axes) { return op("squeeze", Map.of("axes", axes)); }
    public Value unsqueeze(int... axes) { return op("unsqueeze", Map.of("axes", axes)); }
    /** Concatenates this value and {@code others} along {@code axis}. */
    public Value concat(int axis, Value... others) { return op("concat", Map.of("axis", axis), others); }

    // ---- reductions (no axes = all axes)

    public Value sum(int... axes) { return op("reduce_sum", Map.of("axes", axes)); }
    public Value mean(int... axes) { return op("reduce_mean", Map.of("axes", axes)); }
    public Value reduceMax(int... axes) { return op("reduce_max", Map.of("axes", axes)); }
    public Value argmax(int axis) { return op("argmax", Map.of("axis", axis)); }

    // ---- neural-network ops

    public Value softmax() { return softmax(-1); }
    public Value softmax(int axis) { return op("softmax", Map.of("axis", axis)); }
    public Value logSoftmax() { return logSoftmax(-1); }
    public Value logSoftmax(int axis) { return op("log_softmax", Map.of("axis", axis)); }

    /** 2-D convolution (NCHW) without bias, stride 1, no padding. */
    public Value conv2d(Value w) { return op("conv2d", w); }
    public Value conv2d(Value w, Value b) { return op("conv2d", w, b); }
    /** 2-D convolution with the same stride and padding on every side. */
    public Value conv2d(Value w, Value b, int stride, int padding) {
        return conv2d(w, b, Map.of("stride", new int[] {stride, stride}, "padding", new int[] {padding, padding, padding, padding}));
    }
    /** 2-D convolution with explicit attributes (stride, padding, dilation, groups); {@code b} may be null. */
    public Value conv2d(Value w, Value b, Map<String, ?> attrs) {
        return b == null ? op("conv2d", attrs, w) : op("conv2d", attrs, w, b);
    }

    /** Square max pooling with stride = kernel. */
    public Value maxPool2d(int kernel) { return op("max_pool2d", Map.of("kernel", new int[] {kernel, kernel})); }
    public Value maxPool2d(int kernel, int stride) {
        return op("max_pool2d", Map.of("kernel", new int[] {kernel, kernel}, "stride", new int[] {stride, stride}));
    }
    public Value avgPool2d(int kernel, int stride) {
        return op("avg_pool2d", Map.of("kernel", new int[] {kernel, kernel}, "stride", new int[] {stride, stride}));
    }
    public Value globalAvgPool() { return op("global_avg_pool"); }
    /** Inverted dropout; identity unless {@code training}. */
    public Value dropout(double p, boolean training) { return op("dropout", Map.of("p", p, "training", training)); }

    // ---- normalization, embedding, attention

    /** Batch norm (inference form unless {@code training}) with per-channel {@code gamma, beta, mean, var}. */
    public Value batchNorm(Value gamma, Value beta, Value mean, Value var, double eps, boolean training) {
        return op("batch_norm", Map.of("eps", eps, "training", training), gamma, beta, mean, var);
    }
    /** Layer norm over the last dim. */
    public Value layerNorm(Value gamma, Value beta) { return op("layer_norm", gamma, beta); }
    /** Rows of this table {@code [V, D]} picked by integer {@code ids}. */
    public Value embedding(Value ids) { return op("embedding", ids); }
    /** Scaled dot-product attention with this value as the queries. */
    public Value attention(Value k, Value v, boolean causal) { return op("attention", Map.of("causal", causal), k, v); }

    // ---- losses (mean over the batch)

    /** Cross entropy of these logits against class ids or probabilities. */
    public Value crossEntropy(Value target) { return op("cross_entropy", target); }
    public Value mseLoss(Value target) { return op("mse_loss", target); }

    @Override public String toString() { return node.opName() + " : " + type(); }
}
