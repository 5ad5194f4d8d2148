//! Smooth scalar functions by table lookup with linear interpolation ([`table`]), or by
//! range-checked witness ([`root`]: Sqrt, Reciprocal, Softsign); piecewise-linear
//! HardSigmoid / HardSwish; Pow with a constant exponent.
//!
//! Fixed-point function, all at the activation scale `s = s_a` (`ulp = 2^-s`; `K` = the
//! point where a function is within a quarter ulp of its limit):
//!
//! | function | circuit | worst-case error |
//! | --- | --- | --- |
//! | Sigmoid, Tanh, Erf | table on `[−K, K]`, input clamped there | 1.5 ulp |
//! | Softplus, Gelu (both forms), Mish | `relu(x) + T(x)`, `T = f − relu` on `[−K, K]`, clamped | 1.5 ulp |
//! | Elu, Celu | `relu(x) + T(x)`, `T = α(e^(x/α) − 1)` on `[−K, 0]`, clamped | 1.5 ulp |
//! | Selu | `γ·relu(x) + T(x)` (γ at `s_p`) | 2 ulp + `|X|·2^(s−s_p−1)` |
//! | Exp | table on the calibrated domain, clamped below at `−K` (`e^x` → 0), when it has ≤ 512 rows; else [`log_exp`] range reduction (`2^n·2^f`: 87 / 155 rows on `[−16, 6]` at `s = 10 / 14`, was 7,337 / 16,097+) | 1.5 ulp (reduced: 1.05, measured 0.78) |
//! | Log | table on the calibrated domain when it has ≤ 512 rows; else [`log_exp`] range reduction (`ln(m) + e·ln 2`, one table on `[1, 2)`: 64 / 256 rows at `s = 10 / 14` for any range, was 40,945 on `[1/64, 40]` at `s = 10`) | 1.5 ulp (reduced: 0.9, measured 0.72) |
//! | Sin, Cos, Pow (other exponents) | table on the calibrated domain | 1.5 ulp |
//! | Sqrt, Reciprocal, Softsign | [`root`] witnesses, correctly rounded | 0.5 ulp |
//! | HardSigmoid, HardSwish | affine map, clamps, rescale | 0.5 ulp (+ `|X|·2^(s−s_p)`) |
//! | Pow 2..=8 | products, rescaled once when they fit, see [`int_pow`] | 0.5 ulp when exact |
//!
//! The table sizes follow from the step rule in [`table`] (printed by the tests in
//! `circuits/tests/ops_nonlinear.rs`); every bound is asserted there on a dense sweep.

pub mod log_exp;
pub mod root;
pub mod table;

use std::sync::Arc;

use onnx_import::eval::apply_fn;
use onnx_import::ir::{Op, ScalarFn};

use super::{arity, cells, CellTensor, OpCtx, Operand};
use crate::backend::{Backend, Table};
use crate::error::{CircuitError, Result};
use crate::quant::{pow2, quantize};
use table::{End, Spec};

/// Dispatches the family's ops.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let x = cells(&inputs[0], "function input")?;
    let mut data = Vec::with_capacity(x.data.len());
    for v in &x.data {
        data.push(match cx.node.op {
            Op::Function(f) => apply(b, cx, f, 0, v)?,
            Op::Pow { exponent } => pow(b, cx, exponent, 0, v)?,
            ref other => {
                return Err(CircuitError::unsupported(format!(
                    "{} is not a smooth scalar function",
                    other.name()
                )))
            }
        });
    }
    Ok(CellTensor {
        shape: x.shape.clone(),
        data,
    })
}

/// `f(x)` at the activation scale for one cell `x` (also at the activation scale). `slot`
/// numbers the table uses of the calling node: functions with a data-dependent domain (Exp,
/// Log, Sin, Cos) `observe` their input there and size their table from the calibrated
/// range of `(cx.index, slot)`. See the module docs for the method and error of each `f`.
pub fn apply<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    f: ScalarFn,
    slot: usize,
    x: &B::Cell,
) -> Result<B::Cell> {
    let s = cx.params.input_scale;
    match f {
        ScalarFn::Sqrt => root::sqrt(b, s, x),
        ScalarFn::Reciprocal => root::reciprocal(b, s, x),
        ScalarFn::Softsign => root::softsign(b, s, x),
        ScalarFn::HardSigmoid { alpha, beta } => hard_sigmoid(b, cx, alpha, beta, x),
        ScalarFn::HardSwish => hard_swish(b, cx, x),
        ScalarFn::Log | ScalarFn::Exp => {
            let route = route(cx, f, slot, b.bits())?;
            b.observe(slot, x);
            match route {
                Route::Direct(it) => table::eval(b, &it, x),
                Route::Log(p) => p.eval(b, x),
                Route::Exp(p) => p.eval(b, x),
            }
        }
        _ => {
            let (spec, c) = spec_for(f, s, b.bits())?;
            by_table(b, cx, &spec, c, slot, x)
        }
    }
}

/// `e^x` at the activation scale for `x ≤ 0` (the softmax case): a table on `[−K, 0]`,
/// `e^−K` within a quarter ulp of 0, inputs below clamped to `−K` (giving 0); no
/// calibration. Error ≤ 1.5 ulp. Inputs `x > 0` past the last row (which spans
/// `[0, 2^(r−s))`) are a table-range error; those in it are still interpolated correctly.
pub fn exp_nonpositive<B: Backend>(b: &mut B, cx: &OpCtx<'_>, x: &B::Cell) -> Result<B::Cell> {
    let spec = Spec {
        key: "exp_nonpositive".into(),
        g: Arc::new(f64::exp),
        lo: End::Limit(0.0),
        hi: End::Bound(0.0),
    };
    by_table(b, cx, &spec, 0.0, 0, x)
}

/// `1 / x` at the activation scale, correctly rounded; `x = 0` is `DivisionByZero`.
pub fn reciprocal<B: Backend>(b: &mut B, cx: &OpCtx<'_>, x: &B::Cell) -> Result<B::Cell> {
    root::reciprocal(b, cx.params.input_scale, x)
}

/// `sqrt(x)` at the activation scale, correctly rounded; `x < 0` is `NegativeSqrt`.
pub fn sqrt<B: Backend>(b: &mut B, cx: &OpCtx<'_>, x: &B::Cell) -> Result<B::Cell> {
    root::sqrt(b, cx.params.input_scale, x)
}

/// `1 / sqrt(x)` at the activation scale (see [`root::rsqrt`] for its error).
pub fn rsqrt<B: Backend>(b: &mut B, cx: &OpCtx<'_>, x: &B::Cell) -> Result<B::Cell> {
    root::rsqrt(b, cx.params.input_scale, x)
}

/// Rows of the table `f` uses at `(cx.index, slot)` (`None`: `f` has no table).
pub fn table_rows(cx: &OpCtx<'_>, f: ScalarFn, slot: usize) -> Result<Option<usize>> {
    if matches!(
        f,
        ScalarFn::Sqrt
            | ScalarFn::Reciprocal
            | ScalarFn::Softsign
            | ScalarFn::HardSigmoid { .. }
            | ScalarFn::HardSwish
    ) {
        return Ok(None);
    }
    Ok(Some(tables(cx, f, slot)?.iter().map(Table::rows).sum()))
}

/// The tables `f` uses at `(cx.index, slot)` (empty: `f` has no table).
pub fn tables(cx: &OpCtx<'_>, f: ScalarFn, slot: usize) -> Result<Vec<Table>> {
    let p = cx.params;
    if matches!(
        f,
        ScalarFn::Sqrt
            | ScalarFn::Reciprocal
            | ScalarFn::Softsign
            | ScalarFn::HardSigmoid { .. }
            | ScalarFn::HardSwish
    ) {
        return Ok(Vec::new());
    }
    if matches!(f, ScalarFn::Log | ScalarFn::Exp) {
        return Ok(match route(cx, f, slot, p.bits)? {
            Route::Direct(it) => vec![it.table.clone()],
            Route::Log(l) => l.tables(),
            Route::Exp(e) => e.tables(),
        });
    }
    let (spec, _) = spec_for(f, p.input_scale, p.bits)?;
    let it = table::resolve(&spec, p.input_scale, p.bits, p.range(cx.index, slot))?;
    Ok(vec![it.table.clone()])
}

/// How Log or Exp is computed at a node.
enum Route {
    /// One interpolated table on the whole (calibrated) domain.
    Direct(Arc<table::Interp>),
    /// Range reduction, see [`log_exp`].
    Log(log_exp::LogPlan),
    /// Range reduction, see [`log_exp`].
    Exp(Box<log_exp::ExpPlan>),
}

/// The direct table when it has at most [`log_exp::DIRECT_MAX_ROWS`] rows or there is no
/// calibrated range (calibration's first pass: a native run, where the reduction's
/// comparisons with the widest domain's powers of two would inflate the measured bound),
/// else the range reduction (when it fits, see [`log_exp::ExpPlan::new`]).
fn route(cx: &OpCtx<'_>, f: ScalarFn, slot: usize, bits: u32) -> Result<Route> {
    let s = cx.params.input_scale;
    let (spec, _) = spec_for(f, s, bits)?;
    let cal = cx.params.range(cx.index, slot);
    let it = table::resolve(&spec, s, bits, cal)?;
    let Some([lo, hi]) = cal else {
        return Ok(Route::Direct(it));
    };
    if it.table.rows() <= log_exp::DIRECT_MAX_ROWS {
        return Ok(Route::Direct(it));
    }
    if f == ScalarFn::Log {
        let amax = (1i128 << bits) - 1;
        return Ok(match log_exp::LogPlan::new(s, bits, [lo, hi.min(amax)])? {
            Some(p) => Route::Log(p),
            None => Route::Direct(it),
        });
    }
    let hmax = match spec.hi {
        End::Data(h) => h,
        _ => hi,
    };
    Ok(match log_exp::ExpPlan::new(s, [lo, hi.min(hmax)]) {
        Some(p) => Route::Exp(Box::new(p)),
        None => Route::Direct(it),
    })
}

/// The table of `f` and the coefficient `c` of the `c·relu(x)` added to it.
fn spec_for(f: ScalarFn, s: u32, bits: u32) -> Result<(Spec, f64)> {
    let key = format!("{f:?}");
    let c = match f {
        ScalarFn::Softplus | ScalarFn::Gelu { .. } | ScalarFn::Mish => 1.0,
        ScalarFn::Elu { .. } | ScalarFn::Celu { .. } => 1.0,
        ScalarFn::Selu { gamma, .. } => gamma,
        _ => 0.0,
    };
    let g: table::RealFn = Arc::new(move |x| apply_fn(f, x) - c * x.max(0.0));
    let amax = (1i128 << bits) - 1;
    let (lo, hi) = match f {
        ScalarFn::Sigmoid => (End::Limit(0.0), End::Limit(1.0)),
        ScalarFn::Tanh | ScalarFn::Erf => (End::Limit(-1.0), End::Limit(1.0)),
        ScalarFn::Softplus | ScalarFn::Gelu { .. } | ScalarFn::Mish => {
            (End::Limit(0.0), End::Limit(0.0))
        }
        ScalarFn::Elu { alpha } => (End::Limit(-alpha), End::At(0.0)),
        ScalarFn::Selu { alpha, gamma } => (End::Limit(-alpha * gamma), End::At(0.0)),
        ScalarFn::Celu { alpha } if alpha > 0.0 => (End::Limit(-alpha), End::At(0.0)),
        ScalarFn::Exp => {
            // Outputs stay below 2^(B−1): x < (B − 1 − s)·ln 2.
            let hmax = f64::from(bits.saturating_sub(s + 1)) * std::f64::consts::LN_2;
            let h = ((hmax * f64::from(s).exp2()).floor() as i128).min(amax);
            (End::DataLimit(0.0), End::Data(h))
        }
        ScalarFn::Log => (End::Data(1), End::Data(amax)),
        ScalarFn::Sin | ScalarFn::Cos => (End::Data(-amax - 1), End::Data(amax)),
        other => {
            return Err(CircuitError::unsupported(format!(
                "{other:?} has no table form (Celu needs alpha > 0)"
            )))
        }
    };
    Ok((Spec { key, g, lo, hi }, c))
}

/// `c·relu(x) + T(x)` for the table `spec` (`c = 0`: just `T(x)`).
fn by_table<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    spec: &Spec,
    c: f64,
    slot: usize,
    x: &B::Cell,
) -> Result<B::Cell> {
    let p = cx.params;
    let it = table::resolve(spec, p.input_scale, p.bits, p.range(cx.index, slot))?;
    if spec.data_dependent() {
        b.observe(slot, x);
    }
    let t = table::eval(b, &it, x)?;
    if c == 0.0 {
        return Ok(t);
    }
    let relu = b.relu(x)?;
    let base = if c == 1.0 {
        relu
    } else {
        // base = div_round(relu(x)·q(c, s_p), 2^s_p)
        let qc = quantize(c, p.param_scale, "Selu gamma")?;
        let m = b.mul_const(&relu, qc)?;
        b.div_round(&m, pow2(p.param_scale))?
    };
    b.add(&base, &t)
}

/// HardSigmoid `clamp(αX + β, 0, 1)`: `v = div_round(x·q(α, s_p) + q(β, s + s_p), 2^s_p)`,
/// then `min(max(v, 0), 2^s)`. Error ≤ 0.5 ulp + `|X|·2^(s−s_p−1)` (α's rounding).
fn hard_sigmoid<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    alpha: f64,
    beta: f64,
    x: &B::Cell,
) -> Result<B::Cell> {
    let (s, sp) = (cx.params.input_scale, cx.params.param_scale);
    let qa = quantize(alpha, sp, "HardSigmoid alpha")?;
    let qb = quantize(beta, s + sp, "HardSigmoid beta")?;
    let v = b.dot_const(std::slice::from_ref(x), &[qa], qb)?; // x·qa + qb
    let v = b.div_round(&v, pow2(sp))?;
    let v = b.relu(&v)?; // max(v, 0)
    let one = b.constant(1i128 << s)?;
    b.min(&v, &one) // min(v, 1)
}

/// HardSwish `X·clamp(X/6 + 1/2, 0, 1)`: `xc = clamp(x, ±3·2^s)`, the gate
/// `h = div_round(xc·q(1/6, s_p) + 2^(s+s_p−1), 2^(s_p−t))` at `t = min(s_p, B−s−2)` extra
/// bits (clamped to `[0, 2^(s+t)]`), `y = div_round(x·h, 2^(s+t))`. Error ≤ 0.5 ulp +
/// `3·(2^-(t+1) + 2^(s−s_p−1))` ulp.
fn hard_swish<B: Backend>(b: &mut B, cx: &OpCtx<'_>, x: &B::Cell) -> Result<B::Cell> {
    let (s, sp) = (cx.params.input_scale, cx.params.param_scale);
    let t = sp.min(b.bits().saturating_sub(s + 2));
    let three = 3i128 << s;
    let (lo, hi) = (b.constant(-three)?, b.constant(three)?);
    let xc = b.max(x, &lo)?;
    let xc = b.min(&xc, &hi)?; // xc = clamp(x, −3, 3)
    let q6 = quantize(1.0 / 6.0, sp, "HardSwish 1/6")?;
    let h = b.dot_const(&[xc], &[q6], 1i128 << (s + sp - 1))?; // xc/6 + 1/2 at s + s_p
    let h = b.div_round(&h, pow2(sp - t))?; // at s + t
    let h = b.relu(&h)?;
    let one = b.constant(1i128 << (s + t))?;
    let h = b.min(&h, &one)?;
    let y = b.mul(x, &h)?;
    b.div_round(&y, pow2(s + t))
}

/// `x^p` for a constant `p`: 0 → 1; 1 → x; integers 2..=8 by [`int_pow`]; −8..=−1 the
/// reciprocal of that; 0.5 → [`sqrt`]; −0.5 → [`rsqrt`]; other exponents by a table on the
/// calibrated domain (`x ≥ 0` for non-integer `p > 0`, `x > 0` for `p < 0`; a negative base
/// is then a table-range error).
pub fn pow<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    p: f64,
    slot: usize,
    x: &B::Cell,
) -> Result<B::Cell> {
    let s = cx.params.input_scale;
    let int = p.fract() == 0.0 && p.abs() <= 8.0;
    if p == 0.0 {
        return b.constant(1i128 << s);
    }
    if p == 1.0 {
        return Ok(x.clone());
    }
    if int && p > 0.0 {
        return int_pow(b, s, x, p as u32);
    }
    if int {
        let y = int_pow(b, s, x, (-p) as u32)?;
        return root::reciprocal(b, s, &y);
    }
    if p == 0.5 {
        return root::sqrt(b, s, x);
    }
    if p == -0.5 {
        return root::rsqrt(b, s, x);
    }
    let amax = (1i128 << b.bits()) - 1;
    let lo = if p.fract() == 0.0 {
        -amax - 1
    } else if p > 0.0 {
        0
    } else {
        1
    };
    let spec = Spec {
        key: format!("Pow({p:?})"),
        g: Arc::new(move |v: f64| v.powf(p)),
        lo: End::Data(lo),
        hi: End::Data(amax),
    };
    by_table(b, cx, &spec, 0.0, slot, x)
}

/// `x^k` at scale `s` (`k ≥ 1`): the exact product is kept while it fits (`e` factors at
/// scale `e·s` need `e·(B+1) ≤ 118` bits and a final divisor `2^((e−1)s)` within `u64`),
/// then rescaled by one `div_round`. When all `k` factors fit the result is correctly
/// rounded (0.5 ulp); otherwise each intermediate rescale adds 0.5 ulp times the magnitude
/// of the remaining factors.
pub fn int_pow<B: Backend>(b: &mut B, s: u32, x: &B::Cell, k: u32) -> Result<B::Cell> {
    let bits = b.bits();
    let fits = |e: u32| (e + 1) * (bits + 1) <= 118 && e * s <= 63;
    let mut acc = x.clone();
    let mut e = 1u32; // acc is at scale e·s
    for _ in 1..k {
        if !fits(e) {
            acc = b.div_round(&acc, 1u64 << ((e - 1) * s))?;
            e = 1;
        }
        acc = b.mul(&acc, x)?;
        e += 1;
    }
    if e == 1 {
        return Ok(acc);
    }
    b.div_round(&acc, 1u64 << ((e - 1) * s))
}
