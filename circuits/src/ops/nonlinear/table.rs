//! Piecewise-linear interpolation of a real function in a lookup table.
//!
//! The input `x` (fixed point at `s = s_a`) is split as `x = h·2^r + l`, `l ∈ [0, 2^r)`; one
//! lookup of `h` gives `(f0, df) = (q(g(h·2^(r−s))), q(g((h+1)·2^(r−s))) − f0)` (`q` rounds
//! to the output scale `s`), and `y = f0 + div_round(df·l, 2^r)`.
//!
//! **Step.** `r` is the largest value for which the interpolation error of every table
//! interval (and of every finer step), measured as the deviation `|g(a + tδ) − ((1−t)g(a) +
//! t·g(a+δ))|` at `t = 1/8, …, 7/8` (at `t = 1/2` it is half the second difference at step
//! `δ/2`, `M2·δ²/8` for the local `|g''| = M2`, `δ = 2^(r−s)`), is at most 0.4 ulp
//! (`0.4·2^-s`). Every interval is checked when the table has at most 4096 rows, 4096
//! evenly spaced ones (the first and last included) otherwise. `r = 0` (one row per ulp, no
//! interpolation) is always accepted.
//!
//! **Error.** `|y − g(x)·2^s| ≤ 0.5` (rounded endpoints) `+ 0.5` (the rounded division)
//! `+ ~0.4` (interpolation) `≈ 1.4 ulp` inside the domain; in a clamped tail the function
//! is within a quarter ulp of its limit, so the error there is at most 1 ulp.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::backend::{Backend, Table};
use crate::error::{CircuitError, Result};

/// A real function `f64 → f64`.
pub(super) type RealFn = Arc<dyn Fn(f64) -> f64 + Send + Sync>;

/// Largest interpolation error accepted when choosing the step, in ulps.
const MAX_INTERP_ULPS: f64 = 0.4;
/// Intervals sampled per candidate step.
const SAMPLES: i128 = 4096;
/// Largest step exponent (keeps `df·l` small).
const MAX_R: u32 = 40;

/// One end of a table's domain.
#[derive(Clone, Copy, Debug)]
pub(super) enum End {
    /// The function tends to this limit: the input is clamped where the function is within a
    /// quarter ulp of it.
    Limit(f64),
    /// The input is clamped at this point (real units).
    At(f64),
    /// The domain ends at this point (real units), no clamp: inputs beyond are a
    /// table-range error.
    Bound(f64),
    /// Set by calibration ([`crate::quant::QuantParams::range`]), never beyond this valid
    /// bound (fixed point at `s`); no clamp: inputs outside are a table-range error.
    Data(i128),
    /// Set by calibration, but when calibration reaches the point where the function is
    /// within a quarter ulp of this limit (or there is no calibration), clamp there.
    DataLimit(f64),
}

/// A function and its domain; `key` names the function and its parameters.
pub(super) struct Spec {
    /// Table-key prefix (function and parameters).
    pub key: String,
    /// The function.
    pub g: RealFn,
    /// Lower end.
    pub lo: End,
    /// Upper end.
    pub hi: End,
}

/// A resolved table: step, clamps and rows.
#[derive(Debug)]
pub struct Interp {
    /// The lookup table over `h`.
    pub table: Table,
    /// Step exponent: one row per `2^r` fixed-point units.
    pub r: u32,
    /// Inputs below are raised to this (fixed point).
    pub clamp_lo: Option<i128>,
    /// Inputs above are lowered to this (fixed point).
    pub clamp_hi: Option<i128>,
}

impl Spec {
    /// Whether the domain depends on calibration (the op must `observe` its input).
    pub fn data_dependent(&self) -> bool {
        [self.lo, self.hi]
            .iter()
            .any(|e| matches!(e, End::Data(_) | End::DataLimit(_)))
    }
}

fn cache() -> &'static Mutex<HashMap<String, Arc<Interp>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Interp>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// `round(v·2^s)`; non-finite values (outside the function's domain) give 0 and huge ones
/// saturate at `±2^100` (the native backend reports either as a range error downstream).
fn q(v: f64, s: u32) -> i128 {
    if !v.is_finite() {
        return 0;
    }
    let lim = 2f64.powi(100);
    (v * f64::from(s).exp2()).round().clamp(-lim, lim) as i128
}

/// The point where `g` is within a quarter ulp of `limit`, searching from 0 in direction
/// `dir` (±1) up to `cap` (real units): doubling, then bisection (tails are monotone).
fn saturation(g: &RealFn, limit: f64, s: u32, dir: f64, cap: f64) -> f64 {
    let tol = f64::from(s + 2).exp2().recip();
    let near = |x: f64| {
        [x, 1.5 * x, 2.0 * x]
            .iter()
            .all(|&t| (g(dir * t) - limit).abs() <= tol)
    };
    let mut hi = 1.0 / 16.0;
    while !near(hi) {
        hi *= 2.0;
        if hi >= cap {
            return dir * cap;
        }
    }
    let mut lo = hi / 2.0;
    while hi - lo > 1.0 / 64.0 {
        let mid = 0.5 * (lo + hi);
        if near(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    dir * hi
}

/// Worst interpolation error (ulps) of the intervals of width `2^r` covering `[lo, hi]`,
/// measured at the points `k/8` (`k = 1..7`) of each interval.
fn interp_error(g: &RealFn, s: u32, r: u32, lo: i128, hi: i128) -> f64 {
    let d = 1i128 << r;
    let (h0, h1) = (lo.div_euclid(d), hi.div_euclid(d));
    let n = h1 - h0 + 1;
    let scale = f64::from(s).exp2();
    let x = |v: f64| v / scale;
    let mut worst = 0f64;
    let count = n.min(SAMPLES);
    for k in 0..count {
        let h = if count == n {
            h0 + k
        } else {
            h0 + k * (n - 1) / (count - 1).max(1)
        };
        let a = (h * d) as f64;
        let w = d as f64;
        let (ga, gb) = (g(x(a)), g(x(a + w)));
        for j in 1..8 {
            let t = f64::from(j) / 8.0;
            let e = (g(x(a + t * w)) - ((1.0 - t) * ga + t * gb)).abs() * scale;
            if !e.is_finite() {
                return f64::INFINITY;
            }
            worst = worst.max(e);
        }
    }
    worst
}

/// The step exponent: the largest `r` such that every step up to it meets
/// [`MAX_INTERP_ULPS`] on `[lo, hi]` (searching upwards, so a coarse grid that happens to
/// straddle a bump cannot pass).
fn choose_r(g: &RealFn, s: u32, lo: i128, hi: i128) -> u32 {
    let span = (hi - lo).max(1);
    let top = (127 - span.leading_zeros()).min(MAX_R);
    (1..=top)
        .take_while(|&r| interp_error(g, s, r, lo, hi) <= MAX_INTERP_ULPS)
        .last()
        .unwrap_or(0)
}

/// Resolves `spec` at scale `s`, bound `bits`, calibrated range `cal` (cached: equal uses
/// share one table).
pub(super) fn resolve(
    spec: &Spec,
    s: u32,
    bits: u32,
    cal: Option<[i128; 2]>,
) -> Result<Arc<Interp>> {
    let cal = if spec.data_dependent() { cal } else { None };
    let id = format!("{}|s{s}|b{bits}|{cal:?}", spec.key);
    let poisoned = |_| CircuitError::unsupported("the nonlinear table cache is poisoned");
    if let Some(it) = cache().lock().map_err(poisoned)?.get(&id) {
        return Ok(it.clone());
    }
    let it = Arc::new(build(spec, s, bits, cal)?);
    cache().lock().map_err(poisoned)?.insert(id, it.clone());
    Ok(it)
}

fn build(spec: &Spec, s: u32, bits: u32, cal: Option<[i128; 2]>) -> Result<Interp> {
    let scale = f64::from(s).exp2();
    let amin = -(1i128 << bits);
    let amax = (1i128 << bits) - 1;
    let cap = f64::from(bits.saturating_sub(s)).exp2().min(2f64.powi(40));
    let fix = |v: f64| (v * scale).round().clamp(amin as f64, amax as f64) as i128;
    // (bound, clamped?) of each end.
    let end = |e: End, dir: f64, cal_v: Option<i128>| -> (i128, bool) {
        match e {
            End::Limit(l) => (fix(saturation(&spec.g, l, s, dir, cap)), true),
            End::At(a) => (fix(a), true),
            End::Bound(a) => (fix(a), false),
            End::Data(v) => match cal_v {
                Some(c) if dir < 0.0 => (c.max(v), false),
                Some(c) => (c.min(v), false),
                None => (v, false),
            },
            End::DataLimit(l) => {
                let k = fix(saturation(&spec.g, l, s, dir, cap));
                match cal_v {
                    Some(c) if (dir < 0.0 && c > k) || (dir > 0.0 && c < k) => (c, false),
                    _ => (k, true),
                }
            }
        }
    };
    let (mut lo, clo) = end(spec.lo, -1.0, cal.map(|c| c[0]));
    let (mut hi, chi) = end(spec.hi, 1.0, cal.map(|c| c[1]));
    if lo > hi {
        return Err(CircuitError::unsupported(format!(
            "table {}: empty domain [{lo}, {hi}] (calibrated range {cal:?})",
            spec.key
        )));
    }
    let r = choose_r(&spec.g, s, lo, hi);
    let d = 1i128 << r;
    // Clamp points on the grid, so that a clamped input interpolates nothing (l = 0).
    if clo {
        lo = lo.div_euclid(d) * d;
    }
    if chi {
        hi = (hi + d - 1).div_euclid(d) * d;
    }
    let (h0, h1) = (lo.div_euclid(d), hi.div_euclid(d));
    let g = spec.g.clone();
    let f = move |i: i128| {
        let f0 = q(g((i * d) as f64 / scale), s);
        let f1 = q(g(((i + 1) * d) as f64 / scale), s);
        (f0, f1 - f0)
    };
    Ok(Interp {
        table: Table {
            key: format!("{}|s{s}|r{r}|{h0}..{h1}", spec.key),
            lo: h0,
            hi: h1,
            f: Arc::new(f),
        },
        r,
        clamp_lo: clo.then_some(lo),
        clamp_hi: chi.then_some(hi),
    })
}

/// `g(x)` by the table: clamp, split `x = h·2^r + l`, look up `h`, interpolate.
pub(super) fn eval<B: Backend>(b: &mut B, it: &Interp, x: &B::Cell) -> Result<B::Cell> {
    let mut x = x.clone();
    if let Some(c) = it.clamp_lo {
        let k = b.constant(c)?;
        x = b.max(&x, &k)?; // x ← max(x, lo)
    }
    if let Some(c) = it.clamp_hi {
        let k = b.constant(c)?;
        x = b.min(&x, &k)?; // x ← min(x, hi)
    }
    if it.r == 0 {
        // One row per ulp: (f0, _) = T(x), y = f0.
        return Ok(b.lookup(&it.table, &x)?.0);
    }
    let d = 1i128 << it.r;
    // h = floor(x / 2^r) = div_round(x − 2^(r−1), 2^r); its remainder check gives
    // l = x − h·2^r ∈ [0, 2^r).
    let shifted = b.add_const(&x, -(d / 2))?;
    let h = b.div_round(&shifted, 1u64 << it.r)?;
    let hd = b.mul_const(&h, -d)?;
    let l = b.add(&x, &hd)?; // l = x − h·2^r
    let (f0, df) = b.lookup(&it.table, &h)?; // (h, f0, df) is a row of the table
    let p = b.mul(&df, &l)?;
    let c = b.div_round(&p, 1u64 << it.r)?; // c = round(df·l / 2^r)
    b.add(&f0, &c) // y = f0 + c
}
