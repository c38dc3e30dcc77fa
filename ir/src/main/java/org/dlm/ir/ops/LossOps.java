package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Loss functions with PyTorch semantics. Each returns the mean over elements (or over
 * non-ignored targets) unless {@code reduction} is "sum" or "none".
 *
 * <pre>{@code
 * Node loss = Node.of("cross_entropy", List.of(logits, labels), Attrs.of("label_smoothing", 0.1));
 * // logits f32[B, 10], labels i64[B] -> f32[]
 * }</pre>
 */
public final class LossOps implements OpTable.Family {
    @Override public List<OpDef> ops() {
        List<OpDef> all = new ArrayList<>(forward());
        all.addAll(LossGradOps.ops());
        return List.copyOf(all);
    }

    private static List<OpDef> forward() {
        return List.of(
            OpDef.builder("cross_entropy").inputs(2)
                .with(b -> classLossAttrs(b, true))
                .grad(LossGrads::crossEntropy)
                .shape((in, a) -> classLossType("cross_entropy", in, a, true))
                .kernel(LossOps::crossEntropy)
                .doc("log_softmax over the class axis (1, or 0 for unbatched [C]) and the negative log-likelihood of "
                        + "class ids (integer target [N, ...]) or of probabilities (target shaped like logits).")
                .build(),
            OpDef.builder("nll_loss").inputs(2)
                .with(b -> classLossAttrs(b, false))
                .grad(LossGrads::nllLoss)
                .shape((in, a) -> classLossType("nll_loss", in, a, false))
                .kernel(LossOps::nllLoss)
                .doc("-logp[n, target[n], ...]; the mean is over non-ignored targets.")
                .build(),
            pointwise("binary_cross_entropy", "-(t·max(log p, -100) + (1-t)·max(log(1-p), -100))",
                    (p, t) -> -(t * Math.max(Math.log(p), -100) + (1 - t) * Math.max(Math.log(1 - p), -100))),
            pointwise("bce_with_logits", "max(x, 0) - x·t + log(1 + exp(-|x|)), stable for any x",
                    (x, t) -> Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)))),
            pointwise("mse_loss", "(a - b)²", (a, b) -> (a - b) * (a - b)),
            pointwise("l1_loss", "|a - b|", (a, b) -> Math.abs(a - b)),
            OpDef.builder("huber_loss").inputs(2)
                .attr("delta", FLOAT, 1.0, "switch point between quadratic and linear")
                .attr("reduction", STRING, "mean", "mean, sum or none")
                .grad(LossGrads::elementwise)
                .shape((in, a) -> {
                    if (!(a.getDouble("delta") > 0)) throw new ShapeException("huber_loss delta must be positive, got " + a.getDouble("delta"));
                    return pointwiseType("huber_loss", in, a);
                })
                .kernel((in, a, out) -> {
                    double delta = a.getDouble("delta");
                    return reducePointwise(in, a, out, (x, y) -> {
                        double d = Math.abs(x - y);
                        return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
                    });
                })
                .doc("0.5·d² where |d| < delta, else delta·(|d| - delta/2), d = a - b.")
                .build());
    }

    // --- elementwise losses ---

    private static OpDef pointwise(String name, String formula, DoubleBinaryOperator f) {
        return OpDef.builder(name).inputs(2)
                .attr("reduction", STRING, "mean", "mean, sum or none")
                .grad(LossGrads::elementwise)
                .shape((in, a) -> pointwiseType(name, in, a))
                .kernel((in, a, out) -> reducePointwise(in, a, out, f))
                .doc(formula + " per element, then the reduction.")
                .build();
    }

    static TensorType pointwiseType(String op, List<TensorType> in, Attrs a) {
        TensorType x = in.get(0), y = in.get(1);
        OpChecks.requireFloat(op, "input", x);
        OpChecks.sameDType(op, "the input", x, "the target", y);
        if (!x.shape().equals(y.shape()))
            throw new ShapeException(op + " needs the input and the target to have the same shape, got " + x + " and " + y,
                    "reshape one of them; losses do not broadcast");
        return reduced(x, OpChecks.reduction(op, a));
    }

    private static TensorType reduced(TensorType perElement, String reduction) {
        return reduction.equals("none") ? perElement : new TensorType(perElement.dtype(), Shape.SCALAR);
    }

    static NdArray reducePointwise(List<NdArray> in, Attrs a, TensorType out, DoubleBinaryOperator f) {
        double[] x = in.get(0).data(), y = in.get(1).data(), l = new double[x.length];
        for (int i = 0; i < l.length; i++) l[i] = f.applyAsDouble(x[i], y[i]);
        return reduce(l, l.length, a, out);
    }

    /** Applies the reduction: none keeps {@code losses}, sum adds them, mean divides the sum by {@code count}. */
    static NdArray reduce(double[] losses, double count, Attrs a, TensorType out) {
        String r = a.getString("reduction", "mean");
        if (r.equals("none")) return new NdArray(out.dtype(), out.shape().sizes(), losses);
        double s = 0;
        for (double v : losses) s += v;
        return NdArray.scalar(out.dtype(), r.equals("sum") ? s : s / count);
    }

    // --- class losses ---

    /** The attributes of cross_entropy ({@code smoothing}) or nll_loss, which their gradient ops repeat. */
    static OpDef.Builder classLossAttrs(OpDef.Builder b, boolean smoothing) {
        if (smoothing) b.attr("label_smoothing", FLOAT, 0.0, "mix the target with the uniform distribution");
        return b.attr("reduction", STRING, "mean", "mean, sum or none")
                .attr("ignore_index", INT, -100L, "class id that contributes nothing" + (smoothing ? " (class-id targets only)" : ""));
    }

    /** The shape of logits without the class axis (axis 1, or 0 when unbatched). */
    private static Shape withoutClassAxis(TensorType logits) {
        List<Dim> d = new ArrayList<>(logits.shape().dims());
        d.remove(logits.rank() == 1 ? 0 : 1);
        return new Shape(d);
    }

    static TensorType classLossType(String op, List<TensorType> in, Attrs a, boolean allowProbabilities) {
        TensorType x = in.get(0), t = in.get(1);
        String what = op.equals("nll_loss") ? "log-probabilities" : "logits";
        OpChecks.requireFloat(op, what, x);
        if (x.rank() == 0) throw new ShapeException(op + " expects " + what + " [N, C, ...] or [C], got " + x);
        String reduction = OpChecks.reduction(op, a);
        Shape ids = withoutClassAxis(x);
        if (t.dtype().isInteger()) {
            if (!t.shape().equals(ids))
                throw new ShapeException(op + " expects class ids of shape " + ids + " for " + what + " " + x + ", got " + t,
                        t.shape().equals(x.shape()) && allowProbabilities
                                ? "one-hot targets must be probabilities with the logits' dtype; or pass argmax(target, axis = 1)"
                                : "targets hold one class id per sample");
        } else if (allowProbabilities && t.dtype().isFloating()) {
            OpChecks.sameDType(op, "the logits", x, "the target", t);
            if (!t.shape().equals(x.shape()))
                throw new ShapeException(op + " expects probability targets shaped like the logits " + x + ", got " + t,
                        "class-id targets must be integers (i64) of shape " + ids);
        } else {
            throw new ShapeException(op + " expects integer class ids" + (allowProbabilities ? " or probabilities" : "") + " as target, got " + t,
                    "insert cast(target, dtype = i64)");
        }
        if (allowProbabilities) {
            double ls = a.getDouble("label_smoothing");
            if (!(ls >= 0 && ls <= 1)) throw new ShapeException(op + " label_smoothing must be between 0 and 1, got " + ls);
        }
        return reduced(new TensorType(x.dtype(), ids), reduction);
    }

    /** Log-softmax over the class axis of x viewed as [N, C, S]. */
    static double[] logSoftmaxClasses(NdArray x) {
        int c = classes(x), s = spatial(x), n = x.size() / Math.max(1, c * s);
        double[] lp = new double[x.size()], d = x.data();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) {
                int base = i * c * s + j;
                double m = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < c; k++) m = Math.max(m, d[base + k * s]);
                double sum = 0;
                for (int k = 0; k < c; k++) sum += Math.exp(d[base + k * s] - m);
                double lse = m + Math.log(sum);
                for (int k = 0; k < c; k++) lp[base + k * s] = d[base + k * s] - lse;
            }
        return lp;
    }

    /** The number of classes of logits x: axis 1, or 0 when unbatched. */
    static int classes(NdArray x) { return (int) x.dim(x.rank() == 1 ? 0 : 1); }

    /** The number of positions per sample and class: the product of the dims after the class axis. */
    static int spatial(NdArray x) {
        int s = 1;
        for (int i = 2; i < x.rank(); i++) s *= (int) x.dim(i);
        return s;
    }

    static NdArray crossEntropy(List<NdArray> in, Attrs a, TensorType out) {
        NdArray x = in.get(0), t = in.get(1);
        double[] lp = logSoftmaxClasses(x);
        double eps = a.getDouble("label_smoothing");
        int c = classes(x), s = spatial(x), n = x.size() / Math.max(1, c * s);
        double[] loss = new double[n * s];
        if (t.dtype().isFloating()) {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++) {
                    double l = 0;
                    for (int k = 0; k < c; k++) {
                        int idx = i * c * s + k * s + j;
                        l -= (t.data()[idx] * (1 - eps) + eps / c) * lp[idx];
                    }
                    loss[i * s + j] = l;
                }
            return reduce(loss, loss.length, a, out);
        }
        int count = forEachTarget(t, n, c, s, a.getLong("ignore_index"), (i, j, cls) -> {
            double smooth = 0;
            for (int k = 0; k < c; k++) smooth -= lp[i * c * s + k * s + j];
            loss[i * s + j] = (1 - eps) * -lp[i * c * s + cls * s + j] + eps / c * smooth;
        });
        return reduce(loss, count, a, out);
    }

    static NdArray nllLoss(List<NdArray> in, Attrs a, TensorType out) {
        NdArray lp = in.get(0), t = in.get(1);
        int c = classes(lp), s = spatial(lp), n = lp.size() / Math.max(1, c * s);
        double[] loss = new double[n * s];
        int count = forEachTarget(t, n, c, s, a.getLong("ignore_index"),
                (i, j, cls) -> loss[i * s + j] = -lp.data()[i * c * s + cls * s + j]);
        return reduce(loss, count, a, out);
    }

    /** What a class loss does for the target of sample i at spatial position j. */
    private interface TargetAction { void accept(int i, int j, int cls); }

    /**
     * Runs {@code action} for every class id in t (viewed as [n, s]) that is not {@code ignore},
     * after checking it is a class of c; returns how many there were (the divisor of "mean").
     */
    private static int forEachTarget(NdArray t, int n, int c, int s, long ignore, TargetAction action) {
        int count = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) {
                long cls = (long) t.data()[i * s + j];
                if (cls == ignore) continue;
                if (cls < 0 || cls >= c) throw new org.dlm.ir.interp.InterpreterException("target class " + cls + " is out of range for " + c + " classes");
                count++;
                action.accept(i, j, (int) cls);
            }
        return count;
    }
}
