//! Normalization: BatchNormalization with constant statistics ([`batch`]), and the ops that
//! normalize with statistics of their own input: Softmax / LogSoftmax ([`softmax`]),
//! LayerNormalization and InstanceNormalization ([`layer`]), LRN ([`lrn`]).
//!
//! Each submodule states its fixed-point function and error bound; all values are at the
//! activation scale `s = s_a` (`ulp = 2^-s`).

mod batch;
mod layer;
mod lrn;
pub mod softmax;

use onnx_import::eval::strides;
use onnx_import::ir::Op;

use super::{CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};

/// Dispatches the family's ops.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    match cx.node.op {
        Op::BatchNormalization { .. } => batch::eval(b, cx, inputs),
        Op::Softmax {
            axis,
            log,
            coerce_2d,
        } => softmax::eval(b, cx, inputs, axis, log, coerce_2d),
        Op::LayerNormalization { axis, epsilon } => layer::layer_norm(b, cx, inputs, axis, epsilon),
        Op::InstanceNormalization { epsilon } => layer::instance_norm(b, cx, inputs, epsilon),
        Op::Lrn {
            size,
            alpha,
            beta,
            bias,
        } => lrn::eval(b, cx, inputs, size, alpha, beta, bias),
        ref other => Err(CircuitError::unsupported(format!(
            "{} is not a normalization",
            other.name()
        ))),
    }
}

/// Flat indices of `shape`'s elements grouped per normalized slice: the elements along
/// `axis` (one group per position of the other axes, row-major), or with `trailing` the
/// contiguous blocks over every axis `>= axis`. Matches the float evaluator's grouping.
pub(crate) fn axis_groups(shape: &[usize], axis: usize, trailing: bool) -> Result<Vec<Vec<usize>>> {
    if axis >= shape.len() {
        return Err(CircuitError::unsupported(format!(
            "axis {axis} is out of range for shape {shape:?}"
        )));
    }
    let total: usize = shape.iter().product();
    if trailing {
        let block: usize = shape[axis..].iter().product();
        if block == 0 {
            return Ok(Vec::new());
        }
        return Ok((0..total / block)
            .map(|g| (g * block..(g + 1) * block).collect())
            .collect());
    }
    let st = strides(shape);
    let (n, inner) = (shape[axis], st[axis]);
    let outer: usize = shape[..axis].iter().product();
    let mut groups = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            groups.push((0..n).map(|k| o * n * inner + k * inner + i).collect());
        }
    }
    Ok(groups)
}
