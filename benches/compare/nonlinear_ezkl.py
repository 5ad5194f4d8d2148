#!/usr/bin/env python3
"""EZKL vs zkinfer on the non-linear models: logreg30, attention_tiny, encoder_block.

    python benches/compare/nonlinear_ezkl.py [MODEL_DIR...] [--reps N] [--skip-zkinfer] [--skip-ezkl]

Without MODEL_DIR it runs tests/fixtures/{logreg30,attention_tiny,encoder_block}. It is run by
hand, not in CI (EZKL needs minutes per model). It re-executes itself under a Python that has
ezkl when the one it was started with has not ($EZKL_VENV, .cache/ezkl-venv or /tmp/ezkl-venv;
make one with `benches/compare/compare_ezkl.sh --help` or
`python3 -m venv /tmp/ezkl-venv && /tmp/ezkl-venv/bin/pip install ezkl==23.0.5 onnx numpy`).

Per model it uses compare.py's two systems unchanged (same steps, same child processes, same
per-step peak RSS from os.wait4, same rel-L2 against expected.json, which holds onnxruntime's
outputs):

  * EZKL 23.x: gen_settings (public inputs and outputs, fixed params, EZKL's defaults) +
    calibrate_settings(target="resources") on input.json + compile_circuit, a local gen_srs
    (untimed, cached in .cache/ezkl-srs), then N repetitions of setup, gen_witness + prove,
    verify;
  * zkinfer: `zkinfer compile MODEL --calibration input.json [--target-rel-l2 T] -o DIR`,
    untimed warm-up `setup`, then N repetitions of `setup`, `prove --input input.json`, `verify`.
    Equal error as in compare.py: T = min(0.001, 0.9 x EZKL's rel-L2) (`--no-match-error`: the
    default target).

Before zkinfer compiles a model, `zkinfer inspect MODEL` must exit 0 (every node supported). A
model it does not support yet is reported as "zkinfer: not supported yet" with the nodes that
inspect lists, and only EZKL runs on it; a missing binary is reported the same way. Any other
zkinfer failure (compile, setup, prove, verify) is caught and shown in the table with the last
lines of its log, and the EZKL numbers are still printed.

Printed (markdown, stdout): k, proving-key size, setup / prove / verify seconds, prove CPU
seconds, peak RSS (the largest per-step peak), proof bytes, whether every repetition verified,
rel-L2 against onnxruntime, and the zkinfer/EZKL ratio row. All raw numbers (per-step RSS,
EZKL's calibrated settings, zkinfer's calibration, errors) go to
.cache/nonlinear-ezkl-results.json; scratch files to .cache/compare-nonlinear/<model>/.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_MODELS = ["logreg30", "attention_tiny", "encoder_block"]


def ezkl_python():
    """A Python with ezkl: the running one, else the first venv that has it."""
    try:
        import ezkl  # noqa: F401, PLC0415

        return sys.executable
    except ImportError:
        pass
    for venv in (os.environ.get("EZKL_VENV"), os.path.join(ROOT, ".cache", "ezkl-venv"), "/tmp/ezkl-venv"):
        if not venv:
            continue
        py = os.path.join(venv, "bin", "python")
        if os.path.exists(py) and subprocess.run([py, "-c", "import ezkl"], capture_output=True).returncode == 0:
            return py
    return None


sys.path.insert(0, HERE)
import compare  # noqa: E402  (compare.py beside this file: systems, steps, helpers)


def zkinfer_support(zkinfer, model_dir, timeout):
    """None when `zkinfer inspect` accepts every node, else a one-line reason."""
    if not os.path.exists(zkinfer):
        return f"binary {zkinfer} not found (cargo build --release)"
    try:
        p = subprocess.run([zkinfer, "inspect", os.path.join(model_dir, "network.onnx")], capture_output=True,
                           text=True, cwd=ROOT, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "zkinfer inspect timed out"
    if p.returncode == 0:
        return None
    text = (p.stdout + "\n" + p.stderr).splitlines()
    bad = [ln.strip() for ln in text if "unsupported" in ln.lower() or "not supported" in ln.lower()
           or "error" in ln.lower()]
    return "not supported yet: " + (" / ".join(bad[:8]) or f"inspect exited {p.returncode}")


def file_size(path):
    return os.path.getsize(path) if os.path.exists(path) else None


def run_one(model_dir, args):
    """compare.run_model on one model, after the zkinfer support check; adds key sizes."""
    a = argparse.Namespace(**vars(args))
    unsupported = None
    if not args.skip_zkinfer:
        unsupported = zkinfer_support(args.zkinfer, model_dir, 120)
        if unsupported:
            compare.log(f"{os.path.basename(model_dir)}: zkinfer {unsupported}; running EZKL only")
            a.skip_zkinfer = True
    res = compare.run_model(model_dir, a)
    res["zkinfer_unsupported"] = unsupported
    name = res["model"]
    sizes = {"ezkl": ("pk.key", "vk.key"), "zkinfer": ("circuit/pk.bin", "circuit/vk.bin")}
    for key, (pk, vk) in sizes.items():
        if res.get(key):
            w = os.path.join(args.work, name, key)
            res[key]["pk_bytes"], res[key]["vk_bytes"] = file_size(os.path.join(w, pk)), file_size(os.path.join(w, vk))
    return res


def fmt(v, kind):
    if v is None:
        return "n/a"
    if kind == "mb":
        return f"{v / 1e6:.1f}" if v >= 1e6 else f"{v / 1e6:.3f}"
    return compare.fmt(kind, v)


COLS = [("k", "k"), ("pk_bytes", "pk MB"), ("setup_s", "setup s"), ("prove_s", "prove s"),
        ("prove_cpu_s", "prove CPU s"), ("verify_s", "verify s"), ("peak_rss_mib", "peak RSS MiB"),
        ("proof_bytes", "proof bytes"), ("verified", "verified"), ("rel_l2", "rel-L2 vs ORT")]


def row_values(entry):
    s = dict(entry["summary"])
    s["pk_bytes"] = entry.get("pk_bytes")
    s["verified"] = f"{s['reps_ok']}/{s['reps']}"
    return s


def table(results):
    lines = ["| model | system | " + " | ".join(h for _, h in COLS) + " |", "|" + "---|" * (len(COLS) + 2)]
    for res in results:
        m = res["model"]
        vals = {}
        for key, label in (("ezkl", "EZKL"), ("zkinfer", "zkinfer")):
            e = res.get(key)
            if e is None:
                if key == "zkinfer" and res.get("zkinfer_unsupported"):
                    lines.append(f"| {m} | zkinfer | " + " | ".join(["—"] * (len(COLS) - 1))
                                 + " | not supported yet |")
                continue
            v = vals[key] = row_values(e)
            if e["summary"]["reps_ok"] == 0 and e.get("error"):
                cells = [fmt(v["k"], "k"), fmt(v["pk_bytes"], "mb")] + ["failed"] * (len(COLS) - 2)
            else:
                cells = [fmt(v[c], "mb" if c == "pk_bytes" else c) if c != "verified" else v[c] for c, _ in COLS]
            lines.append(f"| {m} | {label} | " + " | ".join(cells) + " |")
        if "ezkl" in vals and "zkinfer" in vals and vals["zkinfer"]["reps_ok"] and vals["ezkl"]["reps_ok"]:
            cells = []
            for c, _ in COLS:
                if c in ("k", "verified"):
                    cells.append("")
                    continue
                r = compare.ratio(vals["zkinfer"][c], vals["ezkl"][c])
                if c == "rel_l2" and r != "n/a":
                    r += " (≤ EZKL)" if vals["zkinfer"][c] <= vals["ezkl"][c] else " (**> EZKL**)"
                cells.append(r)
            lines.append(f"| {m} | zkinfer/EZKL | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(results):
    out = []
    for res in results:
        m = res["model"]
        ez = res.get("ezkl")
        if ez and ez.get("settings"):
            st = ez["settings"]
            rss = [r.get("rss_mib") for r in ez["reps"] if r.get("rss_mib")]
            per_step = ", ".join(f"{k} {v:.0f}" for k, v in rss[-1].items()) if rss else "n/a"
            out.append(f"- {m} EZKL settings: logrows {st.get('logrows')} ({st.get('num_rows')} rows), input_scale "
                       f"{st.get('input_scale')}, param_scale {st.get('param_scale')}, scale_rebase_multiplier "
                       f"{st.get('scale_rebase_multiplier')}, lookup_range {st.get('lookup_range')}, check_mode "
                       f"{st.get('check_mode')}; peak RSS per step (MiB): {per_step}; pk "
                       f"{fmt(ez.get('pk_bytes'), 'mb')} MB, vk {ez.get('vk_bytes')} bytes")
        if res.get("zkinfer_unsupported"):
            out.append(f"- {m} zkinfer: {res['zkinfer_unsupported']}")
        zk = res.get("zkinfer")
        if zk and zk.get("calibration"):
            c = zk["calibration"]
            q = c.get("quant") or {}
            out.append(f"- {m} zkinfer calibration: target {c.get('target_rel_l2')}, "
                       f"{'met' if c.get('target_met') else 'NOT met'}, rel-L2 {fmt(c.get('rel_l2'), 'rel_l2')} vs its "
                       f"float reference, scale 2^{q.get('input_scale')}, bits {q.get('bits')}")
        for key in ("ezkl", "zkinfer"):
            e = res.get(key)
            if not e:
                continue
            if e.get("error"):
                lines = [ln for ln in e["error"].splitlines() if ln.strip()]
                out.append(f"- {m} {key} error: {lines[0] if lines else '?'}"
                           + (f" ... {lines[-1].strip()}" if len(lines) > 1 else ""))
            for n in e.get("notes", []):
                out.append(f"- {m} {key} note: {n}")
    busy = [v for res in results for key in ("ezkl", "zkinfer") if res.get(key)
            for r in res[key]["reps"] for v in (r.get("other_cpu_share") or {}).values() if v is not None]
    if busy and max(busy) > 0.10:
        out.append(f"- WARNING: other processes used up to {max(busy):.0%} of the machine's CPU during a timed "
                   "step (other_cpu_share in the JSON): the wall times are not clean; compare prove CPU s.")
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="*", help="fixture folders (default: tests/fixtures/{%s})" % ",".join(DEFAULT_MODELS))
    p.add_argument("--reps", type=int, default=1, help="repetitions of setup/prove/verify per system (default 1)")
    p.add_argument("--zkinfer", default=os.path.join(ROOT, "target", "release", "zkinfer"),
                   help="zkinfer binary (default target/release/zkinfer)")
    p.add_argument("--skip-ezkl", action="store_true")
    p.add_argument("--skip-zkinfer", action="store_true")
    p.add_argument("--calibration-target", default="resources", choices=("resources", "accuracy"),
                   help="EZKL calibrate_settings target (default resources)")
    p.add_argument("--max-logrows", type=int, default=None, help="EZKL calibrate_settings max_logrows")
    p.add_argument("--match-error", action=argparse.BooleanOptionalAction, default=True,
                   help="zkinfer --target-rel-l2 min(0.001, 0.9 x EZKL's rel-L2) (default on)")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per step (default 3600)")
    p.add_argument("--work", default=os.path.join(compare.CACHE, "compare-nonlinear"))
    p.add_argument("--results", default=os.path.join(compare.CACHE, "nonlinear-ezkl-results.json"))
    a = p.parse_args(argv)
    if not a.skip_ezkl:
        py = ezkl_python()
        if py is None:
            p.error("no Python with ezkl found: set EZKL_VENV or create .cache/ezkl-venv (see compare_ezkl.sh)")
        if py != sys.executable:
            compare.log(f"re-running under {py} (it has ezkl)")
            os.execv(py, [py, os.path.abspath(__file__), *(sys.argv[1:] if argv is None else argv)])
    models = a.models or [os.path.join(ROOT, "tests", "fixtures", m) for m in DEFAULT_MODELS]
    for m in models:
        for f in ("network.onnx", "input.json", "expected.json"):
            if not os.path.exists(os.path.join(m, f)):
                p.error(f"{m} has no {f}")
    # The attributes compare.run_model and its systems read, with compare.py's defaults.
    a.zkinfer, a.work = os.path.abspath(a.zkinfer), os.path.abspath(a.work)
    a.match_cap, a.match_factor, a.zk_calibration, a.zk_evm_layout = 0.001, 0.9, "input", "gas"
    started = datetime.datetime.now(datetime.timezone.utc)
    out = {"started_utc": started.isoformat(timespec="seconds"), "machine": compare.machine_info(),
           "ezkl_version": compare.ezkl_version(), "zkinfer_binary": a.zkinfer, "reps": a.reps,
           "calibration_target": a.calibration_target, "models": []}
    for m in models:
        out["models"].append(run_one(m, a))
        compare.write_json(a.results, out)
    out["finished_utc"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    compare.write_json(a.results, out)
    mi = out["machine"]
    ezkl = "EZKL skipped" if a.skip_ezkl else f"EZKL {out['ezkl_version']}"
    print(f"## Non-linear models: zkinfer vs {ezkl} ({started.strftime('%Y-%m-%d')}, "
          f"{mi['cores']} cores, {mi['mem_gib']} GiB, {mi['cpu']})\n")
    matched = a.match_error and not a.skip_ezkl
    print(f"Median of {a.reps} repetition(s); "
          + ("" if a.skip_ezkl else f"EZKL calibrate_settings target \"{a.calibration_target}\" on input.json; ")
          + "zkinfer calibrated on input.json"
          + (", `--target-rel-l2` = min(0.001, 0.9 x EZKL's rel-L2)." if matched else ", its default target.")
          + "\n")
    print(table(out["models"]))
    print()
    print(notes(out["models"]))
    print(f"\nRaw results: {a.results}")
    ezkl_failed = not a.skip_ezkl and any((r.get("ezkl") or {}).get("summary", {}).get("reps_ok", 0) == 0
                                          for r in out["models"])
    return 1 if ezkl_failed else 0


if __name__ == "__main__":
    sys.exit(main())
