//! The proof artifact (`proof.json`): a proof with the statement it proves.
//!
//! ```json
//! {
//!   "format": "zkinfer-proof",
//!   "format_version": 2,
//!   "transcript": "blake2b",
//!   "vk_digest": "<hex sha256 of vk.bin>",
//!   "proof": "<hex proof bytes>",
//!   "instances": ["<64 hex digits: 32-byte little-endian field element>", ...],
//!   "inputs": {"input": {"shape": [1, 64], "data": [0.0, 0.4375, ...]}},
//!   "outputs": {"output": {"shape": [1, 10], "data": [-3.1875, 5.5, ...]}},
//!   "hashes": {"input": "0x…", "output": "0x…", "params": "0x…"},
//!   "commitment": {"kind": "fixed", "value": "0x<sha256 of vk.bin>"},
//!   "insecure_srs": true
//! }
//! ```
//!
//! `instances` are what the proof is checked against, in the order of
//! [`circuits::visibility::Visibilities::layout`]: the public inputs' quantized elements, the
//! public outputs', then the Poseidon hash of the inputs, of the outputs and of the
//! parameters, each only when that part is hashed. `inputs` and `outputs` are the public
//! ones dequantized for reading, and `hashes` the hashed parts' instances as `0x` and 64 hex
//! digits (big-endian); [`crate::verify()`] checks that they agree with the instances, so a
//! verified artifact's `outputs` are proven. A private or hashed input or output never
//! appears in the artifact: `inputs` (or `outputs`) is then absent.
//!
//! `commitment` is the model commitment the proof is bound to (see [`crate::commitment`]):
//! `verify` recomputes it from the key, the instances or the proof and checks that it is
//! what the artifact says, then compares it with the expected one. It is absent for
//! private parameters, which bind no weights.
//!
//! The rule for displayed values is exact: each number must equal its proven integer `q`
//! times `2^-input_scale` as a rational number (no rounding, no tolerance; JSON numbers are
//! read and written as exact f64 round trips). A value whose integer needs more than 53
//! significant bits has no exact f64, so `prove` refuses to write it
//! ([`crate::Error::InexactValue`]) rather than show a rounded number as proven.
//!
//! `insecure_srs` (optional, default `false`) says that the proving key was made with
//! zkinfer's insecure local SRS: anyone can forge proofs for that model. It is informative
//! only (the proof does not cover it); verifiers decide from the key itself.
//!
//! Version 1 (before visibility) had no `hashes` and no `commitment`, and always both
//! `inputs` and `outputs`; it is still read (as a proof for a model with the default
//! visibility).

use std::collections::BTreeMap;
use std::path::Path;

use circuits::halo2::field::fe_to_i128;
use onnx_import::ir::Tensor;
use serde::{Deserialize, Serialize};
use verifier::halo2::Fr;

use crate::commitment::ModelCommitment;
use crate::error::{Error, Result};
use crate::settings::{parse_versions, read_text, write_json, TensorSpec};
use crate::statement::Statement;

/// The `format` value of a proof artifact.
pub const PROOF_FORMAT: &str = "zkinfer-proof";
/// The `format_version` this build writes (2: visibility, hashes and the commitment).
pub const PROOF_VERSION: u32 = 2;
/// The oldest `format_version` this build reads.
pub const PROOF_MIN_VERSION: u32 = 1;

/// The hashed parts' instances, each `0x` and 64 hex digits (big-endian field element).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashes {
    /// The Poseidon hash of the quantized inputs, when inputs are hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The Poseidon hash of the quantized outputs, when outputs are hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The Poseidon hash of the quantized parameters, when parameters are hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<String>,
}

impl Hashes {
    /// True when no part is hashed.
    pub fn is_empty(&self) -> bool {
        self.input.is_none() && self.output.is_none() && self.params.is_none()
    }

    /// The hashes among `instances` at the positions of `layout`.
    pub fn of_instances(instances: &[Fr], layout: &circuits::visibility::InstanceLayout) -> Self {
        let at = |i: Option<usize>| {
            i.and_then(|i| instances.get(i))
                .map(circuits::hash::fr_to_hex)
        };
        Self {
            input: at(layout.input_hash),
            output: at(layout.output_hash),
            params: at(layout.param_hash),
        }
    }
}

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
    /// The public inputs, dequantized, by name (empty, and left out, unless inputs are
    /// public).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, Tensor>,
    /// The public outputs, dequantized, by name (empty, and left out, unless outputs are
    /// public).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, Tensor>,
    /// The hashed parts' instances (left out when nothing is hashed).
    #[serde(default, skip_serializing_if = "Hashes::is_empty")]
    pub hashes: Hashes,
    /// The model commitment the proof is bound to (absent for private parameters and in
    /// version 1 artifacts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<ModelCommitment>,
    /// Whether the key was made with zkinfer's insecure local SRS (informative; see the
    /// module docs).
    #[serde(default)]
    pub insecure_srs: bool,
}

impl ProofArtifact {
    /// Writes the artifact as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }

    /// Reads an artifact, checking its format and version first.
    pub fn load(path: &Path) -> Result<Self> {
        let text = read_text(path)?;
        parse_versions(
            &text,
            &path.display().to_string(),
            PROOF_FORMAT,
            PROOF_MIN_VERSION..=PROOF_VERSION,
        )
    }

    /// The artifact's outputs in the order of `specs`.
    pub fn outputs_in_order(&self, specs: &[TensorSpec]) -> Option<Vec<&Tensor>> {
        specs.iter().map(|s| self.outputs.get(&s.name)).collect()
    }
}

/// `q · 2^-scale` as an f64, if that is exact (at most 53 significant bits, no underflow).
pub fn exact_dequantize(q: i128, scale: u32) -> Option<f64> {
    // i128 → f64 rounds to nearest; exact iff converting back gives `q` (|f| < 2^127, so
    // the cast back does not saturate unless rounding reached 2^127, which then differs).
    let f = q as f64;
    if f as i128 != q {
        return None;
    }
    let g = f / f64::from(scale).exp2();
    // Dividing by a power of two is exact unless it underflows (or the scale overflows).
    (g.is_finite() && g * f64::from(scale).exp2() == f).then_some(g)
}

/// Why public instances could not be read as the statement's tensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DequantizeError {
    /// More or fewer instances than the specs' elements.
    Count,
    /// Instance `index` is not a signed integer below 2^127.
    NotInteger {
        /// Position in the instances.
        index: usize,
    },
    /// `name[element]` = `q · 2^-scale` has no exact f64.
    Inexact {
        /// Tensor name.
        name: String,
        /// Element (row-major).
        element: usize,
        /// The proven integer.
        q: i128,
    },
}

/// Splits instances into named tensors following `specs` (inputs then outputs), each value
/// exactly `q · 2^-scale` (see [`exact_dequantize`]).
pub(crate) fn dequantize_instances(
    instances: &[Fr],
    specs: &[TensorSpec],
    scale: u32,
) -> std::result::Result<Vec<(String, Tensor)>, DequantizeError> {
    let mut rest = instances;
    let mut out = Vec::with_capacity(specs.len());
    let mut index = 0;
    for s in specs {
        let (head, tail) = rest
            .split_at_checked(s.len())
            .ok_or(DequantizeError::Count)?;
        rest = tail;
        let mut data = Vec::with_capacity(head.len());
        for (element, f) in head.iter().enumerate() {
            let q = fe_to_i128(f).ok_or(DequantizeError::NotInteger { index })?;
            index += 1;
            data.push(
                exact_dequantize(q, scale).ok_or_else(|| DequantizeError::Inexact {
                    name: s.name.clone(),
                    element,
                    q,
                })?,
            );
        }
        out.push((
            s.name.clone(),
            Tensor {
                shape: s.shape.clone(),
                data,
            },
        ));
    }
    if rest.is_empty() {
        Ok(out)
    } else {
        Err(DequantizeError::Count)
    }
}

/// Checks that the artifact's readable `inputs`, `outputs` and `hashes` are exactly its
/// instances laid out by `statement`: every displayed number equals its proven integer times
/// `2^-scale`, with no rounding, each hash is its instance, and nothing else is shown (no
/// private or hashed tensor).
pub(crate) fn check_consistent(
    artifact: &ProofArtifact,
    instances: &[Fr],
    statement: &Statement,
) -> Result<()> {
    let file = "proof artifact";
    let scale = statement.input_scale;
    let layout = statement
        .layout()
        .ok_or_else(|| Error::artifact(file, "the statement's shapes overflow"))?;
    if instances.len() != layout.len {
        return Err(Error::artifact(
            file,
            format!(
                "expected {} instances, found {}",
                layout.len,
                instances.len()
            ),
        ));
    }
    let vis = &statement.visibility;
    for (map, range, specs, visibility, what) in [
        (
            &artifact.inputs,
            &layout.inputs,
            &statement.inputs,
            vis.input,
            "inputs",
        ),
        (
            &artifact.outputs,
            &layout.outputs,
            &statement.outputs,
            vis.output,
            "outputs",
        ),
    ] {
        if visibility != circuits::visibility::Visibility::Public {
            if !map.is_empty() {
                return Err(Error::artifact(
                    file,
                    format!("shows {what}, but the model's {what} are not public"),
                ));
            }
            continue;
        }
        let want = dequantize_instances(&instances[range.clone()], specs, scale).map_err(|e| {
            Error::artifact(
                file,
                match e {
                    DequantizeError::Inexact { name, element, q } => format!(
                        "{name:?}[{element}] = {q}·2^-{scale} has no exact JSON number, so the \
                         artifact cannot show its proven value"
                    ),
                    _ => "the public instances are not fixed-point values of this model".into(),
                },
            )
        })?;
        if map.len() != want.len() {
            return Err(Error::artifact(
                file,
                format!("expected {} {what}, found {}", want.len(), map.len()),
            ));
        }
        for (name, t) in &want {
            let got = map
                .get(name)
                .ok_or_else(|| Error::artifact(file, format!("{what}: missing {name:?}")))?;
            // Exact: `t` holds the exact values, so plain f64 equality is rational equality
            // (0.0 and -0.0 both show 0).
            let same = got.shape == t.shape
                && got.data.len() == t.data.len()
                && got.data.iter().zip(&t.data).all(|(g, w)| g == w);
            if !same {
                return Err(Error::artifact(
                    file,
                    format!("{what} {name:?} do not match the proof's public instances (tampered artifact?)"),
                ));
            }
        }
    }
    let want = Hashes::of_instances(instances, &layout);
    for (got, want, what) in [
        (&artifact.hashes.input, &want.input, "input"),
        (&artifact.hashes.output, &want.output, "output"),
        (&artifact.hashes.params, &want.params, "params"),
    ] {
        let same = match (got, want) {
            (None, None) => true,
            (Some(g), Some(w)) => {
                circuits::hash::fr_from_hex(g).is_ok_and(|g| circuits::hash::fr_to_hex(&g) == *w)
            }
            _ => false,
        };
        if !same {
            return Err(Error::artifact(
                file,
                format!(
                    "hashes.{what} is {}, but the proof's instances give {}",
                    got.as_deref().unwrap_or("absent"),
                    want.as_deref().unwrap_or("no such hash")
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use circuits::halo2::field::i128_to_fe;

    fn artifact(output: f64) -> ProofArtifact {
        ProofArtifact {
            format: PROOF_FORMAT.into(),
            format_version: PROOF_VERSION,
            transcript: "blake2b".into(),
            vk_digest: String::new(),
            proof: String::new(),
            instances: Vec::new(),
            inputs: BTreeMap::new(),
            outputs: BTreeMap::from([(
                "y".to_string(),
                Tensor {
                    shape: vec![1],
                    data: vec![output],
                },
            )]),
            hashes: Hashes::default(),
            commitment: None,
            insecure_srs: false,
        }
    }

    fn check(shown: f64, q: i128, scale: u32) -> Result<()> {
        let statement = Statement {
            format: crate::statement::STATEMENT_FORMAT.into(),
            format_version: 1,
            input_scale: scale,
            inputs: Vec::new(),
            outputs: vec![TensorSpec {
                name: "y".into(),
                shape: vec![1],
            }],
            visibility: Default::default(),
            bits: None,
            accumulator: 0,
        };
        check_consistent(&artifact(shown), &[i128_to_fe(q)], &statement)
    }

    #[test]
    fn displayed_values_must_be_exactly_the_proven_integers() {
        let scale = 10;
        let big = (1i128 << 53) + 2; // above 2^53: f64 spacing is 2 integer units here
        let exact = big as f64 / 1024.0;
        check(exact, big, scale).unwrap();
        // One ulp away: the value of big + 2.
        let next = f64::from_bits(exact.to_bits() + 1);
        assert!(check(next, big, scale).is_err());
        // The proven integer one unit off (odd, so no f64 holds it): the nearest f64
        // (big's value) is not its value. Quantizing the f64 back (the old rule) matched.
        assert!(check(exact, big + 1, scale).is_err());
        assert!(exact_dequantize(big + 1, scale).is_none());
        // Small values: an f64 one ulp off rounds to the same integer, but is not it.
        check(1.0, 1024, scale).unwrap();
        assert!(check(f64::from_bits(1.0f64.to_bits() + 1), 1024, scale).is_err());
        check(-0.5, -512, scale).unwrap();
        check(-0.0, 0, scale).unwrap();
    }

    #[test]
    fn exact_dequantize_is_exact_or_none() {
        assert_eq!(exact_dequantize(3, 2), Some(0.75));
        assert_eq!(exact_dequantize(-(1 << 60), 10), Some(-(2f64.powi(50))));
        assert_eq!(exact_dequantize((1 << 60) + 1, 10), None);
        assert_eq!(exact_dequantize(1, 2000), None);
    }
}
