package org.dlm.passes.train;

/**
 * What happens to gradients between backward and the optimizer, in this order:
 * <ol>
 *   <li>regularization as if added to the loss: L1 {@code λ1·Σ|p|} adds {@code λ1·sign(p)},
 *       L2 {@code (λ2/2)·Σp²} adds {@code λ2·p};</li>
 *   <li>clipping each element to {@code [-clipValue, clipValue]} (PyTorch clip_grad_value_);</li>
 *   <li>scaling all gradients together so their global L2 norm is at most {@code clipNorm}
 *       (PyTorch clip_grad_norm_: factor {@code min(1, clipNorm / (norm + 1e-6))});</li>
 * </ol>
 * and after the optimizer's update, decoupled weight decay {@code p ← p − lr·wd·p_old}
 * (for any optimizer; {@link Adam#adamW} has its own).
 * Zero turns a feature off.
 *
 * <pre>{@code
 * GradPolicy p = GradPolicy.NONE.withClipNorm(1.0).withL2(1e-4);
 * }</pre>
 */
public record GradPolicy(double l1, double l2, double clipValue, double clipNorm, double decoupledWeightDecay) {
    public static final GradPolicy NONE = new GradPolicy(0, 0, 0, 0, 0);

    public GradPolicy {
        if (l1 < 0 || l2 < 0 || clipValue < 0 || clipNorm < 0 || decoupledWeightDecay < 0)
            throw new IllegalArgumentException("regularization, clipping and weight decay must be >= 0");
    }

    public GradPolicy withL1(double v) { return new GradPolicy(v, l2, clipValue, clipNorm, decoupledWeightDecay); }
    public GradPolicy withL2(double v) { return new GradPolicy(l1, v, clipValue, clipNorm, decoupledWeightDecay); }
    public GradPolicy withClipValue(double v) { return new GradPolicy(l1, l2, v, clipNorm, decoupledWeightDecay); }
    public GradPolicy withClipNorm(double v) { return new GradPolicy(l1, l2, clipValue, v, decoupledWeightDecay); }
    public GradPolicy withDecoupledWeightDecay(double v) { return new GradPolicy(l1, l2, clipValue, clipNorm, v); }
}
