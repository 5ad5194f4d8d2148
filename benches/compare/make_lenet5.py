#!/usr/bin/env python3
"""Generate the `lenet5` fixture: a LeNet-5-sized CNN on a 28x28 input, random weights.

Written in the style of the conformance-fixture generator (shared fixtures/make_fixtures.py):
the graph is built by hand with onnx.helper (opset 17, IR version 8, static shapes, float32,
weights as initializers), weights are seeded He-uniform, the input is drawn uniformly from
[0, 1] and rounded to 4 decimals, and the expected output is onnxruntime's CPU float32 result
with graph optimisations disabled and one thread. The model is checked with
onnx.checker.check_model(full_check=True), strict shape inference, a second onnxruntime run
(bit-identical) and onnx's pure-numpy ReferenceEvaluator.

Architecture (PyTorch-style LeNet-5, ops limited to Conv, Relu, AveragePool, Flatten, Gemm):

    input [1,1,28,28]
    Conv(1->6, 5x5, pads 2) -> Relu -> AveragePool(2x2, s2)      28x28 -> 28x28 -> 14x14
    Conv(6->16, 5x5)        -> Relu -> AveragePool(2x2, s2)      14x14 -> 10x10 -> 5x5
    Flatten -> Gemm(400->120, transB=1) -> Relu
            -> Gemm(120->84, transB=1)  -> Relu
            -> Gemm(84->10, transB=1)                          output [1,10]

Needs onnx, onnxruntime and numpy (benches/compare/compare_ezkl.sh's venv has them):

    .cache/ezkl-venv/bin/python benches/compare/make_lenet5.py            # writes tests/fixtures/lenet5
    .cache/ezkl-venv/bin/python benches/compare/make_lenet5.py OUTDIR     # writes OUTDIR/lenet5
    .cache/ezkl-venv/bin/python benches/compare/make_lenet5.py --check    # regenerate to a temp dir, byte-compare
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import filecmp  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

NAME = "lenet5"
OPSET = 17
IR_VERSION = 8
PRODUCER = "zkinfer-fixtures"
FORMAT_VERSION = 1
INPUT_DECIMALS = 4
REF_RTOL = 1e-4
REF_ATOL = 1e-5
FILES = ("network.onnx", "input.json", "expected.json", "meta.json")

DESCRIPTION = (
    "LeNet-5-sized CNN with random (seeded He-uniform) weights on one 28x28 image: [1,1,28,28] -> "
    "Conv(1->6, 5x5, pads 2) -> Relu -> AveragePool(2x2, s2) -> Conv(6->16, 5x5, no pad) -> Relu -> "
    "AveragePool(2x2, s2) -> Flatten -> Gemm(400->120, transB=1) -> Relu -> Gemm(120->84, transB=1) -> "
    "Relu -> Gemm(84->10, transB=1) -> [1,10]. Shapes: 28x28 -> 28x28 -> 14x14 -> 10x10 -> 5x5. "
    "Conv attributes (strides, pads, dilations, group) are all explicit, as torch.onnx.export writes them. "
    "Input pixels uniform in [0,1]. Made by benches/compare/make_lenet5.py for the EZKL comparison."
)


def seed_for(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def uniform(rng, shape, lo, hi):
    x = rng.uniform(lo, hi, size=shape)
    return np.round(x, INPUT_DECIMALS).astype(np.float32)


def weights(rng, shape, fan_in, gain=1.0):
    """Uniform weights with variance gain^2 / fan_in (gain=sqrt(2) is He init for Relu)."""
    bound = gain * np.sqrt(3.0 / fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, list(inputs), list(outputs), **attrs)


def fixture():
    r = np.random.default_rng(seed_for(NAME))
    g = np.sqrt(2.0)
    inits = {
        "conv1.weight": weights(r, [6, 1, 5, 5], 25, g), "conv1.bias": weights(r, [6], 25),
        "conv2.weight": weights(r, [16, 6, 5, 5], 150, g), "conv2.bias": weights(r, [16], 150),
        "fc1.weight": weights(r, [120, 400], 400, g), "fc1.bias": weights(r, [120], 400),
        "fc2.weight": weights(r, [84, 120], 120, g), "fc2.bias": weights(r, [84], 120),
        "fc3.weight": weights(r, [10, 84], 84), "fc3.bias": weights(r, [10], 84),
    }
    nodes = [
        # Every Conv attribute is written out, defaults included, as torch.onnx.export does:
        # EZKL 23.0.5 rejects a Conv without an explicit `strides` ("a node is missing required
        # params: stride") although ONNX defaults it to 1.
        node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], dilations=[1, 1], group=1,
             kernel_shape=[5, 5], pads=[2, 2, 2, 2], strides=[1, 1]),
        node("Relu", ["c1"], ["r1"]),
        node("AveragePool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], dilations=[1, 1], group=1,
             kernel_shape=[5, 5], pads=[0, 0, 0, 0], strides=[1, 1]),
        node("Relu", ["c2"], ["r2"]),
        node("AveragePool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        node("Flatten", ["p2"], ["flat"], axis=1),
        node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["h1"], transB=1),
        node("Relu", ["h1"], ["a1"]),
        node("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["h2"], transB=1),
        node("Relu", ["h2"], ["a2"]),
        node("Gemm", ["a2", "fc3.weight", "fc3.bias"], ["output"], transB=1),
    ]
    x = uniform(r, [1, 1, 28, 28], 0.0, 1.0)
    return nodes, inits, x


def build_model(nodes, inits, x, out_shape):
    graph = helper.make_graph(
        nodes, NAME,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(out_shape))],
        initializer=[numpy_helper.from_array(np.array(v, order="C"), name=k) for k, v in inits.items()],
        doc_string=DESCRIPTION,
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name=PRODUCER,
        producer_version=str(FORMAT_VERSION), ir_version=IR_VERSION, doc_string=DESCRIPTION,
    )


def run_ort(model, x):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), sess_options=opts, providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, {"input": x})[0])


# JSON: shortest float32 round-trip decimals, flat data lists inline (as make_fixtures.py).
class F32List:
    def __init__(self, arr):
        self.values = np.asarray(arr, dtype=np.float32).ravel(order="C")


def fmt_f32(v):
    v = np.float32(v)
    if not np.isfinite(v):
        raise ValueError(f"non-finite value {v}")
    return str(v)


def tensor_json(arr):
    arr = np.asarray(arr)
    return {"shape": [int(d) for d in arr.shape], "data": F32List(arr)}


def to_json(obj, level=0):
    pad = "  " * level
    if isinstance(obj, F32List):
        return "[" + ", ".join(fmt_f32(v) for v in obj.values) + "]"
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad}  {json.dumps(str(k))}: {to_json(v, level + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple, F32List)) for v in obj):
            return "[" + ", ".join(to_json(v, level + 1) for v in obj) + "]"
        items = [f"{pad}  {to_json(v, level + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(obj, (bool, np.bool_)):
        return "true" if obj else "false"
    if isinstance(obj, (int, np.integer)):
        return str(int(obj))
    if isinstance(obj, np.floating):
        return fmt_f32(obj)
    if isinstance(obj, float):
        return repr(obj)
    if isinstance(obj, str) or obj is None:
        return json.dumps(obj)
    raise TypeError(f"cannot serialise {type(obj)}")


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(to_json(obj) + "\n")


def generate(outdir):
    nodes, inits, x = fixture()
    assert x.dtype == np.float32 and np.any(x != 0) and 0.0 <= x.min() and x.max() <= 1.0

    first = run_ort(build_model(nodes, inits, x, [1, 10]), x)
    model = build_model(nodes, inits, x, first.shape)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    dims = [d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
    assert dims == [1, 10], dims

    out = run_ort(model, x)
    assert out.dtype == np.float32 and np.array_equal(out, first), "onnxruntime is not deterministic"
    assert np.all(np.isfinite(out)) and np.ptp(out) > 0
    ref = np.asarray(ReferenceEvaluator(model).run(None, {"input": x})[0], dtype=np.float32)
    assert np.allclose(out, ref, rtol=REF_RTOL, atol=REF_ATOL), np.max(np.abs(out - ref))
    max_diff = float(np.max(np.abs(out.astype(np.float64) - ref)))

    d = os.path.join(outdir, NAME)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "network.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    write_json(os.path.join(d, "input.json"), {"inputs": {"input": tensor_json(x)}})
    write_json(os.path.join(d, "expected.json"), {"outputs": {"output": tensor_json(out)}})
    ops = []
    for n in model.graph.node:
        if n.op_type not in ops:
            ops.append(n.op_type)
    meta = {
        "name": NAME,
        "category": "chain",
        "opset": OPSET,
        "ops": ops,
        "description": DESCRIPTION,
        "input_range": [np.float32(0.0), np.float32(1.0)],
        "input_ranges": {"input": [np.float32(0.0), np.float32(1.0)]},
        "output_range": [np.float32(out.min()), np.float32(out.max())],
        "seed": seed_for(NAME),
        "params": int(sum(v.size for v in inits.values())),
        "ort_vs_onnx_reference_max_abs_diff": np.float32(max_diff),
        "generator": "benches/compare/make_lenet5.py",
    }
    write_json(os.path.join(d, "meta.json"), meta)
    print(f"wrote {d} (output range [{out.min():.4f}, {out.max():.4f}], |ort - reference| <= {max_diff:.2e})")


def main(argv=None):
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outdir", nargs="?", default=os.path.join(root, "tests", "fixtures"),
                   help="folder that receives lenet5/ (default: tests/fixtures)")
    p.add_argument("--check", action="store_true", help="regenerate to a temp dir and byte-compare")
    args = p.parse_args(argv)
    if not args.check:
        generate(args.outdir)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        bad = [f for f in FILES if not os.path.exists(os.path.join(args.outdir, NAME, f))
               or not filecmp.cmp(os.path.join(tmp, NAME, f), os.path.join(args.outdir, NAME, f), shallow=False)]
        if bad:
            print("differ from a fresh generation:", *bad)
            return 1
        print("lenet5 is identical to a fresh generation")
        return 0


if __name__ == "__main__":
    sys.exit(main())
