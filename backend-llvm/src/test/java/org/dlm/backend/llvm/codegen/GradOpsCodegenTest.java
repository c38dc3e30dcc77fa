package org.dlm.backend.llvm.codegen;

import static org.dlm.backend.llvm.codegen.Diff.*;
import static org.dlm.runtime.testkit.BackendDiff.op;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gradient and training ops (conv/pool gradients, batch statistics, normalization and softmax
 * gradients, losses and their gradients) compiled natively against the reference interpreter,
 * on odd sizes, size-1 dims, strides, padding, dilation and groups.
 */
class GradOpsCodegenTest {
    static final double TOL = 2e-4;

    static List<Long> ints(long... v) {
        List<Long> l = new ArrayList<>();
        for (long x : v) l.add(x);
        return l;
    }

    /** An input named {@code name} shaped like {@code like}'s result. */
    static Node like(String name, Node like) { return input(name, like.dtype(), like.shape().sizes()); }

    /** conv2d_weight_grad for conv2d(x, w) with {@code a}: gy shaped like the convolution's result. */
    static Node weightGrad(String gy, Node x, long[] ws, Attrs a) {
        Node conv = op("conv2d", a, x, param("w_" + gy, ws));
        return op("conv2d_weight_grad", a.with("kernel", ints(ws[2], ws[3])), x, like(gy, conv));
    }

    @Test
    void convWeightGradient() {
        Node x = input("x", DType.F32, 2, 3, 9, 8);
        check(30, List.of(
                weightGrad("g1", x, new long[] {4, 3, 3, 3}, Attrs.of("stride", ints(2, 1), "padding", ints(1, 0, 1, 2))),
                weightGrad("g2", x, new long[] {4, 3, 3, 3}, Attrs.of("dilation", ints(2, 2))),
                weightGrad("g3", x, new long[] {5, 3, 1, 1}, Attrs.EMPTY),
                weightGrad("g4", x, new long[] {3, 1, 3, 3}, Attrs.of("groups", 3L, "padding", ints(1, 1, 1, 1), "stride", ints(2, 2))),
                weightGrad("g5", x, new long[] {6, 1, 2, 3}, Attrs.of("groups", 3L, "dilation", ints(1, 2))),
                weightGrad("g6", x, new long[] {2, 3, 1, 1}, Attrs.of("stride", ints(2, 2)))), TOL);
        Node thin = input("thin", DType.F32, 1, 1, 1, 5);
        check(31, List.of(weightGrad("g7", thin, new long[] {2, 1, 1, 3}, Attrs.of("padding", ints(0, 1, 0, 0)))), TOL);
    }

    /**
     * A batch of 11 splits into chunks of 2 images (the last one short), each into its own partial
     * dW, on 1 and 3 threads (im2col + GEMM); stride-1 ones (the direct kernel) need chunks of equal size.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void convWeightGradientOverBatchChunks(int threads) {
        Node x = input("x", DType.F32, 11, 3, 7, 6);
        checkThreaded(50 + threads, List.of(
                weightGrad("g1", x, new long[] {5, 3, 3, 3}, Attrs.of("stride", ints(2, 1), "padding", ints(1, 0, 1, 2))),
                weightGrad("g2", x, new long[] {4, 3, 1, 1}, Attrs.EMPTY),
                weightGrad("g3", x, new long[] {2, 3, 2, 2}, Attrs.of("dilation", ints(2, 1), "stride", ints(2, 2))),
                // stride 1 (sconv_wgrad): 11 has no divisor up to 8, so one chunk of all 11 images
                weightGrad("g5", x, new long[] {9, 3, 3, 2}, Attrs.of("padding", ints(1, 0, 1, 1)))), TOL, threads);
        Node twelve = input("twelve", DType.F32, 12, 2, 6, 7);   // stride 1: six chunks of two images
        checkThreaded(56 + threads, List.of(weightGrad("g6", twelve, new long[] {10, 2, 3, 3}, Attrs.of("padding", ints(1, 1, 1, 1), "dilation", ints(1, 2)))), TOL, threads);
        Node sixteen = input("sixteen", DType.F32, 16, 3, 3, 4);   // 1x1: chunks of two images, both in one GEMM of depth 2·12
        checkThreaded(58 + threads, List.of(weightGrad("g7", sixteen, new long[] {5, 3, 1, 1}, Attrs.EMPTY)), TOL, threads);
        Node big = input("big", DType.F32, 8, 2, 5, 5);   // batch 8: one image per chunk
        checkThreaded(53 + threads, List.of(weightGrad("g4", big, new long[] {3, 2, 3, 3}, Attrs.of("padding", ints(1, 1, 1, 1)))), TOL, threads);
    }

    /** Depthwise weight and input gradients (one input channel per group) on odd planes, strides, padding, dilation and a channel multiplier. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void depthwiseGradients(int threads) {
        Node x = input("x", DType.F32, 3, 4, 11, 9);
        checkThreaded(60 + threads, List.of(
                weightGrad("g1", x, new long[] {4, 1, 3, 3}, Attrs.of("groups", 4L, "padding", ints(1, 1, 1, 1))),
                weightGrad("g2", x, new long[] {4, 1, 3, 3}, Attrs.of("groups", 4L, "padding", ints(1, 1, 1, 1), "stride", ints(2, 2))),
                weightGrad("g3", x, new long[] {8, 1, 5, 3}, Attrs.of("groups", 4L, "padding", ints(2, 0, 1, 1), "dilation", ints(1, 2))),
                weightGrad("g4", x, new long[] {4, 1, 3, 2}, Attrs.of("groups", 4L, "stride", ints(3, 2)))), TOL, threads);
        Node gy = input("gy", DType.F32, 3, 4, 6, 5);
        checkThreaded(62 + threads, List.of(
                op("conv_transpose2d", Attrs.of("groups", 4L, "padding", ints(1, 1, 1, 1)), gy, param("w1", 4, 1, 3, 3)),
                op("conv_transpose2d", Attrs.of("groups", 4L, "padding", ints(1, 1, 1, 1), "stride", ints(2, 2), "output_padding", ints(1, 0)),
                        gy, param("w2", 4, 1, 3, 3), param("b2", 4)),
                op("conv_transpose2d", Attrs.of("groups", 4L, "padding", ints(2, 0, 1, 3), "dilation", ints(2, 1), "stride", ints(1, 3)),
                        gy, param("w3", 4, 1, 5, 3)),
                op("conv_transpose2d", Attrs.of("groups", 4L), input("one", DType.F32, 1, 4, 1, 1), param("w4", 4, 1, 2, 2))), TOL, threads);
    }

    @Test
    void transposedConvolution() {
        Node a = input("a", DType.F32, 2, 4, 5, 8), b = input("b", DType.F32, 2, 3, 5, 4), c = input("c", DType.F32, 1, 4, 3, 3);
        check(32, List.of(
                op("conv_transpose2d", Attrs.of("stride", ints(2, 1), "padding", ints(1, 0, 1, 2)), a, param("w1", 4, 3, 3, 3), param("b1", 3)),
                op("conv_transpose2d", Attrs.of("dilation", ints(2, 2)), input("a2", DType.F32, 2, 4, 5, 4), param("w2", 4, 3, 3, 3)),
                op("conv_transpose2d", Attrs.EMPTY, a, param("w3", 4, 2, 1, 1)),
                op("conv_transpose2d", Attrs.of("groups", 3L, "stride", ints(2, 2), "padding", ints(1, 1, 1, 1), "output_padding", ints(0, 1)),
                        b, param("w4", 3, 1, 3, 3), param("b4", 3)),
                op("conv_transpose2d", Attrs.of("groups", 2L, "stride", ints(2, 2)), c, param("w5", 4, 2, 2, 2)),
                op("conv_transpose2d", Attrs.of("stride", ints(3, 2), "output_padding", ints(2, 1)), c, param("w6", 4, 1, 2, 3))), TOL);
        Node d = input("d", DType.F32, 2, 4, 5, 4);
        check(49, List.of(   // stride 1: convolutions with the flipped kernel
                op("conv_transpose2d", Attrs.of("padding", ints(1, 1, 1, 1)), d, param("v1", 4, 3, 3, 3), param("vb1", 3)),
                op("conv_transpose2d", Attrs.of("padding", ints(0, 1, 2, 0), "dilation", ints(2, 2), "output_padding", ints(1, 0)), d, param("v2", 4, 2, 3, 2)),
                op("conv_transpose2d", Attrs.EMPTY, d, param("v3", 4, 5, 1, 1), param("vb3", 5)),
                op("conv_transpose2d", Attrs.of("padding", ints(3, 0, 0, 0)), d, param("v4", 4, 2, 2, 2))), TOL);
    }

    @Test
    void poolGradients() {
        Node x = input("x", DType.F32, 2, 3, 9, 8);
        List<Node> outs = new ArrayList<>();
        Attrs[] maxes = {Attrs.of("kernel", ints(2, 2)),
                Attrs.of("kernel", ints(3, 3), "stride", ints(2, 2), "padding", ints(1, 1, 1, 1), "ceil_mode", true),
                Attrs.of("kernel", ints(2, 3), "stride", ints(1, 2), "dilation", ints(2, 1))};
        for (int i = 0; i < maxes.length; i++) outs.add(op("max_pool2d_grad", maxes[i], x, like("gm" + i, op("max_pool2d", maxes[i], x))));
        Attrs[] avgs = {Attrs.of("kernel", ints(3, 2), "stride", ints(2, 2), "padding", ints(1, 1, 1, 1)),
                Attrs.of("kernel", ints(3, 3), "padding", ints(1, 1, 1, 1), "count_include_pad", true),
                Attrs.of("kernel", ints(3, 3), "stride", ints(2, 2), "padding", ints(1, 0, 1, 1), "ceil_mode", true, "count_include_pad", true)};
        for (int i = 0; i < avgs.length; i++) outs.add(op("avg_pool2d_grad", avgs[i], x, like("ga" + i, op("avg_pool2d", avgs[i], x))));
        Node gp = input("gp", DType.F32, 2, 3, 1, 1);
        outs.add(op("global_pool_grad", Attrs.EMPTY, x, gp));
        outs.add(op("global_pool_grad", Attrs.of("mode", "max"), x, gp));
        check(33, outs, TOL);
        // windows that tile the input (stride = kernel, no padding): each window writes its elements once
        Node tx = input("tx", DType.F32, 3, 2, 8, 9);
        List<Node> tiled = new ArrayList<>();
        Attrs[] tilings = {Attrs.of("kernel", ints(2, 3)), Attrs.of("kernel", ints(4, 1)), Attrs.of("kernel", ints(1, 1))};
        for (int i = 0; i < tilings.length; i++) tiled.add(op("max_pool2d_grad", tilings[i], tx, like("gt" + i, op("max_pool2d", tilings[i], tx))));
        check(41, tiled, TOL);
        checkThreaded(42, tiled, TOL, 2);
        Node one = input("one", DType.F32, 1, 1, 1, 1);
        check(34, List.of(op("max_pool2d_grad", Attrs.of("kernel", ints(1, 1)), one, input("g1", DType.F32, 1, 1, 1, 1)),
                op("global_pool_grad", Attrs.of("mode", "max"), one, input("g2", DType.F32, 1, 1))), TOL);
    }

    @Test
    void batchStatisticsAndTrainingBatchNorm() {
        Node x = input("x", DType.F32, 3, 4, 2, 5), x2 = input("x2", DType.F32, 5, 3);
        Node gamma = param("gamma", 4), beta = param("beta", 4), mean = param("mean", 4), var = Node.of("abs", param("var", 4));
        check(35, List.of(Node.of("batch_mean", x), Node.of("batch_var", x), Node.of("batch_var", x2),
                Node.of("relu", op("batch_norm", Attrs.of("training", true), x, gamma, beta, mean, var)),
                op("batch_norm", Attrs.of("training", true, "eps", 1e-3), x2, param("g2", 3), param("b2", 3), param("m2", 3), param("v2", 3))), TOL);
    }

    @Test
    void batchNormGradients() {
        Node x = input("x", DType.F32, 3, 4, 2, 5), gy = input("gy", DType.F32, 3, 4, 2, 5);
        Node gamma = param("gamma", 4), mean = param("mean", 4), var = Node.of("exp", param("var", 4));
        List<Node> outs = new ArrayList<>();
        for (long wrt = 0; wrt <= 2; wrt++) outs.add(op("batch_norm_grad", Attrs.of("training", true, "wrt", wrt), x, gamma, mean, var, gy));
        for (long wrt = 0; wrt <= 4; wrt++) outs.add(op("batch_norm_grad", Attrs.of("wrt", wrt, "eps", 1e-3), x, gamma, mean, var, gy));
        check(36, outs, TOL);
        Node x2 = input("x2", DType.F32, 6, 2);
        check(37, List.of(op("batch_norm_grad", Attrs.of("training", true), x2, param("g2", 2), param("m2", 2), param("v2", 2), input("gy2", DType.F32, 6, 2))), TOL);
    }

    @Test
    void layerAndGroupNormGradients() {
        Node x = input("x", DType.F32, 2, 3, 4, 5), gy = input("gy", DType.F32, 2, 3, 4, 5), g = param("g", 4, 5);
        List<Node> outs = new ArrayList<>();
        for (long wrt = 0; wrt <= 2; wrt++) outs.add(op("layer_norm_grad", Attrs.of("axis", -2L, "wrt", wrt), x, gy, g));
        outs.add(op("layer_norm_grad", Attrs.of("axis", 1L, "eps", 1e-3), x, gy));
        outs.add(op("layer_norm_grad", Attrs.of("wrt", 1L), x, gy, param("g1", 5)));
        check(38, outs, TOL);
        Node y = input("y", DType.F32, 2, 6, 3, 4), gy2 = input("gy2", DType.F32, 2, 6, 3, 4), gamma = param("gamma", 6), beta = param("beta", 6);
        List<Node> gn = new ArrayList<>(List.of(op("group_norm", Attrs.of("groups", 3L), y, gamma, beta),
                op("group_norm", Attrs.of("groups", 6L, "eps", 1e-3), y, gamma, beta)));
        for (long wrt = 0; wrt <= 2; wrt++) gn.add(op("group_norm_grad", Attrs.of("groups", 2L, "wrt", wrt), y, gamma, gy2));
        gn.add(op("group_norm_grad", Attrs.of("groups", 1L), y, gamma, gy2));
        check(39, gn, TOL);
    }

    @Test
    void softmaxGradients() {
        Node x = input("x", DType.F32, 2, 3, 4, 5), gy = input("gy", DType.F32, 2, 3, 4, 5);
        check(40, List.of(op("softmax_grad", Attrs.of("axis", 1L), op("softmax", Attrs.of("axis", 1L), x), gy),
                op("softmax_grad", Attrs.of("log", true), op("log_softmax", Attrs.EMPTY, x), gy),
                op("softmax_grad", Attrs.of("axis", 0L, "log", true), op("log_softmax", Attrs.of("axis", 0L), x), gy)), TOL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mean", "sum", "none"})
    void classLossesAndGradients(String reduction) {
        Node logits = input("logits", DType.F32, 5, 4), labels = input("labels", DType.I64, 5);
        Node spatial = input("sp", DType.F32, 2, 4, 3), spLabels = input("spl", DType.I64, 2, 3);
        Node probs = op("softmax", Attrs.EMPTY, input("t", DType.F32, 5, 4));
        Attrs r = Attrs.of("reduction", reduction);
        List<Node> outs = new ArrayList<>();
        for (Attrs a : new Attrs[] {r, r.with("label_smoothing", 0.1), r.with("ignore_index", 1L)}) {
            Node ce = op("cross_entropy", a, logits, labels);
            outs.add(ce);
            outs.add(op("cross_entropy_grad", a, logits, labels, like("gy" + outs.size(), ce)));
        }
        Node ceSp = op("cross_entropy", r.with("ignore_index", 2L), spatial, spLabels);
        Node ceP = op("cross_entropy", r.with("label_smoothing", 0.2), logits, probs);
        Node logp = op("log_softmax", Attrs.of("axis", 1L), spatial);
        Node nll = op("nll_loss", r.with("ignore_index", 0L), logp, spLabels);
        outs.addAll(List.of(ceSp, op("cross_entropy_grad", r.with("ignore_index", 2L), spatial, spLabels, like("gsp", ceSp)),
                ceP, op("cross_entropy_grad", r.with("label_smoothing", 0.2), logits, probs, like("gp", ceP)),
                nll, op("nll_loss_grad", r.with("ignore_index", 0L), logp, spLabels, like("gn", nll))));
        check(41, outs, TOL);
        Node single = input("single", DType.F32, 4), label = input("label", DType.I64);
        Node ce1 = op("cross_entropy", r, single, label);
        check(42, List.of(ce1, op("cross_entropy_grad", r, single, label, like("g1", ce1))), TOL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mean", "sum", "none"})
    void elementwiseLossesAndGradients(String reduction) {
        Node a = input("a", DType.F32, 3, 1, 5), b = input("b", DType.F32, 3, 1, 5);
        Node p = Node.of("sigmoid", a), t = Node.of("sigmoid", b);
        List<Node> outs = new ArrayList<>();
        for (String loss : new String[] {"mse_loss", "l1_loss", "huber_loss", "bce_with_logits", "binary_cross_entropy"}) {
            Node u = loss.equals("binary_cross_entropy") ? p : a, v = loss.startsWith("b") ? t : b;
            Attrs attrs = Attrs.of("reduction", reduction);
            if (loss.equals("huber_loss")) attrs = attrs.with("delta", 0.7);
            Node l = op(loss, attrs, u, v);
            outs.add(l);
            Node gy = like("gy_" + loss, l);
            Attrs ga = Attrs.of("loss", loss, "reduction", reduction, "delta", loss.equals("huber_loss") ? 0.7 : 1.0);
            outs.add(op("elementwise_loss_grad", ga, u, v, gy));
            outs.add(op("elementwise_loss_grad", ga.with("wrt", 1L), u, v, gy));
        }
        check(43, outs, TOL);
    }

    @Test
    void attentionAndEmbeddingGradients() {
        Node q = input("q", DType.F32, 2, 3, 7, 8), k = input("k", DType.F32, 1, 3, 5, 8), v = input("v", DType.F32, 2, 1, 5, 6);
        Node gy = input("gy", DType.F32, 2, 3, 7, 6), mask = input("mask", DType.BOOL, 7, 5);
        List<Node> outs = new ArrayList<>();
        for (long wrt = 0; wrt <= 2; wrt++) {
            outs.add(op("attention_grad", Attrs.of("wrt", wrt), q, k, v, gy));
            outs.add(op("attention_grad", Attrs.of("wrt", wrt, "causal", true, "scale", 0.3), q, k, v, gy, mask));
        }
        check(45, outs, TOL);
        Node ids = input("ids", DType.I64, 2, 4), table = param("table", 3, 6);
        check(46, List.of(op("embedding_grad", Attrs.EMPTY, table, ids, input("ge", DType.F32, 2, 4, 6))), TOL);
    }

    @Test
    void trainingDropoutDrawsTheInterpretersMask() {
        Node x = input("x", DType.F32, 3, 7, 5);
        Node d = op("dropout", Attrs.of("p", 0.3, "training", true, "seed", 11L), x);
        check(47, List.of(d, Node.of("relu", d), op("dropout", Attrs.of("p", 1.0, "training", true), x),
                op("dropout", Attrs.of("p", 0.5, "training", true, "seed", 3L), Node.of("exp", x))), TOL);
    }

    @Test
    void sumsOverLeadingOrTrailingAxes() {
        Node x = input("x", DType.F32, 3, 4, 17), y = input("y", DType.F32, 2, 5, 7);
        check(48, List.of(op("reduce_sum", Attrs.of("axes", ints(0, 1)), x), op("reduce_mean", Attrs.of("axes", ints(0)), x),
                op("reduce_l2", Attrs.of("axes", ints(0, 1), "keepdims", true), x), op("reduce_sum", Attrs.of("axes", ints(1, 2)), y),
                op("reduce_mean", Attrs.of("axes", ints(-1)), y), op("reduce_l2", Attrs.EMPTY, y),
                op("reduce_sum", Attrs.EMPTY, Node.of("mul", x, x)), op("reduce_sum", Attrs.of("axes", ints(0)), y)), TOL);
    }

    @Test
    void shapeOfAStaticShape() {
        Node x = input("x", DType.F32, 3, 1, 5);
        check(44, List.of(Node.of("shape_of", x), op("reduce_prod", Attrs.EMPTY, Node.of("shape_of", x))), TOL);
    }
}
