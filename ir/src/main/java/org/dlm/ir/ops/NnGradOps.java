package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.OpDef;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Backward ops of the nn family, emitted by {@link NnGrads} where the gradient is not a plain
 * composition of forward ops. Operand order: forward operands first, the result gradient gy after.
 */
final class NnGradOps {
    private NnGradOps() {}

    static List<OpDef> ops() {
        return List.of(
            OpDef.builder("conv2d_weight_grad").inputs(2)
                .attr("kernel", INTS, null, "kernel height, width")
                .with(NnOps::convAttrs)
                .shape(NnGradOps::convWeightGradType)
                .kernel((in, a, out) -> ConvKernels.conv2dWeightGrad(in.get(0), in.get(1),
                        NnOps.conv2dWindow("conv2d_weight_grad", a.getLongArray("kernel")[0], a.getLongArray("kernel")[1], a),
                        (int) a.getLong("groups"), out))
                .doc("d conv2d / d weight for operands (x[N,C,H,W], gy[N,O,OH,OW]): [O, C/groups, kh, kw].")
                .build(),
            OpDef.builder("max_pool2d_grad").inputs(2)
                .with(b -> NnOps.poolAttrs(b, true))
                .shape((in, a) -> poolGradType("max_pool2d_grad", in, a, true))
                .kernel((in, a, out) -> PoolKernels.maxPool2dGrad(in.get(0), in.get(1), NnOps.poolWindow("max_pool2d_grad", a, true), out))
                .doc("d max_pool2d / d x for operands (x, gy): each gradient goes to its window's first maximum.")
                .build(),
            OpDef.builder("avg_pool2d_grad").inputs(2)
                .with(b -> NnOps.poolAttrs(b, false))
                .shape((in, a) -> poolGradType("avg_pool2d_grad", in, a, false))
                .kernel((in, a, out) -> PoolKernels.avgPool2dGrad(in.get(1), in.get(0).shape(), NnOps.poolWindow("avg_pool2d_grad", a, false),
                        a.getBool("count_include_pad", false), out))
                .doc("d avg_pool2d / d x for operands (x, gy); x only gives the shape.")
                .build(),
            OpDef.builder("global_pool_grad").inputs(2)
                .attr("mode", STRING, "avg", "avg or max")
                .shape((in, a) -> {
                    if (!List.of("avg", "max").contains(a.getString("mode")))
                        throw new ShapeException("global_pool_grad mode must be \"avg\" or \"max\", got \"" + a.getString("mode") + "\"");
                    return in.get(0);
                })
                .kernel((in, a, out) -> globalPoolGrad(in.get(0), in.get(1), a.getString("mode").equals("max"), out))
                .doc("d global_avg_pool or global_max_pool / d x for operands (x, gy); max routes to the first maximum.")
                .build(),
            OpDef.builder("batch_norm_grad").inputs(5)
                .attr("eps", FLOAT, 1e-5, "as in batch_norm")
                .attr("training", BOOL, false, "as in batch_norm")
                .attr("wrt", INT, 0L, "0 = x, 1 = gamma, 2 = beta, 3 = mean, 4 = var (eval only)")
                .shape((in, a) -> wrtType("batch_norm_grad", a, in.get(0), new TensorType(in.get(0).dtype(), Shape.of(in.get(0).shape().dim(1)))))
                .kernel((in, a, out) -> NormGradKernels.batchNorm(in.get(0), in.get(1), in.get(2), in.get(3), in.get(4),
                        a.getDouble("eps"), a.getBool("training", false), (int) a.getLong("wrt"), out))
                .doc("Gradient of batch_norm for operands (x, gamma, mean, var, gy).")
                .build(),
            OpDef.builder("layer_norm_grad").inputs(2, 3)
                .attr("axis", INT, -1L, "as in layer_norm")
                .attr("eps", FLOAT, 1e-5, "as in layer_norm")
                .attr("wrt", INT, 0L, "0 = x, 1 = gamma, 2 = beta")
                .shape((in, a) -> {
                    TensorType x = in.get(0);
                    int axis = OpChecks.axis("layer_norm_grad", a.getLong("axis"), x.rank());
                    return wrtType("layer_norm_grad", a, x, new TensorType(x.dtype(), new Shape(x.shape().dims().subList(axis, x.rank()))));
                })
                .kernel((in, a, out) -> NormGradKernels.layerNorm(in.get(0), in.get(1), in.size() > 2 ? in.get(2) : null,
                        OpChecks.axis("layer_norm_grad", a.getLong("axis"), in.get(0).rank()), a.getDouble("eps"), (int) a.getLong("wrt"), out))
                .doc("Gradient of layer_norm for operands (x, gy, gamma?).")
                .build(),
            OpDef.builder("group_norm_grad").inputs(3)
                .attr("groups", INT, null, "as in group_norm")
                .attr("eps", FLOAT, 1e-5, "as in group_norm")
                .attr("wrt", INT, 0L, "0 = x, 1 = gamma, 2 = beta")
                .shape((in, a) -> wrtType("group_norm_grad", a, in.get(0), in.get(1)))
                .kernel((in, a, out) -> NormGradKernels.groupNorm(in.get(0), in.get(1), in.get(2), (int) a.getLong("groups"),
                        a.getDouble("eps"), (int) a.getLong("wrt"), out))
                .doc("Gradient of group_norm for operands (x, gamma, gy).")
                .build(),
            OpDef.builder("softmax_grad").inputs(2)
                .attr("axis", INT, -1L, "as in softmax")
                .attr("log", BOOL, false, "y is log_softmax's result")
                .shape((in, a) -> {
                    OpChecks.axis("softmax_grad", a.getLong("axis"), in.get(0).rank());
                    return in.get(0);
                })
                .kernel((in, a, out) -> NormGradKernels.softmax(in.get(0), in.get(1),
                        OpChecks.axis("softmax_grad", a.getLong("axis"), in.get(0).rank()), a.getBool("log", false), out))
                .doc("For operands (y, gy) with y = softmax(x): y·(gy - Σ gy·y); with log, y = log_softmax(x): gy - exp(y)·Σ gy.")
                .build(),
            OpDef.builder("embedding_grad").inputs(3)
                .shape((in, a) -> in.get(0))
                .kernel((in, a, out) -> embeddingGrad(in.get(0), in.get(1), in.get(2), out))
                .doc("d embedding / d table for operands (table, ids, gy): rows of gy added into the picked rows.")
                .build(),
            OpDef.builder("attention_grad").inputs(4, 5)
                .attr("scale", FLOAT, 0.0, "as in attention")
                .attr("causal", BOOL, false, "as in attention")
                .attr("wrt", INT, 0L, "0 = q, 1 = k, 2 = v")
                .shape((in, a) -> {
                    long w = a.getLong("wrt");
                    if (w < 0 || w > 2) throw new ShapeException("attention_grad wrt must be 0, 1 or 2, got " + w);
                    return in.get((int) w);
                })
                .kernel(AttentionGradKernel::eval)
                .doc("Gradient of attention for operands (q, k, v, gy, mask?).")
                .build());
    }

    private static TensorType wrtType(String op, Attrs a, TensorType x, TensorType param) {
        long w = a.getLong("wrt"), max = op.equals("batch_norm_grad") && !a.getBool("training", false) ? 4 : 2;
        if (w < 0 || w > max) throw new ShapeException(op + " wrt must be between 0 and " + max + ", got " + w);
        return w == 0 ? x : param;
    }

    private static TensorType convWeightGradType(List<TensorType> in, Attrs a) {
        TensorType x = in.get(0), gy = in.get(1);
        if (x.rank() != 4 || gy.rank() != 4) throw new ShapeException("conv2d_weight_grad expects x and gy of rank 4, got " + x + " and " + gy);
        long[] k = OpChecks.ints("conv2d_weight_grad", a, "kernel", 2, 1, "height, width");
        long g = a.getLong("groups");
        if (g < 1 || !x.shape().dim(1).isConst() || x.shape().dim(1).value() % g != 0)
            throw new ShapeException("conv2d_weight_grad: groups " + g + " must divide the static channel count of " + x);
        return new TensorType(x.dtype(), Shape.of(gy.shape().dim(1), org.dlm.ir.Dim.of(x.shape().dim(1).value() / g),
                org.dlm.ir.Dim.of(k[0]), org.dlm.ir.Dim.of(k[1])));
    }

    private static TensorType poolGradType(String op, List<TensorType> in, Attrs a, boolean dilation) {
        NnOps.poolWindow(op, a, dilation);
        return in.get(0);
    }

    static NdArray globalPoolGrad(NdArray x, NdArray gy, boolean max, TensorType out) {
        int nc = (int) (x.dim(0) * x.dim(1)), s = x.size() / Math.max(1, nc);
        double[] r = new double[x.size()];
        for (int p = 0; p < nc; p++) {
            if (!max) {
                for (int j = 0; j < s; j++) r[p * s + j] = gy.get(p) / s;
                continue;
            }
            int best = 0;
            for (int j = 1; j < s; j++) if (x.get(p * s + j) > x.get(p * s + best)) best = j;
            r[p * s + best] = gy.get(p);
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    static NdArray embeddingGrad(NdArray table, NdArray ids, NdArray gy, TensorType out) {
        int d = (int) table.dim(1);
        double[] r = new double[table.size()];
        for (int i = 0; i < ids.size(); i++) {
            int row = (int) ids.get(i);
            for (int c = 0; c < d; c++) r[row * d + c] += gy.get(i * d + c);
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }
}
