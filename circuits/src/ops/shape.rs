//! Data-movement ops (Flatten, Reshape, Transpose, Concat, Slice, Squeeze, Unsqueeze, Gather,
//! Identity): pure wiring. The output reuses the input cells; no cell or constraint is added.
//! Constant inputs (e.g. a Concat with a constant block) become constant cells.

use onnx_import::eval::shape_op_indices;

use super::{materialize, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};

/// Evaluates a data-movement op by index mapping.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    let shapes: Vec<Vec<usize>> = inputs.iter().map(|o| o.shape().to_vec()).collect();
    let (shape, map) = shape_op_indices(&cx.node.op, &shapes).ok_or_else(|| {
        CircuitError::unsupported(format!(
            "{} cannot be applied to input shapes {shapes:?}",
            cx.node.op.name()
        ))
    })?;
    let tensors = inputs
        .iter()
        .map(|o| materialize(b, cx.params, *o))
        .collect::<Result<Vec<_>>>()?;
    let mut data = Vec::with_capacity(map.len());
    for (inp, idx) in map {
        let cell = tensors
            .get(inp)
            .and_then(|t| t.data.get(idx))
            .ok_or_else(|| CircuitError::unsupported("index out of range in a data-movement op"))?;
        data.push(cell.clone());
    }
    Ok(CellTensor { shape, data })
}
