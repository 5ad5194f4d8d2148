//! The visibility flags and `zkinfer commit` on the command line: the printed commitment is
//! what proofs are bound to, `verify --commitment` and `--input` check the binding, and a
//! private output is printed by `prove` but never written to the proof.
#![allow(clippy::unwrap_used, missing_docs)]

mod visibility_common;

use std::path::Path;
use std::process::Command;

use visibility_common::*;

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

fn ok(args: &[&str]) -> String {
    let (success, stdout, stderr) = zkinfer(args);
    assert!(success, "zkinfer {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The 0x… value on the line of `stdout` containing `marker`.
fn value_after(stdout: &str, marker: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{stdout}"));
    let at = line.rfind("0x").unwrap();
    line[at..at + 66].to_string()
}

/// Hashed input and hashed weights on `digits_mlp16`: `setup`, `commit --dir`, `commit`
/// without a directory, `prove` with two weight files, `verify` with and without
/// `--commitment` and `--input`.
#[test]
fn hashed_weights_and_input() {
    let fx = fixture("digits_mlp16");
    let (model, input) = (fx.join("network.onnx"), fx.join("input.json"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let model_b = perturbed_model(&model, 0.25, tmp.path(), "b.onnx");
    ok(&[
        "compile",
        s(&model),
        "--calibration",
        s(&input),
        "--input-visibility",
        "hashed",
        "--param-visibility",
        "hashed",
        "-o",
        s(&dir),
    ]);
    let setup = ok(&["setup", s(&dir)]);
    let x = value_after(&setup, "model commitment (hashed");
    let commit = |m: &Path, extra: &[&str]| {
        let mut args = vec!["commit", s(m), "--param-visibility", "hashed"];
        args.extend_from_slice(extra);
        ok(&args).trim().to_string()
    };
    assert_eq!(commit(&model, &["--dir", s(&dir)]), x);
    let y = commit(&model_b, &["--dir", s(&dir)]);
    assert!(y.starts_with("0x") && y.len() == 66 && y != x, "{y}");
    // Without a directory: compiled with the same calibration and visibility first.
    assert_eq!(
        commit(
            &model,
            &["--calibration", s(&input), "--input-visibility", "hashed"]
        ),
        x
    );

    let (a, b) = (tmp.path().join("a.json"), tmp.path().join("b.json"));
    let out = ok(&["prove", s(&dir), "--input", s(&input), "-o", s(&a)]);
    assert_eq!(value_after(&out, "bound to model commitment (hashed)"), x);
    let h = value_after(&out, "input hash");
    let out = ok(&[
        "prove",
        s(&dir),
        "--input",
        s(&input),
        "--model",
        s(&model_b),
        "-o",
        s(&b),
    ]);
    assert_eq!(value_after(&out, "bound to model commitment (hashed)"), y);
    for p in [&a, &b] {
        let text = std::fs::read_to_string(p).unwrap();
        assert!(
            !text.contains("\"inputs\""),
            "hashed input written to {}",
            p.display()
        );
        assert!(text.contains(&h));
    }

    let verify = |p: &Path, extra: &[&str]| {
        let mut args = vec!["verify", s(&dir), "--proof", s(p), "--allow-insecure-srs"];
        args.extend_from_slice(extra);
        zkinfer(&args)
    };
    let (good, out, _) = verify(&a, &["--input", s(&input)]);
    assert!(
        good && out.contains("is valid") && out.contains(&h),
        "{out}"
    );
    assert!(out.contains("the proof is about the given input"), "{out}");
    // B is bound to Y: refused against commitment.json (X), accepted with --commitment Y.
    let (good, _, err) = verify(&b, &[]);
    assert!(!good && err.contains(&y) && err.contains(&x), "{err}");
    let (good, out, _) = verify(&b, &["--commitment", &y]);
    assert!(good && out.contains(&y), "{out}");
    let (good, _, err) = verify(&a, &["--commitment", &y]);
    assert!(!good && err.contains("commitment"), "{err}");
    // Another input file: the input hash differs.
    let other = tmp.path().join("other.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&input).unwrap()).unwrap();
    let data = v["inputs"]["input"]["data"].as_array_mut().unwrap();
    let j = data.iter().position(|x| x.as_f64() == Some(0.0)).unwrap();
    data[j] = 0.5.into();
    std::fs::write(&other, v.to_string()).unwrap();
    let (good, _, err) = verify(&a, &["--input", s(&other), "--commitment", &x]);
    assert!(!good && err.contains("input hash"), "{err}");
    // A fixed-weights flag for a hashed directory is refused.
    let (good, _, err) = zkinfer(&[
        "commit",
        s(&model),
        "--dir",
        s(&dir),
        "--param-visibility",
        "committed",
    ]);
    assert!(!good && err.contains("hashed"), "{err}");
}

/// `run` with committed weights and a private output on the conv fixture: the output is
/// printed, marked as not in the proof, and absent from proof.json; `commit` without a
/// directory prints the commitment the proof is bound to.
#[test]
fn committed_weights_private_output() {
    let fx = fixture("op_conv_pad1");
    let (model, input) = (fx.join("network.onnx"), fx.join("input.json"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let out = ok(&[
        "run",
        s(&model),
        "--input",
        s(&input),
        "--output-visibility",
        "private",
        "--param-visibility",
        "committed",
        "-o",
        s(&dir),
    ]);
    assert!(out.contains("[private: NOT in the proof]"), "{out}");
    let x = value_after(&out, "model commitment (committed");
    assert_eq!(
        value_after(&out, "bound to model commitment (committed)"),
        x
    );
    let text = std::fs::read_to_string(dir.join("proof.json")).unwrap();
    assert!(!text.contains("\"outputs\""), "{text}");
    assert!(text.contains(&x));
    let committed = ok(&[
        "commit",
        s(&model),
        "--param-visibility",
        "committed",
        "--calibration",
        s(&input),
        "--output-visibility",
        "private",
    ]);
    assert_eq!(committed.trim(), x);
    let in_dir = ok(&[
        "commit",
        s(&model),
        "--param-visibility",
        "committed",
        "--dir",
        s(&dir),
    ]);
    assert_eq!(in_dir.trim(), x);
}
