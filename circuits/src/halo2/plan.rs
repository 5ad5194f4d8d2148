//! The planner: the smallest circuit shape (rows `2^k`, columns, packed-gate width, lookup
//! groups) that fits a model's layout within a [`Layout`]'s column limits.

use halo2_base::gates::circuit::CircuitBuilderStage;
use onnx_import::ir::Graph;

use super::circuit::{
    layout, shaped_builder, zero_inputs, CircuitShape, Layout, K_RANGE, UNUSABLE_ROWS,
};
use crate::error::{CircuitError, Result};
use crate::quant::QuantParams;
use crate::visibility::{ParamVisibility, Visibilities};

/// [`plan_for`] with the default [`Layout::Speed`].
pub fn plan(graph: &Graph, params: &QuantParams) -> Result<CircuitShape> {
    plan_for(graph, params, Layout::Speed)
}

/// [`plan_with`] with the default visibility (public inputs and outputs, fixed parameters).
pub fn plan_for(graph: &Graph, params: &QuantParams, layout_goal: Layout) -> Result<CircuitShape> {
    plan_with(graph, params, layout_goal, &Visibilities::default())
}

/// Chooses the smallest `k` whose layout fits the column limits of `layout`, and records the
/// resulting column configuration (break points come later, from key generation). Committed
/// parameters need the packed gate (their commitments are its weight columns), so it gets at
/// least one term per row even in the `gas` layout.
pub fn plan_with(
    graph: &Graph,
    params: &QuantParams,
    layout_goal: Layout,
    vis: &Visibilities,
) -> Result<CircuitShape> {
    params.validate()?;
    let max_advice = layout_goal.max_advice_columns();
    let max_dot = if vis.params == ParamVisibility::Committed {
        layout_goal.max_dot_columns().max(1)
    } else {
        layout_goal.max_dot_columns()
    };
    let max_groups = layout_goal.max_lookup_groups();
    // Before the placeholder inputs are allocated: an absurd graph is a named error.
    crate::ops::check_budget(graph)?;
    let zeros = zero_inputs(graph);
    let try_k = |k: u32| -> Result<(CircuitShape, bool)> {
        let lookup_bits = k as usize - 1;
        let builder = shaped_builder(CircuitBuilderStage::Keygen, k, lookup_bits);
        // The flex-gate layout does not depend on the packed gate's width: lay out once,
        // then take the narrowest width whose rows fit.
        let range_lookup = layout_goal.range_lookup();
        let mut built = layout(
            builder,
            graph,
            params,
            &zeros,
            max_dot.min(1),
            range_lookup,
            true,
            vis,
        )?;
        let config = built.circuit.builder.calculate_params(Some(UNUSABLE_ROWS));
        let usable = (1usize << k) - UNUSABLE_ROWS - 1;
        let dots = &built.circuit.dots;
        let dot_columns = if dots.dots.is_empty() {
            0
        } else {
            (1..=max_dot)
                .find(|m| dots.rows(*m) <= usable)
                .unwrap_or(max_dot + 1)
        };
        let lookups = &built.circuit.lookups;
        let lookup_groups = if lookups.records.is_empty() {
            0
        } else if lookups.table_rows() > usable {
            max_groups + 1
        } else {
            (1..=max_groups)
                .find(|g| lookups.rows(*g) <= usable)
                .unwrap_or(max_groups + 1)
        };
        let public_fit = built.circuit.public_rows + 4 <= usable;
        Ok((
            CircuitShape {
                k,
                lookup_bits,
                config,
                break_points: Vec::new(),
                dot_columns,
                range_lookup,
                lookup_groups,
                visibility: *vis,
            },
            public_fit,
        ))
    };
    let fits = |s: &CircuitShape| {
        s.config.num_advice_per_phase.iter().sum::<usize>() <= max_advice
            && s.config.num_lookup_advice_per_phase.iter().sum::<usize>() <= max_advice
            && s.dot_columns <= max_dot
            && s.lookup_groups <= max_groups
    };
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
    for k in K_RANGE.0..=K_RANGE.1 {
        let (shape, public_fit) = try_k(k)?;
        if public_fit && fits(&shape) {
            return Ok(shape);
        }
    }
    Err(CircuitError::Settings {
        message: format!("the model does not fit in 2^{} rows", K_RANGE.1),
    })
}
