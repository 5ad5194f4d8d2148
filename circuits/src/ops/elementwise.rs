//! Add, Sub, Mul, Div (by a constant) and Neg with numpy broadcasting.
//!
//! Fixed-point function (activation scale `s_a`, parameter scale `s_p`):
//! - `a ± b` on two activations; `a ± q(c, s_a)` with a constant;
//! - `div_round(a·b, 2^s_a)` for two activations; `div_round(a·q(c, s_p), 2^s_p)` with a
//!   constant, and Div by a constant `c` is Mul by `1/c`;
//! - `-a`.

use onnx_import::eval::{broadcast_index, broadcast_shape};
use onnx_import::ir::Op;

use super::{arity, cells, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::{pow2, quantize_all};

/// Dispatches Add, Sub, Mul, Div and Neg.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    if cx.node.op == Op::Neg {
        arity(inputs, 1)?;
        let x = cells(&inputs[0], "Neg input")?;
        let data = x
            .data
            .iter()
            .map(|v| b.neg(v))
            .collect::<Result<Vec<_>>>()?;
        return Ok(CellTensor {
            shape: x.shape.clone(),
            data,
        });
    }
    arity(inputs, 2)?;
    let (sa, sb) = (inputs[0].shape().to_vec(), inputs[1].shape().to_vec());
    let shape = broadcast_shape(&sa, &sb).ok_or_else(|| {
        CircuitError::unsupported(format!("shapes {sa:?} and {sb:?} do not broadcast"))
    })?;
    let len: usize = shape.iter().product();
    let p = cx.params;
    let op = cx.node.op.clone();
    // Constants are quantized once, at the scale their role needs.
    let const_scale = match op {
        Op::Add | Op::Sub => p.input_scale,
        _ => p.param_scale,
    };
    let quant = |o: &Operand<'_, B::Cell>| -> Result<Option<Vec<i128>>> {
        match o {
            Operand::Const(t) if op == Op::Div => {
                if t.data.contains(&0.0) {
                    return Err(CircuitError::unsupported("Div by a constant containing 0"));
                }
                let inv: Vec<f64> = t.data.iter().map(|v| 1.0 / v).collect();
                Ok(Some(quantize_all(&inv, const_scale, "Div constant")?))
            }
            Operand::Const(t) => Ok(Some(quantize_all(&t.data, const_scale, "constant")?)),
            Operand::Cells(_) => Ok(None),
        }
    };
    let (qa, qb) = (quant(&inputs[0])?, quant(&inputs[1])?);
    if op == Op::Div && qb.is_none() {
        return Err(CircuitError::unsupported(
            "Div by a runtime tensor is not supported yet",
        ));
    }
    let mut data = Vec::with_capacity(len);
    for i in 0..len {
        let (ia, ib) = (
            broadcast_index(i, &shape, &sa),
            broadcast_index(i, &shape, &sb),
        );
        let v = match (&inputs[0], &inputs[1]) {
            (Operand::Cells(x), Operand::Cells(y)) => {
                let (x, y) = (&x.data[ia], &y.data[ib]);
                match op {
                    Op::Add => b.add(x, y)?,
                    Op::Sub => b.sub(x, y)?,
                    _ => {
                        let prod = b.mul(x, y)?;
                        b.div_round(&prod, pow2(p.input_scale))?
                    }
                }
            }
            (Operand::Cells(x), Operand::Const(_)) => {
                let c = qb.as_ref().map_or(0, |q| q[ib]);
                with_const(b, &op, &x.data[ia], c, false, p.param_scale)?
            }
            (Operand::Const(_), Operand::Cells(y)) => {
                let c = qa.as_ref().map_or(0, |q| q[ia]);
                with_const(b, &op, &y.data[ib], c, true, p.param_scale)?
            }
            (Operand::Const(_), Operand::Const(_)) => {
                return Err(CircuitError::unsupported(
                    "elementwise op on two constants should have been constant-folded",
                ))
            }
        };
        data.push(v);
    }
    Ok(CellTensor { shape, data })
}

/// `x op c` (or `c op x` when `const_first`), with `c` already quantized.
fn with_const<B: Backend>(
    b: &mut B,
    op: &Op,
    x: &B::Cell,
    c: i128,
    const_first: bool,
    param_scale: u32,
) -> Result<B::Cell> {
    match op {
        Op::Add => b.add_const(x, c),
        Op::Sub if const_first => {
            let n = b.neg(x)?;
            b.add_const(&n, c)
        }
        Op::Sub => b.add_const(x, -c),
        Op::Mul | Op::Div => {
            let prod = b.mul_const(x, c)?;
            b.div_round(&prod, pow2(param_scale))
        }
        other => Err(CircuitError::unsupported(format!(
            "{} is not elementwise",
            other.name()
        ))),
    }
}
