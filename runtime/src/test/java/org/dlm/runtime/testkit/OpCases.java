package org.dlm.runtime.testkit;

import static org.dlm.runtime.testkit.BackendDiff.input;
import static org.dlm.runtime.testkit.BackendDiff.op;
import static org.dlm.runtime.testkit.BackendDiff.param;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;

/**
 * Op test cases every backend runs against the interpreter ({@link BackendDiff}): each method
 * gives one or more lists of output nodes, each list one graph to compile and compare. The LLVM and
 * OpenCL backends' op tests check them all, seeded consecutively from the seed they pass, besides
 * the cases for their own code paths.
 */
public final class OpCases {
    private OpCases() {}

    /** argmax/argmin, cumsum, global pools. */
    public static List<List<Node>> argCumsumAndGlobalPools() {
        List<List<Node>> cases = new ArrayList<>();
        Node x = input("x", DType.F32, 2, 3, 5, 7);
        cases.add(List.of(op("argmax", Attrs.of("axis", 1L), x), op("argmin", Attrs.of("axis", -1L, "keepdims", true), x),
                op("cumsum", Attrs.of("axis", 2L), x), op("global_avg_pool", Attrs.EMPTY, x),
                op("global_max_pool", Attrs.of("keepdims", false), x)));
        return cases;
    }

    /** Shape ops (transpose, reshape, slice with negative steps, concat, pads of every mode, tile, expand, squeeze), then gather, embedding, one_hot. */
    public static List<List<Node>> shapeOps() {
        List<List<Node>> cases = new ArrayList<>();
        Node x = input("x", DType.F32, 2, 3, 5);
        cases.add(List.of(
                op("transpose", Attrs.of("perm", List.of(2L, 0L, 1L)), x),
                op("reshape", Attrs.of("shape", Shape.of(6, 5)), Node.of("relu", x)),
                op("flatten", Attrs.EMPTY, x),
                op("slice", Attrs.of("starts", List.of(1L, -1L), "ends", List.of(5L, -100L), "axes", List.of(2L, 1L), "steps", List.of(2L, -1L)), x),
                op("concat", Attrs.of("axis", 1L), x, Node.of("neg", x), op("slice", Attrs.of("starts", List.of(0L), "ends", List.of(1L), "axes", List.of(1L)), x)),
                op("pad", Attrs.of("pads", List.of(0L, 1L, 2L, 0L, 2L, 1L)), x),
                op("pad", Attrs.of("pads", List.of(0L, 1L, 2L, 0L, 1L, 2L), "mode", "reflect"), x),
                op("pad", Attrs.of("pads", List.of(0L, 0L, 3L, 1L, 0L, 1L), "mode", "edge"), x),
                op("tile", Attrs.of("repeats", List.of(1L, 2L, 3L)), x),
                op("expand", Attrs.of("shape", Shape.of(4, 2, 3, 5)), x),
                op("squeeze", Attrs.EMPTY, op("unsqueeze", Attrs.of("axes", List.of(0L)), x))));
        Node ids = input("ids", DType.I64, 2, 4);
        Node table = param("table", 3, 6);
        cases.add(List.of(op("gather", Attrs.of("axis", 1L), x, ids), op("embedding", Attrs.EMPTY, table, ids),
                op("one_hot", Attrs.of("depth", 4L), ids)));
        return cases;
    }

    /** Broadcast batched matmul (and with vectors), linear with and without bias, gemm with transposes, alpha and beta. */
    public static List<List<Node>> matmulGemmLinear() {
        List<List<Node>> cases = new ArrayList<>();
        Node a = input("a", DType.F32, 2, 1, 7, 9), b = input("b", DType.F32, 3, 9, 5);
        Node v = input("v", DType.F32, 9);
        cases.add(List.of(Node.of("matmul", a, b), Node.of("matmul", v, b), Node.of("matmul", a, v)));
        // one matrix on the right (as a linear layer's input gradient): the left operand's batch entries as one GEMM's rows
        cases.add(List.of(Node.of("matmul", a, input("m", DType.F32, 9, 5)), Node.of("matmul", a, input("m1", DType.F32, 1, 9, 5))));
        Node x = input("x", DType.F32, 4, 3, 17), w = param("w", 11, 17), bias = param("bias", 11);
        cases.add(List.of(Node.of("linear", x, w, bias), Node.of("relu", Node.of("linear", x, w))));
        Node p = input("p", DType.F32, 6, 4), q = input("q", DType.F32, 5, 6), c = input("c", DType.F32, 5);
        cases.add(List.of(op("gemm", Attrs.of("trans_a", true, "trans_b", true), p, q, c),
                op("gemm", Attrs.of("trans_a", true, "trans_b", true, "alpha", 0.5, "beta", 2.0), p, q, input("c2", DType.F32, 4, 1))));
        return cases;
    }

    /** Convolutions (stride, asymmetric padding, dilation, 1x1, depthwise with bias) and max/avg pools (ceil mode, padding, count_include_pad). */
    public static List<List<Node>> convolutionsAndPools() {
        List<List<Node>> cases = new ArrayList<>();
        Node x = input("x", DType.F32, 2, 3, 9, 8);
        Node w = param("w", 4, 3, 3, 3), b = param("b", 4);
        Node w1 = param("w1", 5, 3, 1, 1), dw = param("dw", 3, 1, 3, 3);
        cases.add(List.of(
                op("conv2d", Attrs.of("stride", List.of(2L, 1L), "padding", List.of(1L, 0L, 1L, 2L)), x, w, b),
                op("conv2d", Attrs.of("dilation", List.of(2L, 2L)), x, w),
                op("conv2d", Attrs.EMPTY, x, w1),
                op("conv2d", Attrs.of("groups", 3L, "padding", List.of(1L, 1L, 1L, 1L), "stride", List.of(2L, 2L)), x, dw, param("db", 3)),
                op("max_pool2d", Attrs.of("kernel", List.of(2L, 2L)), x),
                op("max_pool2d", Attrs.of("kernel", List.of(3L, 3L), "stride", List.of(2L, 2L), "padding", List.of(1L, 1L, 1L, 1L), "ceil_mode", true), x),
                op("avg_pool2d", Attrs.of("kernel", List.of(3L, 2L), "stride", List.of(2L, 2L), "padding", List.of(1L, 1L, 1L, 1L)), x),
                op("avg_pool2d", Attrs.of("kernel", List.of(3L, 3L), "padding", List.of(1L, 1L, 1L, 1L), "count_include_pad", true), x)));
        return cases;
    }

    /** A convolution + batch norm + relu (folded and fused), a relu after a 1x1 convolution and after a linear layer. */
    public static List<List<Node>> convBatchNormReluFoldAndFuse() {
        List<List<Node>> cases = new ArrayList<>();
        Node x = input("x", DType.F32, 2, 3, 7, 6);
        Node conv = op("conv2d", Attrs.of("padding", List.of(1L, 1L, 1L, 1L)), x, param("w", 4, 3, 3, 3), param("b", 4));
        Node bn = op("batch_norm", Attrs.EMPTY, conv, param("gamma", 4), param("beta", 4), param("mean", 4), Node.of("abs", param("var", 4)));
        Node conv2 = op("conv2d", Attrs.EMPTY, x, param("w2", 5, 3, 1, 1));
        Node lin = Node.of("linear", input("z", DType.F32, 3, 7), param("lw", 4, 7));
        cases.add(List.of(Node.of("relu", bn), Node.of("relu", conv2), Node.of("relu", lin)));
        return cases;
    }

    /** softmax, log_softmax, layer_norm, inference batch norm (parameter and constant variance), then attention with a mask and causal. */
    public static List<List<Node>> normalizationsAndAttention() {
        List<List<Node>> cases = new ArrayList<>();
        Node x = input("x", DType.F32, 2, 3, 4, 5);
        cases.add(List.of(op("softmax", Attrs.of("axis", 1L), x), op("log_softmax", Attrs.EMPTY, x),
                op("layer_norm", Attrs.of("axis", -2L), x, param("g", 4, 5), param("be", 4, 5)),
                Node.of("relu", op("batch_norm", Attrs.EMPTY, x, param("gamma", 3), param("beta", 3), param("mean", 3), Node.of("abs", param("var", 3)))),
                op("batch_norm", Attrs.EMPTY, x, param("gamma2", 3), param("beta2", 3), param("mean2", 3), op("const", Attrs.of("value",
                        new org.dlm.ir.Constant(org.dlm.ir.TensorType.of(DType.F32, 3), new double[] {1, 2, 3}))))));
        Node q = input("q", DType.F32, 2, 3, 7, 8), k = input("k", DType.F32, 2, 3, 5, 8), v = input("v", DType.F32, 2, 3, 5, 6);
        Node mask = input("mask", DType.BOOL, 7, 5);
        cases.add(List.of(op("attention", Attrs.EMPTY, q, k, v), op("attention", Attrs.of("causal", true, "scale", 0.3), q, k, v, mask)));
        return cases;
    }
}
