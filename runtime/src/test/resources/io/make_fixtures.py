#!/usr/bin/python3
"""Writes the numpy-made fixtures the runtime io tests read (run once; tests never run python).

  cd runtime/src/test/resources/io && /usr/bin/python3 make_fixtures.py

Every array holds values(kind) reshaped: the tests compute the same values in Java.
Safetensors fixtures are written by hand with json + struct, byte for byte as the format's spec
(and the reference `safetensors` package) lays them out: u64 header size, JSON padded with
spaces to a multiple of 8, little-endian data.
"""
import gzip
import json
import struct

import numpy as np


def values(dtype, n):
    i = np.arange(n)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (i * 1.5 - 2.25).astype(dt)          # exact in f16
    if dt.kind == "b":
        return (i % 3 == 0).astype(dt)
    if dt.kind == "u":
        return (i * 37 % 251).astype(dt)
    return (i * 37 % 251 - 100).astype(dt)


for code in ["<f2", "<f4", "<f8", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "|b1"]:
    name = code[1:] + ".npy"
    np.save(name, values(code, 6).reshape(2, 3))
for code in [">f4", ">i8", ">f8", ">i2"]:
    np.save("be_" + code[1:] + ".npy", values(code, 6).reshape(2, 3))
np.save("fortran_f4.npy", np.asfortranarray(values("<f4", 24).reshape(2, 3, 4)))
np.save("scalar_f8.npy", np.float64(3.25))
np.save("empty_f4.npy", np.zeros((0, 3), np.float32))
for v in [(2, 0), (3, 0)]:
    with open(f"v{v[0]}_f4.npy", "wb") as f:
        np.lib.format.write_array(f, values("<f4", 6).reshape(2, 3), version=v)
np.save("object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
np.save("complex.npy", np.ones(3, np.complex64))
# bf16 bit patterns of 1.0, -2.5, 3.140625 (upper halves of the f32 bits)
np.save("bf16_as_u2.npy", (np.array([1.0, -2.5, 3.140625], np.float32).view(np.uint32) >> 16).astype("<u2"))

np.savez("stored.npz", a=values("<f4", 6).reshape(2, 3), b=values("<i8", 4), c=values("|u1", 5))
np.savez_compressed("deflated.npz", a=values("<f4", 6).reshape(2, 3), b=values("<i8", 4), c=values("|u1", 5))


def safetensors(path, tensors, metadata=None):
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dt, arr) in tensors.items():
        b = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


bf16 = (np.array([1.0, -2.5, 3.140625, 0.0], np.float32).view(np.uint32) >> 16).astype("<u2")
safetensors("mixed.safetensors", {
    "w.f32": ("F32", values("<f4", 6).reshape(2, 3)),
    "w.f16": ("F16", values("<f2", 4)),
    "w.bf16": ("BF16", bf16.reshape(2, 2)),
    "w.i64": ("I64", values("<i8", 3)),
    "w.u8": ("U8", values("|u1", 3)),
    "w.bool": ("BOOL", values("|b1", 4)),
    "w.i16": ("I16", values("<i2", 2)),
}, {"model": "Test", "format": "pt"})


def idx(path, arr, code):
    b = struct.pack(">BBBB", 0, 0, code, arr.ndim) + b"".join(struct.pack(">I", s) for s in arr.shape)
    b += arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    if path.endswith(".gz"):
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(b)
    else:
        open(path, "wb").write(b)


idx("images-idx3-ubyte", values("|u1", 2 * 4 * 5).reshape(2, 4, 5), 0x08)
idx("images-idx3-ubyte.gz", values("|u1", 2 * 4 * 5).reshape(2, 4, 5), 0x08)
idx("f32-idx2.gz", values(">f4", 6).reshape(2, 3), 0x0D)
idx("i16-idx1", values(">i2", 5), 0x0B)

with open("iris-mini.csv", "w") as f:
    f.write('sepal_length,sepal_width,"species",petal_length\n5.1,3.5,setosa,1.4\n7.0,3.2,versicolor,4.7\n'
            '6.3,3.3,virginica,6.0\n4.9,3.0,setosa,1.4\n')
