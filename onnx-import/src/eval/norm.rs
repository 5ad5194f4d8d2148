//! Inference-mode BatchNormalization.

use super::check_arity;
use crate::ir::Tensor;

/// `y = (x - mean) / sqrt(var + epsilon) * scale + bias`, per channel (axis 1).
/// Inputs: X `[N, C, ...]`, then scale, bias, mean and var, each `[C]`.
pub(super) fn batch_norm(epsilon: f64, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 5, 5)?;
    let x = inputs[0];
    if x.shape.len() < 2 {
        return Err(format!("X must have rank >= 2, got shape {:?}", x.shape));
    }
    let c = x.shape[1];
    for (name, t) in ["scale", "bias", "mean", "var"].iter().zip(&inputs[1..]) {
        if t.shape != [c] {
            return Err(format!("{name} must have shape [{c}], got {:?}", t.shape));
        }
    }
    let (scale, bias, mean, var) = (inputs[1], inputs[2], inputs[3], inputs[4]);
    let mut mul = Vec::with_capacity(c);
    for ch in 0..c {
        let denom = var.data[ch] + epsilon;
        if denom.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(format!(
                "channel {ch}: var + epsilon = {denom} is not positive"
            ));
        }
        mul.push(scale.data[ch] / denom.sqrt());
    }
    let inner: usize = x.shape[2..].iter().product();
    let data = x
        .data
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let ch = (i / inner.max(1)) % c.max(1);
            (v - mean.data[ch]) * mul[ch] + bias.data[ch]
        })
        .collect();
    Ok(Tensor {
        shape: x.shape.clone(),
        data,
    })
}

/// Softmax, LogSoftmax, LayerNormalization, InstanceNormalization and LRN.
pub(super) fn eval(op: &crate::ir::Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    let _ = inputs;
    Err(format!("{} has no float evaluator yet", op.name()))
}
