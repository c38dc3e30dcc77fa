// std.losses — losses; all return the mean over the batch unless reduction = "sum" or "none".

fn cross_entropy(logits, target, label_smoothing: float = 0.0, reduction: string = "mean") =
    prim.cross_entropy(logits, target, label_smoothing = label_smoothing, reduction = reduction)
fn nll_loss(logp, target, reduction: string = "mean") = prim.nll_loss(logp, target, reduction = reduction)
fn mse_loss(a, b, reduction: string = "mean") = prim.mse_loss(a, b, reduction = reduction)
fn l1_loss(a, b, reduction: string = "mean") = prim.l1_loss(a, b, reduction = reduction)
fn huber_loss(a, b, delta: float = 1.0, reduction: string = "mean") = prim.huber_loss(a, b, delta = delta, reduction = reduction)
fn bce_with_logits(logits, target, reduction: string = "mean") = prim.bce_with_logits(logits, target, reduction = reduction)
fn binary_cross_entropy(p, target, reduction: string = "mean") = prim.binary_cross_entropy(p, target, reduction = reduction)
