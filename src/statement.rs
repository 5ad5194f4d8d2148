//! What a model's public instances mean, stored inside `vk.bin` so the key's digest covers
//! it: tensor names and shapes, the fixed-point scale and, for circuits that hide or hash
//! parts, their visibility.
//!
//! ```json
//! {"format": "zkinfer-statement", "format_version": 2, "input_scale": 9,
//!  "inputs": [{"name": "input", "shape": [1, 64]}],
//!  "outputs": [{"name": "output", "shape": [1, 10]}],
//!  "visibility": {"input": "hashed", "output": "public", "params": "committed"},
//!  "bits": 17}
//! ```
//!
//! The instances are laid out by [`Visibilities::layout`]: the public inputs' elements, the
//! public outputs' elements (each `round(x · 2^input_scale)`), then the Poseidon hash of the
//! inputs, of the outputs and of the parameters, each present only when that part is hashed.
//! `bits` is the range bound, which fixes the width hashed activations are packed at
//! ([`circuits::visibility::activation_hash_bits`]), so a verifier can recompute an input
//! hash from the input alone.
//!
//! Version 1 has neither `visibility` nor `bits` (public inputs and outputs, fixed
//! parameters). This build still writes version 1 for that default, so a default model's
//! `vk.bin` is byte-identical to the one from before visibility existed, version 2 for
//! other visibilities, and version 3 for aggregated proofs, whose first `accumulator`
//! instances (12) are a KZG accumulator the key makes every verifier decide, with the
//! layout above after them; it reads all three.
//!
//! A verifier therefore needs nothing but `vk.bin` and `srs-verifier.bin` to check a proof
//! artifact and to read its outputs: a tampered `settings.json` cannot change what a
//! verified proof is taken to say.

use circuits::visibility::{InstanceLayout, Visibilities};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::settings::{parse_versions, Settings, TensorSpec};

/// The `format` value of the statement metadata.
pub const STATEMENT_FORMAT: &str = "zkinfer-statement";
/// The newest `format_version` this build writes and reads (2: visibility, 3: the leading
/// accumulator instances of aggregated proofs).
pub const STATEMENT_VERSION: u32 = 3;
/// The version written for a non-default visibility without an accumulator (still read).
pub const STATEMENT_VERSION_VISIBILITY: u32 = 2;
/// The version written for the default visibility (and still read).
pub const STATEMENT_VERSION_DEFAULT: u32 = 1;

/// The layout and meaning of the public instances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Always [`STATEMENT_FORMAT`].
    pub format: String,
    /// [`STATEMENT_VERSION_DEFAULT`] for the default visibility, [`STATEMENT_VERSION`] with
    /// an accumulator, else [`STATEMENT_VERSION_VISIBILITY`].
    pub format_version: u32,
    /// Fixed-point scale exponent of every input and output instance.
    pub input_scale: u32,
    /// Graph inputs, in order.
    pub inputs: Vec<TensorSpec>,
    /// Graph outputs, in order.
    pub outputs: Vec<TensorSpec>,
    /// What is public, private or hashed (default: public inputs and outputs, fixed
    /// parameters; left out then).
    #[serde(default, skip_serializing_if = "Visibilities::is_default")]
    pub visibility: Visibilities,
    /// The range bound `bits` (activations lie in `[-2^bits, 2^bits)`); recorded with a
    /// non-default visibility, where hashed values are packed by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// Leading instances that are a KZG accumulator rather than part of the statement: 12
    /// (4 coordinates × 3 limbs) for an aggregated proof (split proving, [`crate::split`]),
    /// whose key then has `kzg_accumulator` set so that every verifier decides it; 0 (left
    /// out) otherwise. The statement's parts follow them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub accumulator: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Statement {
    /// The statement of a compiled model.
    pub fn of_settings(s: &Settings) -> Self {
        let visibility = s.circuit.visibility;
        let default = visibility.is_default();
        Self {
            format: STATEMENT_FORMAT.into(),
            format_version: if default {
                STATEMENT_VERSION_DEFAULT
            } else {
                STATEMENT_VERSION_VISIBILITY
            },
            input_scale: s.quant.input_scale,
            inputs: s.inputs.clone(),
            outputs: s.outputs.clone(),
            visibility,
            bits: (!default).then_some(s.quant.bits),
            accumulator: 0,
        }
    }

    /// Where each part sits in the instance column, or `None` when the shapes' element
    /// count overflows.
    pub fn layout(&self) -> Option<InstanceLayout> {
        let n_in = TensorSpec::total_len(&self.inputs)?;
        let n_out = TensorSpec::total_len(&self.outputs)?;
        let l = self.visibility.layout(n_in, n_out);
        let at = self.accumulator;
        let shift =
            |r: std::ops::Range<usize>| Some(r.start.checked_add(at)?..r.end.checked_add(at)?);
        let index = |i: Option<usize>| {
            i.map(|i| i.checked_add(at))
                .map_or(Some(None), |x| x.map(Some))
        };
        Some(InstanceLayout {
            inputs: shift(l.inputs)?,
            outputs: shift(l.outputs)?,
            input_hash: index(l.input_hash)?,
            output_hash: index(l.output_hash)?,
            param_hash: index(l.param_hash)?,
            len: l.len.checked_add(at)?,
        })
    }

    /// Number of public instances; saturates at `usize::MAX` when the shapes' element
    /// count overflows (never wraps to a small count).
    pub fn num_instances(&self) -> usize {
        self.layout().map_or(usize::MAX, |l| l.len)
    }

    /// Serialized form, as stored in the key.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::artifact("statement", e.to_string()))
    }

    /// Parses the metadata of a verifying key.
    pub fn from_key(key: &verifier::VerifierKey) -> Result<Self> {
        let file = "the verifying key's statement (vk.bin)";
        let text = std::str::from_utf8(key.metadata())
            .map_err(|_| Error::artifact(file, "metadata is not UTF-8 JSON"))?;
        let s: Statement = parse_versions(
            text,
            file,
            STATEMENT_FORMAT,
            STATEMENT_VERSION_DEFAULT..=STATEMENT_VERSION,
        )?;
        let Some(layout) = s.layout() else {
            return Err(Error::artifact(
                file,
                "the element count of the inputs' and outputs' shapes overflows",
            ));
        };
        if layout.len != key.num_instances() {
            return Err(Error::artifact(
                file,
                format!(
                    "describes {} instances but the key has {}",
                    layout.len,
                    key.num_instances()
                ),
            ));
        }
        let decides = key.config().kzg_accumulator;
        let want = if decides {
            verifier::accumulator::ACCUMULATOR_LIMBS
        } else {
            0
        };
        if s.accumulator != want {
            return Err(Error::artifact(
                file,
                format!(
                    "describes {} accumulator instances, but the key {} a KZG accumulator",
                    s.accumulator,
                    if decides { "decides" } else { "has no" }
                ),
            ));
        }
        let hashes_activations = layout.input_hash.is_some() || layout.output_hash.is_some();
        if hashes_activations && s.bits.is_none() {
            return Err(Error::artifact(
                file,
                "hashed inputs or outputs but no \"bits\" (the packing width)",
            ));
        }
        Ok(s)
    }
}
