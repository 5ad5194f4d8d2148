//! Elementwise arithmetic with numpy broadcasting: Add, Sub, Mul, Div, Neg; the rounding
//! and sign functions Abs, Sign, Floor, Ceil, Round; runtime Cast; variadic Sum, Mean, Max,
//! Min.

use super::{broadcast_index, broadcast_shape, check_arity};
use crate::ir::{CastTarget, Op, Tensor, VariadicOp};

/// Applies `f` to every pair of broadcast elements of `a` and `b`.
pub(crate) fn broadcast_binary(
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(f64, f64) -> f64,
) -> Result<Tensor, String> {
    let shape = broadcast_shape(&a.shape, &b.shape).ok_or_else(|| {
        format!(
            "shapes {:?} and {:?} do not broadcast together",
            a.shape, b.shape
        )
    })?;
    let data = if a.shape == b.shape {
        a.data.iter().zip(&b.data).map(|(&x, &y)| f(x, y)).collect()
    } else {
        let n: usize = shape.iter().product();
        (0..n)
            .map(|i| {
                let x = a.data[broadcast_index(i, &shape, &a.shape)];
                let y = b.data[broadcast_index(i, &shape, &b.shape)];
                f(x, y)
            })
            .collect()
    };
    Ok(Tensor { shape, data })
}

/// Add / Sub / Mul / Div of two broadcast operands.
pub(super) fn binary(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 2, 2)?;
    let (a, b) = (inputs[0], inputs[1]);
    match op {
        Op::Add => broadcast_binary(a, b, |x, y| x + y),
        Op::Sub => broadcast_binary(a, b, |x, y| x - y),
        Op::Mul => broadcast_binary(a, b, |x, y| x * y),
        Op::Div => broadcast_binary(a, b, |x, y| x / y),
        other => Err(format!("{} is not a binary elementwise op", other.name())),
    }
}

/// Elementwise negation.
pub(super) fn neg(inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    Ok(Tensor {
        shape: x.shape.clone(),
        data: x.data.iter().map(|v| -v).collect(),
    })
}

/// Abs, Sign, Floor, Ceil, Round (ties to even) and Cast of one tensor.
pub(super) fn unary(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let f: fn(f64) -> f64 = match op {
        Op::Abs => f64::abs,
        Op::Sign => |v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            }
        },
        Op::Floor => f64::floor,
        Op::Ceil => f64::ceil,
        Op::Round => f64::round_ties_even,
        Op::Cast { to } => match to {
            CastTarget::Float32 => |v| f64::from(v as f32),
            CastTarget::FloatWide => |v| v,
            // ONNX: float to integer conversion truncates toward zero.
            CastTarget::Integer => f64::trunc,
            CastTarget::Bool => |v| if v != 0.0 { 1.0 } else { 0.0 },
        },
        other => return Err(format!("{} is not a unary elementwise op", other.name())),
    };
    let x = inputs[0];
    Ok(Tensor {
        shape: x.shape.clone(),
        data: x.data.iter().map(|&v| f(v)).collect(),
    })
}

/// Sum, Mean, Max or Min of one or more broadcast inputs.
pub(super) fn variadic(op: VariadicOp, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, usize::MAX)?;
    let f: fn(f64, f64) -> f64 = match op {
        VariadicOp::Sum | VariadicOp::Mean => |x, y| x + y,
        // NaN propagates, as in numpy's maximum / minimum.
        VariadicOp::Max => |x, y| if x.is_nan() || x >= y { x } else { y },
        VariadicOp::Min => |x, y| if x.is_nan() || x <= y { x } else { y },
    };
    let mut acc = inputs[0].clone();
    for t in &inputs[1..] {
        acc = broadcast_binary(&acc, t, f)?;
    }
    if op == VariadicOp::Mean {
        let n = inputs.len() as f64;
        for v in &mut acc.data {
            *v /= n;
        }
    }
    Ok(acc)
}
