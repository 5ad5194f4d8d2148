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

Also:
  * EZKL gets a copy of the model in which every Conv has explicit attributes (EZKL 23.0.5
    rejects a Conv without `strides`); same weights and graph, checked with onnxruntime.
  * Equal error (default, --no-match-error to turn off): EZKL is compiled first, its output rel-L2
    against expected.json is measured (untimed gen_witness), and zkinfer is compiled with
    --target-rel-l2 min(0.001, 0.9 x that) (--match-cap, --match-factor).
  * --evm: after the repetitions, both verifiers are deployed on a local anvil (127.0.0.1, free
    port, started and killed here) and the gasUsed of one verifyProof transaction and the runtime
    bytecode size of every deployed contract are reported. zkinfer's on-chain circuit is
    `zkinfer compile --evm` (same calibration and target as the timed one; --zk-evm-layout), and
    the gas that compile predicts is reported next to the measured gas. EZKL's solc 0.8.20 is
    solc-js from .cache/solc-0.8.20, handed over through HOME=.cache/ezkl-home (see ezkl_svm_home).

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
EZKL_STEPS = ("compile", "srs", "setup", "witness", "prove", "verify", "evm")
# anvil's first dev account (public, funded on every anvil chain).
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
EIP170_LIMIT = 24576  # bytes of runtime code a contract may have on Ethereum mainnet


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


def run_measured(cmd, log_path, timeout_s, env=None):
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
        p = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
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


def gas_line(log_text):
    """The line of `zkinfer compile --evm` output that gives its gas prediction, or None."""
    for line in log_text.splitlines():
        low = line.lower()
        if "predicted gas" in low or "gas to verify on chain" in low:
            return line.strip()
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
# EZKL's copy of the model: every Conv with explicit attributes
# ----------------------------------------------------------------------------------------------
def explicit_conv_attrs(src, dst):
    """Write `dst`, a copy of the ONNX model `src` in which every Conv has explicit attributes.

    EZKL 23.0.5 rejects a Conv without `strides` ("a node is missing required params: stride")
    although ONNX defaults it to 1. The copy adds the ONNX defaults where they are missing:
    strides and dilations 1, pads 0 (only when auto_pad is absent or NOTSET), kernel_shape from
    the weight's shape, group 1. Weights, graph, names and opset are untouched, so the model is
    semantically identical. Returns the list of added attributes ("node.attr"); when it is empty
    no copy is written (and `src` should be used).
    """
    import onnx  # noqa: PLC0415
    from onnx import helper  # noqa: PLC0415

    model = onnx.load(src)
    g = model.graph
    inits = {t.name: list(t.dims) for t in g.initializer}
    # Weight shapes of non-initializer weights (e.g. a Constant node), if shape inference has them.
    try:
        inferred = onnx.shape_inference.infer_shapes(model).graph
        for vi in list(inferred.value_info) + list(inferred.input) + list(inferred.output):
            dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
            if dims and all(d > 0 for d in dims):
                inits.setdefault(vi.name, dims)
    except Exception:  # noqa: BLE001 (inference is only a fallback)
        pass
    added = []
    for i, n in enumerate(g.node):
        if n.op_type != "Conv" or n.domain not in ("", "ai.onnx"):
            continue
        have = {a.name: a for a in n.attribute}
        label = n.name or f"Conv#{i}"
        wshape = inits.get(n.input[1]) if len(n.input) > 1 else None
        if "kernel_shape" in have:
            kernel = list(helper.get_attribute_value(have["kernel_shape"]))
        elif wshape and len(wshape) >= 3:
            kernel = list(wshape[2:])
        else:
            raise ValueError(f"{label}: no kernel_shape and the weight's shape is unknown")
        nd = len(kernel)
        defaults = [("kernel_shape", kernel), ("strides", [1] * nd), ("dilations", [1] * nd), ("group", 1)]
        auto_pad = have.get("auto_pad")
        if auto_pad is None or helper.get_attribute_value(auto_pad) in (b"NOTSET", "NOTSET", b"", ""):
            defaults.append(("pads", [0] * (2 * nd)))
        for name, value in defaults:
            if name not in have:
                n.attribute.append(helper.make_attribute(name, value))
                added.append(f"{label}.{name}={value}")
    if added:
        onnx.checker.check_model(model)
        os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
        onnx.save(model, dst)
    return added


def same_outputs(a_path, b_path, inputs):
    """Max |difference| of the two models' onnxruntime outputs on `inputs` (None: no onnxruntime)."""
    try:
        import numpy as np  # noqa: PLC0415
        import onnxruntime as ort  # noqa: PLC0415
    except ImportError:
        return None
    feeds = {n: np.asarray(t["data"], dtype=np.float32).reshape(t["shape"]) for n, t in inputs.items()}
    outs = []
    for path in (a_path, b_path):
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        outs.append(sess.run(None, feeds))
    return max(float(np.max(np.abs(x - y))) if x.size else 0.0 for x, y in zip(*outs))


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
    onnx_path = a.onnx or os.path.join(a.model_dir, "network.onnx")
    settings = os.path.join(w, "settings.json")
    compiled = os.path.join(w, "network.compiled")
    data = os.path.join(w, "input.json")
    pk, vk = os.path.join(w, "pk.key"), os.path.join(w, "vk.key")
    witness, proof = os.path.join(w, "witness.json"), os.path.join(w, "proof.json")
    out = {"step": a.ezkl_step}
    t0 = time.perf_counter()
    if a.ezkl_step == "compile":
        run_args = ezkl.PyRunArgs()
        # The statement zkinfer proves: public inputs, public outputs, fixed (baked-in)
        # parameters. These are EZKL 23.0.5's defaults; set explicitly so that both the timings
        # and the --evm gas figures compare the same statement.
        run_args.input_visibility = "public"
        run_args.output_visibility = "public"
        run_args.param_visibility = "fixed"
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
    elif a.ezkl_step == "evm":
        # Needs solc 0.8.20 in svm-rs's layout under $HOME/.svm (the parent sets HOME; see
        # ezkl_svm_home). Single-contract verifier (reusable=False): the VK is in the code.
        ev = os.path.join(w, "evm")
        os.makedirs(ev, exist_ok=True)
        sol, abi = os.path.join(ev, "Halo2Verifier.sol"), os.path.join(ev, "Halo2Verifier.abi")
        addr, calldata = os.path.join(ev, "address.txt"), os.path.join(ev, "calldata.bin")
        for f in (sol, abi, addr, calldata):
            if os.path.exists(f):
                os.remove(f)
        ok1 = _ezkl_call(ezkl.create_evm_verifier, vk_path=vk, settings_path=settings, sol_code_path=sol,
                         abi_path=abi, srs_path=a.srs, reusable=False)
        t1 = time.perf_counter()
        ok2 = _ezkl_call(ezkl.deploy_evm, addr_path=addr, rpc_url=a.rpc, sol_code_path=sol,
                         contract_type="verifier", optimizer_runs=a.optimizer_runs,
                         private_key=ANVIL_KEY[2:])  # EZKL wants the key without 0x
        t2 = time.perf_counter()
        cd = _ezkl_call(ezkl.encode_evm_calldata, proof=proof, calldata=calldata)
        ok3 = _ezkl_call(ezkl.verify_evm, open(addr).read().strip(), a.rpc, proof_path=proof)
        out.update(ok=bool(ok1 and ok2 and ok3 and cd), create_evm_verifier_s=t1 - t0, deploy_evm_s=t2 - t1,
                   verify_evm=bool(ok3), address=open(addr).read().strip(), calldata_bytes=len(cd),
                   optimizer_runs=a.optimizer_runs, sol=sol)
    out["seconds"] = time.perf_counter() - t0
    write_json(os.path.join(w, f"step-{a.ezkl_step}.json"), out)
    print(json.dumps(out))
    return 0 if out["ok"] else 1


# ----------------------------------------------------------------------------------------------
# --evm: a local anvil, JSON-RPC, and EZKL's solc
# ----------------------------------------------------------------------------------------------
class Anvil:
    """anvil on 127.0.0.1 and a free port, started and killed by the harness.

    The EIP-170 code-size limit is disabled so that a verifier over 24,576 bytes still deploys
    and its gas can be measured; the table flags such contracts (they would not deploy on
    mainnet).
    """

    def __init__(self, exe, log_path):
        self.exe, self.proc, self.url = exe, None, None
        self.log_path = log_path

    def start(self):
        import socket  # noqa: PLC0415

        last = None
        for _ in range(3):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            lf = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's life)
            self.proc = subprocess.Popen([self.exe, "--host", "127.0.0.1", "--port", str(port),
                                          "--disable-code-size-limit", "--silent"],
                                         stdout=lf, stderr=subprocess.STDOUT, cwd=ROOT)
            self.url = f"http://127.0.0.1:{port}"
            t0 = time.time()
            while time.time() - t0 < 20 and self.proc.poll() is None:
                try:
                    self.rpc("eth_chainId", [])
                    info = self.rpc("anvil_nodeInfo", [])
                    self.hardfork = info.get("hardFork") if isinstance(info, dict) else None
                    self.account = self.rpc("eth_accounts", [])[0]
                    log(f"anvil at {self.url} (pid {self.proc.pid}, hardfork {self.hardfork})")
                    return self
                except (OSError, RuntimeError) as e:
                    last = e
                    time.sleep(0.2)
            self.stop()
        raise StepFailed(f"anvil did not start: {last}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def rpc(self, method, params):
        import urllib.request  # noqa: PLC0415

        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            res = json.load(r)
        if "error" in res:
            raise RuntimeError(f"{method}: {res['error']}")
        return res["result"]

    def code_size(self, addr):
        code = self.rpc("eth_getCode", [addr, "latest"])
        return (len(code) - 2) // 2

    def measure_call(self, to, data_hex):
        """eth_call result, eth_estimateGas, then a real transaction and its receipt's gasUsed."""
        tx = {"from": self.account, "to": to, "data": data_hex}
        ret = self.rpc("eth_call", [tx, "latest"])
        est = int(self.rpc("eth_estimateGas", [tx]), 16)
        h = self.rpc("eth_sendTransaction", [tx])
        rc = None
        for _ in range(300):
            rc = self.rpc("eth_getTransactionReceipt", [h])
            if rc:
                break
            time.sleep(0.1)
        if not rc:
            raise StepFailed(f"no receipt for {h}")
        return {"returned_true": len(ret) > 2 and int(ret, 16) == 1, "estimate_gas": est,
                "gas_used": int(rc["gasUsed"], 16), "status": int(rc["status"], 16),
                "calldata_bytes": (len(data_hex) - 2) // 2, "tx": h}


def ezkl_svm_home(solc_js_dir):
    """A HOME for the EZKL child in which svm-rs finds solc 0.8.20 without downloading it.

    EZKL 23.0.5 (foundry-compilers + svm-rs 0.5) compiles with solc 0.8.20 from
    $HOME/.svm/0.8.20/solc-0.8.20 and otherwise tries to download it. That file here is a node
    script around solc-js 0.8.20 (npm `solc@0.8.20`, installed by compare_ezkl.sh --evm into
    .cache/solc-0.8.20): it answers --version and --standard-json (JSON on stdin, JSON out; the
    solcjs CLI would print a ">>> Cannot retry compilation with SMT" line before the JSON).
    """
    mod = os.path.join(solc_js_dir, "node_modules", "solc")
    if not os.path.exists(os.path.join(mod, "soljson.js")):
        raise StepFailed(f"solc-js 0.8.20 not found in {solc_js_dir}: run compare_ezkl.sh with --evm (it runs "
                         f"npm install --prefix {solc_js_dir} solc@0.8.20)")
    if shutil.which("node") is None:
        raise StepFailed("node not found (needed for solc-js)")
    home = os.path.join(CACHE, "ezkl-home")
    d = os.path.join(home, ".svm", "0.8.20")
    os.makedirs(d, exist_ok=True)
    shim = os.path.join(d, "solc-0.8.20")
    text = f"""#!/usr/bin/env node
// Written by benches/compare/compare.py: solc-js 0.8.20 posing as native solc for EZKL's svm-rs.
const solc = require({json.dumps(mod)});
const args = process.argv.slice(2);
if (args.includes("--version")) {{
  process.stdout.write("solc, the solidity compiler commandline interface\\nVersion: " + solc.version() + "\\n");
}} else if (args.includes("--standard-json")) {{
  let input = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d) => (input += d));
  process.stdin.on("end", () => process.stdout.write(solc.compile(input)));
}} else {{
  process.stderr.write("solc-js shim: only --version and --standard-json are supported\\n");
  process.exit(2);
}}
"""
    if not os.path.exists(shim) or open(shim).read() != text:
        with open(shim, "w") as f:
            f.write(text)
        os.chmod(shim, 0o755)
    return home


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
        self.rel_l2 = None  # EZKL: output rel-L2 measured right after compile (--match-error)
        self.target_rel_l2 = None  # zkinfer: --target-rel-l2 passed to compile (None: its default)
        self.calibration = None  # zkinfer: settings.json calibration block (target, met, rel-L2)
        self.evm_result = None  # --evm: contracts, runtime sizes, verifyProof gas
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

    def step(self, step, extra=(), env=None):
        cmd = [sys.executable, os.path.abspath(__file__), "--ezkl-step", step, "--model-dir", self.model_dir,
               "--onnx", self.onnx_path, "--work", self.work, "--target", self.args.calibration_target, *extra]
        if self.srs:
            cmd += ["--srs", self.srs]
        if self.args.max_logrows:
            cmd += ["--max-logrows", str(self.args.max_logrows)]
        m = run_measured(cmd, self.log_path, self.args.timeout, env=env)
        if m["rc"] != 0:
            self.fail(step, m)
        res = read_json(os.path.join(self.work, f"step-{step}.json"))
        m["s"] = res["seconds"]  # the ezkl call itself, measured inside the child
        m["detail"] = res
        return m

    def prepare(self):
        self.srs = None
        src = os.path.join(self.model_dir, "network.onnx")
        self.onnx_path = src
        copy = os.path.join(self.work, "network.ezkl.onnx")
        added = explicit_conv_attrs(src, copy)
        self.model_copy = None
        if added:
            self.onnx_path = copy
            inputs = read_json(os.path.join(self.model_dir, "input.json"))["inputs"]
            diff = same_outputs(src, copy, inputs)
            if diff is not None and diff != 0.0:
                raise StepFailed(f"EZKL model copy {copy} differs from {src} in onnxruntime (max |diff| {diff})")
            self.model_copy = {"path": copy, "added": added, "ort_max_abs_diff": diff}
            msg = (f"EZKL gets a copy with explicit Conv attributes: {copy} (added {', '.join(added)}; "
                   + ("onnxruntime outputs identical)" if diff == 0.0 else "not checked: no onnxruntime)"))
            log(f"{os.path.basename(os.path.normpath(self.model_dir))}: {msg}")
            self.notes.append(msg)
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

    def evm(self, anvil):
        """Untimed: Solidity verifier, deployment on anvil, gas of one verifyProof transaction on the
        proof of the last repetition (EZKL proofs use the EVM (Keccak) transcript by default)."""
        home = ezkl_svm_home(self.args.ezkl_solc_js)
        env = dict(os.environ, HOME=home)
        m = self.step("evm", ["--rpc", anvil.url, "--optimizer-runs", str(self.args.ezkl_optimizer_runs)], env=env)
        d = m["detail"]
        with open(os.path.join(self.work, "evm", "calldata.bin"), "rb") as f:
            data = "0x" + f.read().hex()
        call = anvil.measure_call(d["address"], data)
        contracts = [{"name": "Halo2Verifier", "address": d["address"], "runtime_bytes": anvil.code_size(d["address"])}]
        return {"contracts": contracts, "verify": call, "ezkl_verify_evm": d["verify_evm"],
                "solc": "0.8.20 (solc-js)", "optimizer": f"on, runs={d['optimizer_runs']}",
                "create_evm_verifier_s": d["create_evm_verifier_s"], "deploy_evm_s": d["deploy_evm_s"]}

    def outputs_from_witness(self):
        """EZKL's dequantized outputs: witness["pretty_elements"]["rescaled_outputs"] (lists of
        decimal strings, one list per output, flattened row-major), or None."""
        wit = read_json(os.path.join(self.work, "witness.json"))
        pe = wit.get("pretty_elements") or {}
        if pe.get("rescaled_outputs") is None:
            return None
        return [float(v) for t in pe["rescaled_outputs"] for v in t]

    def measure_error(self):
        """Untimed gen_witness right after compile: EZKL's output rel-L2 vs expected.json (ORT).

        Used by --match-error to pick zkinfer's calibration target before zkinfer compiles."""
        self.step("witness")
        self.rel_l2 = rel_l2(self.outputs_from_witness(), flat_tensors(self.expected))
        return self.rel_l2

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
        got = self.outputs_from_witness()
        r["outputs"] = got
        r["rel_l2"] = rel_l2(got, flat_tensors(self.expected))
        return r


class Zkinfer(System):
    name = "zkinfer"

    def evm(self, anvil):
        """Untimed: compile --evm (the on-chain plan; see --zk-evm-layout), setup, prove --evm,
        create-evm-verifier, deploy-evm, verify-evm, and the same verifyProof transaction as for
        EZKL (encode-calldata + eth_sendTransaction). Records the gas `compile --evm` predicts."""
        import re  # noqa: PLC0415

        ev = os.path.join(self.work, "evm")
        if os.path.exists(ev):
            shutil.rmtree(ev)
        os.makedirs(ev)

        def captured(what, argv):
            lp = os.path.join(ev, what.replace(" ", "_").replace("-", "") + ".txt")
            m = run_measured([self.args.zkinfer, *argv], lp, self.args.timeout)
            txt = open(lp, encoding="utf-8", errors="replace").read()
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(txt)
            if m["rc"] != 0:
                raise StepFailed(f"zkinfer {what} failed (rc={m['rc']}): " + " / ".join(txt.strip().splitlines()[-5:]))
            m["s"] = m["wall_s"]
            return txt, m

        # On-chain users compile with `compile --evm` (--zk-evm-layout evm, the default): the
        # circuit planned for verification gas, wide inputs hashed. Same model, calibration and
        # target as the timed circuit. `gas` is the older `--layout gas`; `speed` reuses the timed
        # circuit.
        mode = self.args.zk_evm_layout
        evm_dir, predicted, compile_line, visibility = self.dir, None, None, None
        if self.args.zk_timed_evm:
            mode = "evm (timed circuit)"
        if mode not in ("speed", "evm (timed circuit)"):
            evm_dir = os.path.join(ev, "circuit")
            flag = ["--evm"] if mode == "evm" else ["--layout", mode]
            argv = [a if a != self.dir else evm_dir for a in self.compile_argv] + flag
            txt, _ = captured("compile " + " ".join(flag), argv)
            compile_line = gas_line(txt)
            self.cli("setup (evm circuit)", ["setup", evm_dir])
        st = read_json(os.path.join(evm_dir, "settings.json"))
        self.evm_k = find_int_key(st, ("k",))
        circuit = st.get("circuit") if isinstance(st, dict) else None
        if isinstance(circuit, dict):
            # Left out of settings.json for the default (public inputs and outputs, fixed params).
            visibility = circuit.get("visibility") or "default (public in/out, fixed params)"
        # compile --evm records its prediction as settings.json's evm.predicted_gas.
        target = st.get("evm") if isinstance(st, dict) else None
        if isinstance(target, dict) and isinstance(target.get("predicted_gas"), int):
            predicted = target["predicted_gas"]
        proof = os.path.join(ev, "proof.json")
        pr = self.cli("prove --evm", ["prove", evm_dir, "--evm", "--input",
                                      os.path.join(self.model_dir, "input.json"), "-o", proof])
        out = os.path.join(ev, "verifier")
        _, cv = captured("create-evm-verifier", ["create-evm-verifier", evm_dir, "-o", out, "--solc",
                                                 self.args.zk_solc, "--allow-insecure-srs"])
        dep, _ = captured("deploy-evm", ["deploy-evm", out, "--rpc", anvil.url, "--private-key", ANVIL_KEY])
        contracts = [{"name": n, "address": a, "deploy_gas": int(g)} for n, a, g in
                     re.findall(r"^\s+(\w+)\s+(0x[0-9a-fA-F]{40}) \(gas (\d+)\)", dep, re.M)]
        entry = re.search(r"deployed at (0x[0-9a-fA-F]{40})", dep)
        if not entry:
            raise StepFailed("zkinfer deploy-evm printed no address: " + dep.strip())
        entry = entry.group(1)
        for c in contracts:
            c["runtime_bytes"] = anvil.code_size(c["address"])
        ve, _ = captured("verify-evm", ["verify-evm", "--rpc", anvil.url, "--address", entry, "--proof", proof,
                                        "--allow-insecure-srs"])
        g = re.search(r"gas (\d+)", ve)
        cd = subprocess.run([self.args.zkinfer, "encode-calldata", "--proof", proof], capture_output=True, text=True,
                            cwd=ROOT, check=False)
        if cd.returncode != 0:
            raise StepFailed(f"zkinfer encode-calldata failed: {cd.stderr.strip()}")
        call = anvil.measure_call(entry, cd.stdout.strip())
        manifest = read_json(os.path.join(out, "evm-verifier.json"))
        art = read_json(proof)
        return {"contracts": contracts, "entry": entry, "verify": call,
                "verify_evm_printed_gas": int(g.group(1)) if g else None, "verify_evm_output": ve.strip(),
                "predicted_gas": predicted, "predicted_gas_line": compile_line,
                "solc": manifest.get("solc"), "optimizer": "on" if manifest.get("optimizer") else "off",
                "prove_evm_s": pr["s"], "create_evm_verifier_s": cv["s"],
                "layout": {"evm": "compile --evm", "gas": "compile --layout gas", "speed": "timed circuit",
                           "evm (timed circuit)": "compile --evm (the timed circuit)"}[mode],
                "k": self.evm_k, "visibility": visibility,
                "num_instances": len(art.get("instances") or [])}

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
        if self.args.zk_timed_evm:
            # The timed circuit is the on-chain plan itself (prove then uses Keccak).
            argv.append("--evm")
        if self.target_rel_l2 is not None:
            argv += ["--target-rel-l2", f"{self.target_rel_l2:.6g}"]
        if self.args.zk_calibration == "input":
            cal = ["--calibration", os.path.join(self.model_dir, "input.json")]
            try:
                self.compile = self.cli("compile", argv[:2] + cal + argv[2:])
                argv = argv[:2] + cal + argv[2:]
            except StepFailed as e:
                self.notes.append("compile with --calibration input.json failed; retried without: "
                                  + " / ".join(ln.strip() for ln in str(e).splitlines() if ln.strip()))
                self.compile = self.cli("compile", argv)
        else:
            self.compile = self.cli("compile", argv)
        self.compile_argv = argv
        settings = os.path.join(self.dir, "settings.json")
        if os.path.exists(settings):
            self.settings = read_json(settings)
            self.k = find_int_key(self.settings, ("k", "logrows", "log_rows"))
            cal = self.settings.get("calibration") if isinstance(self.settings, dict) else None
            if isinstance(cal, dict):
                errs = [e.get("rel_l2") for e in cal.get("errors") or [] if isinstance(e, dict)]
                errs = [e for e in errs if isinstance(e, (int, float))]
                self.calibration = {"target_rel_l2": cal.get("target_rel_l2"), "target_met": cal.get("target_met"),
                                    "rel_l2": max(errs) if errs else None,
                                    "quant": self.settings.get("quant")}
                if cal.get("target_met") is False:
                    warn = [ln.strip() for ln in tail(self.log_path, 40).splitlines()
                            if "warning" in ln.lower() or "error" in ln.lower()]
                    self.notes.append("calibration did not meet --target-rel-l2 "
                                      f"{cal.get('target_rel_l2')}: " + (" / ".join(warn) or "(no message)"))
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
        ve = run_measured([self.args.zkinfer, "verify", self.dir, "--proof", proof_path, "--allow-insecure-srs"], self.log_path,
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
                elif key == "rel_l2":
                    a, b = zk["summary"][key], ez["summary"][key]
                    cmp = "" if a is None or b is None else (" (≤ EZKL)" if a <= b else " (**> EZKL**)")
                    row.append(ratio(a, b) + cmp)
                else:
                    row.append(ratio(zk["summary"][key], ez["summary"][key]))
            lines.append(f"| {res['model']} | zkinfer/EZKL | " + " | ".join(row) + " |")
    return "\n".join(lines)


def evm_table(results, info):
    """Markdown table of the --evm measurements."""

    def gas(e):
        return e["verify"]["gas_used"] if e and not e.get("error") and e.get("verify") else None

    def sizes(e):
        if not e or e.get("error"):
            return "n/a"
        cs = e["contracts"]
        parts = [f"{c['name']} {c['runtime_bytes']}" + (" (> EIP-170)" if c["runtime_bytes"] > EIP170_LIMIT else "")
                 for c in cs]
        total = sum(c["runtime_bytes"] for c in cs)
        return " + ".join(parts) + (f" = {total}" if len(cs) > 1 else "")

    def predicted(e):
        return e.get("predicted_gas") if e and not e.get("error") else None

    lines = ["| model | EZKL verify gas | zkinfer verify gas | zkinfer predicted gas | zkinfer measured/predicted "
             "| zkinfer/EZKL | EZKL runtime bytes | zkinfer runtime bytes |",
             "|---|---|---|---|---|---|---|---|"]
    notes = []
    for res in results:
        ez = (res.get("ezkl") or {}).get("evm")
        zk = (res.get("zkinfer") or {}).get("evm")
        ge, gz = gas(ez), gas(zk)

        def cell(g, key):
            return g if g is not None else ("skipped" if res.get(key) is None else "failed")

        pz = predicted(zk)
        lines.append(f"| {res['model']} | {cell(ge, 'ezkl')} | {cell(gz, 'zkinfer')} | "
                     f"{pz if pz is not None else 'n/a'} | {ratio(gz, pz)} | "
                     f"{ratio(gz, ge)} | {sizes(ez)} | {sizes(zk)} |")
        for label, e in (("EZKL", ez), ("zkinfer", zk)):
            if not e:
                continue
            if e.get("error"):
                notes.append(f"- {res['model']} {label} EVM error: {e['error']}")
                continue
            v = e["verify"]
            extra = ""
            if label == "zkinfer" and e.get("verify_evm_printed_gas") is not None:
                extra = f", `zkinfer verify-evm` printed gas {e['verify_evm_printed_gas']}"
            if label == "zkinfer" and e.get("layout"):
                extra += f", circuit {e['layout']} (k={e.get('k')})"
            if label == "zkinfer" and e.get("visibility") is not None:
                extra += f", visibility {json.dumps(e['visibility'])} ({e.get('num_instances')} instances)"
            if label == "zkinfer" and e.get("predicted_gas_line"):
                extra += f", compile printed \"{e['predicted_gas_line']}\""
            if label == "EZKL":
                extra = f", ezkl.verify_evm {e.get('ezkl_verify_evm')}"
            notes.append(f"- {res['model']} {label}: verifyProof tx status {v['status']}, returned true "
                         f"{v['returned_true']}, eth_estimateGas {v['estimate_gas']}, calldata {v['calldata_bytes']} "
                         f"bytes, solc {e.get('solc')}, optimizer {e.get('optimizer')}{extra}")
    head = (f"EVM (--evm): anvil hardfork {info.get('hardfork')}, code-size limit off (contracts over the "
            f"{EIP170_LIMIT}-byte EIP-170 limit are flagged). verify gas: gasUsed of one verifyProof transaction "
            "(21000 base + calldata included) on the proof of the last repetition; EZKL: `create_evm_verifier` "
            "(reusable=False: one contract, VK embedded) + `deploy_evm` + `encode_evm_calldata`; zkinfer: "
            "`compile --evm` (default; its predicted gas is shown next to the measured one) + `setup` + "
            "`prove --evm` + `create-evm-verifier` + `deploy-evm` + `encode-calldata`, every deployed contract "
            "listed. EZKL's statement has public inputs; zkinfer's `--evm` plan may hash wide inputs (its "
            "visibility is in the notes).\n")
    return head + "\n" + "\n".join(lines) + ("\n\n" + "\n".join(notes) if notes else "")


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
def run_model(model_dir, args, anvil=None):
    name = os.path.basename(os.path.normpath(model_dir))
    base = os.path.join(args.work, name)
    systems = []
    if not args.skip_ezkl:
        systems.append(Ezkl(model_dir, os.path.join(base, "ezkl"), args))
    if not args.skip_zkinfer:
        systems.append(Zkinfer(model_dir, os.path.join(base, "zkinfer"), args))
    match = None
    for s in systems:  # EZKL first: with --match-error its output error sets zkinfer's target
        if os.path.exists(s.log_path):
            os.remove(s.log_path)
        if isinstance(s, Zkinfer) and args.match_error:
            ez = next((x for x in systems if isinstance(x, Ezkl)), None)
            match = {"cap": args.match_cap, "factor": args.match_factor,
                     "ezkl_rel_l2": ez.rel_l2 if ez else None, "target_rel_l2": None}
            if ez is not None and ez.rel_l2 is not None:
                t = min(args.match_cap, args.match_factor * ez.rel_l2)
                if t <= 0:
                    t = 1e-9
                    s.notes.append("EZKL's rel-L2 is 0; zkinfer target set to 1e-9")
                s.target_rel_l2 = match["target_rel_l2"] = t
                log(f"{name}: zkinfer --target-rel-l2 {t:.6g} = min({args.match_cap:g}, {args.match_factor:g} x "
                    f"EZKL rel-L2 {ez.rel_l2:.3e})")
            else:
                s.notes.append("--match-error: no EZKL rel-L2 (EZKL skipped or failed); zkinfer compiled with "
                               "its default --target-rel-l2")
        log(f"{name}: {s.name} compile")
        try:
            s.prepare()
            log(f"{name}: {s.name} k={s.k} compile {s.compile['s']:.2f}s")
            if isinstance(s, Ezkl) and args.match_error and not args.skip_zkinfer:
                err = s.measure_error()
                log(f"{name}: EZKL output rel-L2 vs ORT (untimed gen_witness): "
                    + (f"{err:.3e}" if err is not None else "n/a"))
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
    if anvil is not None:
        for s in systems:
            if not s.reps or not s.reps[-1].get("verified"):
                s.evm_result = {"error": "no verified proof to put on chain"}
                continue
            log(f"{name}: {s.name} EVM verifier, deployment and verifyProof gas (untimed)")
            try:
                s.evm_result = s.evm(anvil)
                v = s.evm_result["verify"]
                pg = s.evm_result.get("predicted_gas")
                log(f"{name}: {s.name} verifyProof gas {v['gas_used']}"
                    + (f" (predicted {pg})" if pg is not None else "")
                    + f" (status {v['status']}, returned true {v['returned_true']}), runtime bytes "
                    + " + ".join(f"{c['name']} {c['runtime_bytes']}" for c in s.evm_result["contracts"]))
            except Exception as e:  # noqa: BLE001
                msg = str(e) if isinstance(e, StepFailed) else f"{type(e).__name__}: {e}"
                s.evm_result = {"error": msg}
                log(f"{name}: {s.name} EVM failed: {msg}")
    res = {"model": name, "model_dir": os.path.abspath(model_dir), "match_error": match}
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
        entry["evm"] = s.evm_result
        if isinstance(s, Zkinfer):
            entry["target_rel_l2"] = s.target_rel_l2
            entry["calibration"] = s.calibration
        if isinstance(s, Ezkl):
            entry["model_copy"] = getattr(s, "model_copy", None)
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
    p.add_argument("--match-error", action=argparse.BooleanOptionalAction, default=True,
                   help="compile zkinfer with --target-rel-l2 min(CAP, FACTOR x EZKL's measured output rel-L2), "
                        "EZKL compiled first (default on; --no-match-error: zkinfer's default target)")
    p.add_argument("--match-cap", type=float, default=0.001, metavar="CAP",
                   help="--match-error: the largest target passed to zkinfer (default 0.001)")
    p.add_argument("--match-factor", type=float, default=0.9, metavar="FACTOR",
                   help="--match-error: zkinfer's target as a fraction of EZKL's rel-L2 (default 0.9)")
    p.add_argument("--evm", action="store_true",
                   help="also deploy both verifiers on a local anvil and measure verifyProof gas and runtime "
                        "bytecode sizes (untimed, after the repetitions)")
    p.add_argument("--anvil", default=os.path.join(ROOT, ".tools", "bin", "anvil"),
                   help="--evm: anvil binary (default .tools/bin/anvil, from .ci/install-evm-tools.sh)")
    p.add_argument("--zk-evm-layout", default="evm", choices=["evm", "gas", "speed"],
                   help="zkinfer circuit for the --evm step: evm (default) `compile --evm`, the on-chain plan "
                        "(wide inputs hashed, gas predicted); gas: `compile --layout gas`; speed: the timed "
                        "circuit (the timed repetitions always use the default speed layout)")
    p.add_argument("--zk-timed-evm", action="store_true",
                   help="time zkinfer on the on-chain plan (`compile --evm`) instead of the default layout; "
                        "the --evm step then reuses that circuit")
    p.add_argument("--zk-solc", default=os.path.join(ROOT, ".tools", "bin", "solc"),
                   help="--evm: solc for `zkinfer create-evm-verifier --solc` (default .tools/bin/solc, solc-js 0.8.19)")
    p.add_argument("--ezkl-solc-js", default=os.path.join(CACHE, "solc-0.8.20"),
                   help="--evm: npm prefix holding solc-js 0.8.20 for EZKL (default .cache/solc-0.8.20)")
    p.add_argument("--ezkl-optimizer-runs", type=int, default=1,
                   help="--evm: optimizer runs for EZKL's deploy_evm (default 1, EZKL's own default)")
    p.add_argument("--skip-ezkl", action="store_true")
    p.add_argument("--skip-zkinfer", action="store_true")
    p.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                   help="before each timed step wait up to S seconds for the machine to be idle (default 0: off)")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per step (default 3600)")
    # Child mode (internal): run one EZKL step in this process.
    p.add_argument("--ezkl-step", choices=EZKL_STEPS, help=argparse.SUPPRESS)
    p.add_argument("--model-dir", help=argparse.SUPPRESS)
    p.add_argument("--onnx", help=argparse.SUPPRESS)
    p.add_argument("--target", default="resources", help=argparse.SUPPRESS)
    p.add_argument("--srs", help=argparse.SUPPRESS)
    p.add_argument("--logrows", type=int, help=argparse.SUPPRESS)
    p.add_argument("--rpc", help=argparse.SUPPRESS)
    p.add_argument("--optimizer-runs", type=int, default=1, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.ezkl_step:
        rc = ezkl_step(a)
        if a.ezkl_step == "evm":
            # The EVM calls leave ezkl's tokio threads holding Python state; interpreter
            # finalization then crashes (SIGSEGV, or "PyGILState_Release: thread state ... must be
            # current"). The results are written: leave without finalizing.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(rc)
        return rc
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
        "match_error": {"on": a.match_error, "cap": a.match_cap, "factor": a.match_factor},
        "wait_idle_s": a.wait_idle,
        "models": results,
    }
    anvil = None
    if a.evm:
        for tool in (a.anvil, a.zk_solc):
            if not os.path.exists(tool):
                p.error(f"--evm: {tool} not found (run .ci/install-evm-tools.sh)")
        anvil = Anvil(a.anvil, os.path.join(a.work, "anvil.log"))
        os.makedirs(a.work, exist_ok=True)
        anvil.start()
        out["evm"] = {"anvil": a.anvil, "hardfork": anvil.hardfork, "code_size_limit": "disabled (EIP-170 flagged)",
                      "zk_solc": a.zk_solc, "ezkl_solc_js": a.ezkl_solc_js,
                      "ezkl_optimizer_runs": a.ezkl_optimizer_runs}
    try:
        for m in a.models:
            results.append(run_model(m, a, anvil))
            write_json(a.results, out)  # partial results survive a later crash
    finally:
        if anvil is not None:
            anvil.stop()
    out["finished_utc"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    write_json(a.results, out)

    mi = out["machine"]
    print(f"## zkinfer vs EZKL ({started.strftime('%Y-%m-%d')}, {mi['cores']} cores, {mi['mem_gib']} GiB, "
          f"{mi['cpu']})\n")
    print(f"Median of {a.reps} repetition(s), EZKL {out['ezkl_version']} "
          f"(calibrate_settings target \"{a.calibration_target}\"), " + ("zkinfer skipped.\n" if a.skip_zkinfer else f"zkinfer {a.zkinfer}.\n"))
    if a.match_error and not a.skip_ezkl and not a.skip_zkinfer:
        print(f"Equal error (--match-error): EZKL compiled first; zkinfer compiled with `--target-rel-l2` = "
              f"min({a.match_cap:g}, {a.match_factor:g} x EZKL's output rel-L2 vs onnxruntime).\n")
    print(table(results, a.reps))
    print()
    for res in results:
        ez, zk, mt = res.get("ezkl"), res.get("zkinfer"), res.get("match_error")
        if not (ez and zk):
            continue
        e, z = ez["summary"]["rel_l2"], zk["summary"]["rel_l2"]
        verdict = "n/a" if e is None or z is None else ("yes" if z <= e else "NO")
        cal = zk.get("calibration") or {}
        parts = [f"- {res['model']} error: zkinfer rel-L2 {fmt('rel_l2', z)} ≤ EZKL {fmt('rel_l2', e)}: **{verdict}**"]
        if mt and mt.get("target_rel_l2") is not None:
            parts.append(f"zkinfer `--target-rel-l2 {mt['target_rel_l2']:.4g}`")
        elif mt:
            parts.append("zkinfer default target (no EZKL error to match)")
        if cal:
            q = cal.get("quant") or {}
            parts.append(f"zkinfer calibration: rel-L2 {fmt('rel_l2', cal.get('rel_l2'))} vs its float reference, "
                         f"target {'met' if cal.get('target_met') else 'NOT met'}, scale 2^{q.get('input_scale')}")
        print("; ".join(parts))
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
    if a.evm:
        print()
        print(evm_table(results, out.get("evm") or {}))
    print(f"\nRaw results: {a.results}")
    failed = any(res.get(k) and res[k]["summary"]["reps_ok"] == 0 for res in results for k in ("ezkl", "zkinfer"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
