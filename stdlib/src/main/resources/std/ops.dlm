// std.ops — tensor functions over the primitive ops.
//
// Every op of the op catalogue (docs/ops.md) is reachable as prim.<name>(operands..., attr = value);
// this module gives them friendly names and PyTorch-like arguments. On compile-time numbers the
// math functions compute at compile time: sqrt(4.0) is the float 2.0.

// ---- activations
fn relu(x) = prim.relu(x)
fn relu6(x) = prim.relu6(x)
fn sigmoid(x) = prim.sigmoid(x)
fn tanh(x) = prim.tanh(x)
fn gelu(x, approximate: string = "none") = prim.gelu(x, approximate = approximate)
fn silu(x) = prim.silu(x)
fn softplus(x) = prim.softplus(x)
fn leaky_relu(x, alpha: float = 0.01) = prim.leaky_relu(x, alpha = alpha)
fn elu(x, alpha: float = 1.0) = prim.elu(x, alpha = alpha)
fn hard_sigmoid(x, alpha: float = 0.2, beta: float = 0.5) = prim.hard_sigmoid(x, alpha = alpha, beta = beta)
fn hardswish(x) = x * prim.hard_sigmoid(x, alpha = 1.0 / 6.0, beta = 0.5)
fn softmax(x, axis: int = -1) = prim.softmax(x, axis = axis)
fn log_softmax(x, axis: int = -1) = prim.log_softmax(x, axis = axis)

// ---- elementwise math
fn exp(x) = prim.exp(x)
fn log(x) = prim.log(x)
fn sqrt(x) = prim.sqrt(x)
fn rsqrt(x) = prim.rsqrt(x)
fn abs(x) = prim.abs(x)
fn sin(x) = prim.sin(x)
fn cos(x) = prim.cos(x)
fn erf(x) = prim.erf(x)
fn floor(x) = prim.floor(x)
fn ceil(x) = prim.ceil(x)
fn round(x) = prim.round(x)
fn sign(x) = prim.sign(x)
fn reciprocal(x) = prim.reciprocal(x)
fn clip(x, low: float, high: float) = prim.clip(x, min = low, max = high)
fn maximum(a, b) = prim.max(a, b)
fn minimum(a, b) = prim.min(a, b)
fn where(cond, a, b) = prim.where(cond, a, b)
fn cast(x, to) = prim.cast(x, dtype = to)
fn isnan(x) = prim.isnan(x)

// ---- reductions; axis is an int, a list of ints, or none for all axes
fn axes_of(axis) = if axis == none then [] else if is_list(axis) then axis else [axis]
fn sum(x, axis = none, keepdims: bool = false) = prim.reduce_sum(x, axes = axes_of(axis), keepdims = keepdims)
fn mean(x, axis = none, keepdims: bool = false) = prim.reduce_mean(x, axes = axes_of(axis), keepdims = keepdims)
fn amax(x, axis = none, keepdims: bool = false) = prim.reduce_max(x, axes = axes_of(axis), keepdims = keepdims)
fn amin(x, axis = none, keepdims: bool = false) = prim.reduce_min(x, axes = axes_of(axis), keepdims = keepdims)
fn prod(x, axis = none, keepdims: bool = false) = prim.reduce_prod(x, axes = axes_of(axis), keepdims = keepdims)
fn logsumexp(x, axis = none, keepdims: bool = false) = prim.reduce_logsumexp(x, axes = axes_of(axis), keepdims = keepdims)
fn argmax(x, axis: int = -1, keepdims: bool = false) = prim.argmax(x, axis = axis, keepdims = keepdims)
fn argmin(x, axis: int = -1, keepdims: bool = false) = prim.argmin(x, axis = axis, keepdims = keepdims)
fn cumsum(x, axis: int) = prim.cumsum(x, axis = axis)

// ---- shapes
fn flatten(x, axis: int = 1) = prim.flatten(x, axis = axis)
fn reshape(x, shape: list) = prim.reshape(x, shape = shape)
fn transpose(x, perm: list = []) = prim.transpose(x, perm = perm)
fn permute(x, perm: list) = prim.transpose(x, perm = perm)
fn norm_axis(axis: int, rank: int) = if axis < 0 then axis + rank else axis
fn swap_perm(n: int, a: int, b: int) = [if i == a then b else if i == b then a else i for i in 0..n]
fn swapaxes(x, a: int, b: int) = prim.transpose(x, perm = swap_perm(rank(x), norm_axis(a, rank(x)), norm_axis(b, rank(x))))
fn concat(xs: list, axis: int = 0) = prim.concat(xs, axis = axis)
fn squeeze(x, axis = none) = prim.squeeze(x, axes = axes_of(axis))
fn unsqueeze(x, axis) = prim.unsqueeze(x, axes = axes_of(axis))
fn expand(x, shape: list) = prim.expand(x, shape = shape)
fn tile(x, repeats: list) = prim.tile(x, repeats = repeats)
fn pad(x, pads: list, mode: string = "constant", value: float = 0.0) = prim.pad(x, pads = pads, mode = mode, value = value)
fn gather(x, ids, axis: int = 0) = prim.gather(x, ids, axis = axis)
fn one_hot(ids, depth: int) = prim.one_hot(ids, depth = depth)

// ---- linear algebra
fn matmul(a, b) = prim.matmul(a, b)
fn linear(x, weight, bias = none) = prim.linear(x, weight, bias)

// ---- convolution, pooling, normalization
fn pair(v) = if is_list(v) then v else [v, v]
fn quad(v) = if is_list(v) then (if len(v) == 2 then [v[0], v[1], v[0], v[1]] else v) else [v, v, v, v]

fn conv2d(x, weight, bias = none, stride = 1, padding = 0, dilation = 1, groups: int = 1) =
    prim.conv2d(x, weight, bias, stride = pair(stride), padding = quad(padding), dilation = pair(dilation), groups = groups)

fn max_pool2d(x, kernel, stride = none, padding = 0, dilation = 1, ceil_mode: bool = false) =
    prim.max_pool2d(x, kernel = pair(kernel), stride = pair(if stride == none then kernel else stride),
                    padding = quad(padding), dilation = pair(dilation), ceil_mode = ceil_mode)

fn avg_pool2d(x, kernel, stride = none, padding = 0, ceil_mode: bool = false, count_include_pad: bool = false) =
    prim.avg_pool2d(x, kernel = pair(kernel), stride = pair(if stride == none then kernel else stride),
                    padding = quad(padding), ceil_mode = ceil_mode, count_include_pad = count_include_pad)

fn global_avg_pool(x, keepdims: bool = true) = prim.global_avg_pool(x, keepdims = keepdims)
fn global_max_pool(x, keepdims: bool = true) = prim.global_max_pool(x, keepdims = keepdims)

fn batch_norm(x, weight, bias, mean, var, eps: float = 1e-5) = prim.batch_norm(x, weight, bias, mean, var, eps = eps)
fn layer_norm(x, weight = none, bias = none, eps: float = 1e-5) = prim.layer_norm(x, weight, bias, axis = -1, eps = eps)
fn group_norm(x, groups: int, weight, bias, eps: float = 1e-5) = prim.group_norm(x, weight, bias, groups = groups, eps = eps)
fn dropout(x, p: float = 0.5) = prim.dropout(x, p = p)
fn embedding(table, ids) = prim.embedding(table, ids)

// softmax(q kᵀ / sqrt(d)) v, fused into one op
fn attention(q, k, v, mask = none, causal: bool = false) = prim.attention(q, k, v, mask, causal = causal)
