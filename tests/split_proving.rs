//! Split proving end to end, as a user runs it: `split` mlp_chain into 3 segments, `setup`,
//! the segment proofs as Ray tasks through `distributed/zkinfer_ray.py` on a local Ray
//! cluster (one task's worker killed mid-proof, and retried), `aggregate`, `verify` natively
//! and on anvil; then each fault `aggregate` must name: a changed segment proof, a missing
//! segment, a changed boundary value, a proof of another segment's key; and tampered
//! aggregated proofs. Needs `.ci/install-evm-tools.sh` and `.ci/install-ray.sh`
//! (`ZKINFER_RAY_PYTHON`, which `.ci/test.sh` sets).
#![allow(clippy::unwrap_used, missing_docs)]

mod evm_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use evm_common::{ok, p, root, text, tools, zkinfer, Anvil};

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, v.to_string()).unwrap();
}

/// `zkinfer args` must fail with exit 1 and a message containing `want`.
fn fails(args: &[&str], want: &str) -> String {
    let o = zkinfer(args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "zkinfer {args:?}:\n{t}");
    assert!(
        t.contains(want),
        "zkinfer {args:?} should say {want:?}:\n{t}"
    );
    assert!(!t.contains("panicked"), "{t}");
    t
}

/// Flips one hex digit of `proof` in the artifact at `path` (returns the original).
fn flip_proof(path: &Path) -> serde_json::Value {
    let original = read_json(path);
    let mut bad = original.clone();
    let mut hex_proof = bad["proof"].as_str().unwrap().to_string();
    let at = hex_proof.len() / 2;
    let flip = if &hex_proof[at..at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    hex_proof.replace_range(at..at + 1, flip);
    bad["proof"] = hex_proof.into();
    write_json(path, &bad);
    original
}

/// The pid of a running `zkinfer prove-segment ... --segment <segment>` whose parent is
/// `worker` (so the Ray task is mid-proof), if any.
fn proving_child(worker: u32, segment: usize) -> Option<u32> {
    let children = std::fs::read_dir(format!("/proc/{worker}/task")).ok()?;
    for t in children.flatten() {
        let list = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        for pid in list.split_whitespace() {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<String> = cmd
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let seg = segment.to_string();
            if args.iter().any(|a| a == "prove-segment")
                && args.windows(2).any(|w| w[0] == "--segment" && w[1] == seg)
            {
                return pid.parse().ok();
            }
        }
    }
    None
}

/// Runs the Ray driver on `dir`, killing the worker of segment 1's first attempt once its
/// `zkinfer prove-segment` is running; returns the driver's output.
fn ray_flow_with_a_killed_worker(python: &Path, dir: &Path, input: &Path, out: &Path) -> String {
    let status = dir.join("ray-status");
    let _ = std::fs::remove_dir_all(&status);
    let driver = root().join("distributed/zkinfer_ray.py");
    let mut child = Command::new(python)
        .arg(&driver)
        .arg(dir)
        .args(["--input", p(input), "-o", p(out)])
        .args(["--zkinfer", env!("CARGO_BIN_EXE_zkinfer")])
        .args(["--status-dir", p(&status), "--retries", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", driver.display()));
    let start = Instant::now();
    let mut killed = None;
    while killed.is_none() && start.elapsed() < Duration::from_secs(600) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let first = std::fs::read_dir(&status).ok().and_then(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| n.starts_with("segment-1.attempt-") && n.ends_with(".pid"))
        });
        if let Some(name) = first {
            let pid: u32 = std::fs::read_to_string(status.join(&name))
                .unwrap_or_default()
                .trim()
                .parse()
                .unwrap_or(0);
            if pid > 0 && proving_child(pid, 1).is_some() {
                let k = Command::new("kill").args(["-9", &pid.to_string()]).status();
                assert!(k.unwrap().success());
                killed = Some(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let log = text(&o);
    assert!(o.status.success(), "the Ray driver failed:\n{log}");
    let pid = killed.unwrap_or_else(|| panic!("segment 1's task was never seen proving:\n{log}"));
    let attempts = std::fs::read_dir(&status)
        .unwrap()
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("segment-1.attempt-")
        })
        .count();
    assert!(
        attempts >= 2,
        "segment 1's worker {pid} was killed but the task was not retried:\n{log}"
    );
    log
}

#[test]
fn split_ray_aggregate_verify_and_faults() {
    let tools = tools();
    let python = std::env::var_os("ZKINFER_RAY_PYTHON")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "ZKINFER_RAY_PYTHON is not set: run .ci/install-ray.sh (a venv with ray in \
                 .venv-ray/) and export ZKINFER_RAY_PYTHON=$PWD/.venv-ray/bin/python, or run \
                 the tests with .ci/test.sh, which does both"
            )
        });
    let fixture = root().join("tests/fixtures/mlp_chain");
    let (model, input) = (fixture.join("network.onnx"), fixture.join("input.json"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("split-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let dir = tmp.join("split");
    let cache = root().join("target/test-srs-cache");
    let mut times = Vec::new();

    // More segments than cut points: a named error.
    fails(
        &[
            "split",
            p(&model),
            "--segments",
            "9",
            "--calibration",
            p(&input),
            "-o",
            p(&dir),
        ],
        "at most 5",
    );
    // A budget: the fewest segments that fit (2, for a budget the whole model meets), or a
    // named error with the best a split achieves.
    let budgeted = tmp.join("budgeted");
    let log = ok(&[
        "split",
        p(&model),
        "--max-memory",
        "4G",
        "--calibration",
        p(&input),
        "-o",
        p(&budgeted),
    ]);
    let m = read_json(&budgeted.join("split.json"));
    assert_eq!(m["segments"].as_array().unwrap().len(), 2, "{log}");
    assert!(m["segments"][0]["predicted_prove_bytes"].as_u64().unwrap() > 0);
    fails(
        &[
            "split",
            p(&model),
            "--max-rows",
            "64",
            "--calibration",
            p(&input),
            "-o",
            p(&budgeted),
        ],
        "no split meets --max-rows 64: at best, the largest segment",
    );
    let t = Instant::now();
    let log = ok(&[
        "split",
        p(&model),
        "--segments",
        "3",
        "--calibration",
        p(&input),
        // One column per segment: the aggregation circuit's cost grows with the segments'
        // columns (3 minutes instead of 9 on two cores).
        "--layout",
        "gas",
        "-o",
        p(&dir),
    ]);
    times.push(("split", t.elapsed()));
    let manifest = read_json(&dir.join("split.json"));
    let segs = manifest["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 3, "{log}");
    for (i, s) in segs.iter().enumerate() {
        let settings = read_json(&dir.join(s["dir"].as_str().unwrap()).join("settings.json"));
        let vis = &settings["circuit"]["visibility"];
        assert_eq!(
            vis["input"],
            if i == 0 { "public" } else { "hashed" },
            "{settings}"
        );
        assert_eq!(
            vis["output"],
            if i == 2 { "public" } else { "hashed" },
            "{settings}"
        );
    }

    // An aggregation predicted above this machine's memory is refused before any work (the
    // budgeted split's manifest, its segments claiming a million columns each).
    let mut wide = read_json(&budgeted.join("split.json"));
    for s in wide["segments"].as_array_mut().unwrap() {
        s["columns"] = serde_json::json!(1_000_000);
    }
    write_json(&budgeted.join("split.json"), &wide);
    let err = fails(
        &["setup", p(&budgeted), "--srs-cache", p(&cache)],
        "more than this machine's",
    );
    assert!(err.contains("--skip-memory-check"), "{err}");
    assert!(!budgeted.join("vk.bin").exists());

    let t = Instant::now();
    let log = ok(&["setup", p(&dir), "--srs-cache", p(&cache)]);
    assert!(log.contains("aggregation: k = "), "{log}");
    assert!(log.contains("predicted about"), "{log}");
    times.push(("setup (3 segments + aggregation)", t.elapsed()));

    let proof = tmp.join("proof.json");
    let t = Instant::now();
    let log = ray_flow_with_a_killed_worker(&python, &dir, &input, &proof);
    times.push(("Ray flow (3 segments, one killed) + aggregate", t.elapsed()));
    let summary = read_json(&dir.join("ray-summary.json"));
    eprintln!("ray summary: {summary}\n{log}");

    // Native verification; the outputs are the model's (onnxruntime's, within fixed-point
    // error) and the proof is about the given input.
    let log = ok(&[
        "verify",
        p(&dir),
        "--proof",
        p(&proof),
        "--input",
        p(&input),
        "--allow-insecure-srs",
    ]);
    assert!(
        log.contains("is valid") && log.contains("about the given input"),
        "{log}"
    );
    let art = read_json(&proof);
    assert_eq!(art["transcript"], "keccak");
    let expected = read_json(&fixture.join("expected.json"));
    let (name, want) = expected["outputs"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let got = art["outputs"][name]["data"].as_array().unwrap();
    let want = want["data"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
        assert!((g - w).abs() < 0.05, "output {g} vs onnxruntime {w}");
    }
    // Without --allow-insecure-srs the local SRS's keys are refused.
    fails(&["verify", p(&dir), "--proof", p(&proof)], "INSECURE");

    // Tampered aggregated proofs: a proof byte, an output instance.
    let bad = tmp.join("bad.json");
    std::fs::copy(&proof, &bad).unwrap();
    flip_proof(&bad);
    fails(
        &[
            "verify",
            p(&dir),
            "--proof",
            p(&bad),
            "--allow-insecure-srs",
        ],
        "NOT a valid proof",
    );
    let mut changed = art.clone();
    let n = changed["instances"].as_array().unwrap().len();
    changed["instances"][n - 1] = serde_json::Value::from(format!("{:064x}", 12345));
    write_json(&bad, &changed);
    fails(
        &[
            "verify",
            p(&dir),
            "--proof",
            p(&bad),
            "--allow-insecure-srs",
        ],
        "NOT a valid proof",
    );

    // Faults aggregate names, each before any aggregation proving.
    let agg = |want: &str| {
        let t = Instant::now();
        let out = fails(
            &["aggregate", p(&dir), "-o", p(&tmp.join("never.json"))],
            want,
        );
        assert!(!tmp.join("never.json").exists(), "{out}");
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "{want}: not a fast check"
        );
    };
    let seg = |i: usize| dir.join(format!("proofs/segment-{i}.json"));
    let original = flip_proof(&seg(1));
    agg("segment 1's proof does not verify");
    write_json(&seg(1), &original);

    std::fs::rename(seg(2), tmp.join("segment-2.json")).unwrap();
    agg("segment 2's proof is missing");
    std::fs::rename(tmp.join("segment-2.json"), seg(2)).unwrap();

    std::fs::copy(seg(0), seg(1)).unwrap();
    agg("was made for verifying key");
    write_json(&seg(1), &original);

    // A changed boundary value: segment 1 proved (validly) on other values.
    let w1 = dir.join("witness/segment-1.json");
    let mut boundary = read_json(&w1);
    let v = boundary["values"][0].as_i64().unwrap();
    boundary["values"][0] = serde_json::Value::from(v + 1);
    let w1_bad = tmp.join("segment-1-changed.json");
    write_json(&w1_bad, &boundary);
    ok(&[
        "prove-segment",
        p(&dir),
        "--segment",
        "1",
        "--input",
        p(&w1_bad),
    ]);
    agg("boundary mismatch between segments 0 and 1");
    write_json(&seg(1), &original);
    // A boundary file given to the wrong segment is refused before proving.
    fails(
        &[
            "prove-segment",
            p(&dir),
            "--segment",
            "2",
            "--input",
            p(&w1),
        ],
        "is the input of segment 1",
    );

    // On chain: the generated verifier (with the accumulator check) accepts the proof and
    // rejects a tampered one.
    let evm = tmp.join("evm");
    let t = Instant::now();
    ok(&[
        "create-evm-verifier",
        p(&dir),
        "-o",
        p(&evm),
        "--solc",
        p(&tools.solc.path),
        "--allow-insecure-srs",
    ]);
    times.push(("create-evm-verifier", t.elapsed()));
    let node = Anvil::start(&tools.anvil);
    let (address, _) = node.deploy(&evm);
    let log = ok(&[
        "verify-evm",
        "--rpc",
        &node.url,
        "--address",
        &address,
        "--proof",
        p(&proof),
    ]);
    assert!(log.contains("accepted") && log.contains("gas"), "{log}");
    eprintln!("on anvil: {log}");
    write_json(&bad, &{
        let mut b = art.clone();
        let mut hex_proof = b["proof"].as_str().unwrap().to_string();
        let flip = if &hex_proof[200..201] == "0" {
            "1"
        } else {
            "0"
        };
        hex_proof.replace_range(200..201, flip);
        b["proof"] = hex_proof.into();
        b
    });
    let o = zkinfer(&[
        "verify-evm",
        "--rpc",
        &node.url,
        "--address",
        &address,
        "--proof",
        p(&bad),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    for (what, d) in &times {
        eprintln!("{what}: {:.1} s", d.as_secs_f64());
    }
}
