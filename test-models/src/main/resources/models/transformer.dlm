// A 2-layer post-LN Transformer encoder (d_model 256, 4 heads, feed-forward 1024) on input
// embeddings [B, 128, 256]; the head averages over the sequence and classifies into 10 classes.
import std.nn.{Linear, LayerNorm}
import std.ops.{relu, softmax, reshape, permute, mean, sqrt}

// Same math and parameter layout as nn.TransformerEncoderLayer(batch_first = true,
// norm_first = false, activation = relu) without dropout: qkv == in_proj, proj == out_proj.
fn EncoderLayer(d: int, heads: int, ff: int) {
    let dh = d / heads
    qkv = Linear(d, 3 * d)
    proj = Linear(d, d)
    norm1 = LayerNorm(d)
    ff1 = Linear(d, ff)
    ff2 = Linear(ff, d)
    norm2 = LayerNorm(d)

    forward(x: f32[N, S, d]) -> f32[N, S, d] {
        let t = permute(reshape(qkv(x), [N, S, 3, heads, dh]), [2, 0, 3, 1, 4])   // [3, N, heads, S, dh]
        let q = t[0]
        let k = t[1]
        let v = t[2]
        let att = softmax(q @ permute(k, [0, 1, 3, 2]) * (1.0 / sqrt(float(dh))), axis = -1)
        let o = reshape(permute(att @ v, [0, 2, 1, 3]), [N, S, d])
        let h = norm1(x + proj(o))
        return norm2(h + ff2(relu(ff1(h))))
    }
}

model Transformer {
    layers = [EncoderLayer(256, 4, 1024) for i in 0..2]
    head = Linear(256, 10)

    forward(x: f32[B, 128, 256]) -> f32[B, 10] {
        for layer in layers {
            x = layer(x)
        }
        return head(mean(x, axis = 1))
    }
}
