//! Boundary values and segment proofs: `witness` runs the whole model once, natively, and
//! writes each segment's input; `prove_segment` proves one segment from its input alone.
//!
//! Segment 0's input file is the model's input, in the usual input format. Every later
//! segment's input is a boundary file (format `zkinfer-boundary`, version 1, [`Boundary`]):
//! the fixed-point integers of the boundary tensor exactly as the previous segment's circuit
//! outputs (and hashes) them, so the next segment hashes the same values. Integers, not
//! floats, because an input file's floats are rounded to `float32`, which would change
//! values of more than 24 bits.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use circuits::fixed::eval_fixed;
use onnx_import::ir::Tensor;
use prover::{ProveOptions, Stage};
use serde::{Deserialize, Serialize};
use verifier::TranscriptKind;

use super::{create_dir, witness_path, SplitManifest};
use crate::compile::Compiled;
use crate::error::{Error, Result};
use crate::pipeline::{prove_with_model, Proved};
use crate::settings::{parse_versioned, read_text, write_json};

/// The `format` of a boundary file.
pub const BOUNDARY_FORMAT: &str = "zkinfer-boundary";
/// Its `format_version`.
pub const BOUNDARY_VERSION: u32 = 1;

/// A segment's input as the previous segment computed it (`witness/segment-<i>.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Boundary {
    /// Always [`BOUNDARY_FORMAT`].
    pub format: String,
    /// [`BOUNDARY_VERSION`].
    pub format_version: u32,
    /// The split model's `model_sha256` (from `split.json`).
    pub model_sha256: String,
    /// The segment this is the input of.
    pub segment: usize,
    /// The boundary tensor's name.
    pub tensor: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// The fixed-point scale exponent: each value stands for `value / 2^scale`.
    pub scale: u32,
    /// The fixed-point values, row-major.
    pub values: Vec<i128>,
}

impl Boundary {
    /// The input tensor this boundary stands for (exact: every value is below 2^53).
    fn tensor(&self, file: &Path) -> Result<Tensor> {
        let limit = 1i128 << 53;
        if self.values.iter().any(|v| v.abs() >= limit) {
            return Err(Error::artifact(
                file.display().to_string(),
                "a boundary value is 2^53 or more in magnitude",
            ));
        }
        let unit = (-(self.scale as f64)).exp2();
        Ok(Tensor {
            shape: self.shape.clone(),
            data: self.values.iter().map(|&v| v as f64 * unit).collect(),
        })
    }
}

/// Runs the split model on `inputs` (the model's inputs, in order) natively, segment after
/// segment, and writes every segment's input under `dir/witness/`: the model's input for
/// segment 0, a [`Boundary`] for the others. Returns the paths written, by segment. An
/// input outside the calibrated range fails here, before any proving.
pub fn witness(dir: &Path, inputs: &[Tensor]) -> Result<Vec<PathBuf>> {
    let m = SplitManifest::read(dir)?;
    let chain = run_chain(dir, &m, inputs, m.segments.len())?;
    create_dir(&dir.join(super::files::WITNESS))?;
    let mut paths = Vec::new();
    for (i, input) in chain.iter().enumerate() {
        let path = witness_path(dir, i);
        match input {
            SegmentInput::Model(t) => write_input_file(&path, &m, t)?,
            SegmentInput::Boundary(b) => write_json(&path, b)?,
        }
        paths.push(path);
    }
    Ok(paths)
}

enum SegmentInput {
    Model(Vec<Tensor>),
    Boundary(Boundary),
}

/// The inputs of segments `0..upto` on the model input `inputs`.
fn run_chain(
    dir: &Path,
    m: &SplitManifest,
    inputs: &[Tensor],
    upto: usize,
) -> Result<Vec<SegmentInput>> {
    let mut out = vec![SegmentInput::Model(inputs.to_vec())];
    let mut current = inputs.to_vec();
    for i in 0..upto.saturating_sub(1) {
        let c = Compiled::load(&m.segment_dir(dir, i)?)?;
        let run = eval_fixed(&c.graph, &c.settings.quant, &current)?;
        let [o] = run.outputs.as_slice() else {
            return Err(Error::artifact(
                m.segments[i].dir.clone(),
                "a segment must have exactly one output",
            ));
        };
        let b = Boundary {
            format: super::BOUNDARY_FORMAT.into(),
            format_version: BOUNDARY_VERSION,
            model_sha256: m.model_sha256.clone(),
            segment: i + 1,
            tensor: m.segments[i + 1].input.name.clone(),
            shape: o.shape.clone(),
            scale: c.settings.quant.input_scale,
            values: o.data.clone(),
        };
        current = vec![b.tensor(&witness_path(dir, i + 1))?];
        out.push(SegmentInput::Boundary(b));
    }
    Ok(out)
}

fn write_input_file(path: &Path, m: &SplitManifest, tensors: &[Tensor]) -> Result<()> {
    let mut map = serde_json::Map::new();
    for (spec, t) in m.inputs.iter().zip(tensors) {
        map.insert(
            spec.name.clone(),
            serde_json::json!({"shape": t.shape, "data": t.data}),
        );
    }
    write_json(path, &serde_json::json!({ "inputs": map }))
}

/// What [`prove_segment`] made.
#[derive(Clone, Debug)]
pub struct SegmentProved {
    /// The segment's proof (Poseidon transcript), with its hashed boundaries.
    pub proved: Proved,
    /// Wall time of the proof (witness, proof, self-check).
    pub prove_time: Duration,
}

/// Proves segment `index` of the split model in `dir` with the Poseidon transcript (what
/// the aggregation circuit verifies). `input` is the segment's input file from
/// [`witness`] (for segment 0 also any input file of the model), or the model's input file
/// for any segment, in which case the segments before it are run natively first (their
/// directories must then be present). Only `dir/split.json` and the segment's own directory
/// are needed otherwise, so each segment can be proved on another machine.
pub fn prove_segment(
    dir: &Path,
    index: usize,
    input: &Path,
    opts: &ProveOptions,
    progress: &dyn Fn(Stage),
) -> Result<SegmentProved> {
    let m = SplitManifest::read(dir)?;
    let seg_dir = m.segment_dir(dir, index)?;
    let text = read_text(input)?;
    let is_boundary = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_owned))
        .as_deref()
        == Some(super::BOUNDARY_FORMAT);
    let tensors = if is_boundary {
        let b: Boundary = parse_versioned(
            &text,
            &input.display().to_string(),
            super::BOUNDARY_FORMAT,
            BOUNDARY_VERSION,
        )?;
        let seg = &m.segments[index];
        if b.model_sha256 != m.model_sha256 || b.segment != index || b.tensor != seg.input.name {
            return Err(Error::WrongBoundary {
                path: input.to_path_buf(),
                segment: index,
                found_segment: b.segment,
                found_tensor: b.tensor,
                expected_tensor: seg.input.name.clone(),
            });
        }
        if b.scale != m.quant.input_scale {
            return Err(Error::artifact(
                input.display().to_string(),
                format!(
                    "boundary at scale 2^{}, the split model's is 2^{}",
                    b.scale, m.quant.input_scale
                ),
            ));
        }
        vec![b.tensor(input)?]
    } else {
        let first = Compiled::load(&m.segment_dir(dir, 0)?)?;
        let model_inputs = onnx_import::input_file::read_inputs(input, &first.graph)?;
        let mut chain = run_chain(dir, &m, &model_inputs, index + 1)?;
        match chain.pop() {
            Some(SegmentInput::Model(t)) => t,
            Some(SegmentInput::Boundary(b)) => vec![b.tensor(input)?],
            None => model_inputs,
        }
    };
    let opts = ProveOptions {
        transcript: TranscriptKind::Poseidon,
        ..opts.clone()
    };
    let t0 = Instant::now();
    let proved = prove_with_model(&seg_dir, None, &tensors, &opts, progress)?;
    Ok(SegmentProved {
        proved,
        prove_time: t0.elapsed(),
    })
}
