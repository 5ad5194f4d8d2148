//! Normalization: inference-mode BatchNormalization, and the ops normalizing with the
//! statistics of their own input: Softmax / LogSoftmax (max-subtracted), LayerNormalization,
//! InstanceNormalization and LRN.

use super::{broadcast_index, check_arity, strides};
use crate::ir::{Op, Tensor};

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

/// Flat indices of `shape`'s elements grouped per normalized slice: the elements along
/// `axis` (one group per position of the other axes), or with `trailing` the contiguous
/// blocks over every axis `>= axis`. Groups are in row-major order of the kept positions.
pub(crate) fn axis_groups(shape: &[usize], axis: usize, trailing: bool) -> Vec<Vec<usize>> {
    if axis >= shape.len() {
        return Vec::new();
    }
    let total: usize = shape.iter().product();
    if trailing {
        let block: usize = shape[axis..].iter().product();
        if block == 0 {
            return Vec::new();
        }
        return (0..total / block)
            .map(|g| (g * block..(g + 1) * block).collect())
            .collect();
    }
    let st = strides(shape);
    let (n, inner) = (shape[axis], st[axis]);
    let outer: usize = shape[..axis].iter().product();
    let mut groups = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            groups.push((0..n).map(|k| o * n * inner + k * inner + i).collect());
        }
    }
    groups
}

/// Softmax (or LogSoftmax) of each group, max-subtracted: `e_i = exp(x_i - max)`,
/// `y_i = e_i / Σ e` (log: `y_i = x_i - max - ln Σ e`).
fn softmax(axis: usize, log: bool, coerce_2d: bool, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    if axis >= x.shape.len() {
        return Err(format!(
            "axis {axis} is out of range for shape {:?}",
            x.shape
        ));
    }
    let mut data = vec![0.0; x.data.len()];
    for g in axis_groups(&x.shape, axis, coerce_2d) {
        let m = g
            .iter()
            .map(|&i| x.data[i])
            .fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = g.iter().map(|&i| (x.data[i] - m).exp()).sum();
        for &i in &g {
            let d = x.data[i] - m;
            data[i] = if log { d - sum.ln() } else { d.exp() / sum };
        }
    }
    Ok(Tensor {
        shape: x.shape.clone(),
        data,
    })
}

/// `y = (x - mean) / sqrt(var + eps) * scale + bias` over each group of `groups` (population
/// variance); `scale_at(i)` / `bias_at(i)` give the parameters of flat element `i`.
fn normalize(
    x: &Tensor,
    groups: &[Vec<usize>],
    epsilon: f64,
    scale_at: impl Fn(usize) -> f64,
    bias_at: impl Fn(usize) -> f64,
) -> Tensor {
    let mut data = vec![0.0; x.data.len()];
    for g in groups {
        let n = g.len().max(1) as f64;
        let mean = g.iter().map(|&i| x.data[i]).sum::<f64>() / n;
        let var = g.iter().map(|&i| (x.data[i] - mean).powi(2)).sum::<f64>() / n;
        let rstd = 1.0 / (var + epsilon).sqrt();
        for &i in g {
            data[i] = (x.data[i] - mean) * rstd * scale_at(i) + bias_at(i);
        }
    }
    Tensor {
        shape: x.shape.clone(),
        data,
    }
}

/// Requires `t` to broadcast unidirectionally to `target`.
fn check_broadcast(name: &str, t: &Tensor, target: &[usize]) -> Result<(), String> {
    let ok = t.shape.len() <= target.len()
        && t.shape
            .iter()
            .rev()
            .zip(target.iter().rev())
            .all(|(&a, &b)| a == 1 || a == b);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name} of shape {:?} does not broadcast to {target:?}",
            t.shape
        ))
    }
}

/// LayerNormalization over the axes `axis..`; inputs X, Scale, optional B (each broadcast to
/// the normalized shape).
fn layer_norm(axis: usize, epsilon: f64, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 2, 3)?;
    let x = inputs[0];
    if axis >= x.shape.len() {
        return Err(format!(
            "axis {axis} is out of range for shape {:?}",
            x.shape
        ));
    }
    let norm = &x.shape[axis..];
    check_broadcast("Scale", inputs[1], norm)?;
    if let Some(bias) = inputs.get(2) {
        check_broadcast("B", bias, norm)?;
    }
    let groups = axis_groups(&x.shape, axis, true);
    let scale = |i| inputs[1].data[broadcast_index(i, &x.shape, &inputs[1].shape)];
    let bias = |i| {
        inputs
            .get(2)
            .map_or(0.0, |b| b.data[broadcast_index(i, &x.shape, &b.shape)])
    };
    Ok(normalize(x, &groups, epsilon, scale, bias))
}

/// InstanceNormalization: per (n, c) over the spatial axes of `[N, C, ...]`, then
/// per-channel scale and bias.
fn instance_norm(epsilon: f64, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 3, 3)?;
    let x = inputs[0];
    if x.shape.len() < 2 {
        return Err(format!("X must have rank >= 2, got shape {:?}", x.shape));
    }
    let c = x.shape[1];
    for (name, t) in [("scale", inputs[1]), ("B", inputs[2])] {
        if t.shape != [c] {
            return Err(format!("{name} must have shape [{c}], got {:?}", t.shape));
        }
    }
    let inner: usize = x.shape[2..].iter().product();
    let groups = if x.shape.len() > 2 {
        axis_groups(&x.shape, 2, true)
    } else {
        (0..x.data.len()).map(|i| vec![i]).collect()
    };
    let ch = |i: usize| (i / inner.max(1)) % c.max(1);
    Ok(normalize(
        x,
        &groups,
        epsilon,
        |i| inputs[1].data[ch(i)],
        |i| inputs[2].data[ch(i)],
    ))
}

/// LRN: `y = x / (bias + alpha / size · Σ x²)^beta`, the sum over the channels
/// `c - floor((size-1)/2) ..= c + ceil((size-1)/2)` (clipped to `[0, C)`).
fn lrn(
    size: usize,
    alpha: f64,
    beta: f64,
    bias: f64,
    inputs: &[&Tensor],
) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    if x.shape.len() < 2 {
        return Err(format!("X must have rank >= 2, got shape {:?}", x.shape));
    }
    let c = x.shape[1];
    let inner: usize = x.shape[2..].iter().product();
    let (before, after) = lrn_window(size);
    let mut data = vec![0.0; x.data.len()];
    for (i, out) in data.iter_mut().enumerate() {
        let ch = (i / inner.max(1)) % c.max(1);
        let base = i - ch * inner;
        let lo = ch.saturating_sub(before);
        let hi = (ch + after).min(c.saturating_sub(1));
        let sq: f64 = (lo..=hi).map(|k| x.data[base + k * inner].powi(2)).sum();
        *out = x.data[i] / (bias + alpha / size as f64 * sq).powf(beta);
    }
    Ok(Tensor {
        shape: x.shape.clone(),
        data,
    })
}

/// Channels before and after the centre of an LRN window of `size`:
/// `(floor((size-1)/2), ceil((size-1)/2))`.
pub(crate) fn lrn_window(size: usize) -> (usize, usize) {
    let s = size.saturating_sub(1);
    (s / 2, s.div_ceil(2))
}

/// Softmax, LogSoftmax, LayerNormalization, InstanceNormalization and LRN.
pub(super) fn eval(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    match *op {
        Op::Softmax {
            axis,
            log,
            coerce_2d,
        } => softmax(axis, log, coerce_2d, inputs),
        Op::LayerNormalization { axis, epsilon } => layer_norm(axis, epsilon, inputs),
        Op::InstanceNormalization { epsilon } => instance_norm(epsilon, inputs),
        Op::Lrn {
            size,
            alpha,
            beta,
            bias,
        } => lrn(size, alpha, beta, bias, inputs),
        _ => Err(format!("{} is not a normalization", op.name())),
    }
}
