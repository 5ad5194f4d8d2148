//! Float (f64) reference evaluator for the [`ir`](crate::ir) graph.
//!
//! [`eval_graph`] runs a whole graph on runtime inputs and returns its outputs;
//! [`eval_all`] returns every value (calibration needs the intermediates). Each operator family
//! lives in its own module. All arithmetic is in `f64`; ONNX `float32` data is widened first,
//! so results agree with a float32 runtime up to its rounding.
//!
//! The index helpers ([`broadcast_shape`], [`broadcast_index`], [`strides`],
//! [`shape_op_indices`]) are shared with the fixed-point evaluator and the circuits, so that
//! broadcasting and pure data-movement ops are wired identically everywhere.

mod activation;
mod arg;
mod einsum;
mod elementwise;
mod error;
mod linear;
mod logic;
mod nonlinear;
mod norm;
mod pool;
mod reduce;
mod resize;
mod shape;
#[cfg(test)]
mod tests;

pub use arg::{arg_output_shape, split_axis, topk_output_shape};
pub use error::EvalError;
pub use nonlinear::apply_fn;
pub use resize::{resize_taps, Taps};
pub use shape::{
    is_data_movement, resolve_runtime_indices, shape_op_indices, shape_op_output, shape_op_sources,
    IndexMap, Source, SourceMap,
};

use crate::ir::{Graph, Op, Tensor, ValueKind};

/// Row-major strides of `shape`: `strides[i]` is the flat distance between neighbours along
/// axis `i` (the last axis has stride 1). A scalar (empty shape) has no strides.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut out = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        out[i] = out[i + 1] * shape[i + 1];
    }
    out
}

/// Numpy / ONNX multidirectional broadcast of two shapes: shapes are right-aligned and each
/// pair of dimensions must be equal or contain a 1. Returns `None` when they are incompatible.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        // Dimension `i` of the output, counted from the left; missing leading dims are 1.
        let da = if i + a.len() >= rank {
            a[i + a.len() - rank]
        } else {
            1
        };
        let db = if i + b.len() >= rank {
            b[i + b.len() - rank]
        } else {
            1
        };
        out.push(match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        });
    }
    Some(out)
}

/// Flat index into an operand of shape `in_shape` that is broadcast to `out_shape`, for the
/// output element at flat (row-major) index `out_index`.
///
/// Shapes are right-aligned; an operand axis of size 1 always reads index 0. Precondition:
/// `in_shape` broadcasts to `out_shape` (see [`broadcast_shape`]) and
/// `out_index < product(out_shape)`; then the result is `< product(in_shape)`.
pub fn broadcast_index(out_index: usize, out_shape: &[usize], in_shape: &[usize]) -> usize {
    let mut rem = out_index;
    let mut idx = 0usize;
    let mut in_stride = 1usize;
    let offset = out_shape.len().saturating_sub(in_shape.len());
    for (i, &od) in out_shape.iter().enumerate().rev() {
        let coord = rem.checked_rem(od).unwrap_or(0);
        rem = rem.checked_div(od).unwrap_or(0);
        if i >= offset {
            let id = in_shape[i - offset];
            if id != 1 {
                idx += coord * in_stride;
            }
            in_stride *= id;
        }
    }
    idx
}

/// Evaluates one operator on its input tensors (in the node's input order).
///
/// Returns the output tensor, or a message describing why the inputs do not fit the operator
/// (wrong count, incompatible shapes, ...). [`eval_all`] wraps the message in
/// [`EvalError::Node`] with the node's name.
pub fn eval_op(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    for (i, t) in inputs.iter().enumerate() {
        if crate::shapes::checked_numel(&t.shape) != Some(t.data.len()) {
            return Err(format!(
                "input {i} has shape {:?} but {} element(s)",
                t.shape,
                t.data.len()
            ));
        }
    }
    match op {
        Op::Gemm {
            alpha,
            beta,
            trans_a,
            trans_b,
        } => linear::gemm(*alpha, *beta, *trans_a, *trans_b, inputs),
        Op::MatMul => linear::matmul(inputs),
        Op::Conv(attrs) => linear::conv(attrs, inputs),
        Op::ConvTranspose(attrs) => linear::conv_transpose(attrs, inputs),
        Op::Add | Op::Sub | Op::Mul | Op::Div => elementwise::binary(op, inputs),
        Op::Neg => elementwise::neg(inputs),
        Op::Relu | Op::LeakyRelu { .. } | Op::Clip { .. } => activation::eval(op, inputs),
        Op::BatchNormalization { epsilon } => norm::batch_norm(*epsilon, inputs),
        Op::MaxPool(attrs) => pool::max_pool(attrs, inputs),
        Op::AveragePool(attrs) => pool::average_pool(attrs, inputs),
        Op::GlobalAveragePool => pool::global_pool(false, inputs),
        Op::GlobalMaxPool => pool::global_pool(true, inputs),
        Op::ReduceSum { axes, keepdims } => reduce::reduce(axes, *keepdims, false, inputs),
        Op::ReduceMean { axes, keepdims } => reduce::reduce(axes, *keepdims, true, inputs),
        Op::Reduce {
            kind,
            axes,
            keepdims,
        } => reduce::reduce_kind(*kind, axes, *keepdims, inputs),
        Op::Abs | Op::Sign | Op::Floor | Op::Ceil | Op::Round | Op::Cast { .. } => {
            elementwise::unary(op, inputs)
        }
        Op::Variadic(v) => elementwise::variadic(*v, inputs),
        Op::PRelu { .. } | Op::Shrink { .. } => activation::eval(op, inputs),
        Op::Arg { .. } | Op::TopK { .. } => arg::eval(op, inputs),
        Op::Einsum(spec) => einsum::einsum(spec, inputs),
        Op::Flatten { .. }
        | Op::Reshape { .. }
        | Op::Transpose { .. }
        | Op::Concat { .. }
        | Op::Slice { .. }
        | Op::Squeeze { .. }
        | Op::Unsqueeze { .. }
        | Op::Gather { .. }
        | Op::GatherDynamic { .. }
        | Op::Identity
        | Op::Pad { .. }
        | Op::Expand { .. }
        | Op::Tile { .. }
        | Op::DepthToSpace { .. }
        | Op::SpaceToDepth { .. }
        | Op::Trilu { .. }
        | Op::GatherElements { .. }
        | Op::GatherND { .. }
        | Op::ScatterElements { .. }
        | Op::ScatterND { .. } => shape::eval(op, inputs),
        Op::Resize(attrs) => resize::eval(attrs, inputs),
        Op::Function(_) | Op::Pow { .. } => nonlinear::eval(op, inputs),
        Op::Softmax { .. }
        | Op::LayerNormalization { .. }
        | Op::InstanceNormalization { .. }
        | Op::Lrn { .. } => norm::eval(op, inputs),
        Op::Compare(_) | Op::Not | Op::Logic(_) | Op::Where => logic::eval(op, inputs),
        Op::ClipDynamic { .. } => activation::eval(op, inputs),
        Op::GatherElementsDynamic { .. } => shape::eval(op, inputs),
    }
}

/// Requires between `min` and `max` inputs (inclusive); used by every operator.
pub(crate) fn check_arity(inputs: &[&Tensor], min: usize, max: usize) -> Result<(), String> {
    if inputs.len() < min || inputs.len() > max {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!("expected {want} input(s), got {}", inputs.len()));
    }
    Ok(())
}

/// Evaluates the graph and returns the tensor of every value, indexed by
/// [`ValueId`](crate::ir::ValueId).
///
/// `inputs` are the runtime tensors in [`Graph::inputs`] order; each must have exactly its
/// input's static shape. Constants come from the value table. Every node's output is checked
/// against its declared static shape. Values that no node produces (and that are neither
/// inputs nor constants) stay `None`.
pub fn eval_all(graph: &Graph, inputs: &[Tensor]) -> Result<Vec<Option<Tensor>>, EvalError> {
    let input_names = || -> Vec<String> {
        graph
            .inputs
            .iter()
            .map(|&id| {
                graph
                    .values
                    .get(id)
                    .map_or_else(|| format!("#{id}"), |v| v.name.clone())
            })
            .collect()
    };
    if inputs.len() != graph.inputs.len() {
        return Err(EvalError::InputCount {
            expected: graph.inputs.len(),
            got: inputs.len(),
            names: input_names(),
        });
    }
    let mut table: Vec<Option<Tensor>> = graph
        .values
        .iter()
        .map(|v| match &v.kind {
            ValueKind::Constant(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    for (&id, tensor) in graph.inputs.iter().zip(inputs) {
        let value = graph.values.get(id).ok_or_else(|| EvalError::Graph {
            message: format!("graph input id {id} is not in the value table"),
        })?;
        if tensor.shape != value.shape {
            return Err(EvalError::InputShape {
                input: value.name.clone(),
                expected: value.shape.clone(),
                got: tensor.shape.clone(),
            });
        }
        let expected = crate::shapes::checked_numel(&tensor.shape);
        if expected != Some(tensor.data.len()) {
            return Err(EvalError::InputData {
                input: value.name.clone(),
                shape: tensor.shape.clone(),
                expected: expected.unwrap_or(usize::MAX),
                got: tensor.data.len(),
            });
        }
        table[id] = Some(tensor.clone());
    }
    for node in &graph.nodes {
        let node_err = |message: String| EvalError::Node {
            node: node.name.clone(),
            op: node.op.name(),
            message,
        };
        let mut operands = Vec::with_capacity(node.inputs.len());
        for &id in &node.inputs {
            match table.get(id) {
                Some(Some(t)) => operands.push(t),
                Some(None) => {
                    return Err(node_err(format!(
                        "input '{}' has not been computed (graph not in topological order?)",
                        graph.values[id].name
                    )))
                }
                None => return Err(node_err(format!("input id {id} is not in the value table"))),
            }
        }
        let out = eval_op(&node.op, &operands).map_err(node_err)?;
        let [out_id] = node.outputs[..] else {
            return Err(node_err(format!(
                "expected exactly one output, the node lists {}",
                node.outputs.len()
            )));
        };
        let declared = graph
            .values
            .get(out_id)
            .ok_or_else(|| node_err(format!("output id {out_id} is not in the value table")))?;
        if declared.shape != out.shape {
            return Err(node_err(format!(
                "computed output shape {:?} differs from the declared shape {:?} of '{}'",
                out.shape, declared.shape, declared.name
            )));
        }
        table[out_id] = Some(out);
    }
    Ok(table)
}

/// Evaluates the graph on `inputs` (in [`Graph::inputs`] order, each of its input's static
/// shape) and returns the output tensors in [`Graph::outputs`] order.
pub fn eval_graph(graph: &Graph, inputs: &[Tensor]) -> Result<Vec<Tensor>, EvalError> {
    let table = eval_all(graph, inputs)?;
    graph
        .outputs
        .iter()
        .map(|&id| match table.get(id) {
            Some(slot) => slot.clone().ok_or_else(|| EvalError::Graph {
                message: format!("output '{}' is never computed", graph.values[id].name),
            }),
            None => Err(EvalError::Graph {
                message: format!("output id {id} is not in the value table"),
            }),
        })
        .collect()
}
