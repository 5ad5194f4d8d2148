//! LRN: `y = x / (bias + α/size · Σ_window x²)^β` across the channels (axis 1) of
//! `[N, C, ...]`, the window `c − floor((size−1)/2) ..= c + ceil((size−1)/2)` clipped to
//! `[0, C)`.
//!
//! Fixed-point function per element (scale `s`, `D = 2^s`):
//! - `S = Σ_window x_j²` (scale `2s`, exact);
//! - `u = div_round(S·A + q(bias, 2s+k), 2^(s+k))` with `A = q(α/size, k)` at `k` bits
//!   chosen so that `A` keeps 24 significant bits (`u` = the base at `s`, 0.5 ulp);
//! - `f = Pow(u, −β)` ([`crate::ops::nonlinear::pow`]: a table on the calibrated domain of
//!   `u`, 1.5 ulp; `β = 0.5, 1, ...` use the exact root / reciprocal witnesses);
//! - `y = div_round(x·f, D)`.
//!
//! Error (ulps): `0.5 + |x|·(1.5 + 0.5·β·u^(−β−1))` — for `bias ≥ 1` at most
//! `0.5 + |x|·(1.5 + 0.5β)`.

use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::ops::nonlinear::pow;
use crate::ops::{arity, cells, CellTensor, OpCtx, Operand};
use crate::quant::{pow2, quantize};

/// Table slot of the `u^(−β)` lookup.
const POW_SLOT: usize = 0;

/// Bits `k` giving `q(v, k)` about 24 significant bits, kept within `s + k ≤ 62`.
fn const_bits(v: f64, s: u32) -> u32 {
    let e = if v > 0.0 { v.log2().floor() } else { 0.0 };
    let k = (24.0 - e).clamp(0.0, f64::from(62u32.saturating_sub(s)));
    k as u32
}

/// Evaluates LRN.
pub(super) fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    size: usize,
    alpha: f64,
    beta: f64,
    bias: f64,
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let x = cells(&inputs[0], "LRN input")?;
    let Some(&c) = x.shape.get(1) else {
        return Err(CircuitError::unsupported("LRN needs an input of rank >= 2"));
    };
    let s = cx.params.input_scale;
    let coef = alpha / size.max(1) as f64;
    let k = const_bits(coef.abs(), s);
    let a = quantize(coef, k, "LRN alpha/size")?;
    let bb = quantize(bias, 2 * s + k, "LRN bias")?;
    let inner: usize = x.shape[2..].iter().product();
    let before = size.saturating_sub(1) / 2;
    let after = size.saturating_sub(1).div_ceil(2);
    let mut data = Vec::with_capacity(x.data.len());
    for (i, v) in x.data.iter().enumerate() {
        let ch = (i / inner.max(1)) % c.max(1);
        let base = i - ch * inner;
        let lo = ch.saturating_sub(before);
        let hi = (ch + after).min(c.saturating_sub(1));
        let win: Vec<B::Cell> = (lo..=hi)
            .map(|j| x.data[base + j * inner].clone())
            .collect();
        let sq = b.dot(&win, &win)?; // S = Σ x_j²
        let acc = b.dot_const(&[sq], &[a], bb)?; // S·A + q(bias, 2s+k)
        let u = b.div_round(&acc, pow2(s + k))?; // u = base at s
        let f = pow(b, cx, -beta, POW_SLOT, &u)?; // f ≈ u^(−β)·D
        let p = b.mul(v, &f)?;
        data.push(b.div_round(&p, pow2(s))?); // y = round(x·f / D)
    }
    Ok(CellTensor {
        shape: x.shape.clone(),
        data,
    })
}
