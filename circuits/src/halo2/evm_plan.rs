//! Planning for on-chain verification ([`Layout::Evm`](super::Layout::Evm)): compare many
//! column limits between the `speed` and `gas` layouts and take the shape with the lowest
//! `predicted gas + gas_per_second × predicted prove seconds` ([`super::evm_cost`]).
//!
//! Every candidate is one [`LayoutLimits`]; the model is laid out once per
//! `(k, packed gate on/off, range lookup on/off)` ([`probe`]) and each candidate takes the
//! smallest `k` whose probe fits it, exactly as [`plan_limits`](super::plan::plan_limits)
//! would. The search over `k` stops once even the cheapest possible proof at that size
//! would score worse than the best candidate found.

use std::collections::BTreeMap;

use onnx_import::ir::Graph;
use serde::{Deserialize, Serialize};

use super::circuit::{CircuitShape, K_RANGE};
use super::evm_cost::{columns, evm_gas, predicted_prove_seconds};
use super::plan::{
    check_plannable, first_k_of, lay, probe, search_in_parallel, LayoutLimits, Probe,
    PROBE_MAX_DOT, START_K,
};
use crate::error::{CircuitError, Result};
use crate::quant::QuantParams;
use crate::visibility::{ParamVisibility, Visibilities};

/// How much verification gas one second of (two-core) proving is worth by default: at this
/// weight a plan may prove one second slower to save 15,000 gas per verification. Chosen on
/// the benchmark models against EZKL 23.0.5 (benches/README.md, 2026-12-01): at 20,000,
/// LeNet-5 took a k = 16 plan (780k gas, 0.63× EZKL's; 26 s); at 15,000 it takes the
/// k = 17 plan (590k predicted, 36 s predicted, both under half of EZKL's), and the digits
/// MLP, digits CNN and attention block keep plans at or below 0.53× EZKL's gas. 5,000 made
/// LeNet-5 prove 1.4× longer again for 21% less gas.
pub const DEFAULT_GAS_PER_SECOND: f64 = 15_000.0;

/// Knobs of [`plan_evm`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvmOptions {
    /// Gas per second of predicted proving time in the score.
    pub gas_per_second: f64,
}

impl Default for EvmOptions {
    fn default() -> Self {
        Self {
            gas_per_second: DEFAULT_GAS_PER_SECOND,
        }
    }
}

/// One compared plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvmCandidate {
    /// What the shape is, e.g. `k=16, 2 adv, 1 lookup adv, dot 4, 1 grp`.
    pub label: String,
    /// log2 of its rows.
    pub k: u32,
    /// Committed columns ([`columns`]).
    pub columns: usize,
    /// Predicted gas of one `verifyProof` transaction.
    pub predicted_gas: u64,
    /// Predicted prove seconds.
    pub predicted_prove_s: f64,
    /// `predicted_gas + gas_per_second × predicted_prove_s` (lower is better).
    pub score: f64,
}

/// The chosen plan and what it was compared with.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EvmPlan {
    /// The chosen shape.
    pub shape: CircuitShape,
    /// Its predicted gas.
    pub predicted_gas: u64,
    /// Its predicted prove seconds.
    pub predicted_prove_s: f64,
    /// The weight used.
    pub gas_per_second: f64,
    /// Every distinct shape compared, best first (`candidates[0]` is the chosen one).
    pub candidates: Vec<EvmCandidate>,
}

/// The label of a shape.
pub fn shape_label(s: &CircuitShape) -> String {
    let adv: usize = s.config.num_advice_per_phase.iter().sum();
    let look: usize = s.config.num_lookup_advice_per_phase.iter().sum();
    let mut out = format!("k={}, {adv} adv", s.k);
    if s.range_lookup {
        out.push_str(&format!(" + {look} range lookup"));
    } else {
        out.push_str(", range by bits");
    }
    if s.dot_columns > 0 {
        out.push_str(&format!(", dot {}", s.dot_columns));
    }
    if s.lookup_groups > 0 {
        out.push_str(&format!(", {} table grp", s.lookup_groups));
    }
    out
}

const ADVICE: [usize; 8] = [1, 2, 3, 4, 6, 8, 12, 16];
const DOT: [usize; 6] = [1, 2, 4, 8, 16, PROBE_MAX_DOT];
const GROUPS: [usize; 3] = [1, 2, 4];

/// Plans `graph` for on-chain verification (see the module docs).
pub fn plan_evm(
    graph: &Graph,
    params: &QuantParams,
    vis: &Visibilities,
    opts: &EvmOptions,
) -> Result<EvmPlan> {
    check_plannable(graph, params)?;
    if !(opts.gas_per_second.is_finite() && opts.gas_per_second >= 0.0) {
        return Err(CircuitError::Settings {
            message: format!(
                "gas per second must be a finite number ≥ 0, got {}",
                opts.gas_per_second
            ),
        });
    }
    let committed = vis.params == ParamVisibility::Committed;
    let mut families: Vec<(bool, bool)> = Vec::new();
    for range_lookup in [false, true] {
        if !committed {
            families.push((range_lookup, false));
        }
        families.push((range_lookup, true));
    }
    let results = search_in_parallel(&families, "EVM", |(range_lookup, dot)| {
        search_family(graph, params, vis, opts, range_lookup, dot)
    });
    // Distinct shapes only: many limits give the same shape.
    let mut seen: BTreeMap<String, EvmCandidate> = BTreeMap::new();
    let mut shapes: BTreeMap<String, CircuitShape> = BTreeMap::new();
    for r in results {
        for (shape, public_rows) in r? {
            let label = shape_label(&shape);
            if seen.contains_key(&label) {
                continue;
            }
            let c = candidate(&shape, public_rows, opts)?;
            shapes.insert(label.clone(), shape);
            seen.insert(label, c);
        }
    }
    let mut candidates: Vec<EvmCandidate> = seen.into_values().collect();
    candidates.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.label.cmp(&b.label)));
    let best = candidates.first().ok_or_else(|| CircuitError::Settings {
        message: format!("the model does not fit in 2^{} rows", K_RANGE.1),
    })?;
    let shape = shapes
        .remove(&best.label)
        .ok_or_else(|| CircuitError::Settings {
            message: "the EVM planner lost its chosen shape".into(),
        })?;
    Ok(EvmPlan {
        predicted_gas: best.predicted_gas,
        predicted_prove_s: best.predicted_prove_s,
        gas_per_second: opts.gas_per_second,
        shape,
        candidates,
    })
}

fn num_instances(shape: &CircuitShape, public_rows: usize) -> usize {
    // The public cells are the instances, one each.
    let _ = shape;
    public_rows
}

fn candidate(shape: &CircuitShape, public_rows: usize, opts: &EvmOptions) -> Result<EvmCandidate> {
    let gas = evm_gas(shape, public_rows, num_instances(shape, public_rows))?;
    let t = predicted_prove_seconds(shape);
    Ok(EvmCandidate {
        label: shape_label(shape),
        k: shape.k,
        columns: columns(shape),
        predicted_gas: gas,
        predicted_prove_s: t,
        score: gas as f64 + opts.gas_per_second * t,
    })
}

/// The narrowest shape of a probe's family: one flex column (and one range-lookup column),
/// a packed gate of width 1 if it has one, one table group if it has tables.
pub(super) fn narrowest(p: &Probe, vis: &Visibilities) -> CircuitShape {
    let mut config = p.config.clone();
    config.num_advice_per_phase = vec![1];
    // Constants fill fewer fixed columns at larger k: one at least.
    config.num_fixed = config.num_fixed.min(1);
    config.num_lookup_advice_per_phase = if p.range_lookup { vec![1] } else { vec![0] };
    CircuitShape {
        k: p.k,
        lookup_bits: p.k as usize - 1,
        config,
        break_points: Vec::new(),
        dot_columns: usize::from(!p.dot_rows.is_empty()),
        range_lookup: p.range_lookup,
        lookup_groups: usize::from(!p.lookup_rows.is_empty()),
        visibility: *vis,
        poseidon_lanes: usize::from(p.poseidon_gate && p.poseidon_perms > 0),
    }
}

/// Every limit set of one family, each at the smallest `k` that fits it.
fn search_family(
    graph: &Graph,
    params: &QuantParams,
    vis: &Visibilities,
    opts: &EvmOptions,
    range_lookup: bool,
    dot: bool,
) -> Result<Vec<(CircuitShape, usize)>> {
    let mut open: Vec<LayoutLimits> = Vec::new();
    for &max_advice in &ADVICE {
        for &max_dot in if dot { &DOT[..] } else { &[0][..] } {
            for &max_groups in &GROUPS {
                open.push(LayoutLimits {
                    max_advice,
                    range_lookup,
                    max_dot,
                    max_groups,
                });
            }
        }
    }
    let mut found = Vec::new();
    let mut best = f64::INFINITY;
    // Without range lookups the layout does not depend on k: lay out once. With them, lay
    // out at each k, starting just below the smallest k at which the cells could fit in
    // the widest candidate (estimated from one layout at START_K).
    let mut laid = None;
    let mut first_k = K_RANGE.0;
    let mut start_probe = None;
    if range_lookup {
        let p = probe(graph, params, START_K, dot, true, false, vis)?;
        first_k = first_k_of(&p, *ADVICE.last().unwrap_or(&1));
        start_probe = Some(p);
    } else {
        laid = Some(lay(graph, params, K_RANGE.0, dot, false, false, vis)?);
    }
    // The family's narrowest shape bounds its gas and its columns from below (wider shapes
    // only add commitments and evaluations); it is priced once, its k does not matter.
    let mut floor_at: Option<(f64, CircuitShape)> = None;
    for k in first_k..=K_RANGE.1 {
        if open.is_empty() {
            break;
        }
        if let Some((gas, narrow)) = &mut floor_at {
            narrow.k = k;
            if *gas + opts.gas_per_second * predicted_prove_seconds(narrow) > best {
                break;
            }
        }
        let p = match (&mut laid, &start_probe) {
            (Some(l), _) => l.at(k),
            (None, Some(p0)) if p0.k == k => p0.clone(),
            _ => probe(graph, params, k, dot, range_lookup, false, vis)?,
        };
        if dot && p.dot_rows.is_empty() {
            // No products in this model: the packed gate would be empty.
            return Ok(found);
        }
        if floor_at.is_none() {
            let n = narrowest(&p, vis);
            let gas = evm_gas(&n, p.public_rows, p.public_rows)? as f64;
            floor_at = Some((gas, n));
        }
        let mut still_open = Vec::with_capacity(open.len());
        for limits in open {
            match p.shape(&limits, vis) {
                Some(shape) => {
                    best = best.min(candidate(&shape, p.public_rows, opts)?.score);
                    found.push((shape, p.public_rows));
                }
                None => still_open.push(limits),
            }
        }
        open = still_open;
    }
    Ok(found)
}
