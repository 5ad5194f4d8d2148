//! `zkinfer run` from the command line on models with non-linear operators: a PyTorch
//! `TransformerEncoderLayer` export (multi-head attention, Softmax, LayerNormalization, GELU
//! as Erf, residuals) proves and verifies, and the outputs in `proof.json` are within
//! relative L2 2e-3 of onnxruntime's.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use onnx_import::input_file::read_outputs;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn run_proves_and_verifies_a_transformer_encoder_block() {
    let dir = fixture("encoder_block");
    let out = tempfile::tempdir().unwrap();
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-srs-cache");
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .arg("run")
        .arg(dir.join("network.onnx"))
        .arg("--input")
        .arg(dir.join("input.json"))
        .arg("--srs-cache")
        .arg(&cache)
        .arg("-o")
        .arg(out.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{text}");
    assert!(text.contains("is valid for the model"), "{text}");
    // `run` without --srs uses (and accepts) the insecure local SRS, and says so.
    assert!(text.contains("(INSECURE SRS: anyone can forge"), "{text}");
    let proof: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("proof.json")).unwrap())
            .unwrap();
    let want = read_outputs(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for (name, w) in &want {
        let got = proof["outputs"][name]["data"]
            .as_array()
            .unwrap_or_else(|| panic!("no output {name} in proof.json"));
        assert_eq!(got.len(), w.data.len());
        for (g, b) in got.iter().zip(&w.data) {
            let g = g.as_f64().unwrap();
            num += (g - b).powi(2);
            den += b * b;
        }
    }
    let err = (num / den).sqrt();
    println!("encoder_block via `zkinfer run`: rel-L2 vs onnxruntime {err:.2e}\n{text}");
    assert!(err <= 2e-3, "rel-L2 {err:.3e}\n{text}");
}
