//! `setup`, `prove` and `verify` on a model directory written by [`Compiled::save`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use circuits::fixed::eval_fixed;
use circuits::halo2::circuit::encode_instances;
use onnx_import::ir::Tensor;
use prover::{ProveOptions, Stage};
use verifier::{
    instances_from_hex, instances_to_hex, KeyOptions, SrsOrigin, TranscriptKind, VerifierKey,
};

use crate::artifacts::{
    check_consistent, dequantize_instances, DequantizeError, ProofArtifact, PROOF_FORMAT,
    PROOF_VERSION,
};
use crate::compile::Compiled;
use crate::error::{Error, Result};
use crate::files;
use crate::statement::Statement;

/// Where `setup` gets its structured reference string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SrsSource {
    /// A halo2 KZG parameter file with at least `2^k` powers (e.g. converted from a
    /// powers-of-tau ceremony); larger files are downsized.
    File(PathBuf),
    /// An INSECURE deterministic SRS generated locally and cached in `cache_dir`; for tests
    /// and demos only (anyone can forge proofs against it).
    Local {
        /// Cache directory (files `kzg-bn254-k{k}.srs`).
        cache_dir: PathBuf,
    },
}

/// What `setup` did.
#[derive(Clone, Debug)]
pub struct SetupReport {
    /// The model commitment: hex sha256 of `vk.bin`.
    pub vk_digest: String,
    /// Circuit size exponent (rows = 2^k).
    pub k: u32,
    /// The SRS file used.
    pub srs_path: PathBuf,
    /// Whether a local SRS was generated now (rather than read from the cache).
    pub srs_generated: bool,
    /// Whether the SRS is the insecure local one (generated here, or a file that holds it,
    /// recognized by its `s·g2`): anyone can forge proofs for these keys. `vk.bin` records
    /// it, and verifiers refuse the keys unless told to allow them ([`VerifyOptions`]).
    pub insecure_srs: bool,
    /// Time spent obtaining the SRS.
    pub srs_time: Duration,
    /// Time spent generating and writing the keys.
    pub keygen_time: Duration,
}

fn require(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::NotSetUp {
            dir: dir.to_path_buf(),
            path,
        })
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// [`setup_with`] without progress reporting.
pub fn setup(dir: &Path, srs: &SrsSource) -> Result<SetupReport> {
    setup_with(dir, srs, &prover::no_progress)
}

/// Generates the keys of the model compiled in `dir` and writes `pk.bin`, `srs-prover.bin`,
/// `srs-verifier.bin` and, last, `vk.bin` (each atomically; an old `vk.bin` is removed
/// first, so an interrupted setup never leaves a verifying key next to other keys).
pub fn setup_with(dir: &Path, srs: &SrsSource, progress: &dyn Fn(Stage)) -> Result<SetupReport> {
    let compiled = Compiled::load(dir)?;
    let s = &compiled.settings;
    let k = s.circuit.k;
    let t0 = Instant::now();
    let (params, srs_path, srs_generated, insecure_srs) = match srs {
        SrsSource::File(path) => {
            let p = prover::load_srs(path, k)?;
            // A copy of the local SRS passed as a file is just as insecure.
            let insecure = prover::srs::is_local_srs(&p);
            (p, path.clone(), false, insecure)
        }
        SrsSource::Local { cache_dir } => {
            let (p, path, generated) = prover::local_srs(k, cache_dir)?;
            (p, path, generated, true)
        }
    };
    let srs_time = t0.elapsed();
    let t1 = Instant::now();
    let vk_path = dir.join(files::VK);
    if let Err(e) = std::fs::remove_file(&vk_path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(Error::Io {
                path: vk_path,
                source: e,
            });
        }
    }
    let keys = prover::setup(&compiled.graph, &s.quant, &s.circuit, &params, progress)?;
    let statement = Statement::of_settings(s).to_bytes()?;
    let origin = if insecure_srs {
        SrsOrigin::InsecureLocal
    } else {
        SrsOrigin::File
    };
    // `verifier_files` also marks a given file that is the local SRS (by its s·g2).
    let insecure_srs = insecure_srs || verifier::is_insecure_local_srs(&params);
    let vf = prover::verifier_files(&keys.vk, &keys.config, &params, origin, &statement)?;
    prover::write_proving_key(&dir.join(files::PK), &keys.pk, &keys.break_points)?;
    drop(keys);
    prover::save_srs(&params, &dir.join(files::SRS_PROVER))?;
    prover::fsutil::atomic_write(&dir.join(files::SRS_VERIFIER), &vf.params_file)?;
    prover::fsutil::atomic_write(&vk_path, &vf.vk_file)?;
    Ok(SetupReport {
        vk_digest: hex::encode(vf.digest),
        k,
        srs_path,
        srs_generated,
        insecure_srs,
        srs_time,
        keygen_time: t1.elapsed(),
    })
}

/// A note on the dimension bindings a model was compiled with, to append to shape errors;
/// `""` for a model with static input shapes.
pub fn dims_note(settings: &crate::settings::Settings) -> String {
    if settings.dims.is_empty() {
        return String::new();
    }
    let b: Vec<String> = settings.dims.iter().map(ToString::to_string).collect();
    format!(
        "; the model was compiled with {}: to prove on another shape, compile it again with \
         --dim (or a calibration file of that shape)",
        b.join(", ")
    )
}

fn check_inputs(compiled: &Compiled, inputs: &[Tensor]) -> Result<()> {
    let specs = &compiled.settings.inputs;
    if inputs.len() != specs.len() {
        return Err(circuits::CircuitError::Input {
            name: "<all>".into(),
            message: format!(
                "the model takes {} inputs, got {}",
                specs.len(),
                inputs.len()
            ),
        }
        .into());
    }
    for (i, (t, s)) in inputs.iter().zip(specs).enumerate() {
        if t.shape != s.shape || t.data.len() != s.len() {
            return Err(circuits::CircuitError::Input {
                name: s.name.clone(),
                message: format!(
                    "expected shape {:?}, got shape {:?} with {} values{}",
                    s.shape,
                    t.shape,
                    t.data.len(),
                    dims_note(&compiled.settings)
                ),
            }
            .into());
        }
        let dtype = compiled.graph.input_dtype(i);
        if let Some((lo, hi)) = dtype.int_range() {
            let bad = t
                .data
                .iter()
                .position(|&x| x.fract() != 0.0 || x < lo as f64 || x > hi as f64);
            if let Some(j) = bad {
                return Err(circuits::CircuitError::Input {
                    name: s.name.clone(),
                    message: format!(
                        "value {j} is {}, but the input has type {} (whole numbers from {lo} \
                         to {hi})",
                        t.data[j],
                        dtype.name()
                    ),
                }
                .into());
            }
        }
    }
    Ok(())
}

/// [`prove_with`] with default options and no progress reporting.
pub fn prove(dir: &Path, inputs: &[Tensor]) -> Result<ProofArtifact> {
    prove_with(dir, inputs, &ProveOptions::default(), &prover::no_progress)
}

/// Proves the model in `dir` (after `setup`) on `inputs` (in graph-input order).
///
/// The fixed-point evaluator runs first, so an input outside the calibrated range fails
/// fast with a clear [`circuits::CircuitError::OutOfRange`] instead of an invalid proof.
pub fn prove_with(
    dir: &Path,
    inputs: &[Tensor],
    opts: &ProveOptions,
    progress: &dyn Fn(Stage),
) -> Result<ProofArtifact> {
    let compiled = Compiled::load(dir)?;
    check_inputs(&compiled, inputs)?;
    let s = &compiled.settings;
    let run = eval_fixed(&compiled.graph, &s.quant, inputs)?;
    let pk_path = require(dir, files::PK)?;
    let vk_file = read(&require(dir, files::VK)?)?;
    let srs = prover::load_srs(&require(dir, files::SRS_PROVER)?, s.circuit.k)?;
    let (pk, break_points) =
        prover::read_proving_key(&pk_path, &s.circuit.circuit_params(s.num_instances))?;
    let mut shape = s.circuit.clone();
    shape.break_points = break_points;
    let proof = prover::prove(
        &compiled.graph,
        &s.quant,
        &shape,
        &srs,
        &pk,
        &run.inputs,
        opts,
        progress,
    )?;
    let expected: Vec<_> = encode_instances(&run.inputs)
        .into_iter()
        .chain(encode_instances(&run.outputs))
        .collect();
    if proof.instances != expected {
        return Err(Error::artifact(
            "proof",
            "the circuit's public outputs differ from the fixed-point evaluator's (internal error; please report)",
        ));
    }
    let specs: Vec<_> = s.inputs.iter().chain(&s.outputs).cloned().collect();
    let scale = s.quant.input_scale;
    let mut named = dequantize_instances(&proof.instances, &specs, scale).map_err(|e| match e {
        DequantizeError::Inexact { name, element, q } => Error::InexactValue {
            name,
            element,
            integer: q.to_string(),
            scale,
        },
        _ => Error::artifact("proof", "public instances are not fixed-point values"),
    })?;
    let outputs: BTreeMap<_, _> = named.split_off(s.inputs.len()).into_iter().collect();
    Ok(ProofArtifact {
        format: PROOF_FORMAT.into(),
        format_version: PROOF_VERSION,
        transcript: proof.transcript.name().into(),
        vk_digest: prover::fsutil::sha256_hex(&vk_file),
        proof: hex::encode(&proof.bytes),
        instances: instances_to_hex(&proof.instances),
        inputs: named.into_iter().collect(),
        outputs,
        insecure_srs: prover::keys::is_insecure(&vk_file, &srs),
    })
}

/// How [`verify_with`] treats keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Accept keys made with zkinfer's insecure local SRS (tests and demos only: its secret
    /// is public, anyone can forge proofs for them). Default `false`: such keys fail with
    /// [`verifier::VerifyError::InsecureSrs`].
    pub allow_insecure_srs: bool,
}

/// What [`verify_with`] established about an accepted proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The key was made with the insecure local SRS (accepted only because the options
    /// allowed it): anyone can forge proofs for it, so the acceptance shows nothing.
    pub insecure_srs: bool,
}

/// [`verify_with`] with default options: keys made with the insecure local SRS are refused.
pub fn verify(dir: &Path, artifact: &ProofArtifact) -> Result<()> {
    verify_with(dir, artifact, &VerifyOptions::default()).map(|_| ())
}

/// Verifies `artifact` against the model in `dir`, which needs only `vk.bin` and
/// `srs-verifier.bin` (what the instances mean is stored in the key; see
/// [`crate::statement`]).
///
/// Checks, in order: the artifact's format version and transcript; that it was made for
/// this directory's verifying key ([`Error::WrongModel`] otherwise); that the key was not
/// made with the insecure local SRS, unless `options` allow it; that its readable
/// `inputs`/`outputs` equal its public instances exactly; and the proof itself.
pub fn verify_with(
    dir: &Path,
    artifact: &ProofArtifact,
    options: &VerifyOptions,
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
    verify_with_key(&key, artifact)?;
    Ok(Verified {
        insecure_srs: key.is_insecure_srs(),
    })
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
    if artifact.format_version != PROOF_VERSION {
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
/// as [`verify`]; a digest mismatch is [`Error::WrongModel`] with an empty `dir`.
pub fn verify_with_key(key: &VerifierKey, artifact: &ProofArtifact) -> Result<()> {
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
    check_consistent(
        artifact,
        &instances,
        &statement.inputs,
        &statement.outputs,
        statement.input_scale,
    )?;
    let proof = hex::decode(&artifact.proof)
        .map_err(|e| Error::artifact("proof artifact", format!("proof is not hex: {e}")))?;
    key.verify(transcript, &proof, &instances)?;
    Ok(())
}
