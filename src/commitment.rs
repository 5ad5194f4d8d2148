//! The model commitment: what a proof is bound to, one 32-byte value written `0x…` (64 hex
//! digits), of one of three kinds chosen by the parameters' visibility:
//!
//! | parameters | kind | value | one key per |
//! | --- | --- | --- | --- |
//! | `fixed` | `fixed` | sha256 of `vk.bin` (the weights are fixed columns of the key) | model |
//! | `hashed` | `hashed` | the Poseidon hash of the quantized parameters, a public instance | architecture |
//! | `committed` | `committed` | keccak256 of the weight columns' KZG commitments, read from the proof | architecture |
//! | `private` | none | proofs are bound to no weights, only to the architecture (the key) | architecture |
//!
//! The committed digest is `verifier::committed::commitment_digest` of the commitments of the
//! packed dot gate's weight columns ([`circuits::halo2::committed_columns`], in that order),
//! which the prover leaves unblinded: each is the KZG commitment (with the key's SRS) of the
//! column holding the model's weights, so it is a function of the weights and the
//! architecture alone, and [`committed`] computes it without proving.
//!
//! `setup` records the commitment of the model it was run on in `commitment.json`:
//!
//! ```json
//! {"format": "zkinfer-commitment", "format_version": 1, "kind": "hashed",
//!  "value": "0x1c0f…", "vk_sha256": "<hex sha256 of the vk.bin it belongs to>"}
//! ```
//!
//! `verify` compares a proof's commitment with the one it is given, else with that file's.

use std::path::Path;

use circuits::halo2::{build, committed_columns, CircuitShape, ModelCircuitParams};
use circuits::hash::fr_to_hex;
use circuits::visibility::ParamVisibility;
use circuits::QuantParams;
use halo2_base::gates::circuit::CircuitBuilderStage;
use onnx_import::ir::Graph;
use serde::{Deserialize, Serialize};
use verifier::halo2::G1Affine;
use verifier::halo2::{Bn256, Fr, ParamsKZG, VerifyingKey};
use verifier::TranscriptKind;

use crate::error::{Error, Result};
use crate::settings::{parse_versioned, read_text, write_json};

/// The `format` value of `commitment.json`.
pub const COMMITMENT_FORMAT: &str = "zkinfer-commitment";
/// The `format_version` of `commitment.json` this build writes and reads.
pub const COMMITMENT_VERSION: u32 = 1;

/// How a model commitment is computed (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitmentKind {
    /// sha256 of `vk.bin`.
    Fixed,
    /// The Poseidon hash of the quantized parameters (a public instance).
    Hashed,
    /// keccak256 of the weight columns' KZG commitments.
    Committed,
}

impl CommitmentKind {
    /// The kind for parameters of visibility `p`; `None` for private parameters, which are
    /// bound to nothing.
    pub fn of(p: ParamVisibility) -> Option<Self> {
        match p {
            ParamVisibility::Fixed => Some(Self::Fixed),
            ParamVisibility::Hashed => Some(Self::Hashed),
            ParamVisibility::Committed => Some(Self::Committed),
            ParamVisibility::Private => None,
        }
    }

    /// The kind's name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Hashed => "hashed",
            Self::Committed => "committed",
        }
    }

    /// What the value is, for messages.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Fixed => "sha256 of vk.bin",
            Self::Hashed => "Poseidon hash of the parameters",
            Self::Committed => "digest of the weight columns' KZG commitments",
        }
    }
}

impl std::fmt::Display for CommitmentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A model commitment: its kind and value (`0x` and 64 lowercase hex digits).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelCommitment {
    /// How it is computed.
    pub kind: CommitmentKind,
    /// The 32-byte value, `0x` and 64 lowercase hex digits.
    pub value: String,
}

impl std::fmt::Display for ModelCommitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} commitment: {})",
            self.value,
            self.kind,
            self.kind.meaning()
        )
    }
}

impl ModelCommitment {
    /// A commitment of `kind` with the 32 bytes `value` (big-endian for a field element).
    pub fn new(kind: CommitmentKind, value: [u8; 32]) -> Self {
        Self {
            kind,
            value: format!("0x{}", hex::encode(value)),
        }
    }

    /// The `fixed` commitment of the key file `vk_file`: its sha256.
    pub fn fixed(vk_file: &[u8]) -> Self {
        Self::new(CommitmentKind::Fixed, verifier::vk_digest(vk_file))
    }

    /// The `hashed` commitment: the parameters' Poseidon hash.
    pub fn hashed(hash: &Fr) -> Self {
        Self {
            kind: CommitmentKind::Hashed,
            value: fr_to_hex(hash),
        }
    }

    /// Whether `value` (see [`parse_commitment_value`]) is this commitment's value.
    pub fn has_value(&self, value: &str) -> bool {
        parse_commitment_value(value).is_ok_and(|v| v == self.value)
    }
}

/// Normalizes a commitment as a user writes it: 64 hex digits, `0x` optional, either case;
/// returns `0x` and lowercase digits.
pub fn parse_commitment_value(s: &str) -> Result<String> {
    let t = s.trim();
    let digits = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::artifact(
            "model commitment",
            format!("{s:?} is not a commitment: expected 0x and 64 hex digits"),
        ));
    }
    Ok(format!("0x{}", digits.to_ascii_lowercase()))
}

/// What of a verifying key the commitment of a proof depends on.
pub(crate) struct KeyView<'a> {
    /// sha256 of `vk.bin`.
    pub vk_digest: [u8; 32],
    /// The circuit configuration recorded in the key.
    pub config: &'a ModelCircuitParams,
    /// The halo2 verifying key (its constraint system locates the committed columns).
    pub vk: &'a VerifyingKey<G1Affine>,
}

/// The commitment a proof (already verified, or about to be) is bound to: from the key
/// (`fixed`), the parameter-hash instance at `param_hash` (`hashed`) or the weight columns'
/// commitments at the start of the proof (`committed`); `None` for private parameters.
pub(crate) fn of_proof(
    params: ParamVisibility,
    key: &KeyView<'_>,
    param_hash: Option<usize>,
    transcript: TranscriptKind,
    proof: &[u8],
    instances: &[Fr],
) -> Result<Option<ModelCommitment>> {
    let Some(kind) = CommitmentKind::of(params) else {
        return Ok(None);
    };
    Ok(Some(match kind {
        CommitmentKind::Fixed => ModelCommitment::new(kind, key.vk_digest),
        CommitmentKind::Hashed => {
            let h = param_hash.and_then(|i| instances.get(i)).ok_or_else(|| {
                Error::artifact(
                    "proof artifact",
                    "the statement has hashed parameters but no parameter-hash instance",
                )
            })?;
            ModelCommitment::hashed(h)
        }
        CommitmentKind::Committed => {
            let columns = committed_columns(key.config);
            if columns.is_empty() {
                return Err(Error::artifact(
                    "the verifying key (vk.bin)",
                    "the parameters are committed, but the key's circuit has no committed \
                     weight columns",
                ));
            }
            let num_advice = verifier::committed::single_phase_advice(key.vk)?;
            let points =
                verifier::committed::advice_commitments(proof, transcript, num_advice, &columns)?;
            ModelCommitment::new(kind, verifier::committed::commitment_digest(&points))
        }
    }))
}

/// The `hashed` commitment of `graph`'s parameters, computed natively (no keys): the
/// Poseidon hash the circuit of `shape` exposes.
pub fn hashed(graph: &Graph, quant: &QuantParams, shape: &CircuitShape) -> Result<ModelCommitment> {
    if shape.visibility.params != ParamVisibility::Hashed {
        return Err(kind_mismatch(shape, "hashed"));
    }
    let built = build(CircuitBuilderStage::Keygen, graph, quant, shape, None)?;
    let h = built.hashes.params.ok_or_else(|| {
        Error::artifact(
            "circuit",
            "hashed parameters but the circuit exposes no hash",
        )
    })?;
    Ok(ModelCommitment::hashed(&h))
}

/// The `committed` commitment of `graph`'s weights in the circuit of `shape`, computed
/// natively: each weight column's KZG commitment with `srs` (the prover's SRS of the key
/// `vk`), digested in column order. Equal to what every proof of that model reports.
pub fn committed(
    graph: &Graph,
    quant: &QuantParams,
    shape: &CircuitShape,
    srs: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
) -> Result<ModelCommitment> {
    if shape.visibility.params != ParamVisibility::Committed {
        return Err(kind_mismatch(shape, "committed"));
    }
    let built = build(CircuitBuilderStage::Keygen, graph, quant, shape, None)?;
    let rows = prover::committed::usable_rows(vk);
    let columns = built.circuit.dots.weight_columns(shape.dot_columns, rows);
    let points = columns
        .iter()
        .map(|values| prover::committed::column_commitment(srs, vk, values))
        .collect::<prover::Result<Vec<_>>>()?;
    Ok(ModelCommitment::new(
        CommitmentKind::Committed,
        verifier::committed::commitment_digest(&points),
    ))
}

fn kind_mismatch(shape: &CircuitShape, want: &str) -> Error {
    Error::artifact(
        "settings.json",
        format!(
            "the model was compiled with {} parameters, not {want}",
            shape.visibility.params
        ),
    )
}

/// The contents of `commitment.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentFile {
    /// Always [`COMMITMENT_FORMAT`].
    pub format: String,
    /// Always [`COMMITMENT_VERSION`].
    pub format_version: u32,
    /// The commitment of the model `setup` was run on.
    #[serde(flatten)]
    pub commitment: ModelCommitment,
    /// Hex sha256 of the `vk.bin` written with it (a stale file is refused).
    pub vk_sha256: String,
}

impl CommitmentFile {
    /// The file for `commitment` and the key file with sha256 `vk_sha256` (hex).
    pub fn new(commitment: ModelCommitment, vk_sha256: String) -> Self {
        Self {
            format: COMMITMENT_FORMAT.into(),
            format_version: COMMITMENT_VERSION,
            commitment,
            vk_sha256,
        }
    }

    /// Reads and checks `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = read_text(path)?;
        let file = path.display().to_string();
        let f: Self = parse_versioned(&text, &file, COMMITMENT_FORMAT, COMMITMENT_VERSION)?;
        let value = parse_commitment_value(&f.commitment.value)
            .map_err(|e| Error::artifact(file.clone(), e.to_string()))?;
        if value != f.commitment.value {
            return Err(Error::artifact(
                file,
                "\"value\" must be 0x and 64 lowercase hex digits",
            ));
        }
        Ok(f)
    }

    /// Writes `path` atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
}

/// The commitment that proofs made in the model directory `dir` with the weights of `model`
/// (default: the compiled model) are bound to, computed without proving, with `dir`'s
/// quantization and circuit shape: `hashed` needs only `settings.json` and `model.onnx`;
/// `committed` also the keys (`vk.bin`, `srs-verifier.bin`, `srs-prover.bin`); `fixed` the
/// keys too, and for another model file it generates that model's keys with `dir`'s SRS
/// (nothing is written) and returns their `vk.bin` digest. `None` for private parameters.
/// `model` must have the compiled architecture ([`Error::WrongArchitecture`]).
pub fn commit(dir: &Path, model: Option<&Path>) -> Result<Option<ModelCommitment>> {
    use crate::compile::Compiled;
    use crate::files;
    use crate::pipeline::{read, require};
    let base = Compiled::load(dir)?;
    let compiled = match model {
        Some(path) => base.reweighted(path, true)?,
        None => base.clone(),
    };
    let s = &compiled.settings;
    let Some(kind) = CommitmentKind::of(s.circuit.visibility.params) else {
        return Ok(None);
    };
    if kind == CommitmentKind::Hashed {
        return hashed(&compiled.graph, &s.quant, &s.circuit).map(Some);
    }
    let vk_file = read(&require(dir, files::VK)?)?;
    let srs = prover::load_srs(&require(dir, files::SRS_PROVER)?, s.circuit.k)?;
    match kind {
        CommitmentKind::Committed => {
            let params_file = read(&require(dir, files::SRS_VERIFIER)?)?;
            // Reading a key to commit is not trusting it: the local SRS is fine here.
            let key = verifier::VerifierKey::from_bytes_with(
                &vk_file,
                &params_file,
                &verifier::KeyOptions {
                    allow_insecure_srs: true,
                },
            )?;
            committed(&compiled.graph, &s.quant, &s.circuit, &srs, key.halo2_vk()).map(Some)
        }
        _ if compiled.model_bytes == base.model_bytes => Ok(Some(ModelCommitment::fixed(&vk_file))),
        _ => {
            // Another model with fixed weights: its own keys, with this shape and SRS.
            let keys = prover::setup(
                &compiled.graph,
                &s.quant,
                &s.circuit,
                &srs,
                &prover::no_progress,
            )?;
            let statement = crate::statement::Statement::of_settings(s).to_bytes()?;
            let origin = verifier::srs_origin(&vk_file)?;
            let vf = prover::verifier_files(&keys.vk, &keys.config, &srs, origin, &statement)?;
            Ok(Some(ModelCommitment::fixed(&vf.vk_file)))
        }
    }
}
