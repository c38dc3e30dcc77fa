// std.nn — layers, written in .dlm. Parameter names and initializers follow PyTorch's torch.nn,
// so a PyTorch state_dict loads by name (conv1.weight, bn1.running_mean, ...).

import std.ops.*

// y = x Wᵀ + b
fn Linear(in: int, out: int, bias: bool = true) {
    param weight: f32[out, in] = kaiming_uniform(fan_in = in, a = sqrt(5.0))
    if bias {
        param bias: f32[out] = uniform(-1.0 / sqrt(in), 1.0 / sqrt(in))
    } else {
        let bias = none
    }
    forward(x: f32[..., in]) -> f32[..., out] {
        return linear(x, weight, bias)
    }
}

// 2-D convolution over NCHW input; kernel, stride, padding and dilation are ints or [h, w] pairs.
fn Conv2d(in: int, out: int, kernel, stride = 1, padding = 0, dilation = 1, groups: int = 1, bias: bool = true) {
    assert in % groups == 0 and out % groups == 0,
        "Conv2d: in (" + in + ") and out (" + out + ") must be divisible by groups (" + groups + ")"
    let k = pair(kernel)
    let fan_in = in / groups * k[0] * k[1]
    param weight: f32[out, in / groups, k[0], k[1]] = kaiming_uniform(fan_in = fan_in, a = sqrt(5.0))
    if bias {
        param bias: f32[out] = uniform(-1.0 / sqrt(fan_in), 1.0 / sqrt(fan_in))
    } else {
        let bias = none
    }
    forward(x: f32[N, in, H, W]) {
        return conv2d(x, weight, bias, stride = stride, padding = padding, dilation = dilation, groups = groups)
    }
}

// Batch normalization with running statistics (used in inference; training updates them).
fn BatchNorm2d(features: int, eps: float = 1e-5, momentum: float = 0.1) {
    param weight: f32[features] = ones()
    param bias: f32[features] = zeros()
    buffer running_mean: f32[features] = zeros()
    buffer running_var: f32[features] = ones()
    forward(x: f32[N, features, H, W]) -> f32[N, features, H, W] {
        return batch_norm(x, weight, bias, running_mean, running_var, eps = eps)
    }
}

// Normalizes over the last dimension.
fn LayerNorm(features: int, eps: float = 1e-5) {
    param weight: f32[features] = ones()
    param bias: f32[features] = zeros()
    forward(x: f32[..., features]) -> f32[..., features] {
        return layer_norm(x, weight, bias, eps = eps)
    }
}

fn GroupNorm(groups: int, channels: int, eps: float = 1e-5) {
    assert channels % groups == 0, "GroupNorm: channels (" + channels + ") must be divisible by groups (" + groups + ")"
    param weight: f32[channels] = ones()
    param bias: f32[channels] = zeros()
    forward(x: f32[N, channels, ...]) {
        return group_norm(x, groups, weight, bias, eps = eps)
    }
}

fn Embedding(count: int, features: int) {
    param weight: f32[count, features] = normal(mean = 0.0, std = 1.0)
    forward(ids: i64[...]) {
        return embedding(weight, ids)
    }
}

fn Dropout(p: float = 0.5) {
    forward(x) { return dropout(x, p) }
}

// ---- parameter-free layers, for Sequential
fn Identity() { forward(x) { return x } }
fn ReLU() { forward(x) { return relu(x) } }
fn ReLU6() { forward(x) { return relu6(x) } }
fn GELU(approximate: string = "none") { forward(x) { return gelu(x, approximate) } }
fn SiLU() { forward(x) { return silu(x) } }
fn Sigmoid() { forward(x) { return sigmoid(x) } }
fn Tanh() { forward(x) { return tanh(x) } }
fn Softmax(axis: int = -1) { forward(x) { return softmax(x, axis) } }
fn Flatten(axis: int = 1) { forward(x) { return flatten(x, axis) } }
fn MaxPool2d(kernel, stride = none, padding = 0) { forward(x) { return max_pool2d(x, kernel, stride, padding) } }
fn AvgPool2d(kernel, stride = none, padding = 0) { forward(x) { return avg_pool2d(x, kernel, stride, padding) } }
fn GlobalAvgPool() { forward(x) { return global_avg_pool(x) } }

// ---- attention

// Multi-head self-attention with PyTorch nn.MultiheadAttention's parameter layout
// (in_proj_weight holds the q, k and v projections stacked; out_proj is a Linear).
fn MultiheadAttention(d: int, heads: int) {
    assert d % heads == 0, "MultiheadAttention: d (" + d + ") must be divisible by heads (" + heads + ")"
    let dh = d / heads
    param in_proj_weight: f32[3 * d, d] = xavier_uniform(fan_in = d, fan_out = 3 * d)
    param in_proj_bias: f32[3 * d] = zeros()
    out_proj = Linear(d, d)
    forward(x: f32[N, S, d], mask = none, causal: bool = false) -> f32[N, S, d] {
        // [N, S, 3d] -> [3, N, heads, S, dh]
        let t = permute(reshape(linear(x, in_proj_weight, in_proj_bias), [N, S, 3, heads, dh]), [2, 0, 3, 1, 4])
        let o = attention(t[0], t[1], t[2], mask, causal)
        return out_proj(reshape(permute(o, [0, 2, 1, 3]), [N, S, d]))
    }
}

// ---- recurrent cells (gates in PyTorch's order: LSTM i, f, g, o; GRU r, z, n)

fn LSTMCell(in: int, hidden: int) {
    let bound = 1.0 / sqrt(hidden)
    param weight_ih: f32[4 * hidden, in] = uniform(-bound, bound)
    param weight_hh: f32[4 * hidden, hidden] = uniform(-bound, bound)
    param bias_ih: f32[4 * hidden] = uniform(-bound, bound)
    param bias_hh: f32[4 * hidden] = uniform(-bound, bound)
    // returns [h', c']
    forward(x: f32[N, in], h: f32[N, hidden], c: f32[N, hidden]) {
        let gates = linear(x, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh)
        let i = sigmoid(gates[:, 0:hidden])
        let f = sigmoid(gates[:, hidden:2 * hidden])
        let g = tanh(gates[:, 2 * hidden:3 * hidden])
        let o = sigmoid(gates[:, 3 * hidden:4 * hidden])
        let c2 = f * c + i * g
        return [o * tanh(c2), c2]
    }
}

fn GRUCell(in: int, hidden: int) {
    let bound = 1.0 / sqrt(hidden)
    param weight_ih: f32[3 * hidden, in] = uniform(-bound, bound)
    param weight_hh: f32[3 * hidden, hidden] = uniform(-bound, bound)
    param bias_ih: f32[3 * hidden] = uniform(-bound, bound)
    param bias_hh: f32[3 * hidden] = uniform(-bound, bound)
    forward(x: f32[N, in], h: f32[N, hidden]) -> f32[N, hidden] {
        let gi = linear(x, weight_ih, bias_ih)
        let gh = linear(h, weight_hh, bias_hh)
        let r = sigmoid(gi[:, 0:hidden] + gh[:, 0:hidden])
        let z = sigmoid(gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
        let n = tanh(gi[:, 2 * hidden:3 * hidden] + r * gh[:, 2 * hidden:3 * hidden])
        return (1.0 - z) * n + z * h
    }
}
