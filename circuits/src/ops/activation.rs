//! Relu, LeakyRelu and Clip: comparisons against zero or constants.
//!
//! Fixed-point function:
//! - Relu: `max(x, 0)`;
//! - LeakyRelu: `x` if `x >= 0`, else `div_round(x·q(alpha, s_p), 2^s_p)`;
//! - Clip: `min(max(x, q(lo, s_a)), q(hi, s_a))`; with runtime bounds (ClipDynamic) the same
//!   `min(max(x, lo), hi)` on the bound cells (a constant bound quantized at `s_a`), each
//!   `max` / `min` one `is_negative` of the difference and a `select`;
//! - PRelu: as LeakyRelu with the broadcast slope element `q(slope[j], s_p)`;
//! - Shrink (`L = q(lambd, s_a)`, `c = q(bias, s_a)`): `lo = is_negative(x + L)` (x < -L),
//!   `hi = is_negative(L - x)` (x > L), `y = select(lo, x + c, select(hi, x - c, 0))`.

use onnx_import::eval::broadcast_index;
use onnx_import::ir::Op;

use super::{arity, cells, materialize, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::{pow2, quantize, quantize_all};

/// Dispatches Relu, LeakyRelu and Clip.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    if let Op::ClipDynamic { has_min, has_max } = cx.node.op {
        return clip_dynamic(b, cx, has_min, has_max, inputs);
    }
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
        Op::PRelu { slope } => {
            let qs = quantize_all(&slope.data, p.param_scale, "PRelu slope")?;
            for (i, v) in x.data.iter().enumerate() {
                let a = qs[broadcast_index(i, &x.shape, &slope.shape)];
                let n = b.is_negative(v)?;
                // neg = div_round(x·q(slope), 2^s_p); y = n ? neg : x
                let scaled = b.mul_const(v, a)?;
                let neg = b.div_round(&scaled, pow2(p.param_scale))?;
                data.push(b.select(&n, &neg, v)?);
            }
        }
        Op::Shrink { lambd, bias } => {
            let l = quantize(*lambd, p.input_scale, "Shrink lambd")?;
            let c = quantize(*bias, p.input_scale, "Shrink bias")?;
            let zero = b.constant(0)?;
            for v in &x.data {
                // lo = [x + L < 0], hi = [L - x < 0]
                let xl = b.add_const(v, l)?;
                let lo = b.is_negative(&xl)?;
                let m = b.neg(v)?;
                let lx = b.add_const(&m, l)?;
                let hi = b.is_negative(&lx)?;
                let up = b.add_const(v, c)?;
                let down = b.add_const(v, -c)?;
                let inner = b.select(&hi, &down, &zero)?;
                data.push(b.select(&lo, &up, &inner)?);
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

/// Clip with runtime bounds: inputs `x`, then `min` if `has_min`, then `max` if `has_max`,
/// each a single value broadcast to `x`: `y = min(max(x, lo), hi)` (when `lo > hi` every
/// value becomes `hi`, as ONNX specifies).
fn clip_dynamic<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    has_min: bool,
    has_max: bool,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    let n = 1 + usize::from(has_min) + usize::from(has_max);
    arity(inputs, n)?;
    let x = cells(&inputs[0], "Clip input")?;
    let mut bound = |i: usize, what: &str| -> Result<B::Cell> {
        let t = materialize(b, cx.params, inputs[i])?;
        match t.data.as_slice() {
            [v] => Ok(v.clone()),
            _ => Err(CircuitError::unsupported(format!(
                "Clip {what} must be a single value, got shape {:?}",
                t.shape
            ))),
        }
    };
    let lo = has_min.then(|| bound(1, "min")).transpose()?;
    let hi = has_max.then(|| bound(n - 1, "max")).transpose()?;
    let mut data = Vec::with_capacity(x.data.len());
    for v in &x.data {
        let mut y = v.clone();
        if let Some(lo) = &lo {
            // y = max(x, lo) = select([x − lo < 0], lo, x)
            y = b.max(&y, lo)?;
        }
        if let Some(hi) = &hi {
            // y = min(y, hi) = select([y − hi < 0], y, hi)
            y = b.min(&y, hi)?;
        }
        data.push(y);
    }
    Ok(CellTensor {
        shape: x.shape.clone(),
        data,
    })
}
