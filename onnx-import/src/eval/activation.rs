//! Pointwise activations: Relu, LeakyRelu, Clip.

use super::check_arity;
use crate::ir::{Op, Tensor};

/// Applies a pointwise activation to its single input.
pub(super) fn eval(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    let f: Box<dyn Fn(f64) -> f64> = match *op {
        Op::Relu => Box::new(|v: f64| if v > 0.0 { v } else { 0.0 }),
        Op::LeakyRelu { alpha } => Box::new(move |v: f64| if v >= 0.0 { v } else { alpha * v }),
        // `min(max(v, lo), hi)`: when lo > hi every value becomes hi, as ONNX specifies.
        Op::Clip { min, max } => Box::new(move |v: f64| {
            let v = min.map_or(v, |lo| v.max(lo));
            max.map_or(v, |hi| v.min(hi))
        }),
        ref other => return Err(format!("{} is not an activation", other.name())),
    };
    Ok(Tensor {
        shape: x.shape.clone(),
        data: x.data.iter().map(|&v| f(v)).collect(),
    })
}
