//! Shared pieces of zkinfer's fuzz targets: the fixed model whose key the proof targets
//! verify against, and small helpers to carve a fuzz input into parts.
//!
//! The fixture in `fixtures/relu/` is `tests/fixtures/op_relu` (k = 8, 64 public instances)
//! set up with the insecure local SRS; `README.md` says how to regenerate it when the key
//! format changes.

use std::path::PathBuf;
use std::sync::OnceLock;

use verifier::halo2::Fr;
use verifier::{KeyOptions, TranscriptKind, VerifierKey, VerifyError};
use zkinfer::ProofArtifact;

/// `vk.bin` of the fixture model.
pub const FIXTURE_VK: &[u8] = include_bytes!("../fixtures/relu/vk.bin");
/// `srs-verifier.bin` of the fixture model.
pub const FIXTURE_PARAMS: &[u8] = include_bytes!("../fixtures/relu/srs-verifier.bin");
/// A valid Blake2b proof artifact of the fixture model.
pub const FIXTURE_PROOF_BLAKE2B: &str = include_str!("../fixtures/relu/proof-blake2b.json");
/// A valid Keccak (EVM) proof artifact of the fixture model, same instances.
pub const FIXTURE_PROOF_KECCAK: &str = include_str!("../fixtures/relu/proof-keccak.json");

/// Parses a verifying key the way the targets do: accepting keys made with the insecure
/// local SRS (the fixture is one), so that fuzzing reaches everything after that check.
pub fn load_key(vk: &[u8], params: &[u8]) -> Result<VerifierKey, VerifyError> {
    let options = KeyOptions {
        allow_insecure_srs: true,
    };
    VerifierKey::from_bytes_with(vk, params, &options)
}

/// The fixture's verifying key, parsed once.
pub fn fixture_key() -> &'static VerifierKey {
    static KEY: OnceLock<VerifierKey> = OnceLock::new();
    KEY.get_or_init(|| {
        load_key(FIXTURE_VK, FIXTURE_PARAMS).unwrap_or_else(|e| {
            panic!("fuzz/fixtures/relu no longer loads ({e}); regenerate it (fuzz/README.md)")
        })
    })
}

/// A valid proof of the fixture: its transcript, proof bytes and public instances.
pub struct FixtureProof {
    /// The artifact as parsed.
    pub artifact: ProofArtifact,
    /// Its proof bytes.
    pub proof: Vec<u8>,
    /// Its instances.
    pub instances: Vec<Fr>,
}

/// The fixture's valid proof for `transcript`, parsed and verified once.
pub fn fixture_proof(transcript: TranscriptKind) -> &'static FixtureProof {
    static BLAKE: OnceLock<FixtureProof> = OnceLock::new();
    static KECCAK: OnceLock<FixtureProof> = OnceLock::new();
    let (cell, text) = match transcript {
        TranscriptKind::Blake2b => (&BLAKE, FIXTURE_PROOF_BLAKE2B),
        TranscriptKind::Keccak => (&KECCAK, FIXTURE_PROOF_KECCAK),
    };
    cell.get_or_init(|| {
        let artifact: ProofArtifact =
            serde_json::from_str(text).expect("fixture proof artifact is JSON");
        let proof = hex::decode(&artifact.proof).expect("fixture proof is hex");
        let instances =
            verifier::instances_from_hex(&artifact.instances).expect("fixture instances");
        // The targets' "anything accepted is the fixture" checks mean nothing if the fixture
        // itself is not accepted: fail loudly once, at start-up, if it went stale.
        if let Err(e) = fixture_key().verify(transcript, &proof, &instances) {
            panic!("the fixture's {transcript} proof no longer verifies ({e}); see README.md");
        }
        FixtureProof {
            artifact,
            proof,
            instances,
        }
    })
}

/// A file path private to this process (one per `tag`), for APIs that read a path.
pub fn scratch_file(tag: &str) -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    let dir = if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("zkinfer-fuzz-{}-{tag}", std::process::id()))
}

/// Splits `data` after a 4-byte little-endian split point (taken modulo the rest's length
/// plus one) into `(head, tail)`; `None` for inputs under 4 bytes.
pub fn split_at_prefix(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (prefix, rest) = data.split_first_chunk::<4>()?;
    let at = u32::from_le_bytes(*prefix) as usize % (rest.len() + 1);
    Some(rest.split_at(at))
}

/// The inverse of [`split_at_prefix`], for writing seeds and regression inputs.
pub fn join_with_prefix(head: &[u8], tail: &[u8]) -> Vec<u8> {
    let at = u32::try_from(head.len()).expect("part under 4 GiB");
    let mut out = at.to_le_bytes().to_vec();
    out.extend_from_slice(head);
    out.extend_from_slice(tail);
    out
}

/// Number of elements of `shape`, `None` if it overflows `usize`.
pub fn elements(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |p, d| p.checked_mul(*d))
}
