//! The model circuit: public inputs → every node's layout → public outputs.
//!
//! One instance column holds the quantized inputs (in graph-input order, row-major) followed
//! by the quantized outputs. Weights enter as constants in fixed columns, so the verifying
//! key commits to the model. The layout depends only on the model and the settings, never
//! on input values, so the same model always gives the same keys.
//!
//! Function tables ([`Backend::lookup`](crate::backend::Backend::lookup), see
//! [`super::lookup`]) are fixed columns too, registered in order of first use, so the same
//! model gives the same tags and tables. The planner sizes them: the whole table
//! (`1 + Σ rows`) and the lookups spread over the lookup groups (`⌈lookups / groups⌉`) must
//! each fit in the usable rows `2^k − UNUSABLE_ROWS − 1`. It takes the smallest `k` at which
//! everything fits, then the fewest groups (at most [`Layout::max_lookup_groups`]). A model
//! without tables has no lookup columns at all, exactly the circuit from before tables.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use onnx_import::ir::Graph;
use serde::{Deserialize, Serialize};

pub use super::plan::{plan, plan_for, plan_with};

use super::backend::Halo2Backend;
use super::dot::DotWeights;
use super::field::{fe_to_i128, i128_to_fe};
use super::lookup::LookupTable;
use super::model::{is_zero, ModelCircuit, ModelCircuitParams};
use crate::backend::ParamStore;
use crate::error::{CircuitError, Result};
use crate::hash::hash_values;
use crate::native::NativeBackend;
use crate::ops::{eval_graph, CellTensor};
use crate::quant::QuantParams;
use crate::visibility::{
    activation_hash_bits, param_hash, ParamVisibility, Visibilities, Visibility,
};

/// Rows at the bottom of the table reserved for halo2's blinding factors.
pub const UNUSABLE_ROWS: usize = 20;

/// [`UNUSABLE_ROWS`] for a circuit with the Poseidon gate: its state column is queried at 18
/// rotations, so halo2 blinds `18 + 2` rows and leaves `2^k − 21` usable.
pub const POSEIDON_UNUSABLE_ROWS: usize = 21;

/// Rows reserved at the bottom for a circuit with `poseidon_lanes` Poseidon lanes.
pub fn unusable_rows(poseidon_lanes: usize) -> usize {
    if poseidon_lanes > 0 {
        POSEIDON_UNUSABLE_ROWS
    } else {
        UNUSABLE_ROWS
    }
}
/// What the planner optimizes: how many columns it accepts before it doubles the rows.
///
/// Wide layouts prove faster (smaller FFTs, a smaller range table); narrow ones give smaller
/// proofs and cheaper verification, on chain above all (each column is a commitment the
/// verifier multiplies by a scalar: an EVM `ecMul` at 6,000 gas plus calldata).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Fastest proving: up to 16 flex-gate columns and 32 packed multiply-adds per row.
    #[default]
    Speed,
    /// Cheapest verification: one flex-gate column, range checks by bit decomposition (no
    /// range lookup argument), no packed gate. A model with function tables (non-linear
    /// ops such as Exp or Log) still gets exactly one lookup group, hence one lookup
    /// argument: there is no cheaper way to constrain those functions.
    Gas,
    /// On-chain verification: the planner ([`super::plan_evm`]) compares layouts between
    /// `speed` and `gas` and takes the one with the lowest predicted verify gas plus
    /// weighted prove time. Its column limits are the widest of any layout.
    Evm,
    /// Least proving memory: the planner ([`super::plan_memory`]) compares every `k` with
    /// as many columns as the model needs there (up to
    /// [`MEMORY_MAX_ADVICE`](super::mem_plan::MEMORY_MAX_ADVICE) flex-gate columns) and
    /// takes the shape with the lowest predicted peak RSS of its prover
    /// ([`super::predicted_prove_peak_bytes`]): fewer rows, so smaller per-row buffers and
    /// range table, at about the same cells. For split proving, where each segment must fit
    /// one machine.
    Memory,
}

impl Layout {
    /// Most flex-gate (and lookup) advice columns accepted.
    pub fn max_advice_columns(self) -> usize {
        match self {
            Layout::Speed | Layout::Evm => 16,
            Layout::Gas => 1,
            Layout::Memory => super::mem_plan::MEMORY_MAX_ADVICE,
        }
    }

    /// Whether range checks use the lookup table.
    pub fn range_lookup(self) -> bool {
        self != Layout::Gas
    }

    /// Most groups of function-table lookup columns accepted (each group is three advice
    /// columns, a fixed tag column and one lookup argument).
    pub fn max_lookup_groups(self) -> usize {
        match self {
            Layout::Speed | Layout::Evm | Layout::Memory => 4,
            Layout::Gas => 1,
        }
    }

    /// Most packed-gate terms per row accepted (0: the packed gate is not used).
    pub fn max_dot_columns(self) -> usize {
        match self {
            Layout::Speed | Layout::Evm | Layout::Memory => 32,
            Layout::Gas => 0,
        }
    }
}
/// Smallest and largest supported circuit sizes (rows = 2^k).
pub const K_RANGE: (u32, u32) = (8, 24);

/// The physical shape of a model's circuit: everything keygen and proving must agree on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CircuitShape {
    /// log2 of the number of rows.
    pub k: u32,
    /// Bits of the range lookup table (`k - 1`).
    pub lookup_bits: usize,
    /// halo2-base column configuration.
    pub config: BaseCircuitParams,
    /// Where each advice column's region breaks; needed to prove with the witness-only
    /// layout. Empty after [`plan`]: halo2-base only knows them once the circuit has been
    /// synthesized, so key generation fills them in (read them with
    /// `builder.break_points()` after `keygen_pk`).
    #[serde(default)]
    pub break_points: Vec<Vec<usize>>,
    /// Terms per row of the packed dot-product gate; 0 keeps every product on the flex gate
    /// (the layout of settings written before the gate existed).
    #[serde(default)]
    pub dot_columns: usize,
    /// Range checks by lookup table (true) or by bit decomposition (false, [`Layout::Gas`]).
    #[serde(default = "yes")]
    pub range_lookup: bool,
    /// Groups of function-table lookup columns; 0 for models without tables (and in
    /// settings written before tables existed).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lookup_groups: usize,
    /// What the proof reveals of inputs, outputs and parameters; left out when it is the
    /// default (public inputs and outputs, fixed parameters), as in settings written before
    /// visibility existed.
    #[serde(default, skip_serializing_if = "Visibilities::is_default")]
    pub visibility: Visibilities,
    /// Lanes of the dedicated Poseidon gate ([`super::poseidon`]); 0 hashes on the flex gate
    /// (and is left out when written, as in settings written before the gate existed).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub poseidon_lanes: usize,
}

fn yes() -> bool {
    true
}

impl CircuitShape {
    /// The parameters the circuit's `configure` needs, for a circuit with `public_rows`
    /// public cells (the model's input and output element count; the shape does not hold it).
    pub fn circuit_params(&self, public_rows: usize) -> ModelCircuitParams {
        ModelCircuitParams {
            base: self.config.clone(),
            dot_columns: self.dot_columns,
            lookup_groups: self.lookup_groups,
            public_rows,
            dot_weights: dot_weights(self.visibility.params),
            kzg_accumulator: false,
            poseidon_lanes: self.poseidon_lanes,
        }
    }
}

/// Where the packed gate's weights live for parameters of visibility `p`.
pub fn dot_weights(p: ParamVisibility) -> DotWeights {
    match p {
        ParamVisibility::Fixed => DotWeights::Fixed,
        ParamVisibility::Private | ParamVisibility::Hashed => DotWeights::Copied,
        ParamVisibility::Committed => DotWeights::Committed,
    }
}

/// The Poseidon hashes a statement exposes, as the circuit computes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartHashes {
    /// Of the quantized inputs (all graph inputs, in order, row-major), when hashed.
    pub input: Option<Fr>,
    /// Of the quantized outputs, when hashed.
    pub output: Option<Fr>,
    /// Of the quantized parameters in load order, when hashed.
    pub params: Option<Fr>,
}

/// A laid-out circuit together with what it exposes.
pub struct BuiltCircuit {
    /// The circuit; it implements `halo2_proofs::plonk::Circuit`.
    pub circuit: ModelCircuit,
    /// The public instance column.
    pub instances: Vec<Fr>,
    /// Output integers as the circuit computed them.
    pub outputs: Vec<CellTensor<i128>>,
    /// Advice offsets `[start, end)` of each node's region in the main context.
    pub node_regions: Vec<(usize, usize)>,
    /// Packed products `[start, end)` of each node.
    pub node_dots: Vec<(usize, usize)>,
    /// The hashes among the instances.
    pub hashes: PartHashes,
    /// The quantized parameters in load order.
    pub param_values: Vec<i128>,
    /// The same with their roles (what hashed parameters hash: [`param_hash`]).
    pub param_store: ParamStore,
}

/// The natively computed hashes of a statement (the in-circuit ones must equal them).
fn native_hashes(
    vis: &Visibilities,
    params: &QuantParams,
    inputs: &[CellTensor<i128>],
    outputs: &[CellTensor<i128>],
    param_store: &ParamStore,
    placeholder: bool,
) -> Result<PartHashes> {
    let w_act = activation_hash_bits(params.bits);
    let flat = |t: &[CellTensor<i128>]| {
        t.iter()
            .flat_map(|t| t.data.iter().copied())
            .collect::<Vec<_>>()
    };
    let in_range = |vals: &[i128], w: u32, what: &str| -> Result<()> {
        let half = 1i128 << (w - 1);
        match vals.iter().find(|v| **v < -half || **v >= half) {
            Some(v) if !placeholder => Err(CircuitError::Settings {
                message: format!(
                    "{what} value {v} lies outside [-2^{}, 2^{}), the range hashed values are \
                     packed in",
                    w - 1,
                    w - 1
                ),
            }),
            _ => Ok(()),
        }
    };
    let mut h = PartHashes::default();
    if vis.input == Visibility::Hashed {
        let v = flat(inputs);
        in_range(&v, w_act, "an input")?;
        h.input = Some(hash_values(&v, w_act));
    }
    if vis.output == Visibility::Hashed {
        let v = flat(outputs);
        in_range(&v, w_act, "an output")?;
        h.output = Some(hash_values(&v, w_act));
    }
    if vis.params == ParamVisibility::Hashed {
        // Parameters are real in every stage: out of range is an error even when planning.
        h.params = Some(param_hash(param_store, params.bits, params.param_scale)?);
    }
    Ok(h)
}

pub(super) fn zero_inputs(graph: &Graph) -> Vec<CellTensor<i128>> {
    graph
        .inputs
        .iter()
        .map(|&id| {
            let shape = graph.values[id].shape.clone();
            let n = shape.iter().product();
            CellTensor {
                shape,
                data: vec![0; n],
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn layout(
    mut builder: BaseCircuitBuilder<Fr>,
    graph: &Graph,
    params: &QuantParams,
    inputs: &[CellTensor<i128>],
    dot_columns: usize,
    range_lookup: bool,
    poseidon_gate: bool,
    placeholder_inputs: bool,
    vis: &Visibilities,
) -> Result<BuiltCircuit> {
    builder.assigned_instances = Vec::new();
    builder.set_instance_columns(0);
    let range = builder.range_chip();
    // The public values head the first advice column in instance order (see
    // `model::PublicConfig`): the inputs, then placeholders for the outputs holding the
    // native evaluator's values, tied to the computed outputs by copy constraints below.
    // On placeholder inputs (planning, key generation) value errors such as a division by
    // zero are expected and only the layout matters; on real inputs they are reported.
    let mut native = if placeholder_inputs {
        NativeBackend::lenient(params.bits)
    } else {
        NativeBackend::new(params.bits)
    };
    let expected = eval_graph(&mut native, params, graph, inputs.to_vec())?;
    let param_store = native.params.clone();
    let hashes = native_hashes(
        vis,
        params,
        inputs,
        &expected.outputs,
        &param_store,
        placeholder_inputs,
    )?;
    let ctx = builder.main(0);
    let mut b = Halo2Backend::new(ctx, &range, params.bits).with_param_visibility(vis.params);
    if dot_columns > 0 {
        b = b.with_dot_gate();
    }
    if !range_lookup {
        b = b.without_lookups();
    }
    if poseidon_gate {
        b = b.with_poseidon_gate();
    }
    // The public cells first, in instance order (see `Visibilities::layout`).
    let mut public = Vec::new();
    let load_inputs = |b: &mut Halo2Backend<'_>| -> Vec<CellTensor<_>> {
        inputs
            .iter()
            .map(|t| CellTensor {
                shape: t.shape.clone(),
                data: t.data.iter().map(|v| b.load(*v)).collect(),
            })
            .collect()
    };
    let mut in_cells = Vec::new();
    if vis.input == Visibility::Public {
        in_cells = load_inputs(&mut b);
        public.extend(in_cells.iter().flat_map(|t| t.data.iter().copied()));
    }
    let mut placeholders: Vec<Vec<_>> = Vec::new();
    if vis.output == Visibility::Public {
        placeholders = expected
            .outputs
            .iter()
            .map(|t| t.data.iter().map(|v| b.load(*v)).collect())
            .collect();
        public.extend(placeholders.iter().flatten().copied());
    }
    let mut hash_cell = |h: Option<Fr>, b: &mut Halo2Backend<'_>| {
        h.map(|h| {
            let c = b.load_fe(h);
            public.push(c);
            c
        })
    };
    let input_hash = hash_cell(hashes.input, &mut b);
    let output_hash = hash_cell(hashes.output, &mut b);
    let param_hash = hash_cell(hashes.params, &mut b);
    if vis.input != Visibility::Public {
        in_cells = load_inputs(&mut b);
    }
    let in_flat: Vec<_> = in_cells.iter().flat_map(|t| t.data.clone()).collect();
    let out = eval_graph(&mut b, params, graph, in_cells)?;
    for (t, p) in out.outputs.iter().zip(&placeholders) {
        for (c, q) in t.data.iter().zip(p) {
            b.constrain_equal(c, q);
        }
    }
    let w_act = activation_hash_bits(params.bits);
    if let Some(h) = input_hash {
        // Inputs were range-checked to [-2^B, 2^B) on entry (eval_graph).
        let c = b.hash_in_range(&in_flat, w_act)?;
        b.constrain_equal(&c, &h);
    }
    if let Some(h) = output_hash {
        let flat: Vec<_> = out.outputs.iter().flat_map(|t| t.data.clone()).collect();
        let c = b.hash_checked(&flat, w_act)?;
        b.constrain_equal(&c, &h);
    }
    if let Some(h) = param_hash {
        let c = b.hash_params(params.param_scale)?;
        b.constrain_equal(&c, &h);
    }
    let end = b.offset();
    let mut regions: Vec<(usize, usize)> = Vec::with_capacity(b.node_starts.len());
    for (i, s) in b.node_starts.iter().enumerate() {
        regions.push((*s, b.node_starts.get(i + 1).copied().unwrap_or(end)));
    }
    let dots = b.take_dots();
    let lookups = b.take_lookups();
    let poseidon = b.take_poseidon();
    let node_dots = b
        .node_dot_starts
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let e = b.node_dot_starts.get(i + 1).copied();
            (*s, e.unwrap_or(dots.dots.len()))
        })
        .collect();
    let mut outputs = Vec::with_capacity(out.outputs.len());
    for t in &out.outputs {
        let data = t
            .data
            .iter()
            .map(|c| {
                fe_to_i128(c.value()).ok_or(CircuitError::Overflow {
                    value_bits: 254,
                    limit_bits: 127,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        outputs.push(CellTensor {
            shape: t.shape.clone(),
            data,
        });
    }
    let instances = public.iter().map(|c| *c.value()).collect();
    builder.assigned_instances = Vec::new();
    Ok(BuiltCircuit {
        circuit: ModelCircuit {
            builder,
            dots,
            dot_columns,
            public_rows: public.len(),
            lookups,
            // Set by the caller, from the plan.
            lookup_groups: 0,
            dot_weights: dot_weights(vis.params),
            poseidon,
            // Set by the caller, from the plan.
            poseidon_lanes: 0,
        },
        instances,
        outputs,
        node_regions: regions,
        node_dots,
        hashes,
        param_values: param_store.values.clone(),
        param_store,
    })
}

pub(super) fn shaped_builder(
    stage: CircuitBuilderStage,
    k: u32,
    lookup_bits: usize,
) -> BaseCircuitBuilder<Fr> {
    let mut b = BaseCircuitBuilder::from_stage(stage).use_k(k as usize);
    b.set_lookup_bits(lookup_bits);
    b.set_instance_columns(0);
    b
}

/// Lays out the circuit for `stage` with quantized `inputs` (zeros are fine for keygen).
///
/// `Mock` and `Keygen` build constraints; `Prover` only generates the witness and needs
/// `shape.break_points` from key generation.
pub fn build(
    stage: CircuitBuilderStage,
    graph: &Graph,
    params: &QuantParams,
    shape: &CircuitShape,
    inputs: Option<&[CellTensor<i128>]>,
) -> Result<BuiltCircuit> {
    let zeros;
    let placeholder = inputs.is_none();
    let inputs = match inputs {
        Some(i) => i,
        None => {
            crate::ops::check_budget(graph)?;
            zeros = zero_inputs(graph);
            &zeros
        }
    };
    let builder = match stage {
        CircuitBuilderStage::Prover if shape.break_points.is_empty() => {
            return Err(CircuitError::Settings {
                message: "the circuit shape has no break points: run setup (key generation) first"
                    .into(),
            })
        }
        CircuitBuilderStage::Prover => {
            let mut b =
                BaseCircuitBuilder::prover(shape.config.clone(), shape.break_points.clone());
            b.set_lookup_bits(shape.lookup_bits);
            b.set_instance_columns(0);
            b
        }
        _ => shaped_builder(stage, shape.k, shape.lookup_bits).use_params(shape.config.clone()),
    };
    let mut built = layout(
        builder,
        graph,
        params,
        inputs,
        shape.dot_columns,
        shape.range_lookup,
        shape.poseidon_lanes > 0,
        placeholder,
        &shape.visibility,
    )?;
    built.circuit.lookup_groups = shape.lookup_groups;
    built.circuit.poseidon_lanes = shape.poseidon_lanes;
    let unusable = unusable_rows(shape.poseidon_lanes);
    let usable = (1usize << shape.k) - unusable - 1;
    // halo2-base fills the first column up to a few rows short of `usable` before it moves
    // to the next one; the public values must all be in the first.
    if built.circuit.public_rows + 4 > usable {
        return Err(CircuitError::Settings {
            message: format!(
                "{} public values do not fit in one column of 2^{} rows",
                built.circuit.public_rows, shape.k
            ),
        });
    }
    if built.circuit.dots.rows(shape.dot_columns) > usable {
        return Err(CircuitError::Settings {
            message: format!(
                "the packed dot products need {} rows at {} terms per row; 2^{} has {usable}",
                built.circuit.dots.rows(shape.dot_columns),
                shape.dot_columns,
                shape.k
            ),
        });
    }
    check_lookup_fit(&built.circuit.lookups, shape, usable)?;
    let poseidon_rows = built.circuit.poseidon.rows(shape.poseidon_lanes);
    if poseidon_rows > usable {
        return Err(CircuitError::Settings {
            message: format!(
                "the {} Poseidon permutations need {poseidon_rows} rows in {} lanes; 2^{} has \
                 {usable}: compile the model again",
                built.circuit.poseidon.inputs.len(),
                shape.poseidon_lanes,
                shape.k
            ),
        });
    }
    if stage != CircuitBuilderStage::Prover {
        // Re-derive break points deterministically (no-op when they match the plan).
        built.circuit.builder.calculate_params(Some(unusable));
    }
    Ok(built)
}

/// The function tables and lookups of a layout must fit the shape's rows and groups.
fn check_lookup_fit(lookups: &LookupTable, shape: &CircuitShape, usable: usize) -> Result<()> {
    if lookups.records.is_empty() {
        return Ok(());
    }
    let message = if shape.lookup_groups == 0 {
        format!(
            "the model uses {} function tables but the circuit shape has no lookup columns \
             (settings from before tables existed?): compile the model again",
            lookups.tables.len()
        )
    } else if lookups.table_rows() > usable {
        format!(
            "the function tables need {} rows; 2^{} has {usable}: use a smaller scale or \
             fewer bits, so the tables are shorter",
            lookups.table_rows(),
            shape.k
        )
    } else if lookups.rows(shape.lookup_groups) > usable {
        format!(
            "{} table lookups need {} rows in {} lookup groups; 2^{} has {usable}",
            lookups.records.len(),
            lookups.rows(shape.lookup_groups),
            shape.lookup_groups,
            shape.k
        )
    } else {
        return Ok(());
    };
    Err(CircuitError::Settings { message })
}

/// Encodes quantized tensors as instance values (for callers that rebuild instances).
pub fn encode_instances(tensors: &[CellTensor<i128>]) -> Vec<Fr> {
    tensors
        .iter()
        .flat_map(|t| t.data.iter().map(|v| i128_to_fe(*v)))
        .collect()
}
