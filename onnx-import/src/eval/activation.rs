//! Pointwise activations: Relu, LeakyRelu, Clip (constant or runtime bounds), PRelu, Shrink.

use super::{broadcast_index, check_arity};
use crate::ir::{Op, Tensor};

/// Applies a pointwise activation to its single input.
pub(super) fn eval(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    if let Op::ClipDynamic { has_min, has_max } = *op {
        return clip_dynamic(has_min, has_max, inputs);
    }
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    if let Op::PRelu { slope } = op {
        return prelu(x, slope);
    }
    let f: Box<dyn Fn(f64) -> f64> = match *op {
        Op::Relu => Box::new(|v: f64| if v > 0.0 { v } else { 0.0 }),
        Op::LeakyRelu { alpha } => Box::new(move |v: f64| if v >= 0.0 { v } else { alpha * v }),
        // `min(max(v, lo), hi)`: when lo > hi every value becomes hi, as ONNX specifies.
        Op::Clip { min, max } => Box::new(move |v: f64| {
            let v = min.map_or(v, |lo| v.max(lo));
            max.map_or(v, |hi| v.min(hi))
        }),
        Op::Shrink { lambd, bias } => Box::new(move |v: f64| {
            if v < -lambd {
                v + bias
            } else if v > lambd {
                v - bias
            } else {
                0.0
            }
        }),
        ref other => return Err(format!("{} is not an activation", other.name())),
    };
    Ok(Tensor {
        shape: x.shape.clone(),
        data: x.data.iter().map(|&v| f(v)).collect(),
    })
}

/// `x` where `x >= 0`, `slope * x` elsewhere; `slope` broadcasts to `x` (unidirectionally).
fn prelu(x: &Tensor, slope: &Tensor) -> Result<Tensor, String> {
    if super::broadcast_shape(&x.shape, &slope.shape).as_deref() != Some(&x.shape[..]) {
        return Err(format!(
            "slope of shape {:?} does not broadcast to the input shape {:?}",
            slope.shape, x.shape
        ));
    }
    let data = x
        .data
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if v >= 0.0 {
                v
            } else {
                v * slope.data[broadcast_index(i, &x.shape, &slope.shape)]
            }
        })
        .collect();
    Ok(Tensor {
        shape: x.shape.clone(),
        data,
    })
}

/// Clip with runtime bounds: inputs `x`, then `min` if `has_min`, then `max` if `has_max`
/// (each a single value); `min(max(v, lo), hi)` like [`Op::Clip`].
fn clip_dynamic(has_min: bool, has_max: bool, inputs: &[&Tensor]) -> Result<Tensor, String> {
    let n = 1 + usize::from(has_min) + usize::from(has_max);
    check_arity(inputs, n, n)?;
    let scalar = |t: &Tensor, what: &str| match t.data.as_slice() {
        [v] => Ok(*v),
        _ => Err(format!(
            "Clip {what} must be a single value, got shape {:?}",
            t.shape
        )),
    };
    let lo = has_min.then(|| scalar(inputs[1], "min")).transpose()?;
    let hi = has_max.then(|| scalar(inputs[n - 1], "max")).transpose()?;
    let x = inputs[0];
    let data = x
        .data
        .iter()
        .map(|&v| {
            let v = lo.map_or(v, |lo| v.max(lo));
            hi.map_or(v, |hi| v.min(hi))
        })
        .collect();
    Ok(Tensor {
        shape: x.shape.clone(),
        data,
    })
}
