//! Bytes → `proof.json` (`ProofArtifact::load`) and `settings.json` (`Settings::read`), the
//! JSON files a verifier or the CLI reads from disk. A parsed artifact is then verified
//! against the fixture's key (`verify_with_key`): any artifact it accepts must carry the
//! fixture's own proof and instances, and inputs and outputs exactly equal to the proven
//! ones. Any panic is a finding.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use verifier::TranscriptKind;
use zkinfer::{ProofArtifact, Settings, Statement};
use zkinfer_fuzz::{fixture_key, fixture_proof, scratch_file};

fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| scratch_file("artifact.json"))
}

/// An artifact `verify_with_key` accepted: it must be the fixture's proof, restated.
fn check_accepted(artifact: &ProofArtifact) {
    let transcript = TranscriptKind::from_name(&artifact.transcript)
        .expect("an accepted artifact names a known transcript");
    let real = fixture_proof(transcript);
    let proof = hex::decode(&artifact.proof).expect("an accepted proof is hex");
    assert!(
        proof == real.proof,
        "a proof other than the fixture's was accepted"
    );
    let instances = verifier::instances_from_hex(&artifact.instances).expect("instances");
    assert!(instances == real.instances, "other instances were accepted");
    for (map, want) in [
        (&artifact.inputs, &real.artifact.inputs),
        (&artifact.outputs, &real.artifact.outputs),
    ] {
        assert_eq!(
            map.len(),
            want.len(),
            "tensor count differs from the proof's"
        );
        for (name, w) in want {
            let g = map
                .get(name)
                .expect("an accepted artifact names every tensor");
            assert_eq!(g.shape, w.shape, "{name}: shape differs from the proof's");
            assert_eq!(g.data.len(), w.data.len(), "{name}: length differs");
            for (a, b) in g.data.iter().zip(&w.data) {
                // Displayed values must be the proven ones exactly (artifacts module docs).
                assert!(a == b, "{name}: {a} accepted for the proven {b}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let path = path();
    if std::fs::write(path, data).is_err() {
        return;
    }
    if let Ok(artifact) = ProofArtifact::load(path) {
        if let Ok(statement) = Statement::from_key(fixture_key()) {
            let _ = artifact.outputs_in_order(&statement.outputs);
        }
        if zkinfer::verify_with_key(fixture_key(), &artifact).is_ok() {
            check_accepted(&artifact);
        }
    }
    if let Ok(settings) = Settings::read(path) {
        let statement = Statement::of_settings(&settings);
        let _ = statement.num_instances();
        let _ = statement.to_bytes();
        let _ = zkinfer::pipeline::dims_note(&settings);
    }
});
