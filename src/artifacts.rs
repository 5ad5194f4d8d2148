//! The proof artifact (`proof.json`): a proof with the statement it proves.
//!
//! ```json
//! {
//!   "format": "zkinfer-proof",
//!   "format_version": 1,
//!   "transcript": "blake2b",
//!   "vk_digest": "<hex sha256 of vk.bin: the model commitment>",
//!   "proof": "<hex proof bytes>",
//!   "instances": ["<64 hex digits: 32-byte little-endian field element>", ...],
//!   "inputs": {"input": {"shape": [1, 64], "data": [0.0, 0.4375, ...]}},
//!   "outputs": {"output": {"shape": [1, 10], "data": [-3.1875, 5.5, ...]}}
//! }
//! ```
//!
//! `instances` are what the proof is checked against: the quantized inputs then the
//! quantized outputs, row-major, in graph order. `inputs` and `outputs` are the same
//! numbers dequantized for reading; [`crate::verify`] checks that they agree with the
//! instances, so a verified artifact's `outputs` are proven.

use std::collections::BTreeMap;
use std::path::Path;

use circuits::halo2::field::fe_to_i128;
use circuits::quant::{dequantize, quantize};
use onnx_import::ir::Tensor;
use serde::{Deserialize, Serialize};
use verifier::halo2::Fr;

use crate::error::{Error, Result};
use crate::settings::{parse_versioned, read_text, write_json, TensorSpec};

/// The `format` value of a proof artifact.
pub const PROOF_FORMAT: &str = "zkinfer-proof";
/// The `format_version` this build writes and reads.
pub const PROOF_VERSION: u32 = 1;

/// A proof and its public statement, as saved to `proof.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProofArtifact {
    /// Always [`PROOF_FORMAT`].
    pub format: String,
    /// Always [`PROOF_VERSION`] when written by this build.
    pub format_version: u32,
    /// The Fiat–Shamir transcript (`verifier::TranscriptKind::name`).
    pub transcript: String,
    /// Hex sha256 of the `vk.bin` the proof was made for.
    pub vk_digest: String,
    /// The proof bytes, hex.
    pub proof: String,
    /// The public instances, each 64 hex digits (see `verifier::instance_to_hex`).
    pub instances: Vec<String>,
    /// The inputs, dequantized, by name.
    pub inputs: BTreeMap<String, Tensor>,
    /// The outputs, dequantized, by name.
    pub outputs: BTreeMap<String, Tensor>,
}

impl ProofArtifact {
    /// Writes the artifact as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }

    /// Reads an artifact, checking its format and version first.
    pub fn load(path: &Path) -> Result<Self> {
        let text = read_text(path)?;
        parse_versioned(
            &text,
            &path.display().to_string(),
            PROOF_FORMAT,
            PROOF_VERSION,
        )
    }

    /// The artifact's outputs in the order of `specs`.
    pub fn outputs_in_order(&self, specs: &[TensorSpec]) -> Option<Vec<&Tensor>> {
        specs.iter().map(|s| self.outputs.get(&s.name)).collect()
    }
}

/// Splits instances into named, dequantized tensors following `specs` (inputs then
/// outputs). `None` if an instance is not a small signed integer.
pub(crate) fn dequantize_instances(
    instances: &[Fr],
    specs: &[TensorSpec],
    scale: u32,
) -> Option<Vec<(String, Tensor)>> {
    let mut rest = instances;
    let mut out = Vec::with_capacity(specs.len());
    for s in specs {
        let (head, tail) = rest.split_at_checked(s.len())?;
        rest = tail;
        let data = head
            .iter()
            .map(|f| fe_to_i128(f).map(|q| dequantize(q, scale)))
            .collect::<Option<Vec<_>>>()?;
        out.push((
            s.name.clone(),
            Tensor {
                shape: s.shape.clone(),
                data,
            },
        ));
    }
    rest.is_empty().then_some(out)
}

/// Checks that the artifact's readable `inputs`/`outputs` are exactly its instances.
pub(crate) fn check_consistent(
    artifact: &ProofArtifact,
    instances: &[Fr],
    inputs: &[TensorSpec],
    outputs: &[TensorSpec],
    scale: u32,
) -> Result<()> {
    let file = "proof artifact";
    let specs: Vec<TensorSpec> = inputs.iter().chain(outputs).cloned().collect();
    let tensors = dequantize_instances(instances, &specs, scale).ok_or_else(|| {
        Error::artifact(
            file,
            "the public instances are not fixed-point values of this model",
        )
    })?;
    let (want_in, want_out) = tensors.split_at(inputs.len());
    for (map, want, what) in [
        (&artifact.inputs, want_in, "inputs"),
        (&artifact.outputs, want_out, "outputs"),
    ] {
        if map.len() != want.len() {
            return Err(Error::artifact(
                file,
                format!("expected {} {what}, found {}", want.len(), map.len()),
            ));
        }
        for (name, t) in want {
            let got = map
                .get(name)
                .ok_or_else(|| Error::artifact(file, format!("{what}: missing {name:?}")))?;
            // Compare in fixed point, so the check is immune to float formatting round trips.
            let same = got.shape == t.shape
                && got.data.len() == t.data.len()
                && got.data.iter().zip(&t.data).all(|(g, w)| {
                    let q = |x: f64| quantize(x, scale, name).ok();
                    q(*g).is_some() && q(*g) == q(*w)
                });
            if !same {
                return Err(Error::artifact(
                    file,
                    format!("{what} {name:?} do not match the proof's public instances (tampered artifact?)"),
                ));
            }
        }
    }
    Ok(())
}
