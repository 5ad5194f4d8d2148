//! The planner: the smallest circuit shape (rows `2^k`, columns, packed-gate width, lookup
//! groups) that fits a model's layout within a [`Layout`]'s column limits.
//!
//! A layout is probed once per `(k, packed gate on/off, range lookup on/off)` ([`probe`]): the
//! flex-gate columns halo2-base needs at that `k`, the rows of the packed products for every
//! width and of the function-table lookups for every group count. [`LayoutLimits`] then say
//! which of those probes fit; the EVM planner ([`super::evm_plan`]) compares many limits on
//! the same probes.

use halo2_base::gates::circuit::CircuitBuilderStage;
use onnx_import::ir::Graph;
use serde::{Deserialize, Serialize};

use super::circuit::{
    layout, shaped_builder, unusable_rows, zero_inputs, CircuitShape, Layout, K_RANGE,
    UNUSABLE_ROWS,
};
use super::poseidon::{PoseidonTable, ROWS_PER_PERM};
use crate::error::{CircuitError, Result};
use crate::quant::QuantParams;
use crate::visibility::{ParamVisibility, Visibilities};

/// The column limits a plan must respect: the planner takes the smallest `k` at which the
/// model fits within them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LayoutLimits {
    /// Most flex-gate (and range-lookup) advice columns.
    pub max_advice: usize,
    /// Range checks by lookup table (true) or by bit decomposition (false).
    pub range_lookup: bool,
    /// Most packed-gate terms per row (0: no packed gate).
    pub max_dot: usize,
    /// Most function-table lookup groups.
    pub max_groups: usize,
}

impl LayoutLimits {
    /// A short name, e.g. `4 adv, range lookup, dot 8, 1 group`.
    pub fn label(&self) -> String {
        format!(
            "{} adv, {}, dot {}, {} grp",
            self.max_advice,
            if self.range_lookup {
                "range lookup"
            } else {
                "range bits"
            },
            self.max_dot,
            self.max_groups
        )
    }
}

impl Layout {
    /// The column limits of a fixed layout; `None` for [`Layout::Evm`] and
    /// [`Layout::Memory`], which search.
    pub fn limits(self) -> Option<LayoutLimits> {
        match self {
            Layout::Evm | Layout::Memory => None,
            l => Some(LayoutLimits {
                max_advice: l.max_advice_columns(),
                range_lookup: l.range_lookup(),
                max_dot: l.max_dot_columns(),
                max_groups: l.max_lookup_groups(),
            }),
        }
    }
}

/// [`plan_for`] with the default [`Layout::Speed`].
pub fn plan(graph: &Graph, params: &QuantParams) -> Result<CircuitShape> {
    plan_for(graph, params, Layout::Speed)
}

/// [`plan_with`] with the default visibility (public inputs and outputs, fixed parameters).
pub fn plan_for(graph: &Graph, params: &QuantParams, layout_goal: Layout) -> Result<CircuitShape> {
    plan_with(graph, params, layout_goal, &Visibilities::default())
}

/// Plans for `layout_goal`: [`plan_limits`] with its limits, for [`Layout::Evm`] the shape
/// [`super::plan_evm`] chooses with the default options, for [`Layout::Memory`] the one
/// [`super::plan_memory`] chooses.
pub fn plan_with(
    graph: &Graph,
    params: &QuantParams,
    layout_goal: Layout,
    vis: &Visibilities,
) -> Result<CircuitShape> {
    match (layout_goal, layout_goal.limits()) {
        (_, Some(limits)) => plan_limits(graph, params, &limits, vis),
        (Layout::Memory, None) => super::mem_plan::plan_memory(graph, params, vis),
        (_, None) => Ok(super::evm_plan::plan_evm(graph, params, vis, &Default::default())?.shape),
    }
}

/// One layout of the model at one `k`: everything needed to tell which limits it fits.
#[derive(Clone, Debug)]
pub struct Probe {
    /// log2 of the rows.
    pub k: u32,
    /// Whether range checks used the lookup table.
    pub range_lookup: bool,
    /// Whether products went to the packed gate.
    pub dot: bool,
    /// halo2-base's columns for this layout at `k`.
    pub config: halo2_base::gates::circuit::BaseCircuitParams,
    /// Rows of the packed products at width `m`, for `m = 1..=dot_rows.len()`; empty
    /// without packed products.
    pub dot_rows: Vec<usize>,
    /// Rows of the lookups with `g` groups, `g = 1..=lookup_rows.len()`; empty without
    /// function tables.
    pub lookup_rows: Vec<usize>,
    /// Rows of the function tables (all groups share them).
    pub table_rows: usize,
    /// Public cells (instances).
    pub public_rows: usize,
    /// Whether hashing went to the dedicated Poseidon gate.
    pub poseidon_gate: bool,
    /// Permutations recorded for that gate.
    pub poseidon_perms: usize,
}

/// Widest packed gate and most lookup groups a probe records.
pub const PROBE_MAX_DOT: usize = 32;
/// See [`PROBE_MAX_DOT`].
pub const PROBE_MAX_GROUPS: usize = 4;

/// Where the planners that search `k` with range lookups first lay the model out, to
/// estimate its cells ([`first_k_of`]).
pub(super) const START_K: u32 = 14;

/// The first `k` worth probing for shapes of up to `widest` flex-gate columns, from a probe
/// at [`START_K`]: one below the smallest `k` at which that probe's cells fit `widest`
/// columns (cells hardly depend on `k`; one below, because the estimate is rough).
pub(super) fn first_k_of(start: &Probe, widest: usize) -> u32 {
    let adv: usize = start.config.num_advice_per_phase.iter().sum();
    let cells = adv as f64 * usable_rows(start.k) as f64;
    let k_est = (cells / widest.max(1) as f64).max(1.0).log2().ceil() as u32;
    k_est.saturating_sub(1).clamp(K_RANGE.0, start.k)
}

/// Usable rows at `k`.
pub fn usable_rows(k: u32) -> usize {
    (1usize << k) - UNUSABLE_ROWS - 1
}

/// The model laid out once with zero inputs: [`Laid::at`] reads its probe at any `k`.
pub struct Laid {
    builder: halo2_base::gates::circuit::builder::BaseCircuitBuilder<
        halo2_base::halo2_proofs::halo2curves::bn256::Fr,
    >,
    range_lookup: bool,
    dot: bool,
    dot_rows: Vec<usize>,
    lookup_rows: Vec<usize>,
    table_rows: usize,
    public_rows: usize,
    poseidon_gate: bool,
    poseidon: PoseidonTable,
}

/// Lays the model out once at `k` (range checks by lookup decompose into `k − 1`-bit limbs,
/// so with `range_lookup` the layout depends on `k`; without, it does not). With
/// `poseidon_gate` hashes use the dedicated Poseidon gate.
pub fn lay(
    graph: &Graph,
    params: &QuantParams,
    k: u32,
    dot: bool,
    range_lookup: bool,
    poseidon_gate: bool,
    vis: &Visibilities,
) -> Result<Laid> {
    let lookup_bits = k as usize - 1;
    let builder = shaped_builder(CircuitBuilderStage::Keygen, k, lookup_bits);
    let zeros = zero_inputs(graph);
    // The flex-gate layout does not depend on the packed gate's width: lay out once with
    // width 1, then take the narrowest width whose rows fit.
    let built = layout(
        builder,
        graph,
        params,
        &zeros,
        usize::from(dot),
        range_lookup,
        poseidon_gate,
        true,
        vis,
    )?;
    let dots = &built.circuit.dots;
    let dot_rows = if dots.dots.is_empty() {
        Vec::new()
    } else {
        (1..=PROBE_MAX_DOT).map(|m| dots.rows(m)).collect()
    };
    let lookups = &built.circuit.lookups;
    let (lookup_rows, table_rows) = if lookups.records.is_empty() {
        (Vec::new(), 0)
    } else {
        (
            (1..=PROBE_MAX_GROUPS).map(|g| lookups.rows(g)).collect(),
            lookups.table_rows(),
        )
    };
    Ok(Laid {
        public_rows: built.circuit.public_rows,
        builder: built.circuit.builder,
        range_lookup,
        dot,
        dot_rows,
        lookup_rows,
        table_rows,
        poseidon_gate,
        poseidon: built.circuit.poseidon,
    })
}

impl Laid {
    /// This layout's probe at `k`: the flex-gate columns halo2-base needs for its cells in
    /// `2^k` rows. Only exact at the `k` it was laid out at when it uses range lookups.
    pub fn at(&mut self, k: u32) -> Probe {
        self.builder.set_k(k as usize);
        self.builder.set_lookup_bits(k as usize - 1);
        let lanes = usize::from(self.poseidon_gate && !self.poseidon.inputs.is_empty());
        let config = self.builder.calculate_params(Some(unusable_rows(lanes)));
        Probe {
            k,
            range_lookup: self.range_lookup,
            dot: self.dot,
            config,
            dot_rows: self.dot_rows.clone(),
            lookup_rows: self.lookup_rows.clone(),
            table_rows: self.table_rows,
            public_rows: self.public_rows,
            poseidon_gate: self.poseidon_gate,
            poseidon_perms: self.poseidon.inputs.len(),
        }
    }
}

/// Lays the model out once at `k` with zero inputs and reads its probe there.
pub fn probe(
    graph: &Graph,
    params: &QuantParams,
    k: u32,
    dot: bool,
    range_lookup: bool,
    poseidon_gate: bool,
    vis: &Visibilities,
) -> Result<Probe> {
    Ok(lay(graph, params, k, dot, range_lookup, poseidon_gate, vis)?.at(k))
}

impl Probe {
    /// Lanes of the Poseidon gate at `usable` rows (0 without the gate or without hashing);
    /// `None` when one permutation does not fit.
    pub fn poseidon_lanes(&self, usable: usize) -> Option<usize> {
        if !self.poseidon_gate || self.poseidon_perms == 0 {
            return Some(0);
        }
        let per_lane = usable / ROWS_PER_PERM;
        (per_lane > 0).then(|| self.poseidon_perms.div_ceil(per_lane))
    }

    /// The shape this probe gives within `limits`, if it fits (`limits.range_lookup` must
    /// match the probe's, and a packed gate needs `limits.max_dot ≥ 1`).
    pub fn shape(&self, limits: &LayoutLimits, vis: &Visibilities) -> Option<CircuitShape> {
        if limits.range_lookup != self.range_lookup || (self.dot != (limits.max_dot > 0)) {
            return None;
        }
        let gate = usize::from(self.poseidon_gate && self.poseidon_perms > 0);
        let usable = (1usize << self.k) - unusable_rows(gate) - 1;
        let advice: usize = self.config.num_advice_per_phase.iter().sum();
        let lookup_advice: usize = self.config.num_lookup_advice_per_phase.iter().sum();
        if advice > limits.max_advice || lookup_advice > limits.max_advice {
            return None;
        }
        if self.public_rows + 4 > usable {
            return None;
        }
        let dot_columns = if self.dot_rows.is_empty() {
            0
        } else {
            let widest = limits.max_dot.min(self.dot_rows.len());
            (1..=widest).find(|m| self.dot_rows[m - 1] <= usable)?
        };
        let lookup_groups = if self.lookup_rows.is_empty() {
            0
        } else if self.table_rows > usable {
            return None;
        } else {
            let most = limits.max_groups.min(self.lookup_rows.len());
            (1..=most).find(|g| self.lookup_rows[g - 1] <= usable)?
        };
        Some(CircuitShape {
            k: self.k,
            lookup_bits: self.k as usize - 1,
            config: self.config.clone(),
            break_points: Vec::new(),
            dot_columns,
            range_lookup: self.range_lookup,
            lookup_groups,
            visibility: *vis,
            poseidon_lanes: self.poseidon_lanes(usable)?,
        })
    }
}

/// Runs `search` on every item in its own thread and returns the results in item order; a
/// panicking search is a [`CircuitError::Settings`] naming `planner`.
pub(super) fn search_in_parallel<I: Copy + Send, R: Send>(
    items: &[I],
    planner: &str,
    search: impl Fn(I) -> Result<R> + Sync,
) -> Vec<Result<R>> {
    std::thread::scope(|s| {
        let search = &search;
        let handles: Vec<_> = items
            .iter()
            .map(|&item| s.spawn(move || search(item)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(CircuitError::Settings {
                        message: format!("the {planner} planner's search thread panicked"),
                    })
                })
            })
            .collect()
    })
}

/// Checks what every plan needs before probing: valid parameters, a graph within the
/// budget, and at least one public element.
pub(super) fn check_plannable(graph: &Graph, params: &QuantParams) -> Result<()> {
    params.validate()?;
    // Before the placeholder inputs are allocated: an absurd graph is a named error.
    crate::ops::check_budget(graph)?;
    let public: usize = graph
        .inputs
        .iter()
        .chain(&graph.outputs)
        .map(|&id| graph.values[id].shape.iter().product::<usize>())
        .sum();
    if public == 0 {
        return Err(CircuitError::Settings {
            message: "every input and output of the model is empty (zero elements), so a \
                      proof would state nothing; give the model inputs or outputs with at \
                      least one element"
                .into(),
        });
    }
    Ok(())
}

/// Committed parameters need the packed gate (their commitments are its weight columns), so
/// it gets at least one term per row even where `limits` has none.
pub(super) fn effective_limits(limits: &LayoutLimits, vis: &Visibilities) -> LayoutLimits {
    let mut l = *limits;
    if vis.params == ParamVisibility::Committed {
        l.max_dot = l.max_dot.max(1);
    }
    l
}

/// Chooses the smallest `k` whose layout fits `limits`, and records the resulting column
/// configuration (break points come later, from key generation).
pub fn plan_limits(
    graph: &Graph,
    params: &QuantParams,
    limits: &LayoutLimits,
    vis: &Visibilities,
) -> Result<CircuitShape> {
    check_plannable(graph, params)?;
    let limits = effective_limits(limits, vis);
    for k in K_RANGE.0..=K_RANGE.1 {
        let p = probe(
            graph,
            params,
            k,
            limits.max_dot > 0,
            limits.range_lookup,
            false,
            vis,
        )?;
        if let Some(shape) = p.shape(&limits, vis) {
            return Ok(shape);
        }
    }
    Err(CircuitError::Settings {
        message: format!("the model does not fit in 2^{} rows", K_RANGE.1),
    })
}
