//! `verify`: a proof artifact against a model directory's verifying key, then against the
//! model commitment it must be bound to.

use std::path::{Path, PathBuf};

use circuits::hash::{fr_to_hex, hash_values};
use circuits::quant::quantize_all;
use circuits::visibility::{activation_hash_bits, Visibility};
use onnx_import::ir::Tensor;
use verifier::halo2::Fr;
use verifier::{instances_from_hex, KeyOptions, TranscriptKind, VerifierKey};

use crate::artifacts::{
    check_consistent, Hashes, ProofArtifact, PROOF_FORMAT, PROOF_MIN_VERSION, PROOF_VERSION,
};
use crate::commitment::{
    self, parse_commitment_value, CommitmentFile, CommitmentKind, KeyView, ModelCommitment,
};
use crate::error::{Error, Result};
use crate::files;
use crate::pipeline::{read, require};
use crate::statement::Statement;

/// How [`verify_with`] treats keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Accept keys made with zkinfer's insecure local SRS (tests and demos only: its secret
    /// is public, anyone can forge proofs for them). Default `false`: such keys fail with
    /// [`verifier::VerifyError::InsecureSrs`].
    pub allow_insecure_srs: bool,
}

/// What a verified proof must be bound to, beyond its key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expected {
    /// The model commitment (`0x` and 64 hex digits, see [`crate::commitment`]) the proof
    /// must be bound to. `None`: the one in the directory's `commitment.json`.
    pub commitment: Option<String>,
    /// The inputs (in graph-input order) the proof must be about: for hashed inputs their
    /// hash is recomputed and compared, for public inputs their quantized values; private
    /// inputs cannot be checked (an error).
    pub inputs: Option<Vec<Tensor>>,
}

/// What [`verify_with`] established about an accepted proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The key was made with the insecure local SRS (accepted only because the options
    /// allowed it): anyone can forge proofs for it, so the acceptance shows nothing.
    pub insecure_srs: bool,
    /// The model commitment the proof is bound to (checked against the expected one);
    /// `None` for private parameters.
    pub commitment: Option<ModelCommitment>,
    /// Where the expected commitment came from (`"--commitment"` or the
    /// `commitment.json` path); `None` when nothing was compared (private parameters, or
    /// [`verify_with_key_expecting`] without one).
    pub commitment_checked_against: Option<String>,
    /// The hashed parts' instances.
    pub hashes: Hashes,
    /// Whether [`Expected::inputs`] were checked.
    pub inputs_checked: bool,
}

/// [`verify_with`] with default options: keys made with the insecure local SRS are refused.
pub fn verify(dir: &Path, artifact: &ProofArtifact) -> Result<()> {
    verify_with(dir, artifact, &VerifyOptions::default()).map(|_| ())
}

/// [`verify_expecting`] against the directory's `commitment.json`.
pub fn verify_with(
    dir: &Path,
    artifact: &ProofArtifact,
    options: &VerifyOptions,
) -> Result<Verified> {
    verify_expecting(dir, artifact, options, &Expected::default())
}

/// Verifies `artifact` against the model in `dir`, which needs only `vk.bin`,
/// `srs-verifier.bin` and, unless `expected` gives the commitment, `commitment.json` (what
/// the instances mean is stored in the key; see [`crate::statement`]).
///
/// Checks, in order: the artifact's format version and transcript; that it was made for
/// this directory's verifying key ([`Error::WrongModel`] otherwise); that the key was not
/// made with the insecure local SRS, unless `options` allow it; that its readable
/// `inputs`/`outputs`/`hashes` equal its public instances exactly; the proof itself; then
/// the binding: the model commitment the proof is bound to must be `expected.commitment`,
/// else the one in `commitment.json` ([`Error::WrongCommitment`]). A directory without
/// `commitment.json` (set up by an older build) binds fixed parameters by the key alone.
/// Last, [`Expected::inputs`] when given.
pub fn verify_expecting(
    dir: &Path,
    artifact: &ProofArtifact,
    options: &VerifyOptions,
    expected: &Expected,
) -> Result<Verified> {
    let vk_file = read(&require(dir, files::VK)?)?;
    let key_digest = prover::fsutil::sha256_hex(&vk_file);
    check_header(artifact)?;
    if !artifact.vk_digest.eq_ignore_ascii_case(&key_digest) {
        return Err(Error::WrongModel {
            proof_digest: artifact.vk_digest.clone(),
            key_digest,
            dir: dir.to_path_buf(),
        });
    }
    let params_file = read(&require(dir, files::SRS_VERIFIER)?)?;
    let key = VerifierKey::from_bytes_with(
        &vk_file,
        &params_file,
        &KeyOptions {
            allow_insecure_srs: options.allow_insecure_srs,
        },
    )?;
    let mut expected = expected.clone();
    let mut from_file = None;
    if expected.commitment.is_none() {
        let path = dir.join(files::COMMITMENT);
        if path.is_file() {
            let f = CommitmentFile::read(&path)?;
            if !f.vk_sha256.eq_ignore_ascii_case(&key_digest) {
                return Err(Error::artifact(
                    path.display().to_string(),
                    format!(
                        "belongs to verifying key {}, but {} holds {key_digest}: re-run `setup`",
                        f.vk_sha256,
                        dir.display()
                    ),
                ));
            }
            expected.commitment = Some(f.commitment.value);
            from_file = Some(path);
        } else {
            // Fixed parameters are bound by the key; private ones to nothing.
            let statement = Statement::from_key(&key)?;
            if matches!(
                CommitmentKind::of(statement.visibility.params),
                Some(CommitmentKind::Hashed | CommitmentKind::Committed)
            ) {
                return Err(Error::NotSetUp {
                    dir: dir.to_path_buf(),
                    path,
                });
            }
        }
    }
    verify_bound(&key, artifact, &expected, from_file)
}

fn check_header(artifact: &ProofArtifact) -> Result<TranscriptKind> {
    let file = "proof artifact";
    if artifact.format != PROOF_FORMAT {
        return Err(Error::artifact(
            file,
            format!(
                "not a {PROOF_FORMAT} artifact (format {:?})",
                artifact.format
            ),
        ));
    }
    if !(PROOF_MIN_VERSION..=PROOF_VERSION).contains(&artifact.format_version) {
        return Err(Error::Version {
            file: file.into(),
            found: artifact.format_version.into(),
            expected: PROOF_VERSION,
        });
    }
    TranscriptKind::from_name(&artifact.transcript).ok_or_else(|| {
        Error::artifact(
            file,
            format!(
                "unsupported transcript {:?} (this build knows \"blake2b\" and \"keccak\")",
                artifact.transcript
            ),
        )
    })
}

/// Verifies `artifact` with a key parsed once (`verifier::VerifierKey::from_bytes` on the
/// bytes of `vk.bin` and `srs-verifier.bin`, which refuses insecure keys unless parsed with
/// `from_bytes_with`): what a service verifying many proofs of one model calls. Same checks
/// as [`verify`] up to the proof; a digest mismatch is [`Error::WrongModel`] with an empty
/// `dir`. It binds fixed parameters (by the key) but checks no other model commitment: use
/// [`verify_with_key_expecting`] with the expected one.
pub fn verify_with_key(key: &VerifierKey, artifact: &ProofArtifact) -> Result<()> {
    verify_bound(key, artifact, &Expected::default(), None).map(|_| ())
}

/// [`verify_with_key`], then the binding: the proof's model commitment must be
/// `expected.commitment` when given ([`Error::WrongCommitment`]), and
/// [`Expected::inputs`] are checked when given.
pub fn verify_with_key_expecting(
    key: &VerifierKey,
    artifact: &ProofArtifact,
    expected: &Expected,
) -> Result<Verified> {
    verify_bound(key, artifact, expected, None)
}

fn verify_bound(
    key: &VerifierKey,
    artifact: &ProofArtifact,
    expected: &Expected,
    from_file: Option<PathBuf>,
) -> Result<Verified> {
    let transcript = check_header(artifact)?;
    let key_digest = hex::encode(key.digest());
    if !artifact.vk_digest.eq_ignore_ascii_case(&key_digest) {
        return Err(Error::WrongModel {
            proof_digest: artifact.vk_digest.clone(),
            key_digest,
            dir: PathBuf::new(),
        });
    }
    let statement = Statement::from_key(key)?;
    let instances = instances_from_hex(&artifact.instances)?;
    if instances.len() != key.num_instances() {
        return Err(verifier::VerifyError::InstanceCount {
            expected: key.num_instances(),
            found: instances.len(),
        }
        .into());
    }
    check_consistent(artifact, &instances, &statement)?;
    let proof = hex::decode(&artifact.proof)
        .map_err(|e| Error::artifact("proof artifact", format!("proof is not hex: {e}")))?;
    key.verify(transcript, &proof, &instances)?;

    // The binding. The commitment is recomputed, never taken from the artifact.
    let layout = statement
        .layout()
        .ok_or_else(|| Error::artifact("proof artifact", "the statement's shapes overflow"))?;
    let view = KeyView {
        vk_digest: key.digest(),
        config: key.config(),
        vk: key.halo2_vk(),
    };
    let bound = commitment::of_proof(
        statement.visibility.params,
        &view,
        layout.param_hash,
        transcript,
        &proof,
        &instances,
    )?;
    if artifact.commitment.is_some() && artifact.commitment != bound {
        return Err(Error::artifact(
            "proof artifact",
            format!(
                "its \"commitment\" says {}, but the proof is bound to {} (tampered artifact?)",
                describe(artifact.commitment.as_ref()),
                describe(bound.as_ref())
            ),
        ));
    }
    let checked_against = match &expected.commitment {
        None => None,
        Some(want) => {
            let expected_from = match &from_file {
                Some(p) => p.display().to_string(),
                None => "--commitment".to_string(),
            };
            let want = parse_commitment_value(want)?;
            match &bound {
                None => {
                    return Err(Error::NoCommitment {
                        expected: want,
                        expected_from,
                    })
                }
                Some(b) if b.value != want => {
                    return Err(Error::WrongCommitment {
                        kind: b.kind,
                        bound: b.value.clone(),
                        expected: want,
                        expected_from,
                    })
                }
                Some(_) => Some(expected_from),
            }
        }
    };
    if let Some(inputs) = &expected.inputs {
        check_inputs(&statement, &layout, &instances, inputs)?;
    }
    Ok(Verified {
        insecure_srs: key.is_insecure_srs(),
        commitment: bound,
        commitment_checked_against: checked_against,
        hashes: Hashes::of_instances(&instances, &layout),
        inputs_checked: expected.inputs.is_some(),
    })
}

fn describe(c: Option<&ModelCommitment>) -> String {
    c.map_or_else(
        || "no commitment".into(),
        |c| format!("{} {}", c.kind, c.value),
    )
}

/// The proof's instances must be about `inputs`: their hash (hashed inputs) or their
/// quantized values (public inputs).
fn check_inputs(
    statement: &Statement,
    layout: &circuits::visibility::InstanceLayout,
    instances: &[Fr],
    inputs: &[Tensor],
) -> Result<()> {
    let file = "the given input";
    if inputs.len() != statement.inputs.len() {
        return Err(Error::artifact(
            file,
            format!(
                "the model takes {} inputs, got {}",
                statement.inputs.len(),
                inputs.len()
            ),
        ));
    }
    let mut q = Vec::new();
    for (t, spec) in inputs.iter().zip(&statement.inputs) {
        if t.shape != spec.shape || t.data.len() != spec.len() {
            return Err(Error::artifact(
                file,
                format!(
                    "input {:?} has shape {:?}, the model's is {:?}",
                    spec.name, t.shape, spec.shape
                ),
            ));
        }
        q.extend(quantize_all(
            &t.data,
            statement.input_scale,
            &format!("input {:?}", spec.name),
        )?);
    }
    match statement.visibility.input {
        Visibility::Private => Err(Error::artifact(
            file,
            "the model's inputs are private: a proof says nothing about them to check",
        )),
        Visibility::Public => {
            let same = q.len() == layout.inputs.len()
                && q.iter()
                    .zip(&instances[layout.inputs.clone()])
                    .all(|(v, f)| circuits::halo2::field::fe_to_i128(f) == Some(*v));
            if same {
                Ok(())
            } else {
                Err(Error::artifact(
                    file,
                    "differs from the proof's public inputs: the proof was made on another input",
                ))
            }
        }
        Visibility::Hashed => {
            let bits = statement
                .bits
                .ok_or_else(|| Error::artifact(file, "the statement records no packing width"))?;
            let w = activation_hash_bits(bits);
            let half = 1i128 << (w - 1);
            let proof_hash = layout
                .input_hash
                .and_then(|i| instances.get(i))
                .map(fr_to_hex)
                .unwrap_or_default();
            // A value outside the packing range cannot be what the circuit hashed.
            let computed = if q.iter().all(|v| (-half..half).contains(v)) {
                fr_to_hex(&hash_values(&q, w))
            } else {
                "(a value outside the hashed range)".into()
            };
            if computed == proof_hash {
                Ok(())
            } else {
                Err(Error::InputHashMismatch {
                    proof: proof_hash,
                    computed,
                })
            }
        }
    }
}
