package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.OpDef;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Backward ops of the losses, emitted by {@link LossGrads}: each takes the forward operands and
 * the gradient of the loss (a scalar, or per-element for reduction "none").
 */
final class LossGradOps {
    private LossGradOps() {}

    static List<OpDef> ops() {
        return List.of(
            OpDef.builder("cross_entropy_grad").inputs(3)
                .with(b -> LossOps.classLossAttrs(b, true))
                .shape((in, a) -> gradType("cross_entropy_grad", in, 0))
                .kernel(LossGradOps::crossEntropyGrad)
                .doc("d cross_entropy / d logits for operands (logits, target, gy).")
                .build(),
            OpDef.builder("nll_loss_grad").inputs(3)
                .with(b -> LossOps.classLossAttrs(b, false))
                .shape((in, a) -> gradType("nll_loss_grad", in, 0))
                .kernel(LossGradOps::nllLossGrad)
                .doc("d nll_loss / d logp for operands (logp, target, gy).")
                .build(),
            OpDef.builder("elementwise_loss_grad").inputs(3)
                .attr("loss", STRING, null, "binary_cross_entropy, bce_with_logits, mse_loss, l1_loss or huber_loss")
                .attr("reduction", STRING, "mean", "as in the loss")
                .attr("delta", FLOAT, 1.0, "huber_loss only")
                .attr("wrt", INT, 0L, "0 = first operand, 1 = second")
                .shape((in, a) -> {
                    if (!List.of("binary_cross_entropy", "bce_with_logits", "mse_loss", "l1_loss", "huber_loss").contains(a.getString("loss")))
                        throw new ShapeException("elementwise_loss_grad: unknown loss \"" + a.getString("loss") + "\"");
                    return gradType("elementwise_loss_grad", in, (int) a.getLong("wrt"));
                })
                .kernel(LossGradOps::elementwiseGrad)
                .doc("Gradient of an elementwise loss with respect to operand wrt, for operands (a, b, gy).")
                .build());
    }

    private static TensorType gradType(String op, List<TensorType> in, int wrt) {
        if (wrt < 0 || wrt > 1) throw new ShapeException(op + " wrt must be 0 or 1, got " + wrt);
        OpChecks.requireFloat(op, "loss gradient", in.get(2));
        return in.get(wrt);
    }

    /** The gradient reaching loss element {@code i}: gy itself for "none", else the scalar (divided by count for "mean"). */
    private static double weight(NdArray gy, Attrs a, int i, double count) {
        return switch (a.getString("reduction", "mean")) {
            case "none" -> gy.get(i);
            case "sum" -> gy.get(0);
            default -> gy.get(0) / count;
        };
    }

    static NdArray crossEntropyGrad(List<NdArray> in, Attrs a, TensorType out) {
        NdArray x = in.get(0), t = in.get(1), gy = in.get(2);
        double[] lp = LossOps.logSoftmaxClasses(x);
        double eps = a.getDouble("label_smoothing");
        int c = LossOps.classes(x), s = LossOps.spatial(x), n = x.size() / Math.max(1, c * s);
        double[] r = new double[x.size()];
        long ignore = a.getLong("ignore_index");
        boolean ids = !t.dtype().isFloating();
        int count = 0;
        if (ids) for (int i = 0; i < n * s; i++) if ((long) t.get(i) != ignore) count++;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) {
                int item = i * s + j;
                if (ids && (long) t.get(item) == ignore) continue;
                double w = weight(gy, a, item, ids ? count : n * s);
                double tsum = 0;
                if (!ids) for (int k = 0; k < c; k++) tsum += t.get(i * c * s + k * s + j) * (1 - eps) + eps / c;
                for (int k = 0; k < c; k++) {
                    int idx = i * c * s + k * s + j;
                    double p = Math.exp(lp[idx]);
                    double target = ids ? (1 - eps) * (k == (long) t.get(item) ? 1 : 0) + eps / c : t.get(idx) * (1 - eps) + eps / c;
                    r[idx] = w * (p * (ids ? 1 : tsum) - target);
                }
            }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    static NdArray nllLossGrad(List<NdArray> in, Attrs a, TensorType out) {
        NdArray lp = in.get(0), t = in.get(1), gy = in.get(2);
        int c = LossOps.classes(lp), s = LossOps.spatial(lp), n = lp.size() / Math.max(1, c * s);
        long ignore = a.getLong("ignore_index");
        int count = 0;
        for (int i = 0; i < n * s; i++) if ((long) t.get(i) != ignore) count++;
        double[] r = new double[lp.size()];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) {
                long cls = (long) t.get(i * s + j);
                if (cls == ignore) continue;
                r[i * c * s + (int) cls * s + j] = -weight(gy, a, i * s + j, count);
            }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    static NdArray elementwiseGrad(List<NdArray> in, Attrs a, TensorType out) {
        NdArray x = in.get(0), y = in.get(1), gy = in.get(2);
        String loss = a.getString("loss");
        boolean first = a.getLong("wrt") == 0;
        double delta = a.getDouble("delta");
        double[] r = new double[x.size()];
        for (int i = 0; i < r.length; i++) {
            double u = x.get(i), v = y.get(i), d = u - v;
            double g = switch (loss) {
                case "mse_loss" -> first ? 2 * d : -2 * d;
                case "l1_loss" -> first ? Math.signum(d) : -Math.signum(d);
                case "huber_loss" -> (first ? 1 : -1) * Math.max(-delta, Math.min(delta, d));
                case "bce_with_logits" -> first ? 1 / (1 + Math.exp(-u)) - v : -u;
                default -> first ? (u - v) / Math.max((1 - u) * u, 1e-12)
                        : Math.max(Math.log(1 - u), -100) - Math.max(Math.log(u), -100);
            };
            r[i] = g * weight(gy, a, i, r.length);
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }
}
