//! `--dim` and symbolic input dimensions from the command line (`inspect`, `compile`,
//! `prove`), integer graph inputs, and error messages that state each cause once.
#![allow(clippy::unwrap_used, missing_docs)]

mod dims_models;

use std::path::Path;
use std::process::{Command, Output};

use dims_models::{batch_mlp, int_params, mlp_input, seq_model, shared_batch};

fn zkinfer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: &Output) -> String {
    let t = text(o);
    assert!(o.status.success(), "expected success:\n{t}");
    t
}

fn fails(o: &Output, needles: &[&str]) -> String {
    let t = text(o);
    assert!(!o.status.success(), "expected failure:\n{t}");
    assert!(!t.contains("panicked"), "panic:\n{t}");
    for n in needles {
        assert!(t.contains(n), "expected {n:?} in:\n{t}");
    }
    t
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn settings(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("settings.json")).unwrap()).unwrap()
}

#[test]
fn inspect_shows_the_binding_it_uses() {
    let tmp = tempfile::tempdir().unwrap();
    let m = write(tmp.path(), "mlp.onnx", batch_mlp());
    let t = ok(&zkinfer(&["inspect", &m]));
    assert!(t.contains("batch = 1 (default)"), "{t}");
    // The shape arithmetic folds; the MLP sees [1, 4].
    assert!(t.contains("ok (folded to a constant)"), "{t}");
    assert!(t.contains("[1, 4]"), "{t}");
    let t = ok(&zkinfer(&["inspect", &m, "--dim", "batch=4"]));
    assert!(t.contains("batch = 4 (--dim)"), "{t}");
    assert!(t.contains("[4, 4]") && t.contains("[4, 2]"), "{t}");
    // INPUT:AXIS names the same dimension.
    let t = ok(&zkinfer(&["inspect", &m, "--dim", "x:0=3"]));
    assert!(t.contains("batch = 3 (--dim)"), "{t}");
}

#[test]
fn inspect_reports_bad_bindings_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let m = write(tmp.path(), "mlp.onnx", batch_mlp());
    let t = fails(
        &zkinfer(&["inspect", &m, "--dim", "batch=4", "--dim", "batch=5"]),
        &["conflicting values for dimension batch"],
    );
    assert!(t.ends_with('\n'), "{t:?}");
    fails(
        &zkinfer(&["inspect", &m, "--dim", "bach=4"]),
        &["no free dimension bach", "batch (input \"x\" axis 0)"],
    );
    fails(
        &zkinfer(&["inspect", &m, "--dim", "batch=0"]),
        &["positive integer"],
    );
    let s = write(tmp.path(), "seq.onnx", seq_model());
    let t = fails(
        &zkinfer(&["inspect", &s]),
        &["graph input \"x\" axis 1", "\"seq\"", "--dim seq=VALUE"],
    );
    // Each model problem is a line of its own.
    let line = t.lines().find(|l| l.contains("model problem")).unwrap();
    assert!(
        line.trim_end()
            .ends_with("(or give the input's shape in the input file)")
            || line.contains("--dim seq=VALUE"),
        "{t}"
    );
    assert!(t.contains(&format!("{line}\n")), "{t:?}");
    ok(&zkinfer(&["inspect", &s, "--dim", "seq=5"]));
}

#[test]
fn compile_binds_from_flag_file_and_default() {
    let tmp = tempfile::tempdir().unwrap();
    let m = write(tmp.path(), "mlp.onnx", batch_mlp());
    let out = tmp.path().join("d1");
    let t = ok(&zkinfer(&["compile", &m, "-o", out.to_str().unwrap()]));
    assert!(t.contains("batch = 1 (default)"), "{t}");
    let s = settings(&out);
    assert_eq!(s["format_version"], zkinfer::SETTINGS_VERSION);
    assert_eq!(s["inputs"][0]["shape"], serde_json::json!([1, 1, 2, 2]));
    assert_eq!(s["dims"][0]["key"]["param"], "batch");
    assert_eq!(s["dims"][0]["source"], "default");

    let out4 = tmp.path().join("d4");
    let t = ok(&zkinfer(&[
        "compile",
        &m,
        "--dim",
        "batch=4",
        "-o",
        out4.to_str().unwrap(),
    ]));
    assert!(t.contains("batch = 4 (--dim)"), "{t}");
    assert_eq!(
        settings(&out4)["outputs"][0]["shape"],
        serde_json::json!([4, 2])
    );

    let cal = write(tmp.path(), "cal.json", mlp_input(3));
    let out3 = tmp.path().join("d3");
    let t = ok(&zkinfer(&[
        "compile",
        &m,
        "--calibration",
        &cal,
        "-o",
        out3.to_str().unwrap(),
    ]));
    assert!(t.contains("batch = 3 (input file)"), "{t}");
    assert_eq!(
        settings(&out3)["inputs"][0]["shape"],
        serde_json::json!([3, 1, 2, 2])
    );
    // EZKL's flat list: 8 values of [batch, 1, 2, 2] make batch 2.
    let flat = write(
        tmp.path(),
        "flat.json",
        "{\"input_data\": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]]}",
    );
    let out2 = tmp.path().join("d2");
    let t = ok(&zkinfer(&[
        "compile",
        &m,
        "--calibration",
        &flat,
        "-o",
        out2.to_str().unwrap(),
    ]));
    assert!(t.contains("batch = 2 (input file)"), "{t}");
    let bad = write(
        tmp.path(),
        "bad.json",
        "{\"input_data\": [[0.1, 0.2, 0.3]]}",
    );
    fails(
        &zkinfer(&[
            "compile",
            &m,
            "--calibration",
            &bad,
            "-o",
            tmp.path().join("dx").to_str().unwrap(),
        ]),
        &["holds 3 values", "dimension batch", "--dim batch=VALUE"],
    );

    // A model directory compiled for batch 1 refuses a batch-4 input, naming both shapes.
    let in4 = write(tmp.path(), "in4.json", mlp_input(4));
    let t = fails(
        &zkinfer(&[
            "prove",
            out.to_str().unwrap(),
            "--input",
            &in4,
            "-o",
            tmp.path().join("p.json").to_str().unwrap(),
        ]),
        &[
            "'x'",
            "[4, 1, 2, 2]",
            "[1, 1, 2, 2]",
            "batch = 1 (default)",
            "--dim",
        ],
    );
    assert_eq!(t.matches("[4, 1, 2, 2]").count(), 1, "{t}");
}

#[test]
fn shared_dim_params_bind_consistently() {
    let tmp = tempfile::tempdir().unwrap();
    let m = write(tmp.path(), "shared.onnx", shared_batch());
    let cal = write(
        tmp.path(),
        "cal.json",
        "{\"inputs\": {\"a\": {\"shape\": [2, 3], \"data\": [1, 2, 3, 4, 5, 6]}, \
         \"b\": {\"shape\": [1, 3], \"data\": [1, 2, 3]}}}",
    );
    fails(
        &zkinfer(&[
            "compile",
            &m,
            "--calibration",
            &cal,
            "-o",
            tmp.path().join("d").to_str().unwrap(),
        ]),
        &["conflicting values for dimension batch", "\"a\"", "\"b\""],
    );
    let t = ok(&zkinfer(&["inspect", &m, "--dim", "batch=2"]));
    assert_eq!(t.matches("batch = 2").count(), 1, "{t}");
}

#[test]
fn integer_inputs_compile_and_read_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let m = write(tmp.path(), "int.onnx", int_params());
    ok(&zkinfer(&["inspect", &m]));
    let input = write(
        tmp.path(),
        "in.json",
        "{\"inputs\": {\"x\": {\"shape\": [2, 2], \"data\": [1, 2, 3, 4]}}}",
    );
    let out = tmp.path().join("d");
    ok(&zkinfer(&[
        "compile",
        &m,
        "--calibration",
        &input,
        "-o",
        out.to_str().unwrap(),
    ]));
    let frac = write(
        tmp.path(),
        "frac.json",
        "{\"inputs\": {\"x\": {\"shape\": [2, 2], \"data\": [1, 2.5, 3, 4]}}}",
    );
    fails(
        &zkinfer(&[
            "prove",
            out.to_str().unwrap(),
            "--input",
            &frac,
            "-o",
            tmp.path().join("p.json").to_str().unwrap(),
        ]),
        &["'x'", "data[1]", "an integer"],
    );
}

/// The CLI prints an error's causes once each, even where a message already quotes its
/// source's.
#[test]
fn error_causes_are_printed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let m = write(tmp.path(), "mlp.onnx", batch_mlp());
    let out = tmp.path().join("d");
    ok(&zkinfer(&["compile", &m, "-o", out.to_str().unwrap()]));
    let proof = tmp.path().join("p.json");
    let missing = tmp.path().join("missing.json");
    let t = fails(
        &zkinfer(&[
            "prove",
            out.to_str().unwrap(),
            "--input",
            missing.to_str().unwrap(),
            "-o",
            proof.to_str().unwrap(),
        ]),
        &["missing.json", "No such file or directory"],
    );
    assert_eq!(t.matches("No such file or directory").count(), 1, "{t}");
    let bad = write(tmp.path(), "bad.json", "{\"inputs\": ");
    let t = fails(
        &zkinfer(&[
            "prove",
            out.to_str().unwrap(),
            "--input",
            &bad,
            "-o",
            proof.to_str().unwrap(),
        ]),
        &["bad.json", "EOF while parsing"],
    );
    assert_eq!(t.matches("EOF while parsing").count(), 1, "{t}");
    // A missing calibration file and a missing model, too.
    let t = fails(
        &zkinfer(&[
            "compile",
            &m,
            "--calibration",
            missing.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]),
        &["missing.json", "No such file or directory"],
    );
    assert_eq!(t.matches("No such file or directory").count(), 1, "{t}");
    let t = fails(
        &zkinfer(&[
            "compile",
            "/nonexistent/m.onnx",
            "-o",
            out.to_str().unwrap(),
        ]),
        &["/nonexistent/m.onnx", "No such file or directory"],
    );
    assert_eq!(t.matches("No such file or directory").count(), 1, "{t}");
}
