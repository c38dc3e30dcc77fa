package org.dlm.passes.autodiff;

import static org.dlm.passes.autodiff.GradCheck.Operand.fixed;
import static org.dlm.passes.autodiff.GradCheck.Operand.positive;
import static org.dlm.passes.autodiff.GradCheck.Operand.random;
import static org.dlm.passes.autodiff.GradCheck.Operand.range;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.OpDef;
import org.dlm.passes.autodiff.GradCheck.Case;
import org.dlm.passes.autodiff.GradCheck.Operand;

/**
 * Operands and attributes that exercise each op's gradient rule away from kinks. An op with a
 * gradient rule and no entry here is checked with {@link #defaults}: f64 operands of shapes
 * [2,3], [3] (broadcast), [2,3]. When those do not fit the op, the test fails and asks for an entry.
 */
final class GradCheckCases {
    private GradCheckCases() {}

    private static final Map<String, List<Case>> CASES = new HashMap<>();

    private static void add(String op, Attrs attrs, Operand... ops) {
        CASES.computeIfAbsent(op, k -> new ArrayList<>()).add(new Case(op, List.of(ops), attrs));
    }

    private static void add(String op, Operand... ops) { add(op, Attrs.EMPTY, ops); }

    private static long[] s(long... d) { return d; }

    static {
        for (String op : List.of("log", "sqrt", "rsqrt")) add(op, positive(2, 3));
        for (String op : List.of("asin", "acos")) add(op, range(-0.8, 0.8, 2, 3));  // defined on [-1, 1]
        add("pow", positive(2, 3), random(3));
        add("pow", positive(2, 3), fixed(DType.F64, s(), 2.0));
        add("clip", Attrs.of("min", -0.7, "max", 0.7), random(2, 3));
        add("cast", Attrs.of("dtype", DType.F64), random(2, 3));
        add("gelu", random(2, 3));
        add("gelu", Attrs.of("approximate", "tanh"), random(2, 3));
        add("leaky_relu", Attrs.of("alpha", 0.1), random(2, 3));
        add("elu", Attrs.of("alpha", 0.7), random(2, 3));
        add("where", fixed(DType.BOOL, s(2, 3), 1, 0, 0, 1, 1, 0), random(2, 3), random(3));
        add("mod", Attrs.of("fmod", true), range(2.2, 2.9, 2, 3), range(0.9, 1.0, 3));

        for (String op : List.of("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_l2", "reduce_logsumexp")) {
            add(op, random(2, 3));
            add(op, Attrs.of("axes", List.of(1L), "keepdims", true), random(2, 3, 2));
            add(op, Attrs.of("axes", List.of(0L, 2L)), random(2, 3, 2));
        }
        add("cumsum", Attrs.of("axis", 1L), random(2, 3));

        add("reshape", Attrs.of("shape", org.dlm.ir.Shape.of(3, 2)), random(2, 3));
        add("flatten", random(2, 3, 2));
        add("transpose", random(2, 3, 2));
        add("transpose", Attrs.of("perm", List.of(1L, 0L, 2L)), random(2, 3, 2));
        add("concat", Attrs.of("axis", 1L), random(2, 3), random(2, 2));
        add("concat", Attrs.of("axis", 0L), random(1, 3), random(2, 3), random(1, 3));
        add("slice", Attrs.of("starts", List.of(1L), "ends", List.of(4L), "axes", List.of(1L)), random(2, 5));
        add("slice", Attrs.of("starts", List.of(-2L, 0L), "ends", List.of(Long.MAX_VALUE, 2L)), random(3, 5));
        add("gather", Attrs.of("axis", 0L), random(3, 2), fixed(DType.I64, s(4), 0, 2, 2, -1));
        add("expand", Attrs.of("shape", org.dlm.ir.Shape.of(2, 3, 4)), random(3, 1));
        add("squeeze", random(2, 1, 3));
        add("unsqueeze", Attrs.of("axes", List.of(0L, 3L)), random(2, 3));
        add("pad", Attrs.of("pads", List.of(1L, 0L, 0L, 2L)), random(2, 3));
        add("pad", Attrs.of("pads", List.of(0L, 1L, 0L, 1L), "value", 0.5), random(2, 3));
        add("tile", Attrs.of("repeats", List.of(2L, 1L)), random(2, 3));

        add("matmul", random(2, 3), random(3, 4));
        add("matmul", random(2, 2, 3), random(3, 2));
        add("matmul", random(3), random(3, 2));
        add("gemm", random(2, 3), random(3, 4), random(4));
        add("gemm", Attrs.of("alpha", 0.5, "beta", 2.0, "trans_a", true, "trans_b", true), random(3, 2), random(4, 3), random(2, 4));
        add("linear", random(2, 3), random(4, 3), random(4));
        add("linear", random(2, 2, 3), random(4, 3));

        add("conv2d", random(1, 2, 4, 4), random(3, 2, 2, 2), random(3));
        add("conv2d", Attrs.of("stride", List.of(2L, 1L), "padding", List.of(1L, 0L, 1L, 1L), "dilation", List.of(1L, 2L)),
                random(2, 2, 4, 5), random(2, 2, 2, 2));
        add("conv2d", Attrs.of("groups", 2L), random(1, 4, 3, 3), random(4, 2, 2, 2));
        add("conv_transpose2d", Attrs.of("stride", List.of(2L, 2L)), random(1, 2, 3, 3), random(2, 3, 2, 2), random(3));
        add("max_pool2d", Attrs.of("kernel", List.of(2L, 2L)), random(1, 2, 4, 4));
        add("max_pool2d", Attrs.of("kernel", List.of(3L, 3L), "stride", List.of(2L, 2L), "padding", List.of(1L, 1L, 1L, 1L)), random(1, 1, 5, 5));
        add("avg_pool2d", Attrs.of("kernel", List.of(2L, 2L)), random(1, 2, 4, 4));
        add("avg_pool2d", Attrs.of("kernel", List.of(3L, 3L), "stride", List.of(2L, 2L), "padding", List.of(1L, 1L, 1L, 1L)), random(1, 1, 5, 5));
        add("global_avg_pool", random(2, 3, 2, 2));
        add("global_max_pool", random(2, 3, 2, 2));
        add("batch_norm", random(2, 3, 2, 2), random(3), random(3), random(3), positive(3));
        add("batch_norm", Attrs.of("training", true), random(3, 2, 2, 2), random(2), random(2), random(2), positive(2));
        add("batch_mean", random(3, 2, 2));
        add("batch_var", random(3, 2, 2));
        add("layer_norm", random(2, 4), random(4), random(4));
        add("layer_norm", Attrs.of("axis", 1L), random(2, 2, 3));
        add("group_norm", Attrs.of("groups", 2L), random(2, 4, 3), random(4), random(4));
        add("softmax", random(2, 4));
        add("softmax", Attrs.of("axis", 0L), random(3, 2));
        add("log_softmax", random(2, 4));
        add("dropout", random(2, 3));
        add("dropout", Attrs.of("training", true, "p", 0.3, "seed", 7L), random(4, 5));
        add("embedding", random(5, 3), fixed(DType.I64, s(2, 2), 0, 4, 4, 1));
        add("attention", random(2, 3, 4), random(2, 5, 4), random(2, 5, 2));
        add("attention", Attrs.of("causal", true, "scale", 0.3), random(1, 4, 3), random(1, 4, 3), random(1, 4, 3));
        add("attention", random(1, 2, 3), random(1, 3, 3), random(1, 3, 2), fixed(DType.BOOL, s(2, 3), 1, 0, 1, 1, 1, 0));

        add("cross_entropy", random(3, 4), fixed(DType.I64, s(3), 0, 3, 1));
        add("cross_entropy", Attrs.of("label_smoothing", 0.1, "reduction", "sum"), random(3, 4), fixed(DType.I64, s(3), 2, 0, 1));
        add("cross_entropy", Attrs.of("ignore_index", 1L), random(3, 4), fixed(DType.I64, s(3), 1, 0, 2));
        add("cross_entropy", random(2, 3, 2), fixed(DType.I64, s(2, 2), 0, 2, 1, 1));
        add("cross_entropy", random(2, 3), fixed(DType.F64, s(2, 3), 0.2, 0.5, 0.3, 1, 0, 0));
        add("nll_loss", random(3, 4), fixed(DType.I64, s(3), 0, 3, 1));
        add("binary_cross_entropy", range(0.1, 0.9, 2, 3), fixed(DType.F64, s(2, 3), 0, 1, 1, 0, 0.3, 1));
        add("bce_with_logits", random(2, 3), fixed(DType.F64, s(2, 3), 0, 1, 1, 0, 0.3, 1));
        add("mse_loss", random(2, 3), random(2, 3));
        add("l1_loss", random(2, 3), random(2, 3));
        add("huber_loss", Attrs.of("delta", 0.5), random(2, 3), random(2, 3));
        add("mse_loss", Attrs.of("reduction", "none"), random(2, 3), random(2, 3));
    }

    /** The cases for {@code op}: its entries, or the default shapes by arity. */
    static List<Case> forOp(OpDef op) {
        List<Case> c = CASES.get(op.name());
        return c != null ? c : defaults(op);
    }

    static List<Case> defaults(OpDef op) {
        List<Operand> ops = new ArrayList<>();
        long[][] shapes = {{2, 3}, {3}, {2, 3}};
        for (int i = 0; i < Math.max(1, op.minInputs()); i++) ops.add(random(shapes[Math.min(i, 2)]));
        return List.of(new Case(op.name(), ops, Attrs.EMPTY));
    }
}
