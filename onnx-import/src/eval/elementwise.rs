//! Elementwise arithmetic with numpy broadcasting: Add, Sub, Mul, Div, Neg.

use super::{broadcast_index, broadcast_shape, check_arity};
use crate::ir::{Op, Tensor};

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
