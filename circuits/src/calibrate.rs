//! Calibration: choose the scales and the range bound from sample inputs.
//!
//! The smallest activation/parameter scale whose fixed-point outputs track the float
//! reference within the target relative L2 error on every sample is chosen (smaller scales
//! mean smaller numbers and cheaper range checks). The range bound `B` is the largest
//! magnitude any range check saw on the samples, plus headroom for unseen inputs.

use onnx_import::eval::eval_graph as eval_float;
use onnx_import::ir::{Graph, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{CircuitError, Result};
use crate::fixed::eval_fixed;
use crate::quant::QuantParams;

/// Knobs of [`calibrate`].
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrationOptions {
    /// Largest acceptable relative L2 error of any output (default 1e-3).
    pub target_rel_l2: f64,
    /// Smallest scale tried (default 7).
    pub min_scale: u32,
    /// Largest scale tried (default 18).
    pub max_scale: u32,
    /// Bits added to the observed range for inputs beyond the samples (default 2).
    pub headroom_bits: u32,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        Self {
            target_rel_l2: 1e-3,
            min_scale: 7,
            max_scale: 18,
            headroom_bits: 2,
        }
    }
}

/// Error of one output against the float reference, over all samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputError {
    /// Output name.
    pub name: String,
    /// Largest absolute difference.
    pub max_abs_err: f64,
    /// `‖fixed − float‖₂ / ‖float‖₂` over all samples.
    pub rel_l2: f64,
}

/// The outcome of calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Chosen parameters.
    pub params: QuantParams,
    /// Per-output error at the chosen parameters.
    pub errors: Vec<OutputError>,
    /// Number of samples used.
    pub samples: usize,
    /// Whether the target error was met (false: the best scale tried is returned).
    pub target_met: bool,
}

/// Float outputs of each sample.
pub fn float_outputs(graph: &Graph, samples: &[Vec<Tensor>]) -> Result<Vec<Vec<Tensor>>> {
    samples
        .iter()
        .map(|s| eval_float(graph, s).map_err(CircuitError::from))
        .collect()
}

/// Measures the fixed-point error at `params` against precomputed float outputs; also
/// returns the largest range-checked magnitude.
pub fn measure(
    graph: &Graph,
    params: &QuantParams,
    samples: &[Vec<Tensor>],
    floats: &[Vec<Tensor>],
) -> Result<(Vec<OutputError>, u128)> {
    let n_out = graph.outputs.len();
    let mut num = vec![0.0f64; n_out];
    let mut den = vec![0.0f64; n_out];
    let mut max_abs = vec![0.0f64; n_out];
    let mut max_checked = 0u128;
    for (sample, float) in samples.iter().zip(floats) {
        let run = eval_fixed(graph, params, sample)?;
        max_checked = max_checked.max(run.max_abs_checked);
        for (o, (got, want)) in run.outputs_float.iter().zip(float).enumerate() {
            for (g, w) in got.data.iter().zip(&want.data) {
                let d = g - w;
                num[o] += d * d;
                den[o] += w * w;
                max_abs[o] = max_abs[o].max(d.abs());
            }
        }
    }
    let errors = (0..n_out)
        .map(|o| OutputError {
            name: graph.values[graph.outputs[o]].name.clone(),
            max_abs_err: max_abs[o],
            rel_l2: if den[o] > 0.0 {
                (num[o] / den[o]).sqrt()
            } else {
                num[o].sqrt()
            },
        })
        .collect();
    Ok((errors, max_checked))
}

/// Chooses scales and the range bound from `samples` (each in `graph.inputs` order).
pub fn calibrate(
    graph: &Graph,
    samples: &[Vec<Tensor>],
    opts: &CalibrationOptions,
) -> Result<Calibration> {
    if samples.is_empty() {
        return Err(CircuitError::Settings {
            message: "calibration needs at least one sample".into(),
        });
    }
    let floats = float_outputs(graph, samples)?;
    let mut best: Option<Calibration> = None;
    let mut last_err = None;
    for s in opts.min_scale..=opts.max_scale {
        // Measure with a loose bound, then size the bound from what was seen.
        let loose = QuantParams::new(s, s, 64);
        let (errors, max_checked) = match measure(graph, &loose, samples, &floats) {
            Ok(r) => r,
            Err(e) => {
                last_err = Some(e);
                continue;
            }
        };
        let seen_bits = 128 - max_checked.leading_zeros();
        let bits = (seen_bits + opts.headroom_bits).clamp(s + 1, 64);
        let worst = errors.iter().map(|e| e.rel_l2).fold(0.0, f64::max);
        let met = worst <= opts.target_rel_l2;
        let cal = Calibration {
            params: QuantParams::new(s, s, bits),
            errors,
            samples: samples.len(),
            target_met: met,
        };
        if met {
            return Ok(cal);
        }
        let better = best
            .as_ref()
            .is_none_or(|b| worst < b.errors.iter().map(|e| e.rel_l2).fold(0.0, f64::max));
        if better {
            best = Some(cal);
        }
    }
    match (best, last_err) {
        (Some(b), _) => Ok(b),
        (None, Some(e)) => Err(e),
        (None, None) => Err(CircuitError::Settings {
            message: "no scale could be tried".into(),
        }),
    }
}
