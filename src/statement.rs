//! What a model's public instances mean, stored inside `vk.bin` so the model commitment
//! (the key's digest) covers it: tensor names and shapes, and the fixed-point scale.
//!
//! ```json
//! {"format": "zkinfer-statement", "format_version": 1, "input_scale": 9,
//!  "inputs": [{"name": "input", "shape": [1, 64]}],
//!  "outputs": [{"name": "output", "shape": [1, 10]}]}
//! ```
//!
//! A verifier therefore needs nothing but `vk.bin` and `srs-verifier.bin` to check a proof
//! artifact and to read its outputs: a tampered `settings.json` cannot change what a
//! verified proof is taken to say.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::settings::{parse_versioned, Settings, TensorSpec};

/// The `format` value of the statement metadata.
pub const STATEMENT_FORMAT: &str = "zkinfer-statement";
/// The `format_version` this build writes and reads.
pub const STATEMENT_VERSION: u32 = 1;

/// The layout of the public instances: the inputs' elements, then the outputs', each the
/// integer `round(x · 2^input_scale)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Always [`STATEMENT_FORMAT`].
    pub format: String,
    /// Always [`STATEMENT_VERSION`] when written by this build.
    pub format_version: u32,
    /// Fixed-point scale exponent of every instance.
    pub input_scale: u32,
    /// Graph inputs, in instance order.
    pub inputs: Vec<TensorSpec>,
    /// Graph outputs, in instance order.
    pub outputs: Vec<TensorSpec>,
}

impl Statement {
    /// The statement of a compiled model.
    pub fn of_settings(s: &Settings) -> Self {
        Self {
            format: STATEMENT_FORMAT.into(),
            format_version: STATEMENT_VERSION,
            input_scale: s.quant.input_scale,
            inputs: s.inputs.clone(),
            outputs: s.outputs.clone(),
        }
    }

    /// Number of public instances; saturates at `usize::MAX` when the shapes' element
    /// count overflows (never wraps to a small count).
    pub fn num_instances(&self) -> usize {
        TensorSpec::total_len(self.inputs.iter().chain(&self.outputs)).unwrap_or(usize::MAX)
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
        let s: Statement = parse_versioned(text, file, STATEMENT_FORMAT, STATEMENT_VERSION)?;
        let Some(count) = TensorSpec::total_len(s.inputs.iter().chain(&s.outputs)) else {
            return Err(Error::artifact(
                file,
                "the element count of the inputs' and outputs' shapes overflows",
            ));
        };
        if count != key.num_instances() {
            return Err(Error::artifact(
                file,
                format!(
                    "describes {count} instances but the key has {}",
                    key.num_instances()
                ),
            ));
        }
        Ok(s)
    }
}
