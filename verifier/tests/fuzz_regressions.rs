//! Inputs found by fuzzing `VerifierKey::from_bytes` (`fuzz/`, target `verifier_key`) that
//! made key parsing panic, inside or outside the `catch_unwind` guard. Each must now be a
//! plain error of the right kind. The inputs are in `tests/fuzz-regressions/`: circuit
//! configurations (wrapped here into an otherwise well-formed `vk.bin`) and whole
//! `srs-verifier.bin` files.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;

use circuits::halo2::ModelCircuitParams;
use halo2_base::halo2_proofs::halo2curves::bn256::{G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::group::GroupEncoding;
use sha2::{Digest, Sha256};
use verifier::container::{self, ArtifactKind};
use verifier::{VerifierKey, VerifyError, PARAMS_FORMAT_VERSION, VK_FORMAT_VERSION};

const K: u32 = 8;
const NUM_INSTANCES: u32 = 3;

fn input(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A valid `srs-verifier.bin` for `K` with secret s = 1 (g2 = s·g2): well-formed, and not
/// zkinfer's local SRS, so no insecure-SRS check stops a key before its halo2 part.
fn params_file() -> Vec<u8> {
    let mut payload = K.to_le_bytes().to_vec();
    payload.extend_from_slice(G1Affine::generator().to_bytes().as_ref());
    let g2 = G2Affine::generator().to_bytes();
    payload.extend_from_slice(g2.as_ref());
    payload.extend_from_slice(g2.as_ref());
    container::encode(
        ArtifactKind::VerifierParams,
        PARAMS_FORMAT_VERSION,
        &payload,
    )
}

/// The canonical encoding of the configuration in `json`, with `public_rows` set to
/// `NUM_INSTANCES` so that only the configuration itself can be at fault.
fn canonical_config(json: &[u8]) -> (Vec<u8>, ModelCircuitParams) {
    let mut value: serde_json::Value = serde_json::from_slice(json).unwrap();
    value["public_rows"] = NUM_INSTANCES.into();
    let config: ModelCircuitParams = serde_json::from_value(value).unwrap();
    (serde_json::to_vec(&config).unwrap(), config)
}

/// A `vk.bin` (format 3 layout) with `config_json`, bound to `params`, origin "a user's
/// file", no metadata, and a halo2 part that is only its header (version, k, no selector
/// compression, one fixed column): configuration checks run before its length is checked.
fn vk_file(config_json: &[u8], params: &[u8]) -> Vec<u8> {
    let mut payload = NUM_INSTANCES.to_le_bytes().to_vec();
    payload.push(0);
    payload.extend_from_slice(&Sha256::digest(params));
    payload.extend_from_slice(&u32::try_from(config_json.len()).unwrap().to_le_bytes());
    payload.extend_from_slice(config_json);
    payload.extend_from_slice(&0u32.to_le_bytes());
    payload.push(0x02);
    payload.extend_from_slice(&K.to_le_bytes());
    payload.push(0);
    payload.extend_from_slice(&1u32.to_le_bytes());
    container::encode(ArtifactKind::VerifyingKey, VK_FORMAT_VERSION, &payload)
}

fn load_config(name: &str) -> (ModelCircuitParams, Result<VerifierKey, VerifyError>) {
    let params = params_file();
    let (json, config) = canonical_config(&input(name));
    (
        config,
        VerifierKey::from_bytes(&vk_file(&json, &params), &params),
    )
}

/// The control: with a valid configuration the same key gets as far as its (truncated)
/// halo2 part, so a rejection that does not mention the halo2 key came from the
/// configuration checks.
#[test]
fn valid_config_reaches_the_halo2_key() {
    let (_, res) = load_config("config-valid.json");
    match res {
        Err(VerifyError::BadKey(m)) => assert!(m.contains("halo2 key"), "{m}"),
        other => panic!("expected a halo2 key length error, got {other:?}"),
    }
}

/// `num_lookup_advice_per_phase = [2^64 - 1, 1, 0]`: the column total overflowed (a panic
/// with overflow checks; in release it wrapped to 0, passed the column limit, and halo2-base
/// then tried to allocate 2^64 - 1 lookup columns).
#[test]
fn lookup_advice_total_overflow_is_rejected() {
    let (config, res) = load_config("config-lookup-advice-sum-wraps.json");
    assert_eq!(
        config.base.num_lookup_advice_per_phase,
        [usize::MAX, 1, 0],
        "the input still says what it tests"
    );
    match res {
        Err(VerifyError::BadKey(m)) => assert!(!m.contains("halo2 key"), "{m}"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// `num_lookup_advice_per_phase = [1, 0, 1]`: lookup advice in a phase without advice
/// columns passed validation and made halo2's `configure` panic ("No Column<Advice> is used
/// in phase Phase(1)"), caught and reported as `VerifyError::Internal`.
#[test]
fn lookup_advice_in_a_later_phase_is_rejected() {
    let (config, res) = load_config("config-lookup-advice-third-phase.json");
    assert_eq!(config.base.num_lookup_advice_per_phase, [1, 0, 1]);
    match res {
        Err(VerifyError::BadKey(m)) => assert!(!m.contains("halo2 key"), "{m}"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// `srs-verifier.bin` whose g2 has a coordinate limb at or above the base-field modulus p
/// (the fuzzer's input, and a minimal one with x.c0 = p): the curve library's
/// decompression panicked (`CtOption::unwrap` in `subtle`), caught as `Internal`.
#[test]
fn g2_coordinate_above_the_modulus_is_bad_params() {
    let (json, _) = canonical_config(&input("config-valid.json"));
    for name in [
        "srs-verifier-g2-fuzzed.bin",
        "srs-verifier-g2-x-c0-is-p.bin",
    ] {
        let params = input(name);
        match VerifierKey::from_bytes(&vk_file(&json, &params), &params) {
            Err(VerifyError::BadParams(_)) => {}
            other => panic!("{name}: expected BadParams, got {other:?}"),
        }
    }
}
