#!/usr/bin/python3
"""Train the reference LeNet on the shipped MNIST digits with PyTorch and write its weights.

  OMP_NUM_THREADS=1 /usr/bin/python3 test-models/scripts/train_lenet_torch.py [--epochs 5] [--out FILE]

Writes test-models/src/main/resources/weights/lenet.safetensors: the float32 state_dict under
PyTorch's names (conv1.weight [6,1,5,5], conv1.bias, conv2.*, fc1.weight [120,400], fc1.bias,
fc2.*, fc3.*), metadata model=LeNet and the test accuracy reached. These are the deterministic
weights `dlmc run lenet` uses when no --params is given; they let the demo show real accuracy
before DLM trains anything itself. Not part of the build (needs torch 1.13 + numpy).

Architecture, data and training follow the benchmark peers (export_models.py / torch_mnist.py):
conv5x5(6, pad 2)-relu-maxpool2-conv5x5(16)-relu-maxpool2-fc120-relu-fc84-relu-fc10 on pixels/255,
torch.manual_seed(2) init, Adam(lr 1e-3), batch 64, CrossEntropyLoss, shuffle seeded 0.
"""
import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "src", "main", "resources", "data", "mnist")


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        shape = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


def load(prefix):
    x = read_idx(os.path.join(DATA, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(DATA, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def write_safetensors(path, tensors, metadata):
    header, blobs, at = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        b = np.ascontiguousarray(t.detach().numpy().astype("<f4")).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "src", "main", "resources", "weights", "lenet.safetensors"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    (xtr, ytr), (xte, yte) = load("train"), load("t10k")
    torch.manual_seed(2)
    model = LeNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}: test accuracy {acc:.4f}", flush=True)
    write_safetensors(args.out, model.state_dict(),
                      {"model": "LeNet", "format": "pt", "trained_by": "test-models/scripts/train_lenet_torch.py",
                       "epochs": str(args.epochs), "test_accuracy": f"{acc:.4f}"})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
