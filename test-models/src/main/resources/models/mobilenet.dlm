// MobileNet-v1-style network for 3x32x32 images: 3x3 stem with 32 channels, eight
// depthwise-separable blocks up to 512 channels at 4x4, global average pooling, a 10-way classifier.
import std.nn.{Conv2d, BatchNorm2d, ReLU6, Linear}
import std.ops.{flatten, global_avg_pool}

// depthwise 3x3 + BN + ReLU6, then pointwise 1x1 + BN + ReLU6
fn dw_separable(cin: int, cout: int, stride: int) = Sequential(
    Conv2d(cin, cin, 3, stride, 1, groups = cin, bias = false), BatchNorm2d(cin), ReLU6(),
    Conv2d(cin, cout, 1, bias = false), BatchNorm2d(cout), ReLU6())

model MobileNet {
    // [in, out, stride] of each block
    let cfg = [[32, 64, 1], [64, 128, 2], [128, 128, 1], [128, 256, 2], [256, 256, 1],
               [256, 512, 2], [512, 512, 1], [512, 512, 1]]
    stem = Sequential(Conv2d(3, 32, 3, 1, 1, bias = false), BatchNorm2d(32), ReLU6())
    blocks = Sequential([dw_separable(c[0], c[1], c[2]) for c in cfg])
    fc = Linear(512, 10)

    forward(x: f32[B, 3, 32, 32]) -> f32[B, 10] {
        return fc(flatten(global_avg_pool(blocks(stem(x)))))
    }
}
