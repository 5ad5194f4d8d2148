//! The default visibility (public inputs and outputs, fixed weights) is the flow from before
//! visibility existed: its `vk.bin` is byte-identical (sha256 pinned from the build before
//! visibility, commit 2abc490), its statement is version 1, `settings.json` has no
//! `circuit.visibility`, and older artifacts are still read.
#![allow(clippy::unwrap_used, missing_docs)]

mod visibility_common;

use circuits::visibility::Visibilities;
use visibility_common::*;
use zkinfer::commitment::CommitmentFile;
use zkinfer::{prove, CommitmentKind, Compiled, ModelCommitment, ProofArtifact, Statement};

/// sha256 of `vk.bin` after `compile` (calibrated on the fixture's input.json, default
/// options) and `setup` with the local SRS, as the build before visibility wrote it.
const PINNED_VK: [(&str, &str); 2] = [
    (
        "digits_mlp16",
        "0494078c062f90b6d6812a059ba3365e88d6d4b22d070b5796d4197ebe4214b7",
    ),
    (
        "digits_conv",
        "1ef477c0c11c57f35ba4f226512b79e722d1937e8a0f54a61fee98a5cda2e168",
    ),
];

#[test]
fn default_keys_are_unchanged() {
    for (name, pinned) in PINNED_VK {
        let (dir, _) = ready(name, Visibilities::default());
        let vk = std::fs::read(dir.path().join("vk.bin")).unwrap();
        assert_eq!(
            prover::fsutil::sha256_hex(&vk),
            pinned,
            "{name}: vk.bin changed"
        );
        let statement = Statement::from_key(&key(dir.path())).unwrap();
        assert_eq!(statement.format_version, 1);
        let meta = std::str::from_utf8(key(dir.path()).metadata())
            .unwrap()
            .to_string();
        assert!(
            !meta.contains("visibility") && !meta.contains("bits"),
            "{meta}"
        );
    }
}

#[test]
fn default_flow_artifacts() {
    let name = "digits_mlp16";
    let (dir, c) = ready(name, Visibilities::default());
    let dir = dir.path();
    let text = std::fs::read_to_string(dir.join("settings.json")).unwrap();
    let settings: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(settings["format_version"], zkinfer::SETTINGS_VERSION);
    assert!(settings["circuit"].get("visibility").is_none());
    assert_eq!(
        settings["architecture_sha256"].as_str().unwrap(),
        circuits::visibility::architecture_digest(&c.graph).unwrap()
    );
    assert_eq!(c.settings.num_instances, 64 + 10);

    let vk = std::fs::read(dir.join("vk.bin")).unwrap();
    let fixed = ModelCommitment::fixed(&vk);
    assert_eq!(fixed.kind, CommitmentKind::Fixed);
    let file = CommitmentFile::read(&dir.join("commitment.json")).unwrap();
    assert_eq!(file.commitment, fixed);

    let x = inputs(name, &c.graph);
    let a = prove(dir, &x).unwrap();
    assert_eq!(a.format_version, 2);
    assert!(!a.inputs.is_empty() && !a.outputs.is_empty() && a.hashes.is_empty());
    assert_eq!(a.commitment.as_ref(), Some(&fixed));
    let v = verify(dir, &a).unwrap();
    assert_eq!(v.commitment, Some(fixed.clone()));
    verify_against(dir, &a, &fixed.value).unwrap();
    verify_against(dir, &a, fixed.value.trim_start_matches("0x")).unwrap();
    let other = format!("0x{}", "ab".repeat(32));
    assert_wrong_commitment(verify_against(dir, &a, &other), &fixed.value, &other);
    assert!(verify_against(dir, &a, "0x1234").is_err());

    // A version-1 artifact (no commitment, no hashes) still verifies.
    let mut v1 = serde_json::to_value(&a).unwrap();
    v1["format_version"] = 1.into();
    v1.as_object_mut().unwrap().remove("commitment");
    let path = dir.join("v1.json");
    std::fs::write(&path, v1.to_string()).unwrap();
    let old = ProofArtifact::load(&path).unwrap();
    assert_eq!(old.commitment, None);
    assert_eq!(verify(dir, &old).unwrap().commitment, Some(fixed.clone()));

    // A directory set up before commitment.json existed: fixed weights bind by the key.
    std::fs::remove_file(dir.join("commitment.json")).unwrap();
    verify(dir, &a).unwrap();

    // A version-4 settings.json (no architecture digest) still loads.
    let mut v4 = settings.clone();
    v4["format_version"] = 4.into();
    v4.as_object_mut().unwrap().remove("architecture_sha256");
    std::fs::write(dir.join("settings.json"), v4.to_string()).unwrap();
    let loaded = Compiled::load(dir).unwrap();
    assert!(loaded.settings.architecture_sha256.is_empty());
    assert_eq!(loaded.settings.circuit.visibility, Visibilities::default());
}
