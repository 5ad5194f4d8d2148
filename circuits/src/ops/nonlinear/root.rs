//! Square root, reciprocal, inverse square root and Softsign by range-checked witnesses
//! (`sqrt_floor`, `div_floor_var`): no tables.
//!
//! Rounding identity used throughout: for an integer `m > 0` and a real `a`,
//! `floor((floor(a) + n) / m) = floor((a + n) / m)`; so with `z = floor(2t)`,
//! `div_round(z, 2) = floor((z + 1)/2) = floor(t + 1/2)`: `t` rounded half up.

use crate::backend::Backend;
use crate::error::Result;

/// `sqrt(X)` at scale `s` for `x = X·2^s ≥ 0`: `z = sqrt_floor(4·x·2^s) = floor(2·sqrt(x·2^s))`,
/// `y = div_round(z, 2) = round(sqrt(x·2^s))`, the correctly rounded result (error ≤ 0.5
/// ulp). `x < 0` is the native `NegativeSqrt` error (and unsatisfiable in the circuit).
pub fn sqrt<B: Backend>(b: &mut B, s: u32, x: &B::Cell) -> Result<B::Cell> {
    let a = b.mul_const(x, 1i128 << (s + 2))?; // a = 4·x·2^s
    let z = b.sqrt_floor(&a)?; // z² ≤ a < (z+1)²
    b.div_round(&z, 2) // y = floor((z + 1) / 2)
}

/// `1/|x|` at scale `s` for `x > 0`: `z = div_floor_var(2^(2s+1), x) = floor(2·2^(2s)/x)`,
/// `y = div_round(z, 2) = round(2^(2s)/x)` (error ≤ 0.5 ulp).
fn reciprocal_pos<B: Backend>(b: &mut B, s: u32, x: &B::Cell) -> Result<B::Cell> {
    let n = b.constant(1i128 << (2 * s + 1))?;
    let z = b.div_floor_var(&n, x)?; // 0 ≤ 2^(2s+1) − z·x < x
    b.div_round(&z, 2)
}

/// `(neg, |x|)` with `neg = [x < 0]`.
fn sign_abs<B: Backend>(b: &mut B, x: &B::Cell) -> Result<(B::Cell, B::Cell)> {
    let n = b.is_negative(x)?;
    let m = b.neg(x)?;
    let a = b.select(&n, &m, x)?; // |x| = neg ? −x : x
    Ok((n, a))
}

/// `1/X` at scale `s`: the sign is taken off, `round(2^(2s)/|x|)` computed as in
/// [`reciprocal_pos`], and put back (error ≤ 0.5 ulp). `x = 0` is the native
/// `DivisionByZero` error (unsatisfiable in the circuit: `d − 1 ≥ 0` fails).
pub fn reciprocal<B: Backend>(b: &mut B, s: u32, x: &B::Cell) -> Result<B::Cell> {
    let (n, a) = sign_abs(b, x)?;
    let y = reciprocal_pos(b, s, &a)?;
    let m = b.neg(&y)?;
    b.select(&n, &m, &y) // y = neg ? −1/|x| : 1/|x|
}

/// Extra precision bits of the square root inside [`rsqrt`]: at most 8, and small enough
/// that `u = 2^k·sqrt(x·2^s) < 2^B` for every `x < 2^B`.
fn rsqrt_bits(s: u32, bits: u32) -> u32 {
    (bits.saturating_sub(s) / 2).saturating_sub(1).min(8)
}

/// `1/sqrt(X)` at scale `s` for `x > 0`: `u = sqrt_floor(x·2^(s+2k)) = floor(2^k·S)` with
/// `S = sqrt(x·2^s)` (the root at `k` extra bits, see [`rsqrt_bits`]), then
/// `y = round(2^(2s+k)/u)` as in [`reciprocal_pos`] (`2^(2s)/S` is the exact result). Since
/// `2^k·S − 1 < u ≤ 2^k·S`, the relative error of `u` is below `2^-k/S`, which moves `y` by
/// at most `y·2^-k/S = 2^-k/X` ulps: error ≤ `0.5 + 2^-k/X` ulp (`0.5 + 2^-k` for `X ≥ 1`;
/// `k = 8` whenever `B ≥ s + 18`). `x = 0` is `DivisionByZero`; `x < 0` is `NegativeSqrt`.
pub fn rsqrt<B: Backend>(b: &mut B, s: u32, x: &B::Cell) -> Result<B::Cell> {
    let k = rsqrt_bits(s, b.bits());
    let a = b.mul_const(x, 1i128 << (s + 2 * k))?; // a = x·2^(s+2k)
    let u = b.sqrt_floor(&a)?; // u² ≤ a < (u+1)²
    let n = b.constant(1i128 << (2 * s + k + 1))?;
    let z = b.div_floor_var(&n, &u)?; // z = floor(2·2^(2s+k)/u)
    b.div_round(&z, 2) // y = round(2^(2s+k)/u)
}

/// Softsign `X/(1+|X|)` at scale `s`: `d = 2^s + |x|`, `z = div_floor_var(2·|x|·2^s, d)`,
/// `y' = div_round(z, 2) = round(|x|·2^s/d)`, and the sign put back (error ≤ 0.5 ulp).
pub fn softsign<B: Backend>(b: &mut B, s: u32, x: &B::Cell) -> Result<B::Cell> {
    let (n, a) = sign_abs(b, x)?;
    let d = b.add_const(&a, 1i128 << s)?; // d = 2^s + |x|
    let num = b.mul_const(&a, 1i128 << (s + 1))?; // 2·|x|·2^s
    let z = b.div_floor_var(&num, &d)?;
    let y = b.div_round(&z, 2)?;
    let m = b.neg(&y)?;
    b.select(&n, &m, &y)
}
