#!/usr/bin/env python3
"""Regenerates DLM's copy of ONNX's backend node tests (onnx/src/test/resources/onnx-node).

The Debian python3-onnx package (onnx 1.12) ships the test generators but not their data, so this
script runs ONNX's own generator (onnx.backend.test.cmd_tools generate-data) and keeps the tests
DLM can express:

  * every graph input and output is a tensor (no sequence, map, optional, sparse);
  * every input/output dtype is one DLM has: float, double, float16, bfloat16, int8, uint8,
    int32, int64, bool (string, int16, uint16, uint32, uint64, complex are left out);
  * only the default ONNX domain (the ai.onnx.preview.training optimizers are left out);
  * the test has a test_data_set_0 and is at most 400 KB (two 3-D pooling tests exceed that).

Usage: /usr/bin/python3 generate_node_tests.py OUT_DIR   (OUT_DIR is replaced)
"""
import os, shutil, sys, tempfile

import numpy as np

# onnx 1.12's generators use aliases numpy 1.24 removed
for alias, typ in [("float", float), ("int", int), ("bool", bool), ("object", object), ("complex", complex), ("str", str)]:
    setattr(np, alias, typ)

import onnx
from onnx import TensorProto as T
from onnx.backend.test import cmd_tools

KEEP_DTYPES = {T.FLOAT, T.DOUBLE, T.FLOAT16, T.BFLOAT16, T.INT8, T.UINT8, T.INT32, T.INT64, T.BOOL}
MAX_BYTES = 400_000


def size_of(d):
    return sum(os.path.getsize(os.path.join(p, f)) for p, _, fs in os.walk(d) for f in fs)


def reason_to_drop(d):
    m = onnx.load(os.path.join(d, "model.onnx"))
    for n in m.graph.node:
        if n.domain not in ("", "ai.onnx"):
            return "domain " + n.domain
    for vi in list(m.graph.input) + list(m.graph.output):
        if not vi.type.HasField("tensor_type"):
            return "non-tensor value"
        if vi.type.tensor_type.elem_type not in KEEP_DTYPES:
            return "dtype " + T.DataType.Name(vi.type.tensor_type.elem_type)
    if not os.path.isdir(os.path.join(d, "test_data_set_0")):
        return "no data"
    if size_of(d) > MAX_BYTES:
        return "larger than %d bytes" % MAX_BYTES
    return None


def main():
    out = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        sys.argv = ["cmd_tools", "generate-data", "-o", tmp]
        cmd_tools.main()
        src = os.path.join(tmp, "node")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        kept, dropped = [], {}
        for name in sorted(os.listdir(src)):
            r = reason_to_drop(os.path.join(src, name))
            if r:
                dropped.setdefault(r, []).append(name)
                continue
            shutil.copytree(os.path.join(src, name), os.path.join(out, name), ignore=shutil.ignore_patterns("test_data_set_[1-9]*"))
            kept.append(name)
        with open(os.path.join(out, "tests.txt"), "w") as f:
            f.write("# ONNX %s backend node tests kept by generate_node_tests.py (one per line)\n" % onnx.__version__)
            for k in kept:
                f.write(k + "\n")
        print("kept %d tests" % len(kept))
        for r, names in sorted(dropped.items()):
            print("dropped %d (%s): %s" % (len(names), r, " ".join(names)))


if __name__ == "__main__":
    main()
