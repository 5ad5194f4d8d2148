#!/usr/bin/env python3
"""EZKL on ONNX's own backend conformance models: the EZKL side of `tests/onnx_backend.rs`.

What it measures
----------------
For every model folder `onnx/backend/test/data/{pytorch-converted,pytorch-operator,simple}/<test>/`
of the PyPI `onnx` wheel (the same 134 models as `tests/onnx_backend.rs`: the 6 models whose
inputs are strings, `simple/test_strnorm_*`, are excluded), it runs EZKL's usual Python flow on
the model's own test input `test_data_set_0/input_N.pb`:

    gen_settings (default PyRunArgs: public inputs/outputs, fixed params)
    -> calibrate_settings(input, target=TARGET)   (default "accuracy", see below)
    -> compile_circuit -> gen_witness -> mock

and records the stage reached (the first one that fails, with the first line of its exception or
"returned False"), and, for models whose mock passes, the relative L2 error of EZKL's dequantized
outputs (`witness["pretty_elements"]["rescaled_outputs"]`) against `test_data_set_0/output_N.pb`
(worst over the outputs; absolute when the expected output is all zero), as in
`tests/onnx_backend.rs`. A model counts as

  * imported: gen_settings and compile_circuit both succeeded;
  * proved:   mock succeeded and every output is within rel-L2 1e-2 (zkinfer's FIXED_TOL).

If calibrate_settings fails, the model goes on with the uncalibrated settings that gen_settings
wrote (the failure is kept in the reason), so a calibration failure alone does not sink a model.

Calibration target: "accuracy" by default (it picks the largest scales that fit, so it gives EZKL
the best chance to land within 1e-2; "resources", EZKL's own default, trades accuracy for circuit
size). `--target resources` switches.

Each model runs in its own child process (`--one`), one at a time, with a per-model wall-clock
limit (`--timeout`, default 120 s) and an address-space cap (`--mem-gib`, default 12 GiB; without
it `test_operator_basic` grows to 24 GiB in mock and wakes the OOM killer). The child writes its progress to a JSON file after every
stage, so a timed-out model still reports the stage it was in.

The models are given to EZKL unchanged. `--fill-conv-defaults` instead gives EZKL a copy in which
every Conv spells out the ONNX defaults it omits (EZKL 23.0.5 rejects a Conv with no `strides`
attribute; see benches/README.md, "EZKL 23.x traps").

How to run
----------
It needs a venv with ezkl (23.x), numpy and onnx, for example:

    python3 -m venv /tmp/ezkl-venv && /tmp/ezkl-venv/bin/pip install ezkl numpy onnx
    /tmp/ezkl-venv/bin/python benches/compare/onnx_backend_ezkl.py \
        [--data DIR] [--timeout 120] [--target accuracy|resources] [--only SUBSTR ...] \
        [--zkinfer-report target/onnx-backend-report.txt] [--report target/ezkl-onnx-backend-report.txt]

`--data` defaults to the `onnx/backend/test/data` folder of the `onnx` package that the running
interpreter imports. Scratch files go to `target/ezkl-onnx-backend/<suite>/<test>/`. The report
(per-model table and totals) goes to `--report`; when `--zkinfer-report` (zkinfer's
`target/onnx-backend-report.txt`, written by `cargo test --test onnx_backend`) exists, a
side-by-side summary is appended: the models that one system proves and the other does not.
"""

import argparse
import asyncio
import inspect
import json
import math
import os
import subprocess
import sys
import time

SUITES = ["pytorch-converted", "pytorch-operator", "simple"]
FIXED_TOL = 1e-2
# zkinfer statuses (tests/onnx_backend.rs) that count as proved.
ZK_PROVED = {"proved", "mock-ok"}


def first_line(s):
    s = str(s).strip()
    return s.splitlines()[0] if s else ""


def call(fn, *args, **kwargs):
    """Call an ezkl function inside a running loop and await it if it returns an awaitable
    (some ezkl releases made calibrate_settings / gen_witness coroutines; 23.0.5 does not)."""

    async def runner():
        r = fn(*args, **kwargs)
        if inspect.isawaitable(r):
            r = await r
        return r

    return asyncio.run(runner())


def numbered(folder, prefix):
    out = []
    i = 0
    while os.path.exists(os.path.join(folder, f"{prefix}{i}.pb")):
        out.append(os.path.join(folder, f"{prefix}{i}.pb"))
        i += 1
    return out


def read_pb(path):
    import onnx
    from onnx import numpy_helper

    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t.name, t.data_type, numpy_helper.to_array(t)


def has_string_input(case_dir):
    import onnx

    for p in numbered(os.path.join(case_dir, "test_data_set_0"), "input_"):
        if read_pb(p)[1] == onnx.TensorProto.STRING:
            return True
    return False


def runtime_inputs(model):
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def fill_conv_defaults(model):
    """Spell out Conv's ONNX-default attributes (EZKL 23.0.5 needs `strides`)."""
    from onnx import helper, numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    added = []
    for n in model.graph.node:
        if n.op_type != "Conv":
            continue
        have = {a.name for a in n.attribute}
        w = inits.get(n.input[1]) if len(n.input) > 1 else None
        if "kernel_shape" in have:
            ks = list(next(a for a in n.attribute if a.name == "kernel_shape").ints)
        elif w is not None:
            ks = list(w.shape[2:])
        else:
            continue
        r = len(ks)
        for name, val in (("strides", [1] * r), ("dilations", [1] * r), ("kernel_shape", ks)):
            if name not in have:
                n.attribute.append(helper.make_attribute(name, val))
                added.append(f"{n.name or n.op_type}.{name}")
        if "pads" not in have and "auto_pad" not in have:
            n.attribute.append(helper.make_attribute("pads", [0] * (2 * r)))
            added.append(f"{n.name or n.op_type}.pads")
        if "group" not in have:
            n.attribute.append(helper.make_attribute("group", 1))
    return added


def rel_l2(got, want):
    import numpy as np

    got = np.asarray(got, dtype=np.float64).ravel()
    want = np.asarray(want, dtype=np.float64).ravel()
    diff = float(np.sqrt(np.sum((got - want) ** 2)))
    norm = float(np.sqrt(np.sum(want**2)))
    e = diff if norm == 0.0 else diff / norm
    return math.inf if math.isnan(e) else e


# ---------------------------------------------------------------- child: one model


def run_one(a):
    """Run the EZKL flow on one model folder; write progress to a.result after every stage."""
    import numpy as np
    import onnx

    import ezkl

    res = {"stage": "setup", "ok_stages": [], "reason": "", "ezkl_version": getattr(ezkl, "__version__", "?")}
    t_start = time.perf_counter()

    def save():
        res["time_s"] = time.perf_counter() - t_start
        with open(a.result + ".tmp", "w") as f:
            json.dump(res, f, indent=1)
        os.replace(a.result + ".tmp", a.result)

    os.makedirs(a.work, exist_ok=True)
    model_path = os.path.join(a.one, "model.onnx")
    data_dir = os.path.join(a.one, "test_data_set_0")
    settings = os.path.join(a.work, "settings.json")
    compiled = os.path.join(a.work, "network.compiled")
    witness = os.path.join(a.work, "witness.json")
    input_json = os.path.join(a.work, "input.json")

    # Inputs, in graph-input order (by name when every name matches, else by position).
    model = onnx.load(model_path)
    names = runtime_inputs(model)
    files = numbered(data_dir, "input_")
    read = [read_pb(p) for p in files]
    if len(read) == len(names) and all(n in names for n, _, _ in read):
        by = {n: arr for n, _, arr in read}
        arrays = [by[n] for n in names]
    else:
        arrays = [arr for _, _, arr in read]
    with open(input_json, "w") as f:
        json.dump({"input_data": [np.asarray(x, dtype=np.float64).ravel().tolist() for x in arrays]}, f)
    expected = [read_pb(p)[2] for p in numbered(data_dir, "output_")]

    if a.fill_conv_defaults:
        added = fill_conv_defaults(model)
        if added:
            model_path = os.path.join(a.work, "model.ezkl.onnx")
            onnx.save(model, model_path)
            res["conv_defaults_added"] = added

    def stage(name, fn, *args, **kwargs):
        res["stage"] = name
        save()
        try:
            r = call(fn, *args, **kwargs)
        except BaseException as e:  # pyo3 panics are BaseException
            res["reason"] = f"{type(e).__name__}: {first_line(e)}"
            return False, None
        if r is False:
            res["reason"] = "returned False"
            return False, None
        res["ok_stages"].append(name)
        return True, r

    ok, _ = stage("gen_settings", ezkl.gen_settings, model=model_path, output=settings,
                  py_run_args=ezkl.PyRunArgs())
    if not ok:
        return save()
    with open(settings) as f:
        uncalibrated = f.read()
    ok, _ = stage("calibrate", ezkl.calibrate_settings, data=input_json, model=model_path,
                  settings=settings, target=a.target)
    if not ok:
        res["calibrate_failed"] = res["reason"]
        res["reason"] = ""
        with open(settings, "w") as f:
            f.write(uncalibrated)
    try:
        with open(settings) as f:
            s = json.load(f)
        ra = s.get("run_args", {})
        res["settings"] = {k: ra.get(k) for k in ("input_scale", "param_scale", "logrows", "lookup_range",
                                                  "decomp_base", "decomp_legs")}
        res["settings"]["num_rows"] = s.get("num_rows")
    except Exception:
        pass
    ok, _ = stage("compile", ezkl.compile_circuit, model=model_path, compiled_circuit=compiled,
                  settings_path=settings)
    if not ok:
        return save()
    ok, w = stage("witness", ezkl.gen_witness, data=input_json, model=compiled, output=witness)
    if not ok:
        return save()
    ok, _ = stage("mock", ezkl.mock, witness=witness, model=compiled)
    if not ok:
        return save()

    res["stage"] = "outputs"
    try:
        with open(witness) as f:
            wj = json.load(f)
        got = wj["pretty_elements"]["rescaled_outputs"]
        if len(got) != len(expected):
            res["reason"] = f"the witness has {len(got)} outputs, the test data {len(expected)}"
            return save()
        worst = 0.0
        for i, (g, e) in enumerate(zip(got, expected)):
            g = [float(x) for x in g]
            if len(g) != e.size:
                res["reason"] = f"output {i} has {len(g)} elements, expected {e.size} {list(e.shape)}"
                return save()
            worst = max(worst, rel_l2(g, e))
        res["rel_l2"] = worst
        if worst <= FIXED_TOL:
            res["stage"] = "proved"
            res["ok_stages"].append("outputs")
        else:
            res["reason"] = f"mock ok but outputs off: rel-L2 {worst:.3g} > {FIXED_TOL:g}"
    except Exception as e:
        res["reason"] = f"reading outputs: {type(e).__name__}: {first_line(e)}"
    return save()


# ---------------------------------------------------------------- parent: all models


def limit_memory(gib):
    """A preexec_fn that caps the child's address space, so that one model that wants more
    memory than the machine has fails on its own instead of waking the OOM killer."""
    if not gib:
        return None

    def f():
        import resource

        n = int(gib * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (n, n))

    return f


def read_zkinfer_report(path):
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].split("/")[0] in SUITES:
                status = parts[1]
                reason = ""
                if status not in ("excluded",):
                    # columns: model status elements k time reason...
                    reason = " ".join(parts[5:]) if len(parts) > 5 else ""
                out[parts[0]] = (status, reason)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="onnx/backend/test/data (default: from the imported onnx package)")
    ap.add_argument("--timeout", type=float, default=120.0, help="per-model wall-clock limit, s")
    ap.add_argument("--target", default="accuracy", choices=["accuracy", "resources"])
    ap.add_argument("--only", nargs="*", help="run only models whose suite/name contains one of these")
    ap.add_argument("--fill-conv-defaults", action="store_true")
    ap.add_argument("--mem-gib", type=float, default=12.0,
                    help="address-space cap of each child (RLIMIT_AS), GiB; 0 = none")
    ap.add_argument("--work", default="target/ezkl-onnx-backend")
    ap.add_argument("--report", default="target/ezkl-onnx-backend-report.txt")
    ap.add_argument("--zkinfer-report", default="target/onnx-backend-report.txt")
    # child mode
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.one:
        run_one(a)
        return

    import onnx

    data = a.data or os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    try:
        import ezkl

        version = getattr(ezkl, "__version__", "?")
    except Exception as e:
        sys.exit(f"cannot import ezkl ({e}): run this with the ezkl venv's python")

    cases = []
    for suite in SUITES:
        sd = os.path.join(data, suite)
        for name in sorted(os.listdir(sd)):
            d = os.path.join(sd, name)
            if os.path.exists(os.path.join(d, "model.onnx")):
                cases.append((f"{suite}/{name}", d))
    excluded = [c for c, d in cases if has_string_input(d)]
    cases = [(c, d) for c, d in cases if c not in excluded]
    total = len(cases)
    if a.only:
        cases = [(c, d) for c, d in cases if any(s in c for s in a.only)]

    rows = []
    t_all = time.perf_counter()
    for i, (case, d) in enumerate(cases):
        work = os.path.join(a.work, case)
        os.makedirs(work, exist_ok=True)
        result = os.path.join(work, "result.json")
        if os.path.exists(result):
            os.remove(result)
        cmd = [sys.executable, os.path.abspath(__file__), "--one", d, "--work", work, "--result", result,
               "--target", a.target] + (["--fill-conv-defaults"] if a.fill_conv_defaults else [])
        t0 = time.perf_counter()
        timed_out = False
        with open(os.path.join(work, "log.txt"), "w") as log:
            p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                 preexec_fn=limit_memory(a.mem_gib))
            try:
                rc = p.wait(timeout=a.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(p.pid, 9)
                rc = p.wait()
        wall = time.perf_counter() - t0
        try:
            with open(result) as f:
                r = json.load(f)
        except Exception:
            r = {"stage": "setup", "ok_stages": [], "reason": ""}
        if timed_out:
            r["reason"] = f"timeout ({a.timeout:g} s) in {r['stage']}"
        elif r["stage"] not in ("proved", "outputs") and not r.get("reason"):
            # the child died (panic/abort/segfault) inside a stage
            with open(os.path.join(work, "log.txt"), errors="replace") as f:
                tail = [l for l in f.read().splitlines() if l.strip()]
            mem = [l for l in tail if "memory allocation" in l or "MemoryError" in l or "Cannot allocate" in l]
            last = (mem or tail or [""])[-1][:200]
            r["reason"] = f"child exited {rc} in {r['stage']}" + (f": {last}" if last else "")
        if r.get("calibrate_failed"):
            r["reason"] = (r["reason"] + "; " if r["reason"] else "") + \
                f"calibrate failed, default settings used: {r['calibrate_failed']}"
        r["wall_s"] = wall
        r["case"] = case
        r["imported"] = "gen_settings" in r["ok_stages"] and "compile" in r["ok_stages"]
        r["proved"] = r["stage"] == "proved"
        rows.append(r)
        print(f"[{i + 1}/{len(cases)}] {case}: {r['stage']} {wall:.1f}s {r.get('reason', '')[:120]}",
              file=sys.stderr, flush=True)
    t_total = time.perf_counter() - t_all

    imported = sum(r["imported"] for r in rows)
    proved = sum(r["proved"] for r in rows)
    lines = [
        f"EZKL {version} on the ONNX backend conformance models ({data}), calibrate target "
        f"\"{a.target}\", fixed tol {FIXED_TOL:g}, per-model timeout {a.timeout:g} s"
        + (", Conv defaults filled in" if a.fill_conv_defaults else ", models unchanged"),
        "stage = the first stage that failed (gen_settings, calibrate, compile, witness, mock, outputs), "
        "or proved",
        f"{'model':<58} {'stage':<13} {'logrows':>7} {'rel-L2':>9} {'time':>7}  reason",
    ]
    for r in rows:
        st = r.get("settings") or {}
        rl = f"{r['rel_l2']:.2e}" if "rel_l2" in r else "-"
        stage = "timeout" if r.get("reason", "").startswith("timeout") else r["stage"]
        lines.append(f"{r['case']:<58} {stage:<13} {str(st.get('logrows', '-')):>7} {rl:>9} "
                     f"{r['wall_s']:>6.1f}s  {r.get('reason', '')[:160]}")
    for c in excluded:
        lines.append(f"{c:<58} excluded (string inputs)")
    by = {}
    for r in rows:
        k = "timeout" if r.get("reason", "").startswith("timeout") else r["stage"]
        by[k] = by.get(k, 0) + 1
    lines.append("by stage: " + ", ".join(f"{k} {v}" for k, v in sorted(by.items())) +
                 f"; {len(excluded)} excluded (string inputs)")
    lines.append(f"total run time {t_total:.0f} s ({len(rows)} models)")
    subset = "" if len(rows) == total else f" (subset: {len(rows)} of {total} run)"
    lines.append(f"EZKL: {imported} imported (gen_settings+compile ok), {proved} proved "
                 f"(mock ok and outputs within {FIXED_TOL:g}) / {total}{subset}")

    zk = read_zkinfer_report(a.zkinfer_report)
    if zk:
        lines.append("")
        lines.append(f"side by side with zkinfer ({a.zkinfer_report}):")
        zk_proved = {c for c, (s, _) in zk.items() if s in ZK_PROVED}
        ez = {r["case"]: r for r in rows}
        ran = set(ez)
        zk_imp = sum(1 for c, (s, _) in zk.items() if c in ran and s not in ("import-error", "excluded"))
        lines.append(f"  on the {len(ran)} models run: zkinfer {zk_imp} imported, "
                     f"{len(zk_proved & ran)} proved; EZKL {imported} imported, {proved} proved; "
                     f"both prove {len({c for c in ran if ez[c]['proved']} & zk_proved)}")
        only_zk = sorted(c for c in ran if c in zk_proved and not ez[c]["proved"])
        only_ez = sorted(c for c in ran if ez[c]["proved"] and c not in zk_proved)
        lines.append(f"  zkinfer proves, EZKL does not ({len(only_zk)}):")
        for c in only_zk:
            r = ez[c]
            lines.append(f"    {c:<56} EZKL {r['stage']}: {r.get('reason', '')[:140]}")
        lines.append(f"  EZKL proves, zkinfer does not ({len(only_ez)}):")
        for c in only_ez:
            s, why = zk.get(c, ("?", ""))
            lines.append(f"    {c:<56} zkinfer {s}: {why[:140]}")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(a.report) or ".", exist_ok=True)
    with open(a.report, "w") as f:
        f.write(text)
    with open(os.path.splitext(a.report)[0] + ".json", "w") as f:
        json.dump({"ezkl_version": version, "target": a.target, "timeout_s": a.timeout, "total": total,
                   "imported": imported, "proved": proved, "run_s": t_total, "rows": rows}, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
