//! Planning for the least proving memory ([`Layout::Memory`](super::Layout::Memory)).
//!
//! A prover holds every committed and preprocessed column in a few forms, plus per-row
//! buffers (the SRS, the vanishing argument, the range table): its peak is about
//! `base + 2^k × (r + c·(W + P))` ([`predicted_prove_peak_bytes`]). The cells a model needs
//! hardly depend on `k`, so halving the rows and doubling the columns keeps the `c·(W + P)`
//! part and halves the `r` part and the range table — until the per-column overheads
//! (selectors, permutation sigmas, a constants column) and the public cells win. This
//! planner lays the model out at every `k` in reach, takes at each the narrowest shape that
//! fits with up to [`MEMORY_MAX_ADVICE`] flex-gate columns, and keeps the one with the
//! lowest predicted peak (the faster one on a tie). The search over `k` stops once even the
//! narrowest shape at that size would need more memory than the best found.
//!
//! Hashes (hashed visibility, split boundaries) go to the dedicated Poseidon gate
//! ([`super::poseidon`]): per permutation `648` rows of one lane (about 6 columns, in as
//! many lanes as the rows at `k` need) instead of about 7,500 flex-gate cells, each with its
//! selector and permutation column. Only this layout uses it: the others keep the
//! constraint systems, keys and verifier costs they had.

use onnx_import::ir::Graph;

use super::circuit::{CircuitShape, K_RANGE};
use super::evm_cost::{predicted_prove_peak_bytes, predicted_prove_seconds};
use super::evm_plan::narrowest;
use super::plan::{check_plannable, effective_limits, lay, probe, Laid, LayoutLimits};
use super::plan::{first_k_of, search_in_parallel, PROBE_MAX_DOT, PROBE_MAX_GROUPS, START_K};
use crate::error::{CircuitError, Result};
use crate::quant::QuantParams;
use crate::visibility::Visibilities;

/// Most flex-gate (and range-lookup) advice columns the memory planner accepts. Far above
/// what halves the memory of the models we measured (LeNet-5's largest segment is at its
/// least near 40); a bound so that a tiny `k` cannot ask for thousands of columns.
pub const MEMORY_MAX_ADVICE: usize = 96;

/// The shape with the lowest predicted peak proving memory (see the module docs).
pub fn plan_memory(
    graph: &Graph,
    params: &QuantParams,
    vis: &Visibilities,
) -> Result<CircuitShape> {
    check_plannable(graph, params)?;
    let results = search_in_parallel(&[true, false], "memory", |range_lookup| {
        search_family(graph, params, vis, range_lookup)
    });
    let mut best: Option<CircuitShape> = None;
    for r in results {
        if let Some(shape) = r? {
            if best.as_ref().is_none_or(|b| better(&shape, b)) {
                best = Some(shape);
            }
        }
    }
    best.ok_or_else(|| CircuitError::Settings {
        message: format!("the model does not fit in 2^{} rows", K_RANGE.1),
    })
}

/// Less predicted memory, or as much and faster.
fn better(a: &CircuitShape, b: &CircuitShape) -> bool {
    let (ma, mb) = (predicted_prove_peak_bytes(a), predicted_prove_peak_bytes(b));
    ma < mb || (ma == mb && predicted_prove_seconds(a) < predicted_prove_seconds(b))
}

/// The limits every probe is read with: as wide as the memory layout goes, so that
/// [`Probe::shape`] returns the narrowest columns that fit at the probe's `k`.
fn widest(range_lookup: bool, dot: bool, vis: &Visibilities) -> LayoutLimits {
    effective_limits(
        &LayoutLimits {
            max_advice: MEMORY_MAX_ADVICE,
            range_lookup,
            max_dot: if dot { PROBE_MAX_DOT } else { 0 },
            max_groups: PROBE_MAX_GROUPS,
        },
        vis,
    )
}

/// The best shape of one range-check family, products in the packed gate whenever the
/// model has any (one advice and one fixed cell per multiply-add: the fewest cells).
fn search_family(
    graph: &Graph,
    params: &QuantParams,
    vis: &Visibilities,
    range_lookup: bool,
) -> Result<Option<CircuitShape>> {
    let committed = widest(range_lookup, false, vis).max_dot > 0;
    // Without range lookups the layout does not depend on k: lay out once. With them, lay
    // out at each k, starting just below the smallest k at which the cells could fit in
    // the widest shape (estimated from one layout at START_K).
    let lay_once =
        |dot: bool| -> Result<Laid> { lay(graph, params, K_RANGE.0, dot, false, true, vis) };
    let mut dot = true;
    let (mut laid, first) = if range_lookup {
        (None, probe(graph, params, START_K, dot, true, true, vis)?)
    } else {
        let mut l = lay_once(dot)?;
        let p = l.at(K_RANGE.0);
        (Some(l), p)
    };
    let mut start = range_lookup.then(|| first.clone());
    let mut first_k = K_RANGE.0;
    if first.dot_rows.is_empty() && !committed {
        // No products: the packed gate would be empty.
        dot = false;
        start = None;
        if !range_lookup {
            laid = Some(lay_once(dot)?);
        }
    } else if range_lookup {
        first_k = first_k_of(&first, MEMORY_MAX_ADVICE);
    }
    let limits = widest(range_lookup, dot, vis);
    let mut best: Option<CircuitShape> = None;
    for k in first_k..=K_RANGE.1 {
        let p = match (&mut laid, &start) {
            (Some(l), _) => l.at(k),
            (None, Some(p0)) if p0.k == k => p0.clone(),
            _ => probe(graph, params, k, dot, range_lookup, true, vis)?,
        };
        if let Some(b) = &best {
            // The narrowest shape bounds this k's memory from below; more rows only add.
            if predicted_prove_peak_bytes(&narrowest(&p, vis)) > predicted_prove_peak_bytes(b) {
                break;
            }
        }
        if let Some(shape) = p.shape(&limits, vis) {
            if best.as_ref().is_none_or(|b| better(&shape, b)) {
                best = Some(shape);
            }
        }
    }
    Ok(best)
}
