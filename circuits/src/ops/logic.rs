//! Comparisons, boolean logic and Where.
//!
//! **Booleans.** A boolean is held like any activation, as the fixed-point integer of the
//! float 0.0 or 1.0: `false = 0`, `true = one = 2^s_a`. This is what the float evaluator,
//! constant folding and Cast use (booleans are 0.0 / 1.0 there), so a comparison's output
//! can be Cast to float (the identity), multiplied by weights or summed with no conversion,
//! and integer inputs (class labels) are values at scale `s_a` like floats.
//!
//! Fixed-point function and constraints, with `d = a − b` of the broadcast operands (model
//! constants quantized at `s_a`) and `n(v) = is_negative(v)` (a bit, `= [v < 0]` for
//! `v ∈ [-2^B, 2^B)`; outside that range no witness exists):
//! - Less `one·n(a − b)`; Greater `one·n(b − a)`; LessOrEqual `one − one·n(b − a)`
//!   (`a ≤ b ⇔ ¬(b < a)`); GreaterOrEqual `one − one·n(a − b)`;
//! - Equal `one·(1 − n(a − b) − n(b − a))`: the two bits are never both 1, so the result is
//!   `one` iff `a = b` and 0 otherwise;
//! - a boolean *input* (of Not, And, Or, Xor and Where's condition) is first turned into a
//!   bit by [`to_bit`]: `t = n(−x)` (`[x > 0]`) and the constraint `x − one·t = 0`, which
//!   forces `x ∈ {0, one}` whatever produced it (a comparison, or a runtime model input that
//!   the prover chooses), so no non-boolean value passes as a boolean;
//! - with the bits `p, q`: Not `one − one·p`; And `one·p·q`; Or `one·(p + q − p·q)`; Xor
//!   `one·(p + q − 2·p·q)`;
//! - Where: `select(c, x, y)` with `c` the condition's bit (`x`, `y` at `s_a`).
//!
//! Comparisons are exact on the fixed-point values: operands are compared after quantization
//! at `s_a`, so two floats closer than `2^-s_a` may compare equal (the float evaluator
//! compares the unrounded values). Exact ties (equal inputs, integer labels, path counts)
//! agree everywhere.
//!
//! Cost per element: one `is_negative` per comparison (two for Equal), one per boolean input
//! cell (converted once, before broadcasting), plus one product for And / Or / Xor.

use onnx_import::eval::{broadcast_index, broadcast_shape};
use onnx_import::ir::{CompareOp, LogicOp, Op};

use super::{arity, materialize, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::pow2;

/// Dispatches the family's ops.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    let one = i128::from(pow2(cx.params.input_scale));
    match &cx.node.op {
        Op::Compare(c) => {
            arity(inputs, 2)?;
            let x = materialize(b, cx.params, inputs[0])?;
            let y = materialize(b, cx.params, inputs[1])?;
            broadcast2(&x, &y, |u, v| compare(b, *c, u, v, one))
        }
        Op::Logic(l) => {
            arity(inputs, 2)?;
            let p = bits_of(b, inputs[0], one)?;
            let q = bits_of(b, inputs[1], one)?;
            broadcast2(&p, &q, |u, v| logic(b, *l, u, v, one))
        }
        Op::Not => {
            arity(inputs, 1)?;
            let p = bits_of(b, inputs[0], one)?;
            let data = p
                .data
                .iter()
                // ¬p = one − one·p
                .map(|t| b.dot_const(std::slice::from_ref(t), &[-one], one))
                .collect::<Result<Vec<_>>>()?;
            Ok(CellTensor {
                shape: p.shape,
                data,
            })
        }
        Op::Where => {
            arity(inputs, 3)?;
            let c = bits_of(b, inputs[0], one)?;
            let x = materialize(b, cx.params, inputs[1])?;
            let y = materialize(b, cx.params, inputs[2])?;
            let shape = broadcast_shape(&c.shape, &x.shape)
                .and_then(|s| broadcast_shape(&s, &y.shape))
                .ok_or_else(|| {
                    CircuitError::unsupported(format!(
                        "shapes {:?}, {:?} and {:?} do not broadcast",
                        c.shape, x.shape, y.shape
                    ))
                })?;
            let len: usize = shape.iter().product();
            let mut data = Vec::with_capacity(len);
            for i in 0..len {
                let ci = &c.data[broadcast_index(i, &shape, &c.shape)];
                let xi = &x.data[broadcast_index(i, &shape, &x.shape)];
                let yi = &y.data[broadcast_index(i, &shape, &y.shape)];
                // out = y + c·(x − y)
                data.push(b.select(ci, xi, yi)?);
            }
            Ok(CellTensor { shape, data })
        }
        other => Err(CircuitError::unsupported(format!(
            "{} is not a logic op",
            other.name()
        ))),
    }
}

/// `f` over the broadcast pairs of `x` and `y`.
fn broadcast2<C>(
    x: &CellTensor<C>,
    y: &CellTensor<C>,
    mut f: impl FnMut(&C, &C) -> Result<C>,
) -> Result<CellTensor<C>> {
    let shape = broadcast_shape(&x.shape, &y.shape).ok_or_else(|| {
        CircuitError::unsupported(format!(
            "shapes {:?} and {:?} do not broadcast",
            x.shape, y.shape
        ))
    })?;
    let len: usize = shape.iter().product();
    let mut data = Vec::with_capacity(len);
    for i in 0..len {
        let u = &x.data[broadcast_index(i, &shape, &x.shape)];
        let v = &y.data[broadcast_index(i, &shape, &y.shape)];
        data.push(f(u, v)?);
    }
    Ok(CellTensor { shape, data })
}

/// One comparison of two activations, as a boolean at scale `one` (see the module docs).
pub fn compare<B: Backend>(
    b: &mut B,
    op: CompareOp,
    x: &B::Cell,
    y: &B::Cell,
    one: i128,
) -> Result<B::Cell> {
    let d = b.sub(x, y)?;
    match op {
        CompareOp::Less | CompareOp::GreaterOrEqual => {
            // n = [x − y < 0]
            let n = b.is_negative(&d)?;
            let (w, c) = if op == CompareOp::Less {
                (one, 0)
            } else {
                (-one, one)
            };
            // Less: one·n; GreaterOrEqual: one − one·n
            b.dot_const(&[n], &[w], c)
        }
        CompareOp::Greater | CompareOp::LessOrEqual => {
            // n = [y − x < 0]
            let m = b.neg(&d)?;
            let n = b.is_negative(&m)?;
            let (w, c) = if op == CompareOp::Greater {
                (one, 0)
            } else {
                (-one, one)
            };
            // Greater: one·n; LessOrEqual: one − one·n
            b.dot_const(&[n], &[w], c)
        }
        CompareOp::Equal => {
            // lt = [x − y < 0], gt = [y − x < 0], never both 1.
            let lt = b.is_negative(&d)?;
            let m = b.neg(&d)?;
            let gt = b.is_negative(&m)?;
            // eq = one·(1 − lt − gt)
            b.dot_const(&[lt, gt], &[-one, -one], one)
        }
    }
}

/// And / Or / Xor of two bits, as a boolean at scale `one`.
fn logic<B: Backend>(
    b: &mut B,
    op: LogicOp,
    p: &B::Cell,
    q: &B::Cell,
    one: i128,
) -> Result<B::Cell> {
    // pq = p·q
    let pq = b.mul(p, q)?;
    let terms = [p.clone(), q.clone(), pq];
    let ws = match op {
        // one·p·q
        LogicOp::And => [0, 0, one],
        // one·(p + q − p·q)
        LogicOp::Or => [one, one, -one],
        // one·(p + q − 2·p·q)
        LogicOp::Xor => [one, one, -2 * one],
    };
    b.dot_const(&terms, &ws, 0)
}

/// The bit of a boolean activation `x ∈ {0, one}`: `t = is_negative(−x)` (`[x > 0]`) with
/// the constraint `x − one·t = 0`, so `x` must be exactly 0 or `one`. `position` names the
/// element in the error.
pub fn to_bit<B: Backend>(b: &mut B, x: &B::Cell, one: i128, position: usize) -> Result<B::Cell> {
    let m = b.neg(x)?;
    // t = [x > 0]
    let t = b.is_negative(&m)?;
    // x − one·t = 0
    let r = b.dot_const(&[x.clone(), t.clone()], &[1, -one], 0)?;
    b.assert_zero(&r).map_err(|_| {
        CircuitError::unsupported(format!(
            "boolean input element {position} is neither 0 nor 1"
        ))
    })?;
    Ok(t)
}

/// The bits of a boolean operand: runtime cells through [`to_bit`], a constant's elements
/// as constant bits (non-zero is true).
fn bits_of<B: Backend>(
    b: &mut B,
    op: Operand<'_, B::Cell>,
    one: i128,
) -> Result<CellTensor<B::Cell>> {
    let data = match op {
        Operand::Cells(t) => t
            .data
            .iter()
            .enumerate()
            .map(|(p, x)| to_bit(b, x, one, p))
            .collect::<Result<Vec<_>>>()?,
        Operand::Const(t) => t
            .data
            .iter()
            .map(|&v| b.constant(i128::from(v != 0.0)))
            .collect::<Result<Vec<_>>>()?,
    };
    Ok(CellTensor {
        shape: op.shape().to_vec(),
        data,
    })
}
