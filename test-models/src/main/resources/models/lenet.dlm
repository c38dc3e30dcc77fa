// LeNet-5 style network for 1x28x28 images:
// conv5x5(6, pad 2)-relu-maxpool2-conv5x5(16)-relu-maxpool2-fc120-fc84-fc10.
import std.nn.{Conv2d, Linear}
import std.ops.{relu, max_pool2d, flatten}

model LeNet {
    conv1 = Conv2d(1, 6, kernel = 5, padding = 2)   // 28x28 -> 28x28
    conv2 = Conv2d(6, 16, kernel = 5)               // 14x14 -> 10x10
    fc1 = Linear(16 * 5 * 5, 120)
    fc2 = Linear(120, 84)
    fc3 = Linear(84, 10)

    forward(x: f32[B, 1, 28, 28]) -> f32[B, 10] {
        let h = max_pool2d(relu(conv1(x)), 2)
        let h2 = max_pool2d(relu(conv2(h)), 2)
        return fc3(relu(fc2(relu(fc1(flatten(h2))))))
    }
}

train LeNet {
    // small random shifts (±2 px) and rotations (±10°): the digits are few (7,200 for training)
    data = mnist("data/mnist", split = 0.9, augment = [random_crop(28, pad = 2), random_rotation(10)])
    loss = cross_entropy(logits, labels)
    optimizer = adam(lr = 2e-3)
    schedule = warmup(200) then cosine()
    epochs = 10; batch = 32   // more, noisier steps generalize better on 7,200 digits than 64
    seed = 2
}
