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
    data = mnist("data/mnist", flatten = true, split = 0.9)
    loss = cross_entropy(logits, labels)
    optimizer = adam(lr = 1e-3)
    epochs = 10; batch = 64
    seed = 1
}
