//! Smooth scalar functions by table lookup with linear interpolation, or by range-checked
//! witness (Sqrt, Reciprocal); Pow with a constant exponent.

use super::{CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};

/// Dispatches the family's ops.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    let _ = (b, inputs);
    Err(CircuitError::unsupported(format!(
        "{} has no circuit yet",
        cx.node.op.name()
    )))
}
