//! Calibration: choose the scales, the range bound and the table ranges from sample inputs.
//!
//! The smallest activation/parameter scale whose fixed-point outputs track the float
//! reference within the target relative L2 error on every calibration sample is chosen
//! (smaller scales mean smaller numbers, cheaper range checks and smaller tables). The range
//! bound `B` is the largest magnitude any range check saw, plus headroom for unseen inputs;
//! each table lookup's input range is the range seen plus a margin (see [`widen`]), so tables
//! are sized to the data, not to the worst case.
//!
//! With two or more samples, every fifth sample (at least one) is **held out**: the scale is
//! chosen without it and its error is reported separately ([`Calibration::held_out`]), which
//! says how well the choice generalizes; the range bound and table ranges then cover every
//! sample, held out or not.

use std::collections::BTreeMap;

use onnx_import::eval::eval_graph as eval_float;
use onnx_import::ir::{Graph, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{CircuitError, Result};
use crate::fixed::eval_fixed;
use crate::quant::QuantParams;

/// Knobs of [`calibrate`].
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrationOptions {
    /// Largest acceptable relative L2 error of any output (default 1e-4).
    pub target_rel_l2: f64,
    /// Smallest scale tried (default 7).
    pub min_scale: u32,
    /// Largest scale tried (default 18).
    pub max_scale: u32,
    /// Bits added to the observed range for inputs beyond the samples (default 2).
    pub headroom_bits: u32,
    /// Hold out every fifth sample to report the error on unseen data (default true; needs
    /// two or more samples).
    pub hold_out: bool,
}

/// The default calibration target.
pub const DEFAULT_TARGET_REL_L2: f64 = 1e-4;

impl Default for CalibrationOptions {
    fn default() -> Self {
        Self {
            target_rel_l2: DEFAULT_TARGET_REL_L2,
            min_scale: 7,
            max_scale: 18,
            headroom_bits: 2,
            hold_out: true,
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

/// Error on samples that calibration did not use to choose the scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldOut {
    /// Number of held-out samples.
    pub samples: usize,
    /// Per-output error on them, at the chosen parameters.
    pub errors: Vec<OutputError>,
}

/// One scale tried.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleTrial {
    /// Activation (and parameter) scale exponent.
    pub scale: u32,
    /// Worst output rel-L2 on the calibration samples (`None`: the scale overflowed).
    pub worst_rel_l2: Option<f64>,
}

/// The outcome of calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Chosen parameters.
    pub params: QuantParams,
    /// Per-output error at the chosen parameters, on the calibration samples.
    pub errors: Vec<OutputError>,
    /// Number of samples used to choose the scale.
    pub samples: usize,
    /// Whether the target error was met (false: the best scale tried is returned).
    pub target_met: bool,
    /// The error on held-out samples, when there were any.
    pub held_out: Option<HeldOut>,
    /// Every scale tried, in order (for cost/accuracy reports).
    pub trials: Vec<ScaleTrial>,
}

/// Float outputs of each sample.
pub fn float_outputs(graph: &Graph, samples: &[Vec<Tensor>]) -> Result<Vec<Vec<Tensor>>> {
    samples
        .iter()
        .map(|s| eval_float(graph, s).map_err(CircuitError::from))
        .collect()
}

/// What one measurement saw besides the errors.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Largest range-checked magnitude.
    pub max_checked: u128,
    /// Table inputs per node and slot.
    pub observed: BTreeMap<usize, Vec<[i128; 2]>>,
}

/// Measures the fixed-point error at `params` against precomputed float outputs; also
/// returns the largest range-checked magnitude.
pub fn measure(
    graph: &Graph,
    params: &QuantParams,
    samples: &[Vec<Tensor>],
    floats: &[Vec<Tensor>],
) -> Result<(Vec<OutputError>, u128)> {
    measure_seen(graph, params, samples, floats).map(|(e, s)| (e, s.max_checked))
}

/// [`measure`], also returning the table inputs seen.
pub fn measure_seen(
    graph: &Graph,
    params: &QuantParams,
    samples: &[Vec<Tensor>],
    floats: &[Vec<Tensor>],
) -> Result<(Vec<OutputError>, Seen)> {
    let n_out = graph.outputs.len();
    let mut num = vec![0.0f64; n_out];
    let mut den = vec![0.0f64; n_out];
    let mut max_abs = vec![0.0f64; n_out];
    let mut seen = Seen::default();
    for (sample, float) in samples.iter().zip(floats) {
        let run = eval_fixed(graph, params, sample)?;
        seen.max_checked = seen.max_checked.max(run.max_abs_checked);
        merge(&mut seen.observed, &run.observed);
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
    Ok((errors, seen))
}

fn merge(into: &mut BTreeMap<usize, Vec<[i128; 2]>>, from: &BTreeMap<usize, Vec<[i128; 2]>>) {
    for (node, slots) in from {
        let e = into.entry(*node).or_default();
        if e.len() < slots.len() {
            e.resize(slots.len(), [i128::MAX, i128::MIN]);
        }
        for (a, b) in e.iter_mut().zip(slots) {
            a[0] = a[0].min(b[0]);
            a[1] = a[1].max(b[1]);
        }
    }
}

/// The table range for an observed `[lo, hi]` at scale `s`: widened on each side by an
/// eighth of its span plus an eighth of a unit (`2^(s−3)`), but never across zero by more
/// than half its distance to zero (so a strictly positive range such as Log's input stays
/// positive and its table does not reach the singularity).
pub fn widen(r: [i128; 2], s: u32) -> [i128; 2] {
    let [lo, hi] = r;
    if lo > hi {
        return r;
    }
    let margin = (hi - lo) / 8 + (1i128 << s.saturating_sub(3));
    let mut wlo = lo - margin;
    let mut whi = hi + margin;
    if lo > 0 {
        wlo = wlo.max(lo / 2).max(1);
    }
    if hi < 0 {
        whi = whi.min(hi / 2).min(-1);
    }
    [wlo, whi]
}

fn worst(errors: &[OutputError]) -> f64 {
    errors.iter().map(|e| e.rel_l2).fold(0.0, f64::max)
}

/// Splits samples into (calibration, held out): every fifth sample is held out when there
/// are two or more.
fn split(samples: &[Vec<Tensor>], hold_out: bool) -> (Vec<Vec<Tensor>>, Vec<Vec<Tensor>>) {
    if !hold_out || samples.len() < 2 {
        return (samples.to_vec(), Vec::new());
    }
    let mut cal = Vec::new();
    let mut held = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        if i % 5 == 4 || (samples.len() < 5 && i == samples.len() - 1) {
            held.push(s.clone());
        } else {
            cal.push(s.clone());
        }
    }
    (cal, held)
}

/// Fills `params.ranges` and `params.bits` so that every sample's table inputs and range
/// checks fit (with headroom). Measuring with loose bits and no ranges first, then with
/// the ranges set, since table steps may depend on the domain.
pub fn fit_ranges(
    graph: &Graph,
    params: &QuantParams,
    samples: &[Vec<Tensor>],
    floats: &[Vec<Tensor>],
    headroom_bits: u32,
) -> Result<(QuantParams, Vec<OutputError>)> {
    let s = params.input_scale;
    let mut loose = params.clone();
    loose.bits = 64;
    loose.ranges.clear();
    let (mut errors, seen) = measure_seen(graph, &loose, samples, floats)?;
    let mut out = loose;
    let mut max_checked = seen.max_checked;
    if !seen.observed.is_empty() {
        out.ranges = seen
            .observed
            .iter()
            .map(|(n, slots)| (*n, slots.iter().map(|r| widen(*r, s)).collect()))
            .collect();
        let (e2, seen2) = measure_seen(graph, &out, samples, floats)?;
        errors = e2;
        max_checked = max_checked.max(seen2.max_checked);
    }
    let seen_bits = 128 - max_checked.leading_zeros();
    out.bits = (seen_bits + headroom_bits).clamp(s + 1, 64);
    Ok((out, errors))
}

/// Chooses scales, the range bound and table ranges from `samples` (each in `graph.inputs`
/// order).
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
    let (cal_samples, held) = split(samples, opts.hold_out);
    let floats = float_outputs(graph, &cal_samples)?;
    let mut best: Option<(QuantParams, Vec<OutputError>, bool)> = None;
    let mut last_err = None;
    let mut trials = Vec::new();
    for s in opts.min_scale..=opts.max_scale {
        let base = QuantParams::new(s, s, 64);
        let (params, errors) =
            match fit_ranges(graph, &base, &cal_samples, &floats, opts.headroom_bits) {
                Ok(r) => r,
                Err(e) => {
                    trials.push(ScaleTrial {
                        scale: s,
                        worst_rel_l2: None,
                    });
                    last_err = Some(e);
                    continue;
                }
            };
        let w = worst(&errors);
        trials.push(ScaleTrial {
            scale: s,
            worst_rel_l2: Some(w),
        });
        let met = w <= opts.target_rel_l2;
        if met {
            best = Some((params, errors, true));
            break;
        }
        if best.as_ref().is_none_or(|b| w < worst(&b.1)) {
            best = Some((params, errors, false));
        }
    }
    let Some((params, errors, target_met)) = best else {
        return Err(last_err.unwrap_or(CircuitError::Settings {
            message: "no scale could be tried".into(),
        }));
    };
    // The bound and table ranges cover every sample; the held-out error is measured at the
    // final parameters, whose scale was chosen without the held-out samples.
    let (params, errors, held_out) = if held.is_empty() {
        (params, errors, None)
    } else {
        let all_floats = float_outputs(graph, samples)?;
        let (all, _) = fit_ranges(graph, &params, samples, &all_floats, opts.headroom_bits)?;
        let cal_errors = measure(graph, &all, &cal_samples, &floats)?.0;
        let held_floats = float_outputs(graph, &held)?;
        let held_errors = measure(graph, &all, &held, &held_floats)?.0;
        (
            all,
            cal_errors,
            Some(HeldOut {
                samples: held.len(),
                errors: held_errors,
            }),
        )
    };
    Ok(Calibration {
        params,
        errors,
        samples: cal_samples.len(),
        target_met,
        held_out,
        trials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widen_keeps_positive_ranges_positive() {
        // Log's input seen in [0.1, 4] at s = 10.
        let w = widen([102, 4096], 10);
        assert!(w[0] >= 51 && w[0] < 102 && w[1] > 4096, "{w:?}");
        let w = widen([-4096, -102], 10);
        assert!(w[1] <= -51 && w[1] > -102 && w[0] < -4096, "{w:?}");
        // A range straddling zero widens both ways.
        let w = widen([-10, 10], 10);
        assert_eq!(w, [-10 - 2 - 128, 10 + 2 + 128]);
        // An empty (never observed) slot stays as it is.
        assert_eq!(widen([i128::MAX, i128::MIN], 10), [i128::MAX, i128::MIN]);
    }

    #[test]
    fn split_holds_out_every_fifth_sample() {
        let s: Vec<Vec<Tensor>> = (0..10).map(|_| Vec::new()).collect();
        let (c, h) = split(&s, true);
        assert_eq!((c.len(), h.len()), (8, 2));
        let (c, h) = split(&s[..2], true);
        assert_eq!((c.len(), h.len()), (1, 1));
        let (c, h) = split(&s[..1], true);
        assert_eq!((c.len(), h.len()), (1, 0));
        let (c, h) = split(&s, false);
        assert_eq!((c.len(), h.len()), (10, 0));
    }
}
