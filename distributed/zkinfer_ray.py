#!/usr/bin/env python3
"""Ray driver for zkinfer's split proving: one Ray task per segment, then one aggregation.

Flow (DIR is a directory written by `zkinfer split` and keyed by `zkinfer setup`):

1. `zkinfer witness DIR --input INPUT.json` on the driver: runs the whole model natively once
   and writes DIR/witness/segment-<i>.json, the boundary input of every segment i.
2. One Ray task per segment. Each task gets, as bytes in the object store, a tar of
   DIR/split.json, DIR/segments/<i>/ and DIR/witness/segment-<i>.json, so workers need no
   shared file system; it unpacks them into a temporary directory, runs
   `zkinfer prove-segment TMP --segment i --input TMP/witness/segment-i.json -o TMP/proof.json`
   and returns the proof bytes with the child's wall time and peak RSS. A failing prover (or a
   dead worker) is retried `--retries` times by Ray.
3. The driver writes each proof to DIR/proofs/segment-<i>.json (atomically), then runs
   `zkinfer aggregate DIR -o PROOF.json` and writes a timing summary to DIR/ray-summary.json.

On a real cluster every worker node needs the zkinfer binary at the path given by `--zkinfer`
(or $ZKINFER_BIN, or `zkinfer` on its PATH), and enough memory for one segment's prover
(`--memory-per-task`, the peak RSS that `zkinfer prove-segment` prints).

Usable as a module (`prove_split(...)`, `main(argv)`) and as a CLI (`--help`).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import io
import json
import os
import shutil
import signal
import socket
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

SPLIT_FORMAT = "zkinfer-split"
SPLIT_FORMAT_VERSION = 1
DEFAULT_RETRIES = 3
# Object store of the local cluster started when no --address is given (tests, one machine).
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024
GIB = 1024**3
# How much of a child's stdout/stderr a task sends back (the tail).
OUTPUT_TAIL_CHARS = 8000

# Ray's usage-stats reporting needs a network this driver does not: off unless asked for.
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


class DriverError(Exception):
    """A failure of the driver itself (bad DIR, missing binary, a zkinfer step that failed)."""


class SegmentProveError(Exception):
    """`zkinfer prove-segment` failed inside a task; Ray retries it (retry_exceptions=True).

    The constructor's arguments are kept in `args`, so the exception pickles back to the driver.
    """

    def __init__(self, segment: int, returncode: Optional[int], stderr: str, host: str = ""):
        super().__init__(segment, returncode, stderr, host)
        self.segment = segment
        self.returncode = returncode
        self.stderr = stderr
        self.host = host

    def __str__(self) -> str:
        how = "could not start" if self.returncode is None else f"exited with {self.returncode}"
        where = f" on {self.host}" if self.host else ""
        return (
            f"zkinfer prove-segment for segment {self.segment} {how}{where}:\n"
            f"{self.stderr.rstrip()}"
        )


# --------------------------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _pdeathsig_preexec():
    """A preexec_fn that makes the child get SIGKILL when its parent (the Ray worker) dies.

    libc's prctl is looked up here, before the fork, so the child only makes the call.
    Returns None where prctl does not exist (not Linux): the child then outlives a killed worker.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        # The parent may have died between fork and prctl: then no signal would ever come.
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def _tail(text: str, limit: int = OUTPUT_TAIL_CHARS) -> str:
    return text if len(text) <= limit else "...\n" + text[-limit:]


def run_child(argv: Sequence[str], workdir: Path) -> Dict[str, Any]:
    """Runs argv to completion with stdout/stderr in files under workdir.

    The child dies with this process (PR_SET_PDEATHSIG on Linux). Returns returncode, wall_s,
    peak_rss_kib (the child's ru_maxrss from wait4) and the tails of its stdout and stderr.
    Raises OSError when argv[0] cannot be executed.
    """
    import subprocess

    out_path, err_path = workdir / "child.stdout", workdir / "child.stderr"
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=str(workdir),
            preexec_fn=_pdeathsig_preexec(),
        )
        try:
            # wait4 instead of proc.wait(): it also gives the child's resource usage.
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()  # a cancelled task must not leave a prover behind
            proc.wait()
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    return {
        "returncode": proc.returncode,
        "wall_s": wall,
        # KiB on Linux. Linux carries the forking worker's own peak over exec, so this is
        # max(worker RSS at fork, prover peak): exact for a prover bigger than its worker
        # (any real one), the worker's size (~40 MiB) for a tiny child.
        "peak_rss_kib": int(usage.ru_maxrss),
        "stdout": _tail(out_path.read_text(errors="replace")),
        "stderr": _tail(err_path.read_text(errors="replace")),
    }


# --------------------------------------------------------------------------------------------
# The split directory
# --------------------------------------------------------------------------------------------


def load_split(split_dir: Path) -> List[Dict[str, Any]]:
    """Reads DIR/split.json and returns its segments, sorted by index, each with a safe `dir`."""
    path = split_dir / "split.json"
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise DriverError(f"cannot read {path}: {e}") from e
    if not isinstance(doc, dict) or doc.get("format") != SPLIT_FORMAT:
        raise DriverError(f"{path} is not a zkinfer split (format != {SPLIT_FORMAT!r})")
    if doc.get("format_version") != SPLIT_FORMAT_VERSION:
        raise DriverError(
            f"{path}: format_version {doc.get('format_version')!r} is not supported "
            f"(this driver reads {SPLIT_FORMAT_VERSION})"
        )
    segments = doc.get("segments")
    if not isinstance(segments, list) or not segments:
        raise DriverError(f"{path} lists no segments")
    out = []
    for pos, seg in enumerate(sorted(segments, key=lambda s: s.get("index", -1))):
        index = seg.get("index")
        if index != pos:
            raise DriverError(f"{path}: segment indices must be 0..N-1, found {index!r} at {pos}")
        rel = seg.get("dir", f"segments/{index}")
        rel_path = Path(rel)
        if rel_path.is_absolute() or ".." in rel_path.parts:
            raise DriverError(f"{path}: segment {index} dir {rel!r} must be relative, inside DIR")
        if not (split_dir / rel_path).is_dir():
            raise DriverError(f"segment {index}: {split_dir / rel_path} is not a directory")
        out.append({"index": index, "dir": rel_path.as_posix()})
    return out


def witness_path(split_dir: Path, index: int) -> Path:
    """DIR/witness/segment-<index>.json, written by `zkinfer witness`."""
    return split_dir / "witness" / f"segment-{index}.json"


def proof_path(split_dir: Path, index: int) -> Path:
    """DIR/proofs/segment-<index>.json, read by `zkinfer aggregate`."""
    return split_dir / "proofs" / f"segment-{index}.json"


def pack_segment(split_dir: Path, segment: Dict[str, Any]) -> bytes:
    """An uncompressed tar of split.json, the segment's dir and its witness, paths relative."""
    index = segment["index"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(split_dir / "split.json", arcname="split.json")
        tar.add(split_dir / segment["dir"], arcname=segment["dir"])
        tar.add(witness_path(split_dir, index), arcname=f"witness/segment-{index}.json")
    return buf.getvalue()


def _unpack(blob: bytes, dest: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # Python without extraction filters: the driver built this tar itself
            tar.extractall(dest)  # noqa: S202


def write_atomic(path: Path, data: bytes) -> None:
    """Writes data to path via a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# --------------------------------------------------------------------------------------------
# The task body (runs on a Ray worker)
# --------------------------------------------------------------------------------------------


def _record_attempt(status_dir: Optional[str], index: int) -> int:
    """Creates <status_dir>/segment-<index>.attempt-<n>.pid (n = 1, 2, ...: the first free one,
    by O_EXCL, so each attempt gets its own file) holding this worker's PID; returns n, or 0
    where status_dir cannot be written (e.g. a worker node without that path)."""
    if not status_dir:
        return 0
    try:
        os.makedirs(status_dir, exist_ok=True)
        n = 1
        while True:
            path = os.path.join(status_dir, f"segment-{index}.attempt-{n}.pid")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                n += 1
                continue
            with os.fdopen(fd, "w") as f:
                f.write(f"{os.getpid()}\n")
            return n
    except OSError:
        return 0


def prove_segment_task(
    blob: bytes, index: int, zkinfer: str, status_dir: Optional[str]
) -> Dict[str, Any]:
    """Proves one segment from its packed inputs; the body of each Ray task.

    Returns {"index", "proof" (bytes), "wall_s", "task_s", "peak_rss_kib", "attempt", "pid",
    "host", "stdout"}. Raises SegmentProveError (with the child's stderr) when the prover fails.
    """
    task_start = time.monotonic()
    attempt = _record_attempt(status_dir, index)
    host = socket.gethostname()
    with tempfile.TemporaryDirectory(prefix=f"zkinfer-seg{index}-") as tmp_name:
        tmp = Path(tmp_name)
        work = tmp / "split"
        work.mkdir()
        _unpack(blob, work)
        out = work / "proof.json"
        argv = [
            zkinfer,
            "prove-segment",
            str(work),
            "--segment",
            str(index),
            "--input",
            str(work / "witness" / f"segment-{index}.json"),
            "-o",
            str(out),
        ]
        try:
            res = run_child(argv, tmp)
        except OSError as e:
            raise SegmentProveError(index, None, f"{zkinfer}: {e}", host) from None
        if res["returncode"] != 0:
            raise SegmentProveError(index, res["returncode"], res["stderr"], host)
        try:
            proof = out.read_bytes()
        except OSError as e:
            raise SegmentProveError(
                index, 0, f"exited 0 but wrote no proof at {out}: {e}\n{res['stderr']}", host
            ) from None
    return {
        "index": index,
        "proof": proof,
        "wall_s": res["wall_s"],
        "task_s": time.monotonic() - task_start,
        "peak_rss_kib": res["peak_rss_kib"],
        "attempt": attempt,
        "pid": os.getpid(),
        "host": host,
        "stdout": res["stdout"],
    }


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------


def resolve_zkinfer(path: Optional[str]) -> str:
    """--zkinfer, else $ZKINFER_BIN, else `zkinfer` on PATH; returned as an absolute path."""
    cand = path or os.environ.get("ZKINFER_BIN") or "zkinfer"
    found = shutil.which(cand)
    if found is None:
        raise DriverError(
            f"zkinfer binary {cand!r} not found or not executable "
            "(pass --zkinfer PATH or set ZKINFER_BIN)"
        )
    return os.path.abspath(found)


def _run_step(argv: Sequence[str], what: str) -> float:
    """Runs a zkinfer step on the driver (output passed through); returns its wall seconds."""
    import subprocess

    print(f"zkinfer_ray: {what}: {' '.join(argv)}", flush=True)
    start = time.monotonic()
    try:
        rc = subprocess.run(list(argv), stdin=subprocess.DEVNULL, check=False).returncode
    except OSError as e:
        raise DriverError(f"{what}: cannot run {argv[0]}: {e}") from e
    if rc != 0:
        raise DriverError(f"{what} failed: {' '.join(argv)} exited with {rc}")
    return time.monotonic() - start


def _init_ray(address: Optional[str]) -> bool:
    """Connects to address, or starts a small local cluster; True when this call did it."""
    import ray

    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address)
    else:
        ray.init(object_store_memory=LOCAL_OBJECT_STORE_BYTES, include_dashboard=False)
    return True


def _warn_unschedulable(memory_bytes: int, cpus: float) -> None:
    """Warns when no alive node has the resources one task asks for (it would wait forever
    unless an autoscaler adds such a node)."""
    import ray

    try:
        nodes = [n for n in ray.nodes() if n.get("Alive")]
    except Exception:  # noqa: BLE001 (only a hint; Ray Client may not answer)
        return
    fits = [
        n
        for n in nodes
        if n.get("Resources", {}).get("CPU", 0) >= cpus
        and n.get("Resources", {}).get("memory", 0) >= memory_bytes
    ]
    if nodes and not fits:
        print(
            f"zkinfer_ray: warning: no node has {cpus} CPU and {memory_bytes / GIB:.2f} GiB "
            "of Ray memory, as one task asks; tasks wait until such a node joins",
            file=sys.stderr,
            flush=True,
        )


def _failure_message(index: int, err: BaseException, retries: int, attempts: int) -> str:
    cause = getattr(err, "cause", None)
    if isinstance(getattr(cause, "stderr", None), str):
        detail = str(cause)
    elif type(err).__name__ in ("WorkerCrashedError", "NodeDiedError", "OutOfMemoryError"):
        detail = f"the Ray worker died ({type(err).__name__}): {err}"
    else:
        detail = str(err)
    tried = f"{attempts} attempts" if attempts else f"1 + {retries} retries"
    return f"segment {index} failed after {tried} (--retries {retries}): {detail}"


def _count_attempts(status_dir: Path, index: int) -> int:
    return len(list(status_dir.glob(f"segment-{index}.attempt-*.pid")))


def prove_split(
    split_dir: Path,
    input_path: Path,
    output: Optional[Path],
    *,
    address: Optional[str] = None,
    zkinfer: Optional[str] = None,
    memory_per_task_gib: float = 0.0,
    cpus_per_task: float = 1.0,
    retries: int = DEFAULT_RETRIES,
    aggregate: bool = True,
    status_dir: Optional[Path] = None,
) -> Dict[str, Any]:
    """Runs the whole distributed flow on DIR and returns the summary (also written as JSON to
    DIR/ray-summary.json). Uses the already-initialized Ray connection if there is one, else
    connects to `address` (or starts a local cluster) and shuts it down at the end.
    Raises DriverError on any failure, naming the segment when a segment failed."""
    t0 = time.monotonic()
    split_dir = split_dir.resolve()
    if aggregate and output is None:
        raise DriverError("an output path (-o PROOF.json) is needed unless --no-aggregate")
    if retries < 0:
        raise DriverError("--retries must be >= 0")
    if cpus_per_task <= 0 or memory_per_task_gib < 0:
        raise DriverError("--cpus-per-task must be > 0 and --memory-per-task >= 0")
    segments = load_split(split_dir)
    binary = resolve_zkinfer(zkinfer)
    status = (status_dir or split_dir / "ray-status").resolve()
    status.mkdir(parents=True, exist_ok=True)
    for old in status.glob("segment-*.attempt-*.pid"):
        old.unlink()
    for seg in segments:
        proof_path(split_dir, seg["index"]).unlink(missing_ok=True)

    witness_s = _run_step(
        [binary, "witness", str(split_dir), "--input", str(Path(input_path).resolve())],
        "witness",
    )
    missing = [str(witness_path(split_dir, s["index"])) for s in segments
               if not witness_path(split_dir, s["index"]).is_file()]
    if missing:
        raise DriverError(f"zkinfer witness wrote no boundary input for: {', '.join(missing)}")

    import ray

    started = _init_ray(address)
    try:
        if __name__ != "__main__":  # workers need not import this module: ship it by value
            ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
        memory_bytes = int(memory_per_task_gib * GIB)
        options: Dict[str, Any] = {
            "num_cpus": cpus_per_task,
            "max_retries": retries,
            "retry_exceptions": True,
        }
        if memory_bytes:
            options["memory"] = memory_bytes
        _warn_unschedulable(memory_bytes, cpus_per_task)
        task = ray.remote(prove_segment_task).options(**options)
        prove_start = time.monotonic()
        blobs = {}
        pending = {}
        for seg in segments:
            blobs[seg["index"]] = ray.put(pack_segment(split_dir, seg))
            ref = task.remote(blobs[seg["index"]], seg["index"], binary, str(status))
            pending[ref] = seg["index"]
        print(
            f"zkinfer_ray: submitted {len(segments)} segment tasks "
            f"(num_cpus={cpus_per_task}, memory={memory_per_task_gib} GiB, "
            f"max_retries={retries})",
            flush=True,
        )
        results: Dict[int, Dict[str, Any]] = {}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                index = pending.pop(ref)
                try:
                    res = ray.get(ref)
                except ray.exceptions.RayError as e:
                    for other in pending:
                        ray.cancel(other, force=True)
                    msg = _failure_message(index, e, retries, _count_attempts(status, index))
                    raise DriverError(msg) from None
                write_atomic(proof_path(split_dir, index), res.pop("proof"))
                res["elapsed_s"] = time.monotonic() - prove_start
                results[index] = res
                print(
                    f"zkinfer_ray: segment {index}: proved in {res['wall_s']:.2f} s "
                    f"(peak RSS {res['peak_rss_kib'] / 1024:.1f} MiB, attempt "
                    f"{res['attempt'] or '?'}, {res['host']} pid {res['pid']}) "
                    f"[{len(results)}/{len(segments)} at {res['elapsed_s']:.2f} s]",
                    flush=True,
                )
        prove_s = time.monotonic() - prove_start
    finally:
        if started:
            ray.shutdown()

    aggregate_s = None
    if aggregate:
        aggregate_s = _run_step(
            [binary, "aggregate", str(split_dir), "-o", str(Path(output).resolve())], "aggregate"
        )
    per = [results[s["index"]] for s in segments]
    summary = {
        "split_dir": str(split_dir),
        "output": str(Path(output).resolve()) if aggregate else None,
        "segments": [
            {
                "index": r["index"],
                "wall_s": round(r["wall_s"], 3),
                "task_s": round(r["task_s"], 3),
                "peak_rss_kib": r["peak_rss_kib"],
                "attempts": _count_attempts(status, r["index"]) or None,
                "host": r["host"],
                "stdout_tail": r["stdout"][-2000:],
            }
            for r in per
        ],
        "witness_s": round(witness_s, 3),
        "prove_wall_s": round(prove_s, 3),
        "max_segment_s": round(max(r["wall_s"] for r in per), 3),
        "sum_segment_s": round(sum(r["wall_s"] for r in per), 3),
        "aggregate_s": None if aggregate_s is None else round(aggregate_s, 3),
        "total_s": round(time.monotonic() - t0, 3),
    }
    write_atomic(split_dir / "ray-summary.json", (json.dumps(summary, indent=2) + "\n").encode())
    _print_summary(summary)
    return summary


def _print_summary(s: Dict[str, Any]) -> None:
    print("zkinfer_ray: summary", flush=True)
    print(f"  {'segment':>7}  {'wall_s':>8}  {'peak_rss_MiB':>12}  {'attempts':>8}  host")
    for seg in s["segments"]:
        print(
            f"  {seg['index']:>7}  {seg['wall_s']:>8.2f}  {seg['peak_rss_kib'] / 1024:>12.1f}  "
            f"{seg['attempts'] or '?':>8}  {seg['host']}"
        )
    agg = "skipped" if s["aggregate_s"] is None else f"{s['aggregate_s']:.2f} s"
    print(
        f"  witness {s['witness_s']:.2f} s; segments in parallel {s['prove_wall_s']:.2f} s; "
        f"max segment {s['max_segment_s']:.2f} s (= N machines); sum of segments "
        f"{s['sum_segment_s']:.2f} s (= one machine); aggregate {agg}; total {s['total_s']:.2f} s",
        flush=True,
    )
    print(f"  written to {Path(s['split_dir']) / 'ray-summary.json'}", flush=True)


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    p = argparse.ArgumentParser(
        prog="zkinfer_ray.py",
        description=(
            "Prove a zkinfer split (from `zkinfer split` + `zkinfer setup`) on Ray: witness on "
            "the driver, one task per segment (`zkinfer prove-segment`), then `zkinfer "
            "aggregate`. Each task gets its segment's files as bytes (no shared file system). "
            "On a real cluster EVERY worker node needs the zkinfer binary at the --zkinfer path."
        ),
    )
    p.add_argument("dir", type=Path, help="the split directory (DIR/split.json, DIR/segments/)")
    p.add_argument("--input", required=True, type=Path, help="the model's input JSON")
    p.add_argument("-o", "--output", type=Path, help="the aggregated proof to write")
    p.add_argument(
        "--address",
        help="Ray cluster to join (e.g. auto, HEAD:6379 or ray://HEAD:10001); "
        "default: start a small local cluster",
    )
    p.add_argument(
        "--zkinfer",
        help="zkinfer binary; default $ZKINFER_BIN, else `zkinfer` on PATH. Made absolute and "
        "passed to the tasks: every worker node must have it at that same path",
    )
    p.add_argument(
        "--memory-per-task",
        type=float,
        default=0.0,
        metavar="GIB",
        help="Ray memory resource per task in GiB: a segment prover's peak RSS (default 0: "
        "unreserved)",
    )
    p.add_argument("--cpus-per-task", type=float, default=1.0, metavar="N",
                   help="Ray CPUs per task (default 1)")
    p.add_argument("--retries", type=int, default=DEFAULT_RETRIES, metavar="N",
                   help=f"Ray retries per segment, for a failing prover or a dead worker "
                   f"(default {DEFAULT_RETRIES})")
    p.add_argument("--no-aggregate", action="store_true",
                   help="stop after writing DIR/proofs/segment-<i>.json")
    p.add_argument("--status-dir", type=Path,
                   help="where tasks write segment-<i>.attempt-<n>.pid (default DIR/ray-status)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The CLI: 0 on success, 1 with a message on stderr on failure."""
    args = build_parser().parse_args(argv)
    try:
        prove_split(
            args.dir,
            args.input,
            args.output,
            address=args.address,
            zkinfer=args.zkinfer,
            memory_per_task_gib=args.memory_per_task,
            cpus_per_task=args.cpus_per_task,
            retries=args.retries,
            aggregate=not args.no_aggregate,
            status_dir=args.status_dir,
        )
    except DriverError as e:
        print(f"zkinfer_ray: error: {e}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("zkinfer_ray: interrupted", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
