//! `settings.json`: everything `compile` decided about a model.
//!
//! ```json
//! {
//!   "format": "zkinfer-settings",
//!   "format_version": 6,
//!   "zkinfer_version": "0.1.0",
//!   "model_sha256": "<hex sha256 of model.onnx>",
//!   "architecture_sha256": "<hex sha256 of the graph with its parameters zeroed>",
//!   "quant": {"input_scale": 10, "param_scale": 10, "bits": 15, "ranges": {"3": [[-2048, 0]]}},
//!   "calibration": {"samples": 13, "target_rel_l2": 0.0001, "target_met": true,
//!                   "errors": [{"name": "output", "max_abs_err": 0.001, "rel_l2": 0.00004}],
//!                   "held_out": {"samples": 3, "errors": [...]},
//!                   "trials": [{"scale": 7, "worst_rel_l2": 0.003}, ...]},
//!   "circuit": {"k": 12, "lookup_bits": 11, "config": {...}, "break_points": [],
//!               "visibility": {"input": "hashed", "output": "public", "params": "committed"}},
//!   "inputs": [{"name": "input", "shape": [1, 64]}],
//!   "outputs": [{"name": "output", "shape": [1, 10]}],
//!   "num_instances": 74,
//!   "dims": [{"key": {"param": "batch"}, "value": 1, "source": "default"}],
//!   "evm": {"predicted_gas": 310000, "predicted_prove_s": 1.4, "gas_per_second": 100000.0}
//! }
//! ```
//!
//! `inputs` and `outputs` hold the resolved static shapes. `dims` records how each free
//! (symbolic or unknown) input dimension of the model was bound at compile time: `key` is
//! `{"param": "<dim_param>"}` or `{"axis": {"input": "<name>", "axis": <n>}}` for a
//! dimension without a name, `source` is `"flag"` (`--dim`), `"input_file"` (a calibration
//! file's shape) or `"default"` (1 for a leading batch axis); it is empty (or absent) for a
//! model with static input shapes. Loading a model directory re-imports `model.onnx` with
//! these bindings.
//!
//! `circuit.visibility` says what a proof reveals (see [`circuits::visibility`]): `input`
//! and `output` are `"public"` (every quantized element is an instance), `"private"`
//! (nothing) or `"hashed"` (one instance, the Poseidon hash of the quantized values);
//! `params` is `"fixed"` (constants in the key), `"private"`, `"hashed"` (their Poseidon
//! hash is an instance) or `"committed"` (the KZG commitments of the packed gate's weight
//! columns are read from each proof). It is left out when it is the default (public,
//! public, fixed), the circuit from before visibility existed. `num_instances` counts the
//! instances of that layout: the public inputs' elements, the public outputs', then one per
//! hashed part ([`circuits::visibility::Visibilities::layout`]).
//!
//! `architecture_sha256` ([`circuits::visibility::architecture_digest`]) identifies the
//! model without its parameter values: `prove` with another weight file (hashed, committed
//! or private parameters) requires that file to have the same one.
//!
//! Version history: 2 (packed dot gate, layouts, public values bound by a gate) has no
//! `dims`; it is still read, as a model with static input shapes. 3 adds `dims`. 4 adds
//! `quant.ranges` (node index → per table use `[lo, hi]`, the calibrated input range of each
//! table lookup as fixed-point integers; it shapes the tables and so the keys),
//! `calibration.held_out` and `calibration.trials`, and `circuit.lookup_groups`; version 3
//! files are still read (they have no tables). 5 adds `circuit.visibility` and
//! `architecture_sha256` (absent in older files, which have the default visibility). 6 adds
//! `evm` (absent in older files: not compiled for the EVM) and the `evm` layout; versions 2
//! to 5 are still read.
//!
//! `evm` is present when the model was compiled for on-chain verification (`compile --evm`,
//! or the `evm` layout): `predicted_gas` is the cost model's gas of one `verifyProof` call of
//! the generated verifier for this circuit ([`circuits::halo2::evm_gas`]), `predicted_prove_s`
//! the rough prove time ([`circuits::halo2::predicted_prove_seconds`]) and `gas_per_second`
//! the weight the `evm` layout traded them with (how much verification gas one second of
//! proving is worth; [`circuits::halo2::EvmOptions`]). Its presence also makes `prove` use
//! the Keccak transcript the EVM verifier recomputes by default
//! ([`crate::pipeline::default_transcript`]). Absent otherwise, and in files before
//! version 6.
//!
//! `format` and `format_version` are checked before anything else is parsed, so a file from
//! another version gives a version error, not a confusing field error.

use std::path::Path;

use circuits::calibrate::{HeldOut, OutputError, ScaleTrial};
use circuits::halo2::CircuitShape;
use circuits::visibility::{InstanceLayout, Visibilities};
use circuits::QuantParams;
use onnx_import::dims::DimBinding;
use onnx_import::ir::Graph;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The `format` value of `settings.json`.
pub const SETTINGS_FORMAT: &str = "zkinfer-settings";
/// The `format_version` this build writes (6: the EVM target); it also reads versions 2 (no
/// `dims`), 3 (no tables), 4 (no visibility) and 5 (no EVM target).
pub const SETTINGS_VERSION: u32 = 6;

/// The oldest `format_version` this build reads.
pub const SETTINGS_MIN_VERSION: u32 = 2;

/// Name and static shape of a graph input or output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorSpec {
    /// The ONNX tensor name.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
}

impl TensorSpec {
    /// Number of elements, or `None` when the product of the shape overflows `usize` (a
    /// shape read from an untrusted file).
    pub fn checked_len(&self) -> Option<usize> {
        self.shape.iter().try_fold(1usize, |n, d| n.checked_mul(*d))
    }

    /// Number of elements; saturates at `usize::MAX` instead of wrapping, so an absurd shape
    /// can never pass for a small one (use [`Self::checked_len`] to tell).
    pub fn len(&self) -> usize {
        self.checked_len().unwrap_or(usize::MAX)
    }

    /// Total elements of `specs`, or `None` on overflow.
    pub fn total_len<'a>(specs: impl IntoIterator<Item = &'a TensorSpec>) -> Option<usize> {
        specs
            .into_iter()
            .try_fold(0usize, |n, t| n.checked_add(t.checked_len()?))
    }

    /// True for a tensor without elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The specs of a graph's inputs and outputs.
    pub fn of_graph(graph: &Graph) -> (Vec<TensorSpec>, Vec<TensorSpec>) {
        let spec = |ids: &[usize]| -> Vec<TensorSpec> {
            ids.iter()
                .map(|&id| TensorSpec {
                    name: graph.values[id].name.clone(),
                    shape: graph.shape(id).to_vec(),
                })
                .collect()
        };
        (spec(&graph.inputs), spec(&graph.outputs))
    }
}

/// How calibration went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    /// Number of samples used.
    pub samples: usize,
    /// Target relative L2 error.
    pub target_rel_l2: f64,
    /// Whether every output met the target.
    pub target_met: bool,
    /// Error of each output against the float reference, over the samples.
    pub errors: Vec<OutputError>,
    /// Error on the samples held out from choosing the scale (two or more samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out: Option<HeldOut>,
    /// Every scale tried and its worst error (the accuracy/cost trade-off).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trials: Vec<ScaleTrial>,
}

/// What `compile` predicted for on-chain verification (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvmTarget {
    /// Predicted gas of one `verifyProof` call of the generated verifier.
    pub predicted_gas: u64,
    /// Rough prove time in seconds.
    pub predicted_prove_s: f64,
    /// Verification gas one second of proving was worth when the layout was chosen.
    pub gas_per_second: f64,
}

/// The contents of `settings.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Always [`SETTINGS_FORMAT`].
    pub format: String,
    /// Always [`SETTINGS_VERSION`] when written by this build.
    pub format_version: u32,
    /// Version of zkinfer that wrote the file.
    pub zkinfer_version: String,
    /// Hex sha256 of `model.onnx`.
    pub model_sha256: String,
    /// Hex sha256 of the model with its parameter values zeroed
    /// ([`circuits::visibility::architecture_digest`]); empty in files before version 5.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub architecture_sha256: String,
    /// Quantization scales and range bound.
    pub quant: QuantParams,
    /// Calibration outcome.
    pub calibration: CalibrationReport,
    /// The circuit's size, column layout and visibility.
    pub circuit: CircuitShape,
    /// Graph inputs, in order (when public, their elements are the first public instances).
    pub inputs: Vec<TensorSpec>,
    /// Graph outputs, in order (when public, their elements follow the public inputs').
    pub outputs: Vec<TensorSpec>,
    /// Total number of public instances ([`Settings::instance_layout`]'s `len`).
    pub num_instances: usize,
    /// How the model's free input dimensions were bound (empty for static shapes).
    #[serde(default)]
    pub dims: Vec<DimBinding>,
    /// The on-chain target, when compiled for EVM verification (`None` before version 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evm: Option<EvmTarget>,
}

/// Parses a JSON artifact after checking its `format` and `format_version`; `file` names it
/// in errors.
pub(crate) fn parse_versioned<T: DeserializeOwned>(
    text: &str,
    file: &str,
    format: &str,
    version: u32,
) -> Result<T> {
    parse_versions(text, file, format, version..=version)
}

/// [`parse_versioned`] accepting any `format_version` in `versions` (errors name the newest).
pub(crate) fn parse_versions<T: DeserializeOwned>(
    text: &str,
    file: &str,
    format: &str,
    versions: std::ops::RangeInclusive<u32>,
) -> Result<T> {
    let version = *versions.end();
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::artifact(file, format!("invalid JSON: {e}")))?;
    let found_format = value.get("format").and_then(|f| f.as_str());
    if found_format != Some(format) {
        return Err(Error::artifact(
            file,
            format!(
                "not a {format} file (its \"format\" is {:?})",
                found_format.unwrap_or("missing")
            ),
        ));
    }
    let found = value
        .get("format_version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| Error::artifact(file, "\"format_version\" is missing or not an integer"))?;
    if !(u64::from(*versions.start())..=u64::from(version)).contains(&found) {
        return Err(Error::Version {
            file: file.to_string(),
            found,
            expected: version,
        });
    }
    serde_json::from_value(value).map_err(|e| Error::artifact(file, format!("malformed: {e}")))
}

/// Serializes `value` as pretty JSON and writes it atomically.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::artifact(path.display().to_string(), e.to_string()))?;
    text.push('\n');
    prover::fsutil::atomic_write(path, text.as_bytes()).map_err(Error::from)
}

/// Reads a text file, naming it in the error.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl Settings {
    /// Reads and checks `path` (a `settings.json`).
    pub fn read(path: &Path) -> Result<Self> {
        let text = read_text(path)?;
        let file = path.display().to_string();
        let s: Settings = parse_versions(
            &text,
            &file,
            SETTINGS_FORMAT,
            SETTINGS_MIN_VERSION..=SETTINGS_VERSION,
        )?;
        let Some(layout) = s.instance_layout() else {
            return Err(Error::artifact(
                file,
                "the element count of the inputs' and outputs' shapes overflows",
            ));
        };
        if layout.len != s.num_instances {
            return Err(Error::artifact(
                file,
                format!(
                    "num_instances is {} but the inputs and outputs with visibility {} give \
                     {} instances",
                    s.num_instances,
                    describe_visibility(&s.circuit.visibility),
                    layout.len
                ),
            ));
        }
        Ok(s)
    }

    /// Where each part of the statement sits in the instance column, or `None` when the
    /// shapes' element count overflows.
    pub fn instance_layout(&self) -> Option<InstanceLayout> {
        let n_in = TensorSpec::total_len(&self.inputs)?;
        let n_out = TensorSpec::total_len(&self.outputs)?;
        Some(self.circuit.visibility.layout(n_in, n_out))
    }

    /// Writes `path` atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
}

/// `input public, output hashed, params committed`: the visibility in words.
pub fn describe_visibility(v: &Visibilities) -> String {
    format!(
        "input {}, output {}, params {}",
        v.input, v.output, v.params
    )
}
