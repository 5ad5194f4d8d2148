"""Tests of distributed/zkinfer_ray.py on a local Ray cluster with a fake zkinfer binary.

One Ray cluster for the whole module (started in setUpModule, stopped in tearDownModule); the
drivers under test either run in this process (prove_split) or as subprocesses that join the
cluster with --address. Run with:
    .venv-ray/bin/python -m pytest distributed/tests -q
    .venv-ray/bin/python -m unittest discover -s distributed/tests -v
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
DRIVER = HERE.parent / "zkinfer_ray.py"
sys.path.insert(0, str(HERE.parent))

import zkinfer_ray  # noqa: E402  (sets RAY_USAGE_STATS_ENABLED=0 before ray starts)
import ray  # noqa: E402

N_SEGMENTS = 3
PROVE_SLEEP_S = 2.0
# How long a test waits for a driver subprocess before failing.
DRIVER_TIMEOUT_S = 120

FAKE_ZKINFER = r'''#!{python}
"""Fake zkinfer for the Ray driver's tests: witness, prove-segment, aggregate."""
import hashlib, json, os, sys, time
from pathlib import Path

FAIL_SEGMENT = {fail_segment!r}
CHILDREN = Path({children!r})
SLEEP_S = {sleep_s!r}

def sha(b):
    return hashlib.sha256(b).hexdigest()

def opt(args, name, default=None):
    return args[args.index(name) + 1] if name in args else default

def segments(d):
    return json.loads((d / "split.json").read_text())["segments"]

def witness(args):
    d = Path(args[0]); x = Path(opt(args, "--input")).read_bytes()
    (d / "witness").mkdir(exist_ok=True)
    h = sha(x)
    for s in segments(d):
        (d / "witness" / f"segment-{{s['index']}}.json").write_text(
            json.dumps({{"segment": s["index"], "boundary": h}}))
        h = sha((h + str(s["index"])).encode())

def prove_segment(args):
    d = Path(args[0]); i = int(opt(args, "--segment")); inp = Path(opt(args, "--input"))
    CHILDREN.mkdir(parents=True, exist_ok=True)
    (CHILDREN / f"segment-{{i}}.{{os.getpid()}}").write_text(str(os.getpid()))
    # The task must ship exactly split.json, its own segment dir and its witness.
    present = sorted(p.name for p in (d / "segments").iterdir())
    if present != [str(i)]:
        sys.exit(f"fake prove-segment: segment {{i}} sees segments {{present}}")
    model = (d / "segments" / str(i) / "model.json").read_bytes()
    w = json.loads(inp.read_text())
    if w["segment"] != i:
        sys.exit(f"fake prove-segment: witness of segment {{w['segment']}} given to {{i}}")
    if FAIL_SEGMENT is not None and i == FAIL_SEGMENT:
        sys.exit(f"fake prove-segment: constraint failure in segment {{i}} (always)")
    time.sleep(SLEEP_S)
    out = Path(opt(args, "-o", d / "proofs" / f"segment-{{i}}.json"))
    out.write_text(json.dumps({{"segment": i, "input_sha256": sha(inp.read_bytes()),
                               "model_sha256": sha(model)}}, sort_keys=True))
    print(f"segment {{i}}: proved; peak RSS 12.0 MiB")

def aggregate(args):
    d = Path(args[0]); out = Path(opt(args, "-o"))
    parts = []
    for s in segments(d):
        p = d / "proofs" / f"segment-{{s['index']}}.json"
        if not p.is_file():
            sys.exit(f"fake aggregate: missing {{p}}")
        proof = json.loads(p.read_text())
        if proof["segment"] != s["index"]:
            sys.exit(f"fake aggregate: {{p}} is the proof of segment {{proof['segment']}}")
        parts.append(sha(p.read_bytes()))
    out.write_text(json.dumps({{"aggregated": parts}}))

cmd, rest = sys.argv[1], sys.argv[2:]
{{"witness": witness, "prove-segment": prove_segment, "aggregate": aggregate}}[cmd](rest)
'''


def make_fake(where: Path, fail_segment: Optional[int] = None) -> Path:
    """Writes an executable fake zkinfer under `where`; it logs its provers' PIDs in
    where/children/segment-<i>.<pid>."""
    where.mkdir(parents=True, exist_ok=True)
    path = where / "zkinfer"
    path.write_text(
        FAKE_ZKINFER.format(
            python=sys.executable,
            fail_segment=fail_segment,
            children=str(where / "children"),
            sleep_s=PROVE_SLEEP_S,
        )
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def make_split(where: Path, n: int = N_SEGMENTS) -> Path:
    """A split directory as `zkinfer split` would write it (fake segment models), plus an
    input file where/input.json."""
    d = where / "split"
    segs = []
    for i in range(n):
        (d / "segments" / str(i)).mkdir(parents=True)
        (d / "segments" / str(i) / "model.json").write_text(json.dumps({"layer": i}))
        segs.append({"index": i, "dir": f"segments/{i}"})
    (d / "split.json").write_text(
        json.dumps({"format": "zkinfer-split", "format_version": 1, "segments": segs})
    )
    (where / "input.json").write_text(json.dumps({"input_data": [[1, 2, 3]]}))
    return d


def run_driver(args, **kw) -> subprocess.Popen:
    """Starts the driver CLI as a subprocess joined to this module's cluster."""
    return subprocess.Popen(
        [sys.executable, str(DRIVER), *map(str, args), "--address", CLUSTER_ADDRESS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def alive(pid: int) -> bool:
    """Whether pid is a live process (a zombie counts as dead)."""
    try:
        st = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return st.rsplit(")", 1)[1].split()[0] != "Z"


CLUSTER_ADDRESS = ""
_TMP: Optional[tempfile.TemporaryDirectory] = None
_BASELINE: Optional[bytes] = None


def setUpModule() -> None:  # noqa: N802 (unittest's name)
    global CLUSTER_ADDRESS, _TMP
    _TMP = tempfile.TemporaryDirectory(prefix="zkinfer-ray-test-")
    ray.init(
        num_cpus=N_SEGMENTS,
        object_store_memory=zkinfer_ray.LOCAL_OBJECT_STORE_BYTES,
        include_dashboard=False,
    )
    CLUSTER_ADDRESS = ray.get_runtime_context().gcs_address


def tearDownModule() -> None:  # noqa: N802
    ray.shutdown()
    if _TMP is not None:
        _TMP.cleanup()


def fresh(name: str) -> Path:
    assert _TMP is not None
    p = Path(_TMP.name) / name
    p.mkdir()
    return p


def baseline() -> bytes:
    """The aggregated proof of a run without faults (computed once, in this process)."""
    global _BASELINE
    if _BASELINE is None:
        where = fresh("baseline")
        d = make_split(where)
        fake = make_fake(where / "bin")
        zkinfer_ray.prove_split(d, where / "input.json", where / "proof.json", zkinfer=str(fake))
        _BASELINE = (where / "proof.json").read_bytes()
    return _BASELINE


class DriverTest(unittest.TestCase):
    def test_all_segments_proved_and_aggregated(self) -> None:
        where = fresh("ok")
        d = make_split(where)
        fake = make_fake(where / "bin")
        start = time.monotonic()
        summary = zkinfer_ray.prove_split(
            d, where / "input.json", where / "proof.json", zkinfer=str(fake)
        )
        took = time.monotonic() - start
        for i in range(N_SEGMENTS):
            proof = json.loads((d / "proofs" / f"segment-{i}.json").read_text())
            self.assertEqual(proof["segment"], i)
            w = (d / "witness" / f"segment-{i}.json").read_bytes()
            self.assertEqual(proof["input_sha256"], hashlib.sha256(w).hexdigest())
        agg = json.loads((where / "proof.json").read_text())
        self.assertEqual(len(agg["aggregated"]), N_SEGMENTS)
        on_disk = json.loads((d / "ray-summary.json").read_text())
        self.assertEqual(on_disk["segments"], summary["segments"])
        self.assertEqual([s["index"] for s in on_disk["segments"]], list(range(N_SEGMENTS)))
        for s in on_disk["segments"]:
            self.assertEqual(s["attempts"], 1)
            self.assertGreaterEqual(s["wall_s"], PROVE_SLEEP_S)
            self.assertGreater(s["peak_rss_kib"], 0)
            self.assertIn("peak RSS", s["stdout_tail"])
        self.assertGreaterEqual(on_disk["max_segment_s"], PROVE_SLEEP_S)
        self.assertGreaterEqual(on_disk["sum_segment_s"], N_SEGMENTS * PROVE_SLEEP_S)
        # The segments ran in parallel: well under the sum of their times.
        self.assertLess(on_disk["prove_wall_s"], on_disk["sum_segment_s"])
        print(f"\n[ok] {N_SEGMENTS} segments in {took:.2f} s", file=sys.stderr)
        global _BASELINE
        if _BASELINE is None:
            _BASELINE = (where / "proof.json").read_bytes()

    def test_killed_worker_is_retried(self) -> None:
        expected = baseline()
        where = fresh("kill")
        d = make_split(where)
        fake = make_fake(where / "bin")
        status = d / "ray-status"
        start = time.monotonic()
        proc = run_driver([d, "--input", where / "input.json", "-o", where / "proof.json",
                           "--zkinfer", fake, "--retries", 3])
        try:
            pid_file = status / "segment-1.attempt-1.pid"
            deadline = time.monotonic() + DRIVER_TIMEOUT_S
            child = None
            while child is None:
                self.assertIsNone(proc.poll(), "driver ended before segment 1 started")
                self.assertLess(time.monotonic(), deadline, "segment 1 never started")
                kids = list((where / "bin" / "children").glob("segment-1.*"))
                if pid_file.is_file() and kids:
                    child = int(kids[0].read_text())
                else:
                    time.sleep(0.05)
            worker = int(pid_file.read_text())
            self.assertNotIn(worker, (os.getpid(), proc.pid))
            os.kill(worker, signal.SIGKILL)
            # The prover child dies with its worker (PR_SET_PDEATHSIG), long before it would
            # have finished its PROVE_SLEEP_S.
            gone_by = time.monotonic() + PROVE_SLEEP_S / 2
            while alive(child) and time.monotonic() < gone_by:
                time.sleep(0.02)
            self.assertFalse(alive(child), f"prover child {child} outlived its worker")
            out, err = proc.communicate(timeout=DRIVER_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        took = time.monotonic() - start
        self.assertEqual(proc.returncode, 0, f"driver failed:\n{out}\n{err}")
        attempts = sorted(status.glob("segment-1.attempt-*.pid"))
        self.assertGreaterEqual(len(attempts), 2, attempts)
        self.assertNotEqual(int((status / "segment-1.attempt-2.pid").read_text()), worker)
        summary = json.loads((d / "ray-summary.json").read_text())
        self.assertGreaterEqual(summary["segments"][1]["attempts"], 2)
        self.assertEqual((where / "proof.json").read_bytes(), expected)
        self.assertIn("segment 1: proved", out)
        print(f"\n[kill] driver with one killed worker in {took:.2f} s", file=sys.stderr)

    def test_always_failing_segment_fails_the_driver(self) -> None:
        where = fresh("fail")
        d = make_split(where)
        fake = make_fake(where / "bin", fail_segment=2)
        start = time.monotonic()
        proc = run_driver([d, "--input", where / "input.json", "-o", where / "proof.json",
                           "--zkinfer", fake, "--retries", 2])
        out, err = proc.communicate(timeout=DRIVER_TIMEOUT_S)
        took = time.monotonic() - start
        self.assertEqual(proc.returncode, 1, f"driver should fail:\n{out}\n{err}")
        self.assertIn("zkinfer_ray: error: segment 2 failed after 3 attempts (--retries 2)", err)
        self.assertIn("constraint failure in segment 2", err)
        self.assertFalse((where / "proof.json").exists())
        self.assertEqual(len(list((d / "ray-status").glob("segment-2.attempt-*.pid"))), 3)
        print(f"\n[fail] failing driver in {took:.2f} s", file=sys.stderr)

    def test_missing_binary_is_a_clear_error(self) -> None:
        where = fresh("nobin")
        d = make_split(where)
        res = subprocess.run(
            [sys.executable, str(DRIVER), str(d), "--input", str(where / "input.json"),
             "-o", str(where / "proof.json"), "--zkinfer", str(where / "no-such-zkinfer")],
            capture_output=True, text=True, timeout=DRIVER_TIMEOUT_S,
        )
        self.assertEqual(res.returncode, 1)
        self.assertIn("no-such-zkinfer", res.stderr)
        self.assertIn("not found", res.stderr)


if __name__ == "__main__":
    unittest.main()
