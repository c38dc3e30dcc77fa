// MLP 784-512-512-10 with ReLU, on flattened 28x28 images.
import std.nn.{Linear}
import std.ops.{relu}

model MLP {
    fc1 = Linear(784, 512)
    fc2 = Linear(512, 512)
    fc3 = Linear(512, 10)

    forward(x: f32[B, 784]) -> f32[B, 10] {
        let h = relu(fc1(x))
        let h2 = relu(fc2(h))
        return fc3(h2)
    }
}

train MLP {
    // small random shifts (±2 px) and rotations (±10°): the digits are few (7,200 for training)
    data = mnist("data/mnist", flatten = true, split = 0.9, augment = [random_crop(28, pad = 2), random_rotation(10)])
    loss = cross_entropy(logits, labels)
    optimizer = adam(lr = 2e-3)
    schedule = warmup(200) then cosine()
    epochs = 10; batch = 64
    seed = 1
}
