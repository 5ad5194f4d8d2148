#!/usr/bin/env python3
"""Benchmark zkinfer against EZKL on the same models, on the same machine, in one run.

Usually started by compare_ezkl.sh (which makes the venv and builds zkinfer); it can also be run
directly with a Python that has ezkl 23.x, numpy (and onnx/onnxruntime for the fixtures):

    python benches/compare/compare.py MODEL_DIR... [--reps N] [--zkinfer target/release/zkinfer]

Each MODEL_DIR holds network.onnx, input.json and expected.json in the format of tests/fixtures
({"inputs": {"<name>": {"shape", "data"}}} and {"outputs": {...}}).

Per model and per system:
  * compile once (EZKL: gen_settings + calibrate_settings + compile_circuit; zkinfer: `compile`),
    timed and reported, but not repeated;
  * the SRS outside any timed region (EZKL: gen_srs, cached in .cache/ezkl-srs/kzg<k>.srs;
    zkinfer: one untimed warm-up `setup`, which creates its cached SRS);
  * then N repetitions of setup, prove, verify, alternating EZKL and zkinfer (ABBA order: rep 0
    EZKL first, rep 1 zkinfer first, ...). The medians over the repetitions are reported.

Every step runs in its own subprocess so that its peak RSS can be read from the kernel
(os.wait4's rusage.ru_maxrss, per child). EZKL steps run as `compare.py --ezkl-step STEP ...`;
their time is the wall time of the ezkl call inside that process (interpreter start and
`import ezkl` excluded, ~0.2 s); zkinfer's time is the wall time of the CLI process.

The markdown table goes to stdout; all raw numbers go to .cache/compare-results.json.
"""

import argparse
import asyncio
import datetime
import inspect
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CACHE = os.path.join(ROOT, ".cache")
EZKL_STEPS = ("compile", "srs", "setup", "witness", "prove", "verify")


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------
def log(msg):
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path, obj):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def flat_tensors(tensors, order=None):
    """Concatenate {"name": {"shape", "data"}} tensors (in `order`, default dict order)."""
    names = order if order is not None else list(tensors)
    out = []
    for n in names:
        out.extend(float(v) for v in tensors[n]["data"])
    return out


def rel_l2(got, want):
    if got is None or want is None or len(got) != len(want) or not want:
        return None
    num = sum((float(g) - float(w)) ** 2 for g, w in zip(got, want))
    den = sum(float(w) ** 2 for w in want)
    return math.sqrt(num / max(den, 1e-24))


def tail(path, n=15):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return ""


def run_measured(cmd, log_path, timeout_s):
    """Run `cmd` as a child process; return wall seconds, its own peak RSS (KiB) and exit code.

    os.wait4 returns the rusage of exactly that child, so ru_maxrss is per step (unlike
    getrusage(RUSAGE_CHILDREN), which keeps the maximum over all children ever waited for).
    """
    waited = wait_for_idle()
    load_before = loadavg()
    busy0 = busy_cpu_s()
    with open(log_path, "ab") as lf:
        lf.write(("\n$ " + " ".join(cmd) + "\n").encode())
        lf.flush()
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT, cwd=ROOT)
        timed_out = []

        def kill():
            timed_out.append(True)
            try:
                p.kill()
            except OSError:
                pass

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    busy1 = busy_cpu_s()
    rc = os.waitstatus_to_exitcode(status)
    p.returncode = rc
    cpu = ru.ru_utime + ru.ru_stime
    # CPU time the rest of the machine used while the step ran, as a share of all cores.
    other = None
    if busy0 is not None and busy1 is not None and wall > 0:
        other = max(0.0, (busy1 - busy0) - cpu) / (wall * (os.cpu_count() or 1))
    return {"wall_s": wall, "cpu_s": cpu, "maxrss_kib": int(ru.ru_maxrss), "rc": rc,
            "timed_out": bool(timed_out), "load_before": load_before, "other_cpu_share": other,
            "waited_for_idle_s": waited}


WAIT_IDLE = {"max_s": 0.0, "threshold": 0.15}


def wait_for_idle():
    """With --wait-idle S: before a step, wait (at most S seconds) until the machine is quiet.

    Quiet means: over a 2-second sample, less than 15% of all cores busy. Returns the seconds
    waited. Other builds on a shared machine are the largest source of timing noise.
    """
    if WAIT_IDLE["max_s"] <= 0:
        return 0.0
    t0 = time.perf_counter()
    while True:
        b0 = busy_cpu_s()
        time.sleep(2.0)
        b1 = busy_cpu_s()
        if b0 is None or b1 is None:
            break
        share = (b1 - b0) / (2.0 * (os.cpu_count() or 1))
        if share < WAIT_IDLE["threshold"] or time.perf_counter() - t0 >= WAIT_IDLE["max_s"]:
            break
    return time.perf_counter() - t0


def busy_cpu_s():
    """Busy CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        busy = v[0] + v[1] + v[2] + sum(v[5:8])  # user nice system irq softirq steal
        return busy / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def loadavg():
    """The 1-minute load average (other work on the machine skews every timing)."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def find_int_key(obj, keys):
    """First integer value under any of `keys`, searched breadth first through nested JSON."""
    queue = [obj]
    while queue:
        cur = queue.pop(0)
        if isinstance(cur, dict):
            for k in keys:
                v = cur.get(k)
                if isinstance(v, int) and not isinstance(v, bool):
                    return v
            queue.extend(cur.values())
        elif isinstance(cur, list):
            queue.extend(cur)
    return None


class StepFailed(Exception):
    pass


# ----------------------------------------------------------------------------------------------
# Child side: one EZKL step in this process (python compare.py --ezkl-step STEP ...)
# ----------------------------------------------------------------------------------------------
def _ezkl_call(fn, *args, **kwargs):
    """Call an ezkl function inside a running asyncio loop and await it if it is awaitable.

    In ezkl 23.0.5 every function used here returns its value directly, but earlier releases
    (and possibly later ones) made calibrate_settings / gen_witness / get_srs / ... coroutines
    that also need a running loop when *called*, so always call from inside asyncio.run.
    """

    async def runner():
        r = fn(*args, **kwargs)
        if inspect.isawaitable(r):
            r = await r
        return r

    return asyncio.run(runner())


def ezkl_step(a):
    import ezkl  # noqa: PLC0415 (only the child needs it)

    w = a.work
    onnx_path = os.path.join(a.model_dir, "network.onnx")
    settings = os.path.join(w, "settings.json")
    compiled = os.path.join(w, "network.compiled")
    data = os.path.join(w, "input.json")
    pk, vk = os.path.join(w, "pk.key"), os.path.join(w, "vk.key")
    witness, proof = os.path.join(w, "witness.json"), os.path.join(w, "proof.json")
    out = {"step": a.ezkl_step}
    t0 = time.perf_counter()
    if a.ezkl_step == "compile":
        run_args = ezkl.PyRunArgs()
        # Defaults: public inputs, public outputs, fixed (baked-in) parameters.
        ok1 = _ezkl_call(ezkl.gen_settings, model=onnx_path, output=settings, py_run_args=run_args)
        t1 = time.perf_counter()
        ok2 = _ezkl_call(ezkl.calibrate_settings, data=data, model=onnx_path, settings=settings,
                         target=a.target, max_logrows=a.max_logrows)
        t2 = time.perf_counter()
        ok3 = _ezkl_call(ezkl.compile_circuit, model=onnx_path, compiled_circuit=compiled,
                         settings_path=settings)
        out.update(ok=bool(ok1 and ok2 and ok3), gen_settings_s=t1 - t0, calibrate_s=t2 - t1,
                   compile_circuit_s=time.perf_counter() - t2)
    elif a.ezkl_step == "srs":
        # gen_srs makes a local (insecure, test-only) SRS. Never get_srs: it downloads.
        _ezkl_call(ezkl.gen_srs, a.srs, a.logrows)
        out["ok"] = os.path.exists(a.srs)
    elif a.ezkl_step == "setup":
        out["ok"] = bool(_ezkl_call(ezkl.setup, model=compiled, vk_path=vk, pk_path=pk, srs_path=a.srs))
    elif a.ezkl_step == "witness":
        r = _ezkl_call(ezkl.gen_witness, data=data, model=compiled, output=witness)
        out["ok"] = isinstance(r, dict) or os.path.exists(witness)
    elif a.ezkl_step == "prove":
        r = _ezkl_call(ezkl.prove, witness=witness, model=compiled, pk_path=pk, proof_path=proof,
                       srs_path=a.srs)
        out["ok"] = bool(r)
    elif a.ezkl_step == "verify":
        out["ok"] = bool(_ezkl_call(ezkl.verify, proof_path=proof, settings_path=settings, vk_path=vk,
                                    srs_path=a.srs))
    out["seconds"] = time.perf_counter() - t0
    write_json(os.path.join(w, f"step-{a.ezkl_step}.json"), out)
    print(json.dumps(out))
    return 0 if out["ok"] else 1


# ----------------------------------------------------------------------------------------------
# Parent side: the two systems
# ----------------------------------------------------------------------------------------------
class System:
    name = "?"

    def __init__(self, model_dir, work, args):
        self.model_dir = model_dir
        self.work = work
        self.args = args
        self.log_path = os.path.join(work, "log.txt")
        self.expected = read_json(os.path.join(model_dir, "expected.json"))["outputs"]
        self.k = None
        self.compile = None  # {"s": ..., "maxrss_kib": ...}
        self.reps = []
        self.error = None
        self.notes = []
        os.makedirs(work, exist_ok=True)

    def fail(self, what, m):
        tail_txt = tail(self.log_path)
        raise StepFailed(f"{self.name} {what} failed (rc={m['rc']}{', timed out' if m['timed_out'] else ''})"
                         + (f"; last log lines:\n{tail_txt}" if tail_txt else ""))

    def summary(self):
        ok = [r for r in self.reps if r.get("verified")]
        med = {}
        for r in ok:
            if r.get("cpu_s"):
                r["prove_cpu_s"] = r["cpu_s"]["prove"] + r["cpu_s"].get("witness", 0.0)
        for key in ("setup_s", "prove_s", "prove_cpu_s", "verify_s", "peak_rss_mib", "proof_bytes", "rel_l2"):
            vals = [r[key] for r in ok if r.get(key) is not None]
            med[key] = statistics.median(vals) if vals else None
        med["k"] = self.k
        med["compile_s"] = self.compile["s"] if self.compile else None
        med["reps_ok"] = len(ok)
        med["reps"] = len(self.reps)
        return med


class Ezkl(System):
    name = "EZKL"

    def step(self, step, extra=()):
        cmd = [sys.executable, os.path.abspath(__file__), "--ezkl-step", step, "--model-dir", self.model_dir,
               "--work", self.work, "--target", self.args.calibration_target, *extra]
        if self.srs:
            cmd += ["--srs", self.srs]
        if self.args.max_logrows:
            cmd += ["--max-logrows", str(self.args.max_logrows)]
        m = run_measured(cmd, self.log_path, self.args.timeout)
        if m["rc"] != 0:
            self.fail(step, m)
        res = read_json(os.path.join(self.work, f"step-{step}.json"))
        m["s"] = res["seconds"]  # the ezkl call itself, measured inside the child
        m["detail"] = res
        return m

    def prepare(self):
        self.srs = None
        # EZKL's data format: {"input_data": [[flattened input 0], [flattened input 1], ...]}.
        inputs = read_json(os.path.join(self.model_dir, "input.json"))["inputs"]
        write_json(os.path.join(self.work, "input.json"),
                   {"input_data": [[float(v) for v in t["data"]] for t in inputs.values()]})
        self.compile = self.step("compile")
        s = read_json(os.path.join(self.work, "settings.json"))
        ra = s["run_args"]
        self.k = ra["logrows"]
        self.settings = {key: ra.get(key) for key in ("logrows", "input_scale", "param_scale",
                                                      "scale_rebase_multiplier", "lookup_range", "check_mode",
                                                      "input_visibility", "output_visibility",
                                                      "param_visibility", "num_inner_cols", "decomp_base",
                                                      "decomp_legs")}
        self.settings["num_rows"] = s.get("num_rows")
        self.settings["calibration_target"] = self.args.calibration_target
        srs_dir = os.path.join(CACHE, "ezkl-srs")
        os.makedirs(srs_dir, exist_ok=True)
        self.srs = os.path.join(srs_dir, f"kzg{self.k}.srs")
        self.srs_gen = None
        if not os.path.exists(self.srs):
            log(f"EZKL: generating a local SRS for k={self.k} (untimed, cached in {srs_dir})")
            tmp = self.srs + ".partial"
            if os.path.exists(tmp):
                os.remove(tmp)
            final, self.srs = self.srs, tmp
            m = self.step("srs", ["--logrows", str(self.k)])
            os.replace(tmp, final)
            self.srs = final
            self.srs_gen = {"s": m["s"], "maxrss_kib": m["maxrss_kib"]}

    def rep(self, i):
        r = {"rep": i}
        for f in ("proof.json", "witness.json"):
            p = os.path.join(self.work, f)
            if os.path.exists(p):
                os.remove(p)
        st = self.step("setup")
        wi = self.step("witness")
        pr = self.step("prove")
        r["verified"] = False
        ve = self.step("verify")
        r["verified"] = bool(ve["detail"]["ok"])
        r.update(setup_s=st["s"], witness_s=wi["s"], prove_only_s=pr["s"], prove_s=wi["s"] + pr["s"],
                 verify_s=ve["s"],
                 rss_mib={k: m["maxrss_kib"] / 1024 for k, m in
                          (("setup", st), ("witness", wi), ("prove", pr), ("verify", ve))},
                 proc_wall_s={k: m["wall_s"] for k, m in
                              (("setup", st), ("witness", wi), ("prove", pr), ("verify", ve))},
                 cpu_s={k: m["cpu_s"] for k, m in
                        (("setup", st), ("witness", wi), ("prove", pr), ("verify", ve))},
                 load_before={k: m["load_before"] for k, m in
                              (("setup", st), ("witness", wi), ("prove", pr), ("verify", ve))},
                 other_cpu_share={k: m["other_cpu_share"] for k, m in
                                  (("setup", st), ("witness", wi), ("prove", pr), ("verify", ve))})
        r["peak_rss_mib"] = max(r["rss_mib"].values())
        proof = read_json(os.path.join(self.work, "proof.json"))
        if isinstance(proof.get("proof"), list):
            r["proof_bytes"] = len(proof["proof"])
        elif proof.get("hex_proof"):
            r["proof_bytes"] = (len(proof["hex_proof"]) - 2) // 2
        r["proof_file_bytes"] = os.path.getsize(os.path.join(self.work, "proof.json"))
        r["pk_bytes"] = os.path.getsize(os.path.join(self.work, "pk.key"))
        r["vk_bytes"] = os.path.getsize(os.path.join(self.work, "vk.key"))
        # Dequantized outputs: witness["pretty_elements"]["rescaled_outputs"] (lists of decimal
        # strings, one list per output, flattened row-major).
        wit = read_json(os.path.join(self.work, "witness.json"))
        got = None
        pe = wit.get("pretty_elements") or {}
        if pe.get("rescaled_outputs") is not None:
            got = [float(v) for t in pe["rescaled_outputs"] for v in t]
        r["outputs"] = got
        r["rel_l2"] = rel_l2(got, flat_tensors(self.expected))
        return r


class Zkinfer(System):
    name = "zkinfer"

    def cli(self, what, argv):
        m = run_measured([self.args.zkinfer, *argv], self.log_path, self.args.timeout)
        if m["rc"] != 0:
            self.fail(what, m)
        m["s"] = m["wall_s"]
        return m

    def prepare(self):
        if not os.path.exists(self.args.zkinfer):
            raise StepFailed(f"zkinfer binary {self.args.zkinfer} not found (cargo build --release)")
        self.dir = os.path.join(self.work, "circuit")
        onnx_path = os.path.join(self.model_dir, "network.onnx")
        argv = ["compile", onnx_path, "-o", self.dir]
        if self.args.zk_calibration == "input":
            cal = ["--calibration", os.path.join(self.model_dir, "input.json")]
            try:
                self.compile = self.cli("compile", argv[:2] + cal + argv[2:])
            except StepFailed as e:
                self.notes.append("compile with --calibration input.json failed; retried without: "
                                  + str(e).splitlines()[0])
                self.compile = self.cli("compile", argv)
        else:
            self.compile = self.cli("compile", argv)
        settings = os.path.join(self.dir, "settings.json")
        if os.path.exists(settings):
            self.settings = read_json(settings)
            self.k = find_int_key(self.settings, ("k", "logrows", "log_rows"))
        else:
            self.settings = None
            self.notes.append(f"no {settings}")
        log("zkinfer: untimed warm-up setup (creates the cached SRS)")
        self.cli("setup (warm-up)", ["setup", self.dir])

    def rep(self, i):
        r = {"rep": i, "verified": False}
        proof_path = os.path.join(self.work, "proof.json")
        if os.path.exists(proof_path):
            os.remove(proof_path)
        st = self.cli("setup", ["setup", self.dir])
        pr = self.cli("prove", ["prove", self.dir, "--input", os.path.join(self.model_dir, "input.json"),
                                "-o", proof_path])
        ve = run_measured([self.args.zkinfer, "verify", self.dir, "--proof", proof_path], self.log_path,
                          self.args.timeout)
        r["verified"] = ve["rc"] == 0
        if not r["verified"]:
            self.notes.append(f"rep {i}: verify exited {ve['rc']}")
        r.update(setup_s=st["s"], prove_s=pr["s"], verify_s=ve["wall_s"],
                 rss_mib={k: m["maxrss_kib"] / 1024 for k, m in (("setup", st), ("prove", pr), ("verify", ve))},
                 cpu_s={k: m["cpu_s"] for k, m in (("setup", st), ("prove", pr), ("verify", ve))},
                 load_before={k: m["load_before"] for k, m in (("setup", st), ("prove", pr), ("verify", ve))},
                 other_cpu_share={k: m["other_cpu_share"] for k, m in
                                  (("setup", st), ("prove", pr), ("verify", ve))})
        r["peak_rss_mib"] = max(r["rss_mib"].values())
        proof = read_json(proof_path)
        hx = proof.get("proof")
        if isinstance(hx, str):
            hx = hx[2:] if hx.startswith("0x") else hx
            r["proof_bytes"] = len(hx) // 2
        elif isinstance(hx, list):
            r["proof_bytes"] = len(hx)
        r["proof_file_bytes"] = os.path.getsize(proof_path)
        got = None
        outs = proof.get("outputs")
        if isinstance(outs, dict) and all(n in outs for n in self.expected):
            got = flat_tensors(outs, order=list(self.expected))
        r["outputs"] = got
        r["rel_l2"] = rel_l2(got, flat_tensors(self.expected))
        return r


# ----------------------------------------------------------------------------------------------
# Table
# ----------------------------------------------------------------------------------------------
COLS = [("k", "k"), ("compile_s", "compile s"), ("setup_s", "setup s"), ("prove_s", "prove s"),
        ("prove_cpu_s", "prove CPU s"), ("verify_s", "verify s"), ("peak_rss_mib", "peak RSS MiB"),
        ("proof_bytes", "proof bytes"), ("rel_l2", "rel-L2 vs ORT")]


def fmt(key, v):
    if v is None:
        return "n/a"
    if key == "k":
        return str(v)
    if key == "rel_l2":
        return f"{v:.2e}"
    if key == "proof_bytes":
        return str(int(v))
    if key == "peak_rss_mib":
        return f"{v:.0f}"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"  # seconds


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def table(results, reps):
    head = "| model | system | " + " | ".join(h for _, h in COLS) + " |"
    lines = [head, "|" + "---|" * (len(COLS) + 2)]
    for res in results:
        ez, zk = res.get("ezkl"), res.get("zkinfer")
        for label, s in (("EZKL", ez), ("zkinfer", zk)):
            if s is None:
                continue
            if s["summary"]["reps_ok"] == 0 and s.get("error"):
                row = [fmt("k", s["summary"]["k"]), fmt("compile_s", s["summary"]["compile_s"])]
                row += ["failed"] * (len(COLS) - 2)
            else:
                row = [fmt(key, s["summary"][key]) for key, _ in COLS]
            lines.append(f"| {res['model']} | {label} | " + " | ".join(row) + " |")
        if ez is not None and zk is not None:
            row = []
            for key, _ in COLS:
                if key == "k":
                    row.append("")
                else:
                    row.append(ratio(zk["summary"][key], ez["summary"][key]))
            lines.append(f"| {res['model']} | zkinfer/EZKL | " + " | ".join(row) + " |")
    return "\n".join(lines)


def machine_info():
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": mem, "os": platform.platform(),
            "python": platform.python_version()}


def ezkl_version():
    try:
        import importlib.metadata as md  # noqa: PLC0415

        return md.version("ezkl")
    except Exception:  # noqa: BLE001
        return None


# ----------------------------------------------------------------------------------------------
# Orchestration
# ----------------------------------------------------------------------------------------------
def run_model(model_dir, args):
    name = os.path.basename(os.path.normpath(model_dir))
    base = os.path.join(args.work, name)
    systems = []
    if not args.skip_ezkl:
        systems.append(Ezkl(model_dir, os.path.join(base, "ezkl"), args))
    if not args.skip_zkinfer:
        systems.append(Zkinfer(model_dir, os.path.join(base, "zkinfer"), args))
    for s in systems:
        if os.path.exists(s.log_path):
            os.remove(s.log_path)
        log(f"{name}: {s.name} compile")
        try:
            s.prepare()
            log(f"{name}: {s.name} k={s.k} compile {s.compile['s']:.2f}s")
        except Exception as e:  # noqa: BLE001 (one failing system must not stop the other)
            s.error = str(e) if isinstance(e, StepFailed) else f"{s.name} prepare: {type(e).__name__}: {e}"
            log(f"{name}: {e}")
    for i in range(args.reps):
        order = systems if i % 2 == 0 else list(reversed(systems))
        for s in order:
            if s.error and not s.reps:
                continue
            log(f"{name}: rep {i + 1}/{args.reps} {s.name} setup/prove/verify")
            try:
                r = s.rep(i)
                s.reps.append(r)
                log(f"{name}: {s.name} rep {i + 1}: setup {r['setup_s']:.2f}s prove {r['prove_s']:.2f}s "
                    f"verify {r['verify_s']:.3f}s peak {r['peak_rss_mib']:.0f} MiB verified={r['verified']}")
            except Exception as e:  # noqa: BLE001
                s.error = str(e) if isinstance(e, StepFailed) else f"{s.name} rep: {type(e).__name__}: {e}"
                s.reps.append({"rep": i, "verified": False, "error": str(e)})
                log(f"{name}: {e}")
    res = {"model": name, "model_dir": os.path.abspath(model_dir)}
    for s in systems:
        entry = {
            "summary": s.summary(),
            "compile": {k: v for k, v in (s.compile or {}).items() if k != "detail"} or None,
            "compile_detail": (s.compile or {}).get("detail"),
            "settings": getattr(s, "settings", None),
            "reps": s.reps,
            "error": s.error,
            "notes": s.notes,
        }
        if isinstance(s, Ezkl):
            entry["srs_generation"] = getattr(s, "srs_gen", None)
            entry["srs_path"] = getattr(s, "srs", None)
        res["ezkl" if isinstance(s, Ezkl) else "zkinfer"] = entry
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="*", help="fixture folders (network.onnx, input.json, expected.json)")
    p.add_argument("--reps", type=int, default=3, help="repetitions of setup/prove/verify per system (default 3)")
    p.add_argument("--zkinfer", default=os.path.join(ROOT, "target", "release", "zkinfer"),
                   help="zkinfer binary (default target/release/zkinfer)")
    p.add_argument("--work", default=os.path.join(CACHE, "compare"), help="scratch folder (default .cache/compare)")
    p.add_argument("--results", default=os.path.join(CACHE, "compare-results.json"),
                   help="JSON results file (default .cache/compare-results.json)")
    p.add_argument("--calibration-target", default="resources", choices=("resources", "accuracy"),
                   help="EZKL calibrate_settings target (default resources)")
    p.add_argument("--max-logrows", type=int, default=None, help="EZKL calibrate_settings max_logrows")
    p.add_argument("--zk-calibration", default="input", choices=("input", "none"),
                   help="pass the model's input.json to `zkinfer compile --calibration` (default) or nothing")
    p.add_argument("--skip-ezkl", action="store_true")
    p.add_argument("--skip-zkinfer", action="store_true")
    p.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                   help="before each timed step wait up to S seconds for the machine to be idle (default 0: off)")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per step (default 3600)")
    # Child mode (internal): run one EZKL step in this process.
    p.add_argument("--ezkl-step", choices=EZKL_STEPS, help=argparse.SUPPRESS)
    p.add_argument("--model-dir", help=argparse.SUPPRESS)
    p.add_argument("--target", default="resources", help=argparse.SUPPRESS)
    p.add_argument("--srs", help=argparse.SUPPRESS)
    p.add_argument("--logrows", type=int, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.ezkl_step:
        return ezkl_step(a)
    if not a.models:
        p.error("give at least one MODEL_DIR")
    if a.reps < 1:
        p.error("--reps must be >= 1")
    for m in a.models:
        for f in ("network.onnx", "input.json", "expected.json"):
            if not os.path.exists(os.path.join(m, f)):
                p.error(f"{m} has no {f}")
    a.zkinfer = os.path.abspath(a.zkinfer)
    WAIT_IDLE["max_s"] = a.wait_idle
    a.work = os.path.abspath(a.work)

    started = datetime.datetime.now(datetime.timezone.utc)
    results = []
    out = {
        "started_utc": started.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "ezkl_version": ezkl_version(),
        "zkinfer_binary": a.zkinfer,
        "reps": a.reps,
        "calibration_target": a.calibration_target,
        "zk_calibration": a.zk_calibration,
        "wait_idle_s": a.wait_idle,
        "models": results,
    }
    for m in a.models:
        results.append(run_model(m, a))
        write_json(a.results, out)  # partial results survive a later crash
    out["finished_utc"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    write_json(a.results, out)

    mi = out["machine"]
    print(f"## zkinfer vs EZKL ({started.strftime('%Y-%m-%d')}, {mi['cores']} cores, {mi['mem_gib']} GiB, "
          f"{mi['cpu']})\n")
    print(f"Median of {a.reps} repetition(s), EZKL {out['ezkl_version']} "
          f"(calibrate_settings target \"{a.calibration_target}\"), " + ("zkinfer skipped.\n" if a.skip_zkinfer else f"zkinfer {a.zkinfer}.\n"))
    print(table(results, a.reps))
    print()
    print("prove s: EZKL gen_witness + prove; zkinfer `prove` (witness included). prove CPU s: user + system "
          "CPU time of those processes (less sensitive to other load than wall time). compile s: one run, "
          "EZKL gen_settings + calibrate_settings + compile_circuit. SRS generation untimed. "
          "peak RSS: the largest of the per-step peaks. proof bytes: the raw proof, not the JSON file.")
    for res in results:
        for key in ("ezkl", "zkinfer"):
            s = res.get(key)
            if not s:
                continue
            if key == "ezkl" and s.get("settings"):
                st = s["settings"]
                print(f"- {res['model']} EZKL settings: logrows {st.get('logrows')}, input_scale "
                      f"{st.get('input_scale')}, param_scale {st.get('param_scale')}, lookup_range "
                      f"{st.get('lookup_range')}, check_mode {st.get('check_mode')}, visibility in/out/params "
                      f"{st.get('input_visibility')}/{st.get('output_visibility')}/{st.get('param_visibility')}")
            if s["summary"]["reps_ok"] < s["summary"]["reps"]:
                print(f"- {res['model']} {key}: {s['summary']['reps_ok']}/{s['summary']['reps']} reps verified")
            if s.get("error"):
                lines = [ln for ln in s["error"].splitlines() if ln.strip()]
                last = f" ... {lines[-1].strip()}" if len(lines) > 1 else ""
                print(f"- {res['model']} {key} error: {lines[0] if lines else '?'}{last}")
            for n in s.get("notes", []):
                print(f"- {res['model']} {key} note: {n}")
    busy = [v for res in results for key in ("ezkl", "zkinfer") if res.get(key)
            for r in res[key]["reps"] for v in (r.get("other_cpu_share") or {}).values() if v is not None]
    if busy and max(busy) > 0.10:
        print(f"- WARNING: other processes used up to {max(busy):.0%} of the machine's CPU during a timed step "
              "(see other_cpu_share in the JSON); the timings are not clean.")
    print(f"\nRaw results: {a.results}")
    failed = any(res.get(k) and res[k]["summary"]["reps_ok"] == 0 for res in results for k in ("ezkl", "zkinfer"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
