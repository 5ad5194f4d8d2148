//! Relu, LeakyRelu and Clip: comparisons against zero or constants.
//!
//! Fixed-point function:
//! - Relu: `max(x, 0)`;
//! - LeakyRelu: `x` if `x >= 0`, else `div_round(x·q(alpha, s_p), 2^s_p)`;
//! - Clip: `min(max(x, q(lo, s_a)), q(hi, s_a))`.

use onnx_import::ir::Op;

use super::{arity, cells, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::{pow2, quantize};

/// Dispatches Relu, LeakyRelu and Clip.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let x = cells(&inputs[0], "activation input")?;
    let p = cx.params;
    let mut data = Vec::with_capacity(x.data.len());
    match &cx.node.op {
        Op::Relu => {
            for v in &x.data {
                data.push(b.relu(v)?);
            }
        }
        Op::LeakyRelu { alpha } => {
            let qa = quantize(*alpha, p.param_scale, "LeakyRelu alpha")?;
            for v in &x.data {
                let n = b.is_negative(v)?;
                let scaled = b.mul_const(v, qa)?;
                let neg = b.div_round(&scaled, pow2(p.param_scale))?;
                data.push(b.select(&n, &neg, v)?);
            }
        }
        Op::Clip { min, max } => {
            let lo = min
                .map(|m| quantize(m, p.input_scale, "Clip min"))
                .transpose()?;
            let hi = max
                .map(|m| quantize(m, p.input_scale, "Clip max"))
                .transpose()?;
            let lo_cell = lo.map(|v| b.constant(v)).transpose()?;
            let hi_cell = hi.map(|v| b.constant(v)).transpose()?;
            for v in &x.data {
                let mut y = v.clone();
                if let Some(lc) = &lo_cell {
                    y = b.max(&y, lc)?;
                }
                if let Some(hc) = &hi_cell {
                    y = b.min(&y, hc)?;
                }
                data.push(y);
            }
        }
        other => {
            return Err(CircuitError::unsupported(format!(
                "{} is not an activation",
                other.name()
            )))
        }
    }
    Ok(CellTensor {
        shape: x.shape.clone(),
        data,
    })
}
