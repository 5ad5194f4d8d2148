#!/usr/bin/env python3
"""Regenerates fuzz/seeds/<target>/ from the repository's fixtures and fuzz/fixtures/relu.

Run from anywhere: python3 fuzz/seeds/make.py. The output is deterministic; the seed
directories are committed so a fresh checkout fuzzes from meaningful inputs.
"""

import glob
import json
import os
import shutil
import struct

FUZZ = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(FUZZ)
SEEDS = os.path.join(FUZZ, "seeds")
RELU = os.path.join(FUZZ, "fixtures", "relu")
HEADER_LEN = 49  # verifier::container: magic, kind, version, length, sha256


def read(path):
    with open(path, "rb") as f:
        return f.read()


def reset(target):
    d = os.path.join(SEEDS, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def join(head, tail):
    """zkinfer_fuzz::join_with_prefix: 4-byte LE length of head, head, tail."""
    return struct.pack("<I", len(head)) + head + tail


def onnx_import():
    d = reset("onnx_import")
    models = sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/*/network.onnx")))
    for m in models:
        if os.path.getsize(m) <= 3072:
            write(d, os.path.basename(os.path.dirname(m)) + ".onnx", read(m))


def input_json():
    d = reset("input_json")
    fx = os.path.join(ROOT, "tests/fixtures")
    for name in ["op_add", "op_relu", "iris_linear"]:
        write(d, name + "-input.json", read(os.path.join(fx, name, "input.json")))
        write(d, name + "-expected.json", read(os.path.join(fx, name, "expected.json")))
    add = json.loads(read(os.path.join(fx, "op_add", "input.json")))["inputs"]
    a, b = add["a"]["data"], add["b"]["data"]
    compact = lambda v: json.dumps(v, separators=(",", ":")).encode()
    write(d, "op_add-input_data.json", compact({"input_data": [a + a, b + b]}))
    write(d, "op_add-samples.json", compact({"samples": [{"inputs": add}, {"a": add["a"], "b": add["b"]}]}))
    write(d, "op_add-test_samples.json", compact({"test_samples": [{"inputs": add}]}))


def artifacts_json():
    d = reset("artifacts_json")
    for name in ["proof-blake2b.json", "proof-keccak.json", "settings.json"]:
        write(d, name, read(os.path.join(RELU, name)))


def verifier_key():
    d = reset("verifier_key")
    vk, params = read(os.path.join(RELU, "vk.bin")), read(os.path.join(RELU, "srs-verifier.bin"))
    # Mode 0: container payloads (the target re-wraps them); mode 1: the files as they are.
    write(d, "relu-structured", b"\x00" + join(vk[HEADER_LEN:], params[HEADER_LEN:]))
    write(d, "relu-raw", b"\x01" + join(vk, params))


def verify_proof():
    d = reset("verify_proof")
    for mode, name in [(0, "blake2b"), (1, "keccak")]:
        artifact = json.loads(read(os.path.join(RELU, "proof-%s.json" % name)))
        proof = bytes.fromhex(artifact["proof"])
        instances = b"".join(bytes.fromhex(x) for x in artifact["instances"])
        write(d, name, bytes([mode]) + proof)
        count = len(artifact["instances"])
        write(d, name + "-instances", bytes([mode | 2, count]) + instances + proof)


if __name__ == "__main__":
    onnx_import()
    input_json()
    artifacts_json()
    verifier_key()
    verify_proof()
