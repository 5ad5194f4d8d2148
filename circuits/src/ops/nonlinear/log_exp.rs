//! Log and Exp on wide calibrated domains by range reduction, so that the tables stay at a
//! few hundred rows at any scale (a direct table needs one row per ulp near Log's
//! singularity, and `2^(s/2)`-ish rows for Exp's large outputs).
//!
//! **Log** (`x = X·2^-s`, `X ≥ 1`, calibrated `X ∈ [lo, hi]`, `e_lo = ⌊log2 lo⌋`,
//! `E = ⌊log2 hi⌋`): a binary normalization by the steps `c = 2^(L−1), …, 2, 1`
//! (`2^L > E − e_lo`): `bit_c = [m < 2^(E+1−c)]`, `m ← bit_c ? m·2^c : m`, so that
//! `m = X·2^t ∈ [2^E, 2^(E+1))` with `t = Σ c·bit_c`. `m` is moved to the table frame
//! `[2^K, 2^(K+1))`, `K = min(s + 6, B − 1)` (times `2^(K−E)`, or floored by `2^(E−K)`),
//! `T ≈ ln(m/2^K)` at scale `s + 2` from one interpolated table on `[1, 2)` (64 rows at
//! `s = 10`, 256 at `s = 14`, shared by every Log at that scale), and
//! `ln x = ln(m/2^K) + (E − s − t)·ln 2`, rounded back to `s`. Error ≤ 0.5 (final rounding)
//! `+ 1.4/4` (table) `+ 2^-6` (floor) `+ 64·2^-11` (`ln 2` at `s + 10`) `< 0.9` ulp. An `X`
//! outside `[2^e_lo, 2^(E+1))` (so `X ≤ 0` too) lands outside the table: `TableRange`.
//!
//! **Exp** (`x ∈ [lo, hi]`, clamped below at `−(s+3)·ln 2` where `e^x < 2^-(s+3)`, `hi` at
//! most `(B−1−s)·ln 2` so outputs stay below `2^(B−1)`): `U = x·q(log2 e, w)` at scale
//! `S = s + w`, `n = ⌊U/2^S⌋`, `F = U − n·2^S ∈ [0, 2^S)` split as
//! `F = (h1·2^R2 + h2)·2^(S−R) + l`. With `P = n_hi + 1 + s` (every output is below `2^P`
//! ulps) and `Q = P + 3`: `T1(h1) = q(2^(h1/2^R1), Q)` (exact, `2^R1` rows),
//! `T2(h2)` interpolates `2^(f/2^R)` for `f ∈ [0, 2^-R1)` at scale `Q` (`2^R2` rows),
//! `N(n) = 2^(n − n_lo)` (one row per `n` of the domain), `W = ⌊T1·N / 2^(Q−s−1−n_lo)⌉ ≈
//! 2^(n+f1)` at scale `s + 1`, `y = ⌊W·T2 / 2^(Q+1)⌉`. `R = R1 + R2` is the smallest step
//! whose interpolation error is ≤ 0.4 ulp at `Q`. Error ≤ 0.5 (final) `+ (0.5 + 1/16)/2·1.01`
//! (W) `+ 1.4/8` (T2, relative to `2^P`) `+ 0.05` (`log2 e` at `w` bits, `w` chosen for it)
//! `< 1.05` ulp. An `x` whose `n` is outside the domain is `TableRange` on the `N` table.

use std::sync::Arc;

use super::table::{self, End, Interp, Spec};
use crate::backend::{Backend, Table};
use crate::error::Result;
use crate::quant::pow2;

/// A direct table with at most this many rows is kept (it needs fewer constraints per
/// element than the reduction).
pub const DIRECT_MAX_ROWS: usize = 512;

/// Guard bits of Log's table output (`T` at scale `s + LOG_GUARD`).
const LOG_GUARD: u32 = 2;
/// Extra bits of `ln 2` beyond the table output scale.
const LN2_EXTRA: u32 = 8;
/// Guard bits of Exp's intermediate `W` (at scale `s + EXP_GUARD`; 1 keeps `W < 2^B`).
const EXP_GUARD: u32 = 1;

fn floor_log2(v: i128) -> u32 {
    127 - v.leading_zeros()
}

/// Log by range reduction for a calibrated range `[lo, hi]` (`lo ≥ 1`).
#[derive(Debug)]
pub(super) struct LogPlan {
    s: u32,
    /// `⌊log2 hi⌋`.
    e: u32,
    /// Table frame exponent.
    k: u32,
    /// Normalization steps, largest first.
    steps: Vec<u32>,
    interp: Arc<Interp>,
}

impl LogPlan {
    /// The plan, or `None` when the range is not strictly positive.
    pub fn new(s: u32, bits: u32, [lo, hi]: [i128; 2]) -> Result<Option<Self>> {
        if lo < 1 || hi < lo || bits < 2 {
            return Ok(None);
        }
        let (e_lo, e) = (floor_log2(lo), floor_log2(hi));
        let span = e - e_lo;
        let l = 32 - span.leading_zeros(); // 2^l > span
        let steps = (0..l).rev().map(|i| 1u32 << i).collect();
        let k = (s + LOG_GUARD + 4).min(bits - 1);
        let out = s + LOG_GUARD;
        let sc = (f64::from(out) - f64::from(k)).exp2();
        let spec = Spec {
            key: format!("Log[1,2)|out{out}"),
            g: Arc::new(move |t: f64| t.ln() * sc),
            lo: End::Bound(1.0),
            hi: End::Bound(2.0 - f64::from(k).exp2().recip()),
        };
        let interp = table::resolve(&spec, k, k + 1, None)?;
        Ok(Some(Self {
            s,
            e,
            k,
            steps,
            interp,
        }))
    }

    /// The tables used.
    pub fn tables(&self) -> Vec<Table> {
        vec![self.interp.table.clone()]
    }

    /// `ln x` at scale `s` (see the module docs).
    pub fn eval<B: Backend>(&self, b: &mut B, x: &B::Cell) -> Result<B::Cell> {
        let (e, k) = (self.e, self.k);
        let mut m = x.clone();
        let mut bits = Vec::with_capacity(self.steps.len());
        for &c in &self.steps {
            let d = b.add_const(&m, -(1i128 << (e + 1 - c)))?;
            let bit = b.is_negative(&d)?; // bit = [m < 2^(E+1−c)]
            let up = b.mul_const(&m, 1i128 << c)?;
            m = b.select(&bit, &up, &m)?; // m ← bit ? m·2^c : m
            bits.push(bit);
        }
        // m = X·2^t ∈ [2^E, 2^(E+1)) for X ∈ [2^e_lo, 2^(E+1)); into [2^K, 2^(K+1)):
        if e < k {
            m = b.mul_const(&m, 1i128 << (k - e))?; // m ← m·2^(K−E)
        } else if e > k {
            let sh = b.add_const(&m, -(1i128 << (e - k - 1)))?;
            m = b.div_round(&sh, 1u64 << (e - k))?; // m ← ⌊m / 2^(E−K)⌋
        }
        let t = table::eval(b, &self.interp, &m)?; // t ≈ ln(m/2^K)·2^(s+g)
        let sc = self.s + LOG_GUARD + LN2_EXTRA;
        let q = (std::f64::consts::LN_2 * f64::from(sc).exp2()).round() as i128;
        let mut xs = vec![t];
        let mut ws = vec![1i128 << LN2_EXTRA];
        for (bit, &c) in bits.into_iter().zip(&self.steps) {
            xs.push(bit);
            ws.push(-i128::from(c) * q);
        }
        let bias = (i128::from(e) - i128::from(self.s)) * q;
        // tot = t·2^p' + (E − s − Σ c·bit_c)·q(ln 2, s+g+p') ≈ ln x at scale s+g+p'
        let tot = b.dot_const(&xs, &ws, bias)?;
        b.div_round(&tot, pow2(LOG_GUARD + LN2_EXTRA))
    }
}

/// Exp by range reduction for a calibrated range (see the module docs).
#[derive(Debug)]
pub(super) struct ExpPlan {
    s: u32,
    /// Lower clamp (fixed point at `s`), when the range reaches below it.
    clamp: Option<i128>,
    /// `q(log2 e, w)`.
    ql: i128,
    /// `s + w`.
    big_s: u32,
    q: u32,
    r: u32,
    r2: u32,
    n_lo: i128,
    t1: Table,
    t2: Table,
    tn: Table,
}

impl ExpPlan {
    /// The plan for the calibrated `[lo, hi]` (already capped above at `hmax`), or `None`
    /// when the reduction does not fit (`u64` divisors, `i128` products): then the direct
    /// table is used.
    pub fn new(s: u32, [lo, hi]: [i128; 2]) -> Option<Self> {
        let scale = f64::from(s).exp2();
        let sat = (-(f64::from(s) + 3.0) * std::f64::consts::LN_2 * scale).floor() as i128;
        let (clamp, lo) = if lo < sat {
            (Some(sat), sat)
        } else {
            (None, lo)
        };
        if hi < lo {
            return None;
        }
        let (lof, hif) = (lo as f64 / scale, hi as f64 / scale);
        let log2e = std::f64::consts::LOG2_E;
        // An upper bound of the output's bits, for choosing w.
        let p_est = ((hif * log2e).floor() + 2.0 + f64::from(s)).max(f64::from(s));
        let xmax = lof.abs().max(hif.abs()) + 1.0;
        let w = (p_est + xmax.log2()).ceil() as u32 + 3;
        let big_s = (s + w).min(62);
        let w = big_s - s;
        let ql = (log2e * f64::from(w).exp2()).round() as i128;
        let n_of = |x: i128| -> Option<i128> { Some(x.checked_mul(ql)? >> big_s) };
        let (n_lo, n_hi) = (n_of(lo)?, n_of(hi)?);
        let p = (n_hi + 1 + i128::from(s)).max(1);
        let q = u32::try_from(p).ok()? + 3;
        let n_span = u32::try_from(n_hi - n_lo).ok()?;
        if q > 56 || q + 1 + n_span > 120 {
            return None;
        }
        // The smallest R whose T2 interpolation error δ²/8·(ln 2)²·2^(2^-R1)·2^Q ≤ 0.4.
        let ok = |r: u32| {
            let r1 = r.div_ceil(2);
            let d = f64::from(r).exp2().recip();
            d * d / 8.0
                * std::f64::consts::LN_2.powi(2)
                * (f64::from(r1).exp2().recip()).exp2()
                * f64::from(q).exp2()
                <= 0.4
        };
        let r = (2..=40).find(|&r| ok(r))?;
        if big_s <= r {
            return None;
        }
        let (r1, r2) = (r.div_ceil(2), r / 2);
        let fq = move |v: f64| (v.exp2() * f64::from(q).exp2()).round() as i128;
        let t1 = Table {
            key: format!("Exp2hi|Q{q}|R{r1}"),
            lo: 0,
            hi: (1i128 << r1) - 1,
            f: Arc::new(move |h| (fq(h as f64 / f64::from(r1).exp2()), 0)),
        };
        let t2 = Table {
            key: format!("Exp2lo|Q{q}|R{r}"),
            lo: 0,
            hi: (1i128 << r2) - 1,
            f: Arc::new(move |h| {
                let f0 = fq(h as f64 / f64::from(r).exp2());
                (f0, fq((h + 1) as f64 / f64::from(r).exp2()) - f0)
            }),
        };
        let tn = Table {
            key: format!("Exp2n|{n_lo}..{n_hi}"),
            lo: n_lo,
            hi: n_hi,
            f: Arc::new(move |n| (1i128 << (n - n_lo), 0)),
        };
        Some(Self {
            s,
            clamp,
            ql,
            big_s,
            q,
            r,
            r2,
            n_lo,
            t1,
            t2,
            tn,
        })
    }

    /// The tables used.
    pub fn tables(&self) -> Vec<Table> {
        vec![self.t1.clone(), self.t2.clone(), self.tn.clone()]
    }

    /// `e^x` at scale `s` (see the module docs).
    pub fn eval<B: Backend>(&self, b: &mut B, x: &B::Cell) -> Result<B::Cell> {
        let (bs, r, r2) = (self.big_s, self.r, self.r2);
        let mut x = x.clone();
        if let Some(c) = self.clamp {
            let k = b.constant(c)?;
            x = b.max(&x, &k)?; // x ← max(x, −(s+3)·ln 2)
        }
        let u = b.mul_const(&x, self.ql)?; // U = x·q(log2 e) at scale S
        let sh = b.add_const(&u, -(1i128 << (bs - 1)))?;
        let n = b.div_round(&sh, 1u64 << bs)?; // n = ⌊U/2^S⌋, so F = U − n·2^S ∈ [0, 2^S)
        let f = b.dot_const(&[u, n.clone()], &[1, -(1i128 << bs)], 0)?; // F = U − n·2^S
        let sh = b.add_const(&f, -(1i128 << (bs - r - 1)))?;
        let h = b.div_round(&sh, 1u64 << (bs - r))?; // h = ⌊F/2^(S−R)⌋ ∈ [0, 2^R)
        let l = b.dot_const(&[f, h.clone()], &[1, -(1i128 << (bs - r))], 0)?; // l = F − h·2^(S−R)
        let h1 = if r2 == 0 {
            h.clone()
        } else {
            let sh = b.add_const(&h, -(1i128 << (r2 - 1)))?;
            b.div_round(&sh, 1u64 << r2)? // h1 = ⌊h/2^R2⌋ ∈ [0, 2^R1)
        };
        let h2 = b.dot_const(&[h, h1.clone()], &[1, -(1i128 << r2)], 0)?; // h2 = h − h1·2^R2
        let (t1, _) = b.lookup(&self.t1, &h1)?; // t1 = 2^(h1/2^R1) at Q
        let (f0, df) = b.lookup(&self.t2, &h2)?; // (f0, df) = row h2 of T2
        let p = b.mul(&df, &l)?;
        let c = b.div_round(&p, 1u64 << (bs - r))?; // c = ⌊df·l / 2^(S−R)⌉
        let v2 = b.add(&f0, &c)?; // v2 ≈ 2^(f2) at Q
        let (nn, _) = b.lookup(&self.tn, &n)?; // nn = 2^(n − n_lo)
        let a = b.mul(&t1, &nn)?;
        let shift = i128::from(self.q) - i128::from(self.s + EXP_GUARD) - self.n_lo;
        let w = b.div_round(&a, 1u64 << shift)?; // W = ⌊t1·nn / 2^(Q−s−g−n_lo)⌉ ≈ 2^(n+f1) at s+g
        let a = b.mul(&w, &v2)?;
        b.div_round(&a, pow2(self.q + EXP_GUARD)) // y = ⌊W·v2 / 2^(Q+g)⌉
    }
}
