//! What accuracy costs: for each error target, the scale calibration would pick, the circuit
//! size it plans to, a rough prove-time estimate and, for the EVM, the predicted verify gas,
//! so `compile` and `run` can show the trade-off before anyone waits for keys.
//!
//! The prove-time estimate ([`predicted_prove_seconds`]) and the gas model
//! ([`circuits::halo2::evm_gas`]) live in `circuits::halo2` with the planner, which uses
//! them to choose the `evm` layout; see their docs for how they were fitted. They are
//! orders of magnitude for machines like the one they were fitted on, not promises.

use circuits::calibrate::{fit_ranges, float_outputs, ScaleTrial};
pub use circuits::halo2::evm_cost::BASE_SECONDS;
pub use circuits::halo2::{columns, predicted_prove_seconds};

use circuits::halo2::{evm_gas, plan_evm, plan_with, EvmOptions, EvmPlan, Layout};
use circuits::visibility::Visibilities;
use circuits::QuantParams;
use onnx_import::ir::{Graph, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::Result;

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
    /// Committed columns ([`columns`]).
    pub columns: usize,
    /// Rough proving time in seconds.
    pub predicted_prove_s: f64,
    /// Predicted gas of one on-chain verification, when planned for the EVM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_gas: Option<u64>,
}

/// Largest `k` of the chosen plan at which the `evm` layout's table plans every scale. Each
/// [`plan_evm`] lays the model out at several sizes: about a second in all for the digits
/// models (k = 15), but about 15 s per scale for LeNet-5 with hashed inputs (k = 17, 2
/// cores, release build; its `compile --evm` took 47 s with every scale planned), so above
/// it only the chosen scale is shown ([`Planning::chosen`]).
pub const EVM_TABLE_MAX_K: u32 = 16;

/// How [`cost_by_target`] plans each scale.
#[derive(Clone, Copy, Debug)]
pub struct Planning<'a> {
    /// The layout compiled with.
    pub layout: Layout,
    /// The visibility compiled with.
    pub visibility: &'a Visibilities,
    /// Compiling for the EVM: each row gets its predicted verify gas, and the `evm` layout
    /// plans with these options (`None`: no gas; the `evm` layout then uses the defaults).
    pub evm: Option<&'a EvmOptions>,
    /// The `evm` layout's plan already made for the chosen scale (the first number): its
    /// rows reuse it, and when its `k` is above [`EVM_TABLE_MAX_K`] the other scales are not
    /// planned (their rows are left out).
    pub chosen: Option<(u32, &'a EvmPlan)>,
}

impl Planning<'_> {
    /// Whether the rows of scales other than the chosen one are left out (see
    /// [`Self::chosen`]).
    pub fn only_chosen(&self) -> bool {
        self.layout == Layout::Evm
            && self
                .chosen
                .is_some_and(|(_, p)| p.shape.k > EVM_TABLE_MAX_K)
    }
}

/// For each of [`TARGETS`] that some tried scale met, that scale's circuit size and rough
/// prove time (each distinct scale is planned once) as `planning` says.
pub fn cost_by_target(
    graph: &Graph,
    samples: &[Vec<Tensor>],
    trials: &[ScaleTrial],
    headroom_bits: u32,
    planning: &Planning,
) -> Result<Vec<TargetCost>> {
    let floats = float_outputs(graph, samples)?;
    let (inputs, outputs) = crate::TensorSpec::of_graph(graph);
    let count = |t: &[crate::TensorSpec]| t.iter().map(crate::TensorSpec::len).sum::<usize>();
    let visibility = planning.visibility;
    let num_instances = visibility.layout(count(&inputs), count(&outputs)).len;
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
        let chosen = planning.chosen.filter(|(s, _)| *s == scale).map(|(_, p)| p);
        if chosen.is_none() && planning.only_chosen() {
            continue;
        }
        let (shape, predicted_gas) = match chosen {
            Some(p) if planning.layout == Layout::Evm => (p.shape.clone(), Some(p.predicted_gas)),
            _ => {
                let base = QuantParams::new(scale, scale, 64);
                let (params, _) = fit_ranges(graph, &base, samples, &floats, headroom_bits)?;
                if planning.layout == Layout::Evm {
                    let opts = planning.evm.copied().unwrap_or_default();
                    let plan = plan_evm(graph, &params, visibility, &opts)?;
                    (plan.shape, Some(plan.predicted_gas))
                } else {
                    let shape = plan_with(graph, &params, planning.layout, visibility)?;
                    let gas = planning
                        .evm
                        .map(|_| evm_gas(&shape, num_instances, num_instances))
                        .transpose()?;
                    (shape, gas)
                }
            }
        };
        out.push(TargetCost {
            target,
            scale,
            worst_rel_l2: worst,
            k: shape.k,
            columns: columns(&shape),
            predicted_prove_s: predicted_prove_seconds(&shape),
            predicted_gas,
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
        let samples = [input];
        let none = Visibilities::default();
        let planning = |layout, evm, chosen| Planning {
            layout,
            visibility: &none,
            evm,
            chosen,
        };
        let costs = cost_by_target(
            &g,
            &samples,
            &trials,
            2,
            &planning(Layout::Speed, None, None),
        )
        .unwrap();
        let got: Vec<(f64, u32)> = costs.iter().map(|c| (c.target, c.scale)).collect();
        assert_eq!(got, vec![(1e-2, 7), (1e-3, 10), (1e-4, 10)]);
        assert_eq!(costs[1].k, costs[2].k);
        assert!(costs.iter().all(|c| c.predicted_prove_s > BASE_SECONDS));
        assert!(costs.iter().all(|c| c.predicted_gas.is_none()));

        // For the EVM: every row has a gas prediction; the evm layout's is the planner's.
        let evm = EvmOptions::default();
        let gas_rows = cost_by_target(
            &g,
            &samples,
            &trials,
            2,
            &planning(Layout::Speed, Some(&evm), None),
        )
        .unwrap();
        assert_eq!(gas_rows.len(), 3);
        assert!(gas_rows
            .iter()
            .all(|c| c.predicted_gas.is_some_and(|g| g > 100_000)));
        let planned = cost_by_target(
            &g,
            &samples,
            &trials,
            2,
            &planning(Layout::Evm, Some(&evm), None),
        )
        .unwrap();
        assert_eq!(planned.len(), 3);
        let base = QuantParams::new(10, 10, 64);
        let floats = float_outputs(&g, &samples).unwrap();
        let (params, _) = fit_ranges(&g, &base, &samples, &floats, 2).unwrap();
        let plan = plan_evm(&g, &params, &none, &evm).unwrap();
        assert_eq!(planned[1].predicted_gas, Some(plan.predicted_gas));
        assert_eq!(planned[1].k, plan.shape.k);
        assert!(plan.shape.k <= EVM_TABLE_MAX_K);

        // The chosen scale's plan is reused (its made-up gas shows), the others planned.
        let mut made_up = plan.clone();
        made_up.predicted_gas = 7;
        let reused = cost_by_target(
            &g,
            &samples,
            &trials,
            2,
            &planning(Layout::Evm, Some(&evm), Some((10, &made_up))),
        )
        .unwrap();
        let gas: Vec<(u32, Option<u64>)> =
            reused.iter().map(|c| (c.scale, c.predicted_gas)).collect();
        assert_eq!(
            gas,
            vec![(7, planned[0].predicted_gas), (10, Some(7)), (10, Some(7))]
        );

        // A chosen plan above EVM_TABLE_MAX_K: only the chosen scale's rows.
        let mut big = made_up.clone();
        big.shape.k = EVM_TABLE_MAX_K + 1;
        let p = planning(Layout::Evm, Some(&evm), Some((10, &big)));
        assert!(p.only_chosen());
        let only = cost_by_target(&g, &samples, &trials, 2, &p).unwrap();
        let got: Vec<(f64, u32, u32)> = only.iter().map(|c| (c.target, c.scale, c.k)).collect();
        let k = EVM_TABLE_MAX_K + 1;
        assert_eq!(got, vec![(1e-3, 10, k), (1e-4, 10, k)]);
        // Other layouts always plan every scale.
        assert!(!planning(Layout::Speed, Some(&evm), Some((10, &big))).only_chosen());
    }
}
