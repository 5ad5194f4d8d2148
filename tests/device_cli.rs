//! `--device` on the command line, in the build under test: `auto` always proves (on the
//! CPU here, saying why) and the proof verifies; `cuda` without a usable GPU, or for a
//! model whose proofs hide a witness, exits non-zero with a clear message, no panic and no
//! proof file. (scripts/check-cuda.sh checks the same with a `--features cuda` build and a
//! stub driver that reports no device; scripts/gpu-check.sh runs the GPU on a GPU machine.)
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the CLI; returns (success, stdout, stderr).
fn zkinfer(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .env("ZKINFER_CACHE_DIR", root().join("target/test-srs-cache"))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A failure with a message and no panic, no proof left behind.
fn refused(args: &[&str], proof: &Path, needle: &str) {
    let (success, stdout, stderr) = zkinfer(args);
    assert!(!success, "zkinfer {args:?} succeeded:\n{stdout}\n{stderr}");
    assert!(stderr.contains(needle), "no {needle:?} in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Refused before any work: no witness was generated.
    assert!(!stderr.contains("generating witness"), "{stderr}");
    assert!(!proof.exists(), "{} was written", proof.display());
}

#[test]
fn auto_proves_on_the_cpu_and_cuda_is_a_clear_error() {
    let fx = root().join("tests/fixtures/iris_linear");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let input = fx.join("input.json");
    // `run` proves with the default device (auto) and verifies.
    let (ok, stdout, stderr) = zkinfer(&[
        "run",
        s(&fx.join("network.onnx")),
        "--input",
        s(&input),
        "-o",
        s(&dir),
    ]);
    assert!(ok, "run failed:\n{stdout}\n{stderr}");
    let line = stdout.lines().find(|l| l.starts_with("device: ")).unwrap();
    if cfg!(feature = "cuda") {
        // No GPU on a test machine: auto falls back and warns.
        assert_eq!(line, "device: cpu", "{stdout}");
        assert!(
            stderr.contains("--device auto proved on the CPU"),
            "{stderr}"
        );
    } else {
        assert!(
            line.starts_with("device: cpu (auto: this zkinfer was built without the `cuda`"),
            "{line}"
        );
    }

    // `cpu` says so; the proof verifies.
    let cpu = tmp.path().join("cpu.json");
    let args = ["prove", s(&dir), "--input", s(&input), "-o", s(&cpu)];
    let (ok, stdout, stderr) = zkinfer(&[&args[..], &["--device", "cpu"]].concat());
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.lines().any(|l| l == "device: cpu"), "{stdout}");
    let (ok, stdout, stderr) = zkinfer(&[
        "verify",
        s(&dir),
        "--proof",
        s(&cpu),
        "--allow-insecure-srs",
    ]);
    assert!(ok, "{stdout}\n{stderr}");

    // `cuda`: an error naming why, nothing written.
    let gpu = tmp.path().join("gpu.json");
    let args = ["prove", s(&dir), "--input", s(&input), "-o", s(&gpu)];
    let why = if cfg!(feature = "cuda") {
        "no usable CUDA device"
    } else {
        "built without the `cuda` feature"
    };
    refused(&[&args[..], &["--device", "cuda"]].concat(), &gpu, why);

    // An unknown device is a usage error.
    let (ok, _, stderr) = zkinfer(&[&args[..], &["--device", "tpu"]].concat());
    assert!(
        !ok && stderr.contains("possible values: auto, cpu, cuda"),
        "{stderr}"
    );
}

/// A model whose proofs hide the input: `cuda` is refused whatever the build (the GPU
/// prover does not blind), `auto` proves on the CPU and says why.
#[test]
fn a_hidden_witness_never_goes_to_the_gpu() {
    let fx = root().join("tests/fixtures/iris_linear");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let input = fx.join("input.json");
    let (ok, stdout, stderr) = zkinfer(&[
        "compile",
        s(&fx.join("network.onnx")),
        "--calibration",
        s(&input),
        "--input-visibility",
        "hashed",
        "-o",
        s(&dir),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    let (ok, stdout, stderr) = zkinfer(&["setup", s(&dir)]);
    assert!(ok, "{stdout}\n{stderr}");
    let gpu = tmp.path().join("gpu.json");
    let args = ["prove", s(&dir), "--input", s(&input), "-o", s(&gpu)];
    refused(
        &[&args[..], &["--device", "cuda"]].concat(),
        &gpu,
        "does not blind its proofs, and this model's proofs hide its hashed inputs",
    );
    let auto = tmp.path().join("auto.json");
    let (ok, stdout, stderr) = zkinfer(&["prove", s(&dir), "--input", s(&input), "-o", s(&auto)]);
    assert!(ok, "{stdout}\n{stderr}");
    let line = stdout.lines().find(|l| l.starts_with("device: ")).unwrap();
    if cfg!(feature = "cuda") {
        assert!(line.contains("hide its hashed inputs"), "{line}");
    } else {
        assert!(line.contains("built without the `cuda` feature"), "{line}");
    }
}
