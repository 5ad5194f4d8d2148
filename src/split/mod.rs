//! Split proving: a model cut into segments proved as independent jobs, then aggregated into
//! one proof that verifies like any other.
//!
//! | step | function | CLI | writes (under the split directory `DIR`) |
//! | --- | --- | --- | --- |
//! | cut and compile | [`split()`] | `zkinfer split` | `split.json`, `model.onnx` (and `model-channels.onnx` when convolutions were split into channel groups), `segments/<i>/{model.onnx,settings.json}` |
//! | keys | [`setup_split`] | `zkinfer setup DIR` | `segments/<i>/` keys, `aggregation/`, `vk.bin`, `srs-verifier.bin`, `commitment.json` |
//! | boundary values | [`witness`] | `zkinfer witness` | `witness/segment-<i>.json` |
//! | one segment | [`prove_segment`] | `zkinfer prove-segment` | `proofs/segment-<i>.json` |
//! | one proof | [`aggregate`] | `zkinfer aggregate` | the aggregated proof artifact |
//! | check | [`crate::verify()`] | `zkinfer verify DIR` | nothing |
//!
//! **Binding.** Each boundary tensor is a *hashed* output of one segment and a *hashed*
//! input of the next: both circuits expose the same Poseidon hash of the same fixed-point
//! values (one quantization for the whole model, [`SplitManifest::quant`]). The aggregation
//! circuit verifies every segment proof (Poseidon transcript, KZG accumulation with
//! snark-verifier-sdk) and constrains each segment's output hash to equal the next one's
//! input hash, so the chain binds the model's input to its output exactly as one proof
//! would. Its public instances are the KZG accumulator (12 limbs, decided by every
//! verifier) followed by the model's statement: the first segment's public (or hashed)
//! input and the last segment's public (or hashed) output. Parameters are fixed in every
//! segment and the segments' verifying keys are constants of the aggregation circuit, so the
//! model commitment is the sha256 of the top-level `vk.bin`, as for any fixed-parameter
//! model.
//!
//! `split.json` (format `zkinfer-split`, version 1) is [`SplitManifest`].

mod aggregate;
mod boundary;
mod choose;
mod plan;
mod setup;

use std::path::{Path, PathBuf};

use circuits::visibility::Visibilities;
use circuits::QuantParams;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::settings::{parse_versioned, read_text, write_json, TensorSpec};

pub use aggregate::{aggregate, aggregate_with, AggregateReport};
pub use boundary::{
    prove_segment, witness, Boundary, SegmentProved, BOUNDARY_FORMAT, BOUNDARY_VERSION,
};
pub use plan::{split, split_with, SplitBudget, SplitOptions, MAX_PIECES};
pub use setup::{setup_split, SplitSetupReport};

/// The `format` of `split.json`.
pub const SPLIT_FORMAT: &str = "zkinfer-split";
/// The `format_version` of `split.json` this build writes and reads.
pub const SPLIT_VERSION: u32 = 1;

/// Names of the files and folders of a split directory.
pub mod files {
    /// The manifest ([`super::SplitManifest`]).
    pub const MANIFEST: &str = "split.json";
    /// The segments' model directories (`segments/<i>`).
    pub const SEGMENTS: &str = "segments";
    /// The aggregation circuit's proving key, configuration and prover SRS.
    pub const AGGREGATION: &str = "aggregation";
    /// The aggregation circuit's configuration (in [`AGGREGATION`]).
    pub const AGGREGATION_CONFIG: &str = "config.json";
    /// The boundary values of each segment (`witness/segment-<i>.json`).
    pub const WITNESS: &str = "witness";
    /// The segment proofs (`proofs/segment-<i>.json`).
    pub const PROOFS: &str = "proofs";
    /// The model with its convolutions split into channel groups, which the segments are
    /// cut from (only when [`super::SplitManifest::channel_groups`] is above 1).
    pub const CHANNELS_MODEL: &str = "model-channels.onnx";
}

/// One segment of a split model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// Position in the chain, from 0.
    pub index: usize,
    /// Its model directory, relative to the split directory (`segments/<i>`).
    pub dir: String,
    /// The ONNX nodes it holds: `[start, end)` in the node list of the model the segments
    /// were cut from (`model.onnx`, or `model-channels.onnx` when the convolutions were
    /// split into channel groups).
    pub nodes: [usize; 2],
    /// Its input tensor (the model's input for segment 0, else the previous boundary).
    pub input: TensorSpec,
    /// Its output tensor (the model's output for the last segment, else the next boundary).
    pub output: TensorSpec,
    /// Its circuit's size exponent.
    pub k: u32,
    /// Its advice and lookup-advice columns (what the aggregation circuit's cost grows with).
    pub columns: usize,
    /// The planner's predicted prove time on two cores, seconds.
    pub predicted_prove_s: f64,
    /// Predicted peak memory of proving it, in bytes
    /// ([`circuits::halo2::predicted_prove_peak_bytes`]; 0 in manifests written before it).
    #[serde(default)]
    pub predicted_prove_bytes: u64,
}

/// `split.json`: how a model was cut and what its aggregated proof states.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitManifest {
    /// Always [`SPLIT_FORMAT`].
    pub format: String,
    /// [`SPLIT_VERSION`].
    pub format_version: u32,
    /// The zkinfer version that split the model.
    pub zkinfer_version: String,
    /// Hex sha256 of the original ONNX model (copied to `model.onnx`).
    pub model_sha256: String,
    /// The one quantization every segment was compiled with (table ranges are each
    /// segment's own).
    pub quant: QuantParams,
    /// What the aggregated proof reveals of the model's inputs and outputs (parameters are
    /// always fixed).
    pub visibility: Visibilities,
    /// The model's inputs.
    pub inputs: Vec<TensorSpec>,
    /// The model's outputs.
    pub outputs: Vec<TensorSpec>,
    /// Into how many groups of output channels every convolution chain was split before
    /// cutting (`onnx_import::split::split_channels`; 1: not split, the default of
    /// manifests written before it). Above 1, the segments are cut from
    /// [`files::CHANNELS_MODEL`], which computes exactly what `model.onnx` does.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub channel_groups: usize,
    /// The segments, in chain order.
    pub segments: Vec<SegmentInfo>,
}

impl SplitManifest {
    /// Reads `dir/split.json`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(files::MANIFEST);
        if !path.is_file() {
            return Err(Error::NotSplit {
                dir: dir.to_path_buf(),
            });
        }
        let text = read_text(&path)?;
        let m: SplitManifest = parse_versioned(
            &text,
            &path.display().to_string(),
            SPLIT_FORMAT,
            SPLIT_VERSION,
        )?;
        if m.segments.len() < 2 || m.segments.iter().enumerate().any(|(i, s)| s.index != i) {
            return Err(Error::artifact(
                path.display().to_string(),
                "needs two or more segments numbered 0, 1, ... in order",
            ));
        }
        Ok(m)
    }

    /// Writes `dir/split.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_json(&dir.join(files::MANIFEST), self)
    }

    /// The predicted cost of aggregating the segments ([`::aggregate::predict`] on their
    /// columns): the memory and time the aggregation job (`setup`, `aggregate`) needs.
    pub fn predicted_aggregation(&self) -> ::aggregate::AggregationCost {
        let columns: Vec<usize> = self.segments.iter().map(|s| s.columns).collect();
        ::aggregate::predict(&columns)
    }

    /// Model directory of segment `index`, or [`Error::NoSuchSegment`].
    pub fn segment_dir(&self, dir: &Path, index: usize) -> Result<PathBuf> {
        let s = self.segments.get(index).ok_or(Error::NoSuchSegment {
            index,
            count: self.segments.len(),
        })?;
        Ok(dir.join(&s.dir))
    }
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// Whether `dir` holds a split model (`split.json`).
pub fn is_split_dir(dir: &Path) -> bool {
    dir.join(files::MANIFEST).is_file()
}

/// Where [`prove_segment`] writes segment `index`'s proof by default.
pub fn segment_proof_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(files::PROOFS)
        .join(format!("segment-{index}.json"))
}

/// Where [`witness`] writes segment `index`'s boundary input.
pub fn witness_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(files::WITNESS)
        .join(format!("segment-{index}.json"))
}

pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}
