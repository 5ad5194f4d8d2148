//! LayerNormalization (over the axes `axis..`) and InstanceNormalization (per `(n, c)` over
//! the spatial axes), by one shared per-group normalization. No tables.
//!
//! Fixed-point function per group `x_1..x_n` (scale `s`, `D = 2^s`; `h` extra bits, the
//! least `h ≤ 3` with `q(ε, 2(s+h)) ≥ 4`, see [`extra_bits`]):
//! - `μ = div_round(Σ x, n)`, `d_i = x_i − μ`;
//! - `T = 4^h·Σ d_i² + n·E`, `E = q(ε, 2(s+h))`: `T = n·(var + ε)·2^(2(s+h))` exactly
//!   for the centred `d` (no division, so no range limit on the variance);
//! - `R = sqrt_floor(T) = floor(sqrt(n)·σ·2^(s+h))`; `2R` is range-checked (it is the
//!   divisor below, and calibration must see it);
//! - constant Scale / B: `y_i = floor((2·d_i·C_i + (2·β_i + 1)·R) / (2R))` with
//!   `C_i = q(sqrt(n)·g_i, s+h)`, `β_i = q(b_i, s)`, i.e. `round(d_i·C_i/R) + β_i`;
//! - runtime Scale or B: `z_i = round(d_i·K/R)` (`K = q(sqrt(n), s+h)`, the normalized
//!   value at `s`), then `y_i = div_round(z_i·g_i + β_i·D, D)` (constants among them at `s`).
//!
//! Error (constant parameters, ulps of `y`, `z = (x−x̄)/σ`): 0.5 (rounding) + 0.5 (`β`) +
//! `|g|·0.5/σ` (μ rounded, a common shift of `d` by ≤ 0.5 ulp) + `|g·z|·2^s/R`
//! (`R` floored) + `0.5·|z|/(sqrt(n)·2^h)` (`C` rounded) + the effect of `E`'s rounding
//! (≤ 12.5% of `ε`, negligible unless `var ≲ ε`). With runtime parameters add 0.5 ulp
//! times `|g|` for the extra rounding of `z`. `ε = 0` with a constant group is a division
//! by zero (`R = 0`), as in float.

use onnx_import::eval::broadcast_index;

use super::axis_groups;
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::ops::{arity, cells, CellTensor, OpCtx, Operand};
use crate::quant::{pow2, quantize};

/// Extra bits `h` of the variance: the least `h ≤ 3` with `ε·2^(2(s+h)) ≥ 4`, so `ε`
/// survives quantization within 12.5% (`h = 0` when `ε = 0` or it already does).
pub(crate) fn extra_bits(epsilon: f64, s: u32) -> u32 {
    (0..3)
        .find(|&h| epsilon == 0.0 || epsilon * f64::from(2 * (s + h)).exp2() >= 4.0)
        .unwrap_or(3)
}

/// Scale or bias: absent, a constant, or runtime cells; `at` maps a flat index of X to
/// the parameter's flat index.
struct Param<'a, C> {
    op: Option<Operand<'a, C>>,
    at: &'a dyn Fn(usize) -> usize,
}

impl<C: Clone> Param<'_, C> {
    fn constant(&self, i: usize) -> Option<f64> {
        match self.op {
            None => Some(0.0),
            Some(Operand::Const(t)) => t.data.get((self.at)(i)).copied(),
            Some(Operand::Cells(_)) => None,
        }
    }

    fn is_const(&self) -> bool {
        !matches!(self.op, Some(Operand::Cells(_)))
    }

    /// The parameter of element `i` as a cell at the activation scale.
    fn cell<B: Backend<Cell = C>>(&self, b: &mut B, s: u32, i: usize) -> Result<C> {
        let j = (self.at)(i);
        match self.op {
            Some(Operand::Cells(t)) => t.data.get(j).cloned().ok_or_else(missing),
            _ => {
                let v = self.constant(i).ok_or_else(missing)?;
                b.constant(quantize(v, s, "normalization parameter")?)
            }
        }
    }
}

fn missing() -> CircuitError {
    CircuitError::unsupported("normalization parameter has too few elements")
}

/// Normalizes every group of `x` (see the module docs); `gain` / `bias` per element.
fn normalize<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    x: &CellTensor<B::Cell>,
    groups: &[Vec<usize>],
    epsilon: f64,
    gain: &Param<'_, B::Cell>,
    bias: &Param<'_, B::Cell>,
) -> Result<CellTensor<B::Cell>> {
    let s = cx.params.input_scale;
    let h = extra_bits(epsilon, s);
    let w = s + h;
    let e = quantize(epsilon, 2 * w, "epsilon")?;
    let fused = gain.is_const() && bias.is_const();
    let mut out: Vec<Option<B::Cell>> = vec![None; x.data.len()];
    for group in groups.iter().filter(|g| !g.is_empty()) {
        let n = group.len();
        let xs: Vec<B::Cell> = group.iter().map(|&i| x.data[i].clone()).collect();
        let total = b.sum(&xs)?; // Σ x
        let mu = b.div_round(&total, n as u64)?; // μ = round(Σx / n)
        let ds = xs
            .iter()
            .map(|v| b.sub(v, &mu)) // d = x − μ
            .collect::<Result<Vec<_>>>()?;
        let v = b.dot(&ds, &ds)?; // V = Σ d²
        let ne = e
            .checked_mul(n as i128)
            .ok_or_else(|| CircuitError::unsupported("epsilon·n overflows"))?;
        let t = b.dot_const(&[v], &[1i128 << (2 * h)], ne)?; // T = 4^h·V + n·E
        let r = b.sqrt_floor(&t)?; // R² ≤ T < (R+1)²
        let r2 = b.add(&r, &r)?; // 2R, the divisor
        b.range_check(&r2)?;
        let sqrt_n = (n as f64).sqrt();
        for (&i, d) in group.iter().zip(&ds) {
            let y = if fused {
                let g = gain.constant(i).ok_or_else(missing)?;
                let beta = bias.constant(i).ok_or_else(missing)?;
                let c = quantize(sqrt_n * g, w, "LayerNorm scale")?;
                let bq = quantize(beta, s, "LayerNorm bias")?;
                // num = 2·d·C + (2β + 1)·R;  y = floor(num / 2R) = round(d·C/R) + β
                let num = b.dot_const(&[d.clone(), r.clone()], &[2 * c, 2 * bq + 1], 0)?;
                b.div_floor_var(&num, &r2)?
            } else {
                let k = quantize(sqrt_n, w, "sqrt(n)")?;
                // z = floor((2·d·K + R) / 2R) = round(d·K/R), the normalized value at s
                let num = b.dot_const(&[d.clone(), r.clone()], &[2 * k, 1], 0)?;
                let z = b.div_floor_var(&num, &r2)?;
                let g = gain.cell(b, s, i)?;
                let beta = bias.cell(b, s, i)?;
                let zg = b.mul(&z, &g)?;
                let acc = b.dot_const(&[zg, beta], &[1, 1i128 << s], 0)?; // z·g + β·D
                b.div_round(&acc, pow2(s))? // y = round(acc / D)
            };
            out[i] = Some(y);
        }
    }
    let data = out
        .into_iter()
        .map(|c| c.ok_or_else(|| CircuitError::unsupported("normalization left an element unset")))
        .collect::<Result<Vec<_>>>()?;
    Ok(CellTensor {
        shape: x.shape.clone(),
        data,
    })
}

/// Shape of a parameter operand.
fn shape_of<C>(op: &Operand<'_, C>) -> Vec<usize> {
    op.shape().to_vec()
}

/// Requires `shape` to broadcast unidirectionally to `target` (right-aligned).
fn check_broadcast(what: &str, shape: &[usize], target: &[usize]) -> Result<()> {
    let ok = shape.len() <= target.len()
        && shape
            .iter()
            .rev()
            .zip(target.iter().rev())
            .all(|(&a, &t)| a == 1 || a == t);
    if ok {
        Ok(())
    } else {
        Err(CircuitError::unsupported(format!(
            "LayerNormalization {what} of shape {shape:?} does not broadcast to {target:?}"
        )))
    }
}

/// LayerNormalization over the axes `axis..`: inputs X, Scale, optional B.
pub(super) fn layer_norm<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    axis: usize,
    epsilon: f64,
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 2)?;
    let x = cells(&inputs[0], "LayerNormalization input")?;
    let groups = axis_groups(&x.shape, axis, true)?;
    let target = &x.shape[axis..];
    let gs = shape_of(&inputs[1]);
    check_broadcast("Scale", &gs, target)?;
    let bs = inputs.get(2).map(shape_of).unwrap_or_default();
    check_broadcast("B", &bs, target)?;
    let gat = |i: usize| broadcast_index(i, &x.shape, &gs);
    let bat = |i: usize| broadcast_index(i, &x.shape, &bs);
    let gain = Param {
        op: Some(inputs[1]),
        at: &gat,
    };
    let bias = Param {
        op: inputs.get(2).copied(),
        at: &bat,
    };
    normalize(b, cx, x, &groups, epsilon, &gain, &bias)
}

/// InstanceNormalization: per `(n, c)` over the spatial axes of `[N, C, ...]`; scale and B
/// of shape `[C]`.
pub(super) fn instance_norm<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    epsilon: f64,
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 3)?;
    let x = cells(&inputs[0], "InstanceNormalization input")?;
    let Some(&c) = x.shape.get(1) else {
        return Err(CircuitError::unsupported(
            "InstanceNormalization needs an input of rank >= 2",
        ));
    };
    for (what, op) in [("scale", &inputs[1]), ("B", &inputs[2])] {
        if op.shape() != [c] {
            return Err(CircuitError::unsupported(format!(
                "InstanceNormalization {what} must have shape [{c}], got {:?}",
                op.shape()
            )));
        }
    }
    let groups = if x.shape.len() > 2 {
        axis_groups(&x.shape, 2, true)?
    } else {
        (0..x.data.len()).map(|i| vec![i]).collect()
    };
    let inner: usize = x.shape[2..].iter().product();
    let ch = |i: usize| (i / inner.max(1)) % c.max(1);
    let gain = Param {
        op: Some(inputs[1]),
        at: &ch,
    };
    let bias = Param {
        op: Some(inputs[2]),
        at: &ch,
    };
    normalize(b, cx, x, &groups, epsilon, &gain, &bias)
}
