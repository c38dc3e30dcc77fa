// CIFAR ResNet-20 (He et al. 2016): 3x3 stem with 16 channels, three stages of three basic
// blocks (16/32/64 channels), global average pooling, a 10-way classifier.
import std.nn.{Conv2d, BatchNorm2d, Linear}
import std.ops.{relu, flatten, global_avg_pool}

// Two 3x3 convolutions with a residual connection; a 1x1 projection ("option B") when the
// shape changes.
fn BasicBlock(cin: int, cout: int, stride: int) {
    conv1 = Conv2d(cin, cout, 3, stride, 1, bias = false)
    bn1 = BatchNorm2d(cout)
    conv2 = Conv2d(cout, cout, 3, 1, 1, bias = false)
    bn2 = BatchNorm2d(cout)
    let project = stride != 1 or cin != cout
    if project {
        shortcut = Sequential(Conv2d(cin, cout, 1, stride, bias = false), BatchNorm2d(cout))
    }

    forward(x: f32[N, cin, H, W]) {
        let o = relu(bn1(conv1(x)))
        o = bn2(conv2(o))
        let s = if project then shortcut(x) else x
        return relu(o + s)
    }
}

// stage i has `blocks` blocks of width widths[i]; the first block of stages 2 and 3 halves the size
fn stage(cin: int, cout: int, first_stride: int, blocks: int) =
    [BasicBlock(if b == 0 then cin else cout, cout, if b == 0 then first_stride else 1) for b in 0..blocks]

model ResNet20 {
    conv1 = Conv2d(3, 16, 3, 1, 1, bias = false)
    bn1 = BatchNorm2d(16)
    layers = Sequential(stage(16, 16, 1, 3) + stage(16, 32, 2, 3) + stage(32, 64, 2, 3))
    fc = Linear(64, 10)

    forward(x: f32[B, 3, 32, 32]) -> f32[B, 10] {
        let h = relu(bn1(conv1(x)))
        return fc(flatten(global_avg_pool(layers(h))))
    }
}
