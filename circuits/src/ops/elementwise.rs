//! Add, Sub, Mul, Div (by a constant or a runtime tensor) and Neg with numpy broadcasting.
//!
//! Fixed-point function (activation scale `s_a`, parameter scale `s_p`):
//! - `a ± b` on two activations; `a ± q(c, s_a)` with a constant;
//! - `div_round(a·b, 2^s_a)` for two activations; `div_round(a·q(c, s_p), 2^s_p)` with a
//!   constant, and Div by a constant `c` is Mul by `1/c`; Div by a runtime tensor, see
//!   [`div_cells`];
//! - `-a`;
//! - with `d = 2^s_a`, `h = d/2` and `n = is_negative(x)`: Abs `select(n, -x, x)`; Sign
//!   `(is_negative(-x) - n)·d`; Floor `div_round(x - h, d)·d` (`= floor(x/d)·d`); Ceil
//!   `div_round(x + h - 1, d)·d` (`= ceil(x/d)·d`); Round half to even, see [`round_fx`];
//!   Cast to an integer type truncates: `select(n, ceil, floor)`; to a float type it is the
//!   identity;
//! - Sum / Max / Min: pairwise `add` / `max` / `min` over the broadcast inputs (constants at
//!   `s_a`); Mean: `div_round(Σ, N)`.

use onnx_import::eval::{broadcast_index, broadcast_shape};
use onnx_import::ir::{CastTarget, Op, VariadicOp};

use super::{arity, cells, materialize, CellTensor, OpCtx, Operand};
use crate::backend::{Backend, ParamRole};
use crate::error::{CircuitError, Result};
use crate::quant::{pow2, quantize_all};

/// Dispatches Add, Sub, Mul, Div, Neg, Abs, Sign, Floor, Ceil, Round, Cast, Sum, Mean, Max
/// and Min.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    match &cx.node.op {
        Op::Abs | Op::Sign | Op::Floor | Op::Ceil | Op::Round | Op::Cast { .. } => {
            return unary(b, cx, inputs)
        }
        Op::Variadic(v) => return variadic(b, cx, *v, inputs),
        _ => {}
    }
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
    if op == Op::Div && matches!(inputs[1], Operand::Cells(_)) {
        return div_runtime(b, cx, inputs, shape);
    }
    // Constant operands are model parameters (see `crate::visibility`).
    let mut load =
        |q: Option<Vec<i128>>| q.map(|q| b.load_params(&q, ParamRole::Weight)).transpose();
    let (qa, qb) = (load(quant(&inputs[0])?)?, load(quant(&inputs[1])?)?);
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
                let c = qb.map(|q| q + ib);
                with_param(b, &op, &x.data[ia], c, false, p.param_scale)?
            }
            (Operand::Const(_), Operand::Cells(y)) => {
                let c = qa.map(|q| q + ia);
                with_param(b, &op, &y.data[ib], c, true, p.param_scale)?
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

/// Div by a runtime divisor over the broadcast operands (a constant dividend is quantized at
/// `s_a`), elementwise [`div_cells`].
fn div_runtime<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    shape: Vec<usize>,
) -> Result<CellTensor<B::Cell>> {
    let x = materialize(b, cx.params, inputs[0])?;
    let d = cells(&inputs[1], "divisor")?;
    let len: usize = shape.iter().product();
    let mut data = Vec::with_capacity(len);
    for i in 0..len {
        let xi = &x.data[broadcast_index(i, &shape, &x.shape)];
        let di = &d.data[broadcast_index(i, &shape, &d.shape)];
        data.push(div_cells(b, xi, di, cx.params.input_scale)?);
    }
    Ok(CellTensor { shape, data })
}

/// `a / d` of two activations at scale `s`, rounded half up: `q = floor(a·2^s/d + 1/2)`.
///
/// - `n = is_negative(d)`, `|d| = select(n, −d, d)`, `a' = select(n, −a, a)` (so
///   `a'/|d| = a/d`);
/// - `f = div_floor_var(a'·2^s, |d|)`: `r = a'·2^s − f·|d| ∈ [0, |d|)` and `|d| ∈ [1, 2^B]`
///   (so `d = 0` has no witness; natively it is `DivisionByZero`);
/// - `up = 1 − is_negative(2r − |d|)` (`[r ≥ |d|/2]`, `2r − |d| ∈ [−|d|, |d|)`), and
///   `q = f + up`: the remainder decides the half, ties (`2r = |d|`) round up.
pub fn div_cells<B: Backend>(b: &mut B, a: &B::Cell, d: &B::Cell, s: u32) -> Result<B::Cell> {
    let n = b.is_negative(d)?;
    let nd = b.neg(d)?;
    let na = b.neg(a)?;
    // |d| = n ? −d : d; a' = n ? −a : a
    let ad = b.select(&n, &nd, d)?;
    let aa = b.select(&n, &na, a)?;
    // num = a'·2^s
    let num = b.mul_const(&aa, i128::from(pow2(s)))?;
    let f = b.div_floor_var(&num, &ad)?;
    // r = num − f·|d|
    let fd = b.mul(&f, &ad)?;
    let r = b.sub(&num, &fd)?;
    // h = 2r − |d|; up = 1 − [h < 0]
    let h = b.dot_const(&[r, ad], &[2, -1], 0)?;
    let below = b.is_negative(&h)?;
    // q = f + 1 − below
    b.dot_const(&[f, below], &[1, -1], 1)
}

/// `x op p[c]` (or `p[c] op x` when `const_first`) for a loaded parameter `c`: with the
/// constant primitives when parameters are fixed, else with the parameter's cell.
fn with_param<B: Backend>(
    b: &mut B,
    op: &Op,
    x: &B::Cell,
    c: Option<usize>,
    const_first: bool,
    param_scale: u32,
) -> Result<B::Cell> {
    let Some(c) = c else {
        return with_const(b, op, x, 0, const_first, param_scale);
    };
    if b.fixed_params() {
        let v = b.param_value(c)?;
        return with_const(b, op, x, v, const_first, param_scale);
    }
    let pc = b.param_cell(c)?;
    match op {
        // x + p
        Op::Add => b.add(x, &pc),
        // p − x
        Op::Sub if const_first => b.sub(&pc, x),
        // x − p
        Op::Sub => b.sub(x, &pc),
        // y = div_round(x·p, 2^s_p)
        Op::Mul | Op::Div => {
            let prod = b.mul(x, &pc)?;
            b.div_round(&prod, pow2(param_scale))
        }
        other => Err(CircuitError::unsupported(format!(
            "{} is not elementwise",
            other.name()
        ))),
    }
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

/// Abs, Sign, Floor, Ceil, Round and Cast, elementwise.
fn unary<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let x = cells(&inputs[0], "input")?;
    let s = cx.params.input_scale;
    let mut data = Vec::with_capacity(x.data.len());
    for v in &x.data {
        data.push(match &cx.node.op {
            Op::Abs => {
                let n = b.is_negative(v)?;
                let m = b.neg(v)?;
                // |x| = n ? -x : x
                b.select(&n, &m, v)?
            }
            Op::Sign => sign_fx(b, v, s)?,
            Op::Floor => floor_fx(b, v, s)?,
            Op::Ceil => ceil_fx(b, v, s)?,
            Op::Round => round_fx(b, v, s)?,
            Op::Cast {
                to: CastTarget::Float32 | CastTarget::FloatWide,
            } => v.clone(),
            Op::Cast {
                to: CastTarget::Integer,
            } => trunc_fx(b, v, s)?,
            Op::Cast {
                to: CastTarget::Bool,
            } => {
                return Err(CircuitError::unsupported(
                    "Cast of a runtime tensor to bool has no circuit",
                ))
            }
            other => {
                return Err(CircuitError::unsupported(format!(
                    "{} is not a unary elementwise op",
                    other.name()
                )))
            }
        });
    }
    Ok(CellTensor {
        shape: x.shape.clone(),
        data,
    })
}

/// `sign(x)·2^s`: `(is_negative(-x) - is_negative(x))·2^s`.
pub fn sign_fx<B: Backend>(b: &mut B, x: &B::Cell, s: u32) -> Result<B::Cell> {
    let n = b.is_negative(x)?;
    let m = b.neg(x)?;
    let p = b.is_negative(&m)?;
    // sign = p - n ∈ {-1, 0, 1}, scaled to the activation scale.
    let sg = b.sub(&p, &n)?;
    b.mul_const(&sg, i128::from(pow2(s)))
}

/// `floor(x / 2^s)·2^s`: `div_round(x - 2^(s-1), 2^s) = floor(x / 2^s)`.
pub fn floor_fx<B: Backend>(b: &mut B, x: &B::Cell, s: u32) -> Result<B::Cell> {
    let d = pow2(s);
    let t = b.add_const(x, -i128::from(d / 2))?;
    // q = floor((x - d/2 + d/2) / d) = floor(x / d)
    let q = b.div_round(&t, d)?;
    b.mul_const(&q, i128::from(d))
}

/// `ceil(x / 2^s)·2^s`: `div_round(x + 2^(s-1) - 1, 2^s) = floor((x + 2^s - 1) / 2^s)`.
pub fn ceil_fx<B: Backend>(b: &mut B, x: &B::Cell, s: u32) -> Result<B::Cell> {
    let d = pow2(s);
    let t = b.add_const(x, i128::from(d / 2) - 1)?;
    // q = floor((x + d - 1) / d) = ceil(x / d)
    let q = b.div_round(&t, d)?;
    b.mul_const(&q, i128::from(d))
}

/// Truncation toward zero at scale `s`: `select(is_negative(x), ceil, floor)`.
pub fn trunc_fx<B: Backend>(b: &mut B, x: &B::Cell, s: u32) -> Result<B::Cell> {
    let n = b.is_negative(x)?;
    let c = ceil_fx(b, x, s)?;
    let f = floor_fx(b, x, s)?;
    b.select(&n, &c, &f)
}

/// Round half to even at scale `s` (`d = 2^s`, `h = d/2`), returned at scale `s`.
///
/// - `q = div_round(x, d) = floor((x + h) / d)`: round half up; `div_round` range-checks
///   its remainder into `[0, d)`, so `q` is unique;
/// - `r = x + h - q·d` is that remainder, recomputed linearly (no free witness), `r ∈ [0, d)`;
/// - `tie = is_negative(r - 1)`: 1 iff `r = 0`, i.e. `x/d = q - 1/2` exactly;
/// - `odd = 2·div_round(q, 2) - q = 2·floor((q + 1)/2) - q ∈ {0, 1}`: `q`'s parity;
/// - result `(q - tie·odd)·d`: at a tie, half up gave `q`; when `q` is odd the even
///   neighbour is `q - 1`. Away from ties half up is the nearest integer.
pub fn round_fx<B: Backend>(b: &mut B, x: &B::Cell, s: u32) -> Result<B::Cell> {
    let d = pow2(s);
    let di = i128::from(d);
    let q = b.div_round(x, d)?;
    // r = x + h - q·d
    let qd = b.mul_const(&q, di)?;
    let xh = b.add_const(x, di / 2)?;
    let r = b.sub(&xh, &qd)?;
    // tie = [r - 1 < 0] = [r = 0] since r ≥ 0
    let r1 = b.add_const(&r, -1)?;
    let tie = b.is_negative(&r1)?;
    // odd = 2·floor((q + 1)/2) - q
    let half = b.div_round(&q, 2)?;
    let twice = b.mul_const(&half, 2)?;
    let odd = b.sub(&twice, &q)?;
    // y = q - tie·odd
    let fix = b.mul(&tie, &odd)?;
    let y = b.sub(&q, &fix)?;
    b.mul_const(&y, di)
}

/// Sum, Mean, Max, Min over broadcast inputs (constants materialized at `s_a`).
fn variadic<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    v: VariadicOp,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let mut acc = materialize(b, cx.params, inputs[0])?;
    for o in &inputs[1..] {
        let t = materialize(b, cx.params, *o)?;
        let shape = broadcast_shape(&acc.shape, &t.shape).ok_or_else(|| {
            CircuitError::unsupported(format!(
                "shapes {:?} and {:?} do not broadcast",
                acc.shape, t.shape
            ))
        })?;
        let len: usize = shape.iter().product();
        let mut data = Vec::with_capacity(len);
        for i in 0..len {
            let x = &acc.data[broadcast_index(i, &shape, &acc.shape)];
            let y = &t.data[broadcast_index(i, &shape, &t.shape)];
            data.push(match v {
                VariadicOp::Sum | VariadicOp::Mean => b.add(x, y)?,
                VariadicOp::Max => b.max(x, y)?,
                VariadicOp::Min => b.min(x, y)?,
            });
        }
        acc = CellTensor { shape, data };
    }
    if v == VariadicOp::Mean && inputs.len() > 1 {
        let n = inputs.len() as u64;
        acc.data = acc
            .data
            .iter()
            .map(|c| b.div_round(c, n))
            .collect::<Result<Vec<_>>>()?;
    }
    Ok(acc)
}
