//! What accuracy costs: for each error target, the scale calibration would pick, the circuit
//! size it plans to, and a rough prove-time estimate, so `compile` and `run` can show the
//! trade-off before anyone waits for keys.
//!
//! The estimate is a two-parameter model: a fixed [`BASE_SECONDS`] (process start, reading the
//! proving key) plus a time per committed cell, `2^k × (advice + lookup advice + 3·lookup
//! groups + packed-gate columns + 1)` (each committed column costs an FFT and an MSM of size
//! `2^k`, each lookup argument three more). Both were fitted on `zkinfer prove` of the
//! release build on a 2-core machine (benches/README.md, "Non-linear models against EZKL":
//! logreg30 0.34 s, attention_tiny 0.97 s, encoder_block 4.84 s; the model gives 0.35, 0.59
//! and 4.66 s), so the number is an order of magnitude for machines like that one, not a
//! promise.

use circuits::calibrate::{fit_ranges, float_outputs, ScaleTrial};
use circuits::halo2::{plan_with, CircuitShape, Layout};
use circuits::visibility::Visibilities;
use circuits::QuantParams;
use onnx_import::ir::{Graph, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Fitted prove seconds per committed cell (see the module docs).
pub const SECONDS_PER_CELL: f64 = 1.6e-5;
/// Fitted fixed part of a `zkinfer prove` run, in seconds.
pub const BASE_SECONDS: f64 = 0.2;

/// Error targets shown by [`cost_by_target`].
pub const TARGETS: [f64; 4] = [1e-2, 1e-3, 1e-4, 1e-5];

/// The cost of meeting one error target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetCost {
    /// The relative L2 target.
    pub target: f64,
    /// The smallest scale that met it on the calibration samples.
    pub scale: u32,
    /// Its worst output error there.
    pub worst_rel_l2: f64,
    /// The planned circuit size (rows = 2^k).
    pub k: u32,
    /// Committed columns (see the module docs).
    pub columns: usize,
    /// Rough proving time in seconds.
    pub predicted_prove_s: f64,
}

/// Committed columns of a planned circuit.
pub fn columns(shape: &CircuitShape) -> usize {
    shape.config.num_advice_per_phase.iter().sum::<usize>()
        + shape
            .config
            .num_lookup_advice_per_phase
            .iter()
            .sum::<usize>()
        + 3 * shape.lookup_groups
        + shape.dot_columns
        + 1
        // Parameters in advice: the packed gate's weight columns are advice too.
        + if shape.visibility.params.is_advice() {
            shape.dot_columns
        } else {
            0
        }
}

/// The rough prove time of a planned circuit.
pub fn predicted_prove_seconds(shape: &CircuitShape) -> f64 {
    BASE_SECONDS + (1u64 << shape.k) as f64 * columns(shape) as f64 * SECONDS_PER_CELL
}

/// For each of [`TARGETS`] that some tried scale met, that scale's circuit size and rough
/// prove time (each distinct scale is planned once).
pub fn cost_by_target(
    graph: &Graph,
    samples: &[Vec<Tensor>],
    trials: &[ScaleTrial],
    headroom_bits: u32,
    layout: Layout,
    visibility: &Visibilities,
) -> Result<Vec<TargetCost>> {
    let floats = float_outputs(graph, samples)?;
    let mut out: Vec<TargetCost> = Vec::new();
    for target in TARGETS {
        let Some((scale, worst)) = trials.iter().find_map(|t| {
            t.worst_rel_l2
                .filter(|w| *w <= target)
                .map(|w| (t.scale, w))
        }) else {
            continue;
        };
        if let Some(prev) = out.iter().find(|c| c.scale == scale) {
            let again = TargetCost {
                target,
                ..prev.clone()
            };
            out.push(again);
            continue;
        }
        let base = QuantParams::new(scale, scale, 64);
        let (params, _) = fit_ranges(graph, &base, samples, &floats, headroom_bits)?;
        let shape = plan_with(graph, &params, layout, visibility)?;
        out.push(TargetCost {
            target,
            scale,
            worst_rel_l2: worst,
            k: shape.k,
            columns: columns(&shape),
            predicted_prove_s: predicted_prove_seconds(&shape),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use circuits::halo2::plan;
    use onnx_import::import_file;

    fn fixture(name: &str) -> Graph {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
            .join("network.onnx");
        import_file(&p).unwrap()
    }

    #[test]
    fn estimate_grows_with_rows_and_columns() {
        let g = fixture("op_sigmoid");
        let small = plan(&g, &QuantParams::new(8, 8, 12)).unwrap();
        let mut big = small.clone();
        big.k += 2;
        assert!(predicted_prove_seconds(&big) > 3.0 * predicted_prove_seconds(&small) - 1.0);
        assert!(columns(&small) >= 2);
    }

    #[test]
    fn one_row_per_target_met_and_targets_sharing_a_scale_share_a_plan() {
        let g = fixture("op_sigmoid");
        let input = vec![
            Tensor::new(vec![2, 16], (0..32).map(|i| i as f64 / 8.0 - 2.0).collect()).unwrap(),
        ];
        let trials = vec![
            ScaleTrial {
                scale: 7,
                worst_rel_l2: Some(5e-3),
            },
            ScaleTrial {
                scale: 8,
                worst_rel_l2: None,
            },
            ScaleTrial {
                scale: 10,
                worst_rel_l2: Some(5e-5),
            },
        ];
        let costs = cost_by_target(
            &g,
            &[input],
            &trials,
            2,
            Layout::Speed,
            &Visibilities::default(),
        )
        .unwrap();
        let got: Vec<(f64, u32)> = costs.iter().map(|c| (c.target, c.scale)).collect();
        assert_eq!(got, vec![(1e-2, 7), (1e-3, 10), (1e-4, 10)]);
        assert_eq!(costs[1].k, costs[2].k);
        assert!(costs.iter().all(|c| c.predicted_prove_s > BASE_SECONDS));
    }
}
