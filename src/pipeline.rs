//! `setup` and `prove` on a model directory written by [`Compiled::save`] (`verify` is in
//! [`mod@crate::verify`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use circuits::fixed::eval_fixed;
use circuits::halo2::circuit::encode_instances;
use circuits::hash::hash_values;
use circuits::visibility::{activation_hash_bits, Visibility};
use onnx_import::ir::Tensor;
use prover::{ProveOptions, Stage};
use verifier::{instances_to_hex, SrsOrigin, TranscriptKind};

use crate::artifacts::{
    dequantize_instances, DequantizeError, Hashes, ProofArtifact, PROOF_FORMAT, PROOF_VERSION,
};
use crate::commitment::{self, CommitmentFile, CommitmentKind, KeyView, ModelCommitment};
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
    /// Hex sha256 of `vk.bin` (the model commitment when parameters are fixed).
    pub vk_digest: String,
    /// The commitment of the model set up (see [`crate::commitment`]), also written to
    /// `commitment.json`; `None` for private parameters.
    pub commitment: Option<ModelCommitment>,
    /// Circuit size exponent (rows = 2^k).
    pub k: u32,
    /// The SRS file used.
    pub srs_path: PathBuf,
    /// Whether a local SRS was generated now (rather than read from the cache).
    pub srs_generated: bool,
    /// Whether the SRS is the insecure local one (generated here, or a file that holds it,
    /// recognized by its `s·g2`): anyone can forge proofs for these keys. `vk.bin` records
    /// it, and verifiers refuse the keys unless told to allow them ([`crate::VerifyOptions`]).
    pub insecure_srs: bool,
    /// Time spent obtaining the SRS.
    pub srs_time: Duration,
    /// Time spent generating and writing the keys.
    pub keygen_time: Duration,
}

pub(crate) fn require(dir: &Path, name: &str) -> Result<PathBuf> {
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

pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
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
/// `srs-verifier.bin`, `commitment.json` (the model commitment, when parameters are not
/// private) and, last, `vk.bin` (each atomically; an old `vk.bin` and `commitment.json` are
/// removed first, so an interrupted setup never leaves a verifying key next to other keys).
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
    let commitment_path = dir.join(files::COMMITMENT);
    for stale in [&vk_path, &commitment_path] {
        if let Err(e) = std::fs::remove_file(stale) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(Error::Io {
                    path: stale.clone(),
                    source: e,
                });
            }
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
    let commitment = match CommitmentKind::of(s.circuit.visibility.params) {
        None => None,
        Some(CommitmentKind::Fixed) => Some(ModelCommitment::fixed(&vf.vk_file)),
        Some(CommitmentKind::Hashed) => {
            Some(commitment::hashed(&compiled.graph, &s.quant, &s.circuit)?)
        }
        Some(CommitmentKind::Committed) => Some(commitment::committed(
            &compiled.graph,
            &s.quant,
            &s.circuit,
            &params,
            &keys.vk,
        )?),
    };
    prover::write_proving_key(&dir.join(files::PK), &keys.pk, &keys.break_points)?;
    drop(keys);
    prover::save_srs(&params, &dir.join(files::SRS_PROVER))?;
    prover::fsutil::atomic_write(&dir.join(files::SRS_VERIFIER), &vf.params_file)?;
    if let Some(c) = &commitment {
        CommitmentFile::new(c.clone(), hex::encode(vf.digest)).write(&commitment_path)?;
    }
    prover::fsutil::atomic_write(&vk_path, &vf.vk_file)?;
    Ok(SetupReport {
        vk_digest: hex::encode(vf.digest),
        commitment,
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

/// The transcript a proof of a model compiled with `settings` uses unless told otherwise:
/// Keccak, the one the generated EVM verifier recomputes, when it was compiled for the EVM
/// ([`crate::settings::Settings::evm`]), else Blake2b (fastest natively). Native
/// verification accepts either.
pub fn default_transcript(settings: &crate::settings::Settings) -> TranscriptKind {
    if settings.evm.is_some() {
        TranscriptKind::Keccak
    } else {
        TranscriptKind::Blake2b
    }
}

/// [`prove_with`] with default options, the model's [`default_transcript`] and no progress
/// reporting.
pub fn prove(dir: &Path, inputs: &[Tensor]) -> Result<ProofArtifact> {
    let settings = crate::settings::Settings::read(&dir.join(files::SETTINGS))?;
    let opts = ProveOptions {
        transcript: default_transcript(&settings),
        ..ProveOptions::default()
    };
    prove_with(dir, inputs, &opts, &prover::no_progress)
}

/// Proves the model in `dir` (after `setup`) on `inputs` (in graph-input order), with the
/// weights it was compiled with: [`prove_with_model`] without a model file.
pub fn prove_with(
    dir: &Path,
    inputs: &[Tensor],
    opts: &ProveOptions,
    progress: &dyn Fn(Stage),
) -> Result<ProofArtifact> {
    prove_with_model(dir, None, inputs, opts, progress).map(|p| p.artifact)
}

/// A proof artifact and what only the prover learns.
#[derive(Clone, Debug, PartialEq)]
pub struct Proved {
    /// What to save as `proof.json`.
    pub artifact: ProofArtifact,
    /// The outputs the circuit computed, dequantized, by name, whatever their visibility:
    /// when outputs are private or hashed they are **not** in the artifact (show them only to
    /// whoever may see them).
    pub outputs: BTreeMap<String, Tensor>,
    /// The backend that proved ([`ProveOptions::device`]), and why not the GPU under
    /// [`prover::Device::Auto`].
    pub proved_on: prover::ProvedOn,
}

/// Proves the model in `dir` (after `setup`) on `inputs` (in graph-input order).
///
/// `model`, when given, is a model file whose weights to prove with instead of the compiled
/// one's: for hashed, committed or private parameters, any file of the same architecture
/// ([`Compiled::with_weights`]), so one key directory serves several weight files; each
/// proof is then bound to its own weights' commitment. With fixed parameters only the
/// compiled model is accepted.
///
/// The fixed-point evaluator runs first, so an input outside the calibrated range fails
/// fast with a clear [`circuits::CircuitError::OutOfRange`] instead of an invalid proof.
pub fn prove_with_model(
    dir: &Path,
    model: Option<&Path>,
    inputs: &[Tensor],
    opts: &ProveOptions,
    progress: &dyn Fn(Stage),
) -> Result<Proved> {
    let mut compiled = Compiled::load(dir)?;
    if let Some(path) = model {
        compiled = compiled.with_weights(path)?;
    }
    check_inputs(&compiled, inputs)?;
    let s = &compiled.settings;
    // An explicit `--device cuda` that cannot be honoured fails before the keys are read.
    if opts.device == prover::Device::Cuda {
        prover::backend::select(opts.device, &s.circuit.visibility)?;
    }
    let run = eval_fixed(&compiled.graph, &s.quant, inputs)?;
    let pk_path = require(dir, files::PK)?;
    let vk_file = read(&require(dir, files::VK)?)?;
    let srs = prover::load_srs(&require(dir, files::SRS_PROVER)?, s.circuit.k)?;
    let config = s.circuit.circuit_params(s.num_instances);
    let (pk, break_points) = prover::read_proving_key(&pk_path, &config)?;
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
    let layout = s
        .instance_layout()
        .ok_or_else(|| Error::artifact("settings.json", "the shapes' element count overflows"))?;
    check_instances(&compiled, &run, &proof.instances, &layout)?;
    let scale = s.quant.input_scale;
    let named = |range: &std::ops::Range<usize>, specs: &[crate::TensorSpec], public: bool| {
        if !public {
            return Ok(BTreeMap::new());
        }
        dequantize_instances(&proof.instances[range.clone()], specs, scale)
            .map(|v| v.into_iter().collect::<BTreeMap<_, _>>())
            .map_err(|e| match e {
                DequantizeError::Inexact { name, element, q } => Error::InexactValue {
                    name,
                    element,
                    integer: q.to_string(),
                    scale,
                },
                _ => Error::artifact("proof", "public instances are not fixed-point values"),
            })
    };
    let vis = s.circuit.visibility;
    let inputs_shown = named(&layout.inputs, &s.inputs, vis.input == Visibility::Public)?;
    let outputs_shown = named(
        &layout.outputs,
        &s.outputs,
        vis.output == Visibility::Public,
    )?;
    let key = KeyView {
        vk_digest: verifier::vk_digest(&vk_file),
        config: &config,
        vk: pk.get_vk(),
    };
    let commitment = commitment::of_proof(
        vis.params,
        &key,
        layout.param_hash,
        proof.transcript,
        &proof.bytes,
        &proof.instances,
    )?;
    let artifact = ProofArtifact {
        format: PROOF_FORMAT.into(),
        format_version: PROOF_VERSION,
        transcript: proof.transcript.name().into(),
        vk_digest: prover::fsutil::sha256_hex(&vk_file),
        proof: hex::encode(&proof.bytes),
        instances: instances_to_hex(&proof.instances),
        inputs: inputs_shown,
        outputs: outputs_shown,
        hashes: Hashes::of_instances(&proof.instances, &layout),
        commitment,
        insecure_srs: prover::keys::is_insecure(&vk_file, &srs),
    };
    let outputs = s
        .outputs
        .iter()
        .map(|spec| spec.name.clone())
        .zip(run.outputs_float)
        .collect();
    Ok(Proved {
        artifact,
        outputs,
        proved_on: proof.proved_on,
    })
}

/// The circuit's public instances must be the fixed-point evaluator's: the public inputs
/// and outputs, and the hashes of hashed ones (recomputed natively).
fn check_instances(
    compiled: &Compiled,
    run: &circuits::fixed::FixedRun,
    instances: &[verifier::halo2::Fr],
    layout: &circuits::visibility::InstanceLayout,
) -> Result<()> {
    let s = &compiled.settings;
    let vis = s.circuit.visibility;
    let w = activation_hash_bits(s.quant.bits);
    let flat = |t: &[circuits::ops::CellTensor<i128>]| -> Vec<i128> {
        t.iter().flat_map(|t| t.data.iter().copied()).collect()
    };
    let mut expected = Vec::with_capacity(layout.len);
    if vis.input == Visibility::Public {
        expected.extend(encode_instances(&run.inputs));
    }
    if vis.output == Visibility::Public {
        expected.extend(encode_instances(&run.outputs));
    }
    if vis.input == Visibility::Hashed {
        expected.push(hash_values(&flat(&run.inputs), w));
    }
    if vis.output == Visibility::Hashed {
        expected.push(hash_values(&flat(&run.outputs), w));
    }
    // The parameter hash (last, when hashed) is the circuit's own.
    let checked = expected.len();
    if instances.len() != layout.len || instances[..checked] != expected[..] {
        return Err(Error::artifact(
            "proof",
            "the circuit's public instances differ from the fixed-point evaluator's (internal \
             error; please report)",
        ));
    }
    Ok(())
}
