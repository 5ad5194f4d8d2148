//! Inputs that made zkinfer's own readers panic, found with the `fuzz/` harness (targets
//! `artifacts_json` and `verifier_key`): each must now be an error. The inputs are in
//! `tests/fuzz-regressions/`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use verifier::{KeyOptions, VerifierKey};
use zkinfer::{Settings, Statement};

fn input(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(name)
}

/// A `settings.json` (the `op_relu` fixture's) with an extra input of shape [2^32, 2^32]:
/// the element count overflowed `usize` (a panic with overflow checks; in release it wrapped
/// to 0, so the file passed the `num_instances` check).
#[test]
fn settings_with_an_overflowing_shape_are_rejected() {
    let path = input("settings-shape-product-overflow.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("4294967296"),
        "the input still says what it tests"
    );
    assert!(Settings::read(&path).is_err());
}

/// A valid key (the `op_relu` fixture's, insecure local SRS) whose statement metadata has an
/// extra input of shape [2^32, 2^32]: `Statement::from_key` overflowed counting instances
/// (in release the count wrapped and matched the key's 64 instances).
#[test]
fn statement_with_an_overflowing_shape_is_rejected() {
    let vk = std::fs::read(input("vk-statement-shape-product-overflow.bin")).unwrap();
    let params = std::fs::read(input("srs-verifier.bin")).unwrap();
    let options = KeyOptions {
        allow_insecure_srs: true,
    };
    let key = VerifierKey::from_bytes_with(&vk, &params, &options)
        .expect("the key itself is valid (regenerate it if the vk.bin format changed)");
    assert!(Statement::from_key(&key).is_err());
}
