//! `aggregate`: check every segment proof natively, then prove them all in one.

use std::path::Path;
use std::time::{Duration, Instant};

use aggregate::SegmentProof;
use rand_chacha::rand_core::{OsRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use verifier::{instances_from_hex, instances_to_hex, KeyOptions, TranscriptKind, VerifierKey};

use super::setup::{statement, wiring, AggregationFile, SegmentKeys};
use super::{files, segment_proof_path, SplitManifest};
use crate::artifacts::{dequantize_instances, Hashes, ProofArtifact, PROOF_FORMAT, PROOF_VERSION};
use crate::commitment::ModelCommitment;
use crate::error::{Error, Result};
use crate::pipeline::{read, require};
use crate::verify::{verify_with_key, verify_with_key_expecting, Expected};

/// What [`aggregate_with`] made.
#[derive(Clone, Debug)]
pub struct AggregateReport {
    /// The aggregated proof: verify it with [`crate::verify()`] on the split directory.
    pub artifact: ProofArtifact,
    /// Number of segment proofs aggregated.
    pub segments: usize,
    /// Time of the native checks (every segment proof, the boundary chain).
    pub check_time: Duration,
    /// Time of the aggregation proof.
    pub prove_time: Duration,
}

/// [`aggregate_with`] with fresh randomness and no progress reporting.
pub fn aggregate(dir: &Path) -> Result<AggregateReport> {
    aggregate_with(dir, None, &|_| {})
}

/// Aggregates the segment proofs in `dir/proofs/` into one proof of the whole model.
///
/// First, natively and in this order, so that a bad input fails in seconds with a named
/// error rather than deep inside the aggregation prover: every segment proof is present
/// ([`Error::MissingSegmentProof`]), was made for this split model's segment key
/// ([`Error::SegmentFromAnotherModel`]) with the Poseidon transcript, verifies against it
/// ([`Error::SegmentProofInvalid`]), and each segment's output hash equals the next one's
/// input hash ([`Error::BoundaryMismatch`]); the aggregation key must have been made for
/// the present segment keys ([`Error::StaleAggregation`]). Then the aggregation circuit
/// verifies every proof in-circuit, constrains the chain of hashes and exposes the model's
/// statement. `seed` makes the blinding reproducible (tests only: NOT zero-knowledge).
pub fn aggregate_with(
    dir: &Path,
    seed: Option<[u8; 32]>,
    progress: &dyn Fn(&str),
) -> Result<AggregateReport> {
    let t0 = Instant::now();
    let m = SplitManifest::read(dir)?;
    let n = m.segments.len();
    let keys = SegmentKeys::read(dir, &m)?;
    progress(&format!("checking {n} segment proofs natively"));
    let mut proofs = Vec::with_capacity(n);
    let mut hashes: Vec<Hashes> = Vec::with_capacity(n);
    for (i, key) in keys.keys.iter().enumerate() {
        let path = segment_proof_path(dir, i);
        if !path.is_file() {
            return Err(Error::MissingSegmentProof { index: i, path });
        }
        let art = ProofArtifact::load(&path)?;
        let key_digest = prover::fsutil::sha256_hex(&keys.vk_files[i]);
        if !art.vk_digest.eq_ignore_ascii_case(&key_digest) {
            return Err(Error::SegmentFromAnotherModel {
                index: i,
                proof_digest: art.vk_digest.clone(),
                key_digest,
            });
        }
        if TranscriptKind::from_name(&art.transcript) != Some(TranscriptKind::Poseidon) {
            return Err(Error::artifact(
                path.display().to_string(),
                format!(
                    "segment {i}'s proof uses the {:?} transcript; aggregation needs \
                     \"poseidon\" (prove it with `zkinfer prove-segment`)",
                    art.transcript
                ),
            ));
        }
        let verified = verify_with_key_expecting(key, &art, &Expected::default()).map_err(|e| {
            Error::SegmentProofInvalid {
                index: i,
                source: Box::new(e),
            }
        })?;
        let instances = instances_from_hex(&art.instances)?;
        let proof = hex::decode(&art.proof)
            .map_err(|e| Error::artifact(path.display().to_string(), format!("proof: {e}")))?;
        hashes.push(verified.hashes);
        proofs.push(SegmentProof { proof, instances });
    }
    for i in 0..n - 1 {
        let (left, right) = (&hashes[i].output, &hashes[i + 1].input);
        if left.is_none() || left != right {
            return Err(Error::BoundaryMismatch {
                left: i,
                right: i + 1,
                tensor: m.segments[i].output.name.clone(),
                left_hash: left.clone().unwrap_or_default(),
                right_hash: right.clone().unwrap_or_default(),
            });
        }
    }
    let file = AggregationFile::read(dir)?;
    for (i, f) in keys.vk_files.iter().enumerate() {
        if file.segment_vk_sha256.get(i) != Some(&prover::fsutil::sha256_hex(f)) {
            return Err(Error::StaleAggregation {
                dir: dir.to_path_buf(),
                index: i,
            });
        }
    }
    if file.segment_vk_sha256.len() != n {
        return Err(Error::StaleAggregation {
            dir: dir.to_path_buf(),
            index: n.min(file.segment_vk_sha256.len()),
        });
    }
    let segments = keys.segment_keys();
    let wiring = wiring(dir, &m)?;
    let check_time = t0.elapsed();

    let agg_dir = dir.join(files::AGGREGATION);
    let config = &file.config;
    progress(&format!(
        "aggregation proof (k = {}, {} advice columns)",
        config.k, config.num_advice
    ));
    let t1 = Instant::now();
    let params = prover::load_srs(&require(&agg_dir, crate::files::SRS_PROVER)?, config.k)?;
    let pk = aggregate::read_proving_key(&require(&agg_dir, crate::files::PK)?, config)?;
    let rng = match seed {
        Some(s) => ChaCha20Rng::from_seed(s),
        None => ChaCha20Rng::from_rng(OsRng)
            .map_err(|e| Error::artifact("operating-system randomness", e.to_string()))?,
    };
    let (proof, instances) =
        aggregate::prove(&params, &pk, config, &segments, &wiring, &proofs, rng)?;
    let prove_time = t1.elapsed();

    // The artifact, checked by the same verifier anyone else uses.
    let vk_file = read(&require(dir, crate::files::VK)?)?;
    let params_file = read(&require(dir, crate::files::SRS_VERIFIER)?)?;
    let key = VerifierKey::from_bytes_with(
        &vk_file,
        &params_file,
        &KeyOptions {
            allow_insecure_srs: true,
        },
    )?;
    let st = statement(&m);
    let layout = st
        .layout()
        .ok_or_else(|| Error::artifact("split.json", "the shapes' element count overflows"))?;
    let scale = st.input_scale;
    let named = |range: &std::ops::Range<usize>, specs: &[crate::TensorSpec]| {
        if range.is_empty() {
            return Ok(Default::default());
        }
        dequantize_instances(&instances[range.clone()], specs, scale)
            .map(|v| v.into_iter().collect())
            .map_err(|_| {
                Error::artifact(
                    "aggregated proof",
                    "public instances are not fixed-point values",
                )
            })
    };
    let artifact = ProofArtifact {
        format: PROOF_FORMAT.into(),
        format_version: PROOF_VERSION,
        transcript: TranscriptKind::Keccak.name().into(),
        vk_digest: prover::fsutil::sha256_hex(&vk_file),
        proof: hex::encode(&proof),
        instances: instances_to_hex(&instances),
        inputs: named(&layout.inputs, &m.inputs)?,
        outputs: named(&layout.outputs, &m.outputs)?,
        hashes: Hashes::of_instances(&instances, &layout),
        commitment: Some(ModelCommitment::fixed(&vk_file)),
        insecure_srs: key.is_insecure_srs(),
    };
    verify_with_key(&key, &artifact)?;
    Ok(AggregateReport {
        artifact,
        segments: n,
        check_time,
        prove_time,
    })
}
