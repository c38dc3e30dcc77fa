// A small text classifier: token embeddings, a few self-attention blocks built with a list
// comprehension, a GRU cell over the mean embedding, and a linear head.
// Shows: layers written in .dlm, configurable blocks, symbolic dims (B, T), conditional members,
// and a train block.
import std.nn.{Embedding, MultiheadAttention, LayerNorm, Linear, GRUCell, Dropout}
import std.ops.{gelu, mean}

// pre-LN attention block; the feed-forward part is optional
fn Block(d: int, heads: int, ff: int = 0) {
    norm = LayerNorm(d)
    attn = MultiheadAttention(d, heads)
    if ff > 0 {
        up = Linear(d, ff)
        down = Linear(ff, d)
    }
    forward(x: f32[B, T, d]) -> f32[B, T, d] {
        let h = x + attn(norm(x))
        return if ff > 0 then h + down(gelu(up(h))) else h
    }
}

model TextClassifier(vocab: int = 10000, d: int = 64, classes: int = 4) {
    embed = Embedding(vocab, d)
    blocks = [Block(d, 4, ff = if i == 0 then 4 * d else 0) for i in 0..3]
    drop = Dropout(0.1)
    cell = GRUCell(d, d)
    head = Linear(d, classes)

    forward(ids: i64[B, T], state: f32[B, d]) -> logits: f32[B, classes] {
        let x = embed(ids)
        for block in blocks {
            x = block(x)
        }
        let h = cell(drop(mean(x, axis = 1)), state)
        return head(h)
    }
}

train TextClassifier {
    data = csv("data/news.csv")
    loss = cross_entropy(logits, labels, label_smoothing = 0.1)
    optimizer = adamw(lr = 3e-4, weight_decay = 0.01)
    schedule = warmup(500) then cosine()
    epochs = 5; batch = 32
    early_stop = patience(2, on = val.loss)
}
