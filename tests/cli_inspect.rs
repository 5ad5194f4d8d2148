//! `zkinfer inspect` from the command line: supported models exit 0; broken or unsupported
//! ones exit non-zero with a message naming the file or node, and never panic.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../onnx-import/tests/common/mod.rs"]
mod models;

use std::path::Path;
use std::process::{Command, Output};

use models::{model, node, out, vi};

fn inspect(path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .arg("inspect")
        .arg(path)
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

fn assert_clean_failure(o: &Output, needle: &str) {
    let t = text(o);
    assert!(!o.status.success(), "expected failure:\n{t}");
    assert!(!t.contains("panicked"), "panic:\n{t}");
    assert!(t.contains(needle), "expected {needle:?} in:\n{t}");
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .join("network.onnx")
}

#[test]
fn supported_model_lists_every_node_and_exits_zero() {
    let o = inspect(&fixture("digits_conv"));
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    for op in ["Conv", "Relu", "AveragePool", "Flatten", "Gemm"] {
        assert!(t.contains(op), "{op} missing in:\n{t}");
    }
    assert!(
        t.contains("520 parameters") && t.contains("2208 MACs"),
        "{t}"
    );
}

#[test]
fn truncated_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("digits_mlp16")).unwrap();
    let p = dir.path().join("truncated.onnx");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    assert_clean_failure(&inspect(&p), "truncated.onnx");
}

#[test]
fn non_onnx_file_names_the_file() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/op_relu/input.json");
    assert_clean_failure(&inspect(&p), "input.json");
}

#[test]
fn missing_file_names_the_file() {
    assert_clean_failure(
        &inspect(Path::new("/nonexistent/model.onnx")),
        "/nonexistent/model.onnx",
    );
}

#[test]
fn custom_domain_op_names_node_op_and_domain() {
    let mut foo = node("Foo", "foo1", &["x"], &["y"], vec![]);
    foo.domain = "com.example".into();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("custom.onnx");
    std::fs::write(
        &p,
        model(vec![foo], vec![vi("x", &[2])], vec![out("y")], vec![], 17),
    )
    .unwrap();
    let o = inspect(&p);
    assert_clean_failure(&o, "foo1");
    assert!(text(&o).contains("com.example"), "{}", text(&o));
}

#[test]
fn shape_mismatch_names_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mismatch.onnx");
    let bytes = model(
        vec![node("Add", "add_1", &["a", "b"], &["y"], vec![])],
        vec![vi("a", &[2, 3]), vi("b", &[4, 5])],
        vec![out("y")],
        vec![],
        17,
    );
    std::fs::write(&p, bytes).unwrap();
    assert_clean_failure(&inspect(&p), "add_1");
}

#[test]
fn ops_lists_the_registry_as_the_readme_does() {
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .arg("ops")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let table = String::from_utf8(o.stdout).unwrap();
    assert_eq!(table, onnx_import::Registry::standard().markdown_table());
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains(&table), "README's operator table is stale");
    for op in ["Gemm", "Conv", "Reshape", "Constant"] {
        assert!(table.contains(op), "{op} missing:\n{table}");
    }
}
