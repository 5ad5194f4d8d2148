//! Softmax and LogSoftmax over one axis (or, before opset 13, jointly over every axis
//! `>= axis`), and the LogSumExp shared with ReduceLogSumExp.
//!
//! Fixed-point function per group `x_1..x_n` (scale `s`, `D = 2^s`):
//! - `m = max_i x_i` (a chain of `max`), `d_i = x_i − m ≤ 0`;
//! - `e_i = exp_nonpositive(d_i)` (table, `e^d·D` within 1.5 ulp; `e_max = D`);
//! - `S = Σ e_i ∈ [D, n·D]`;
//! - Softmax: `y_i = floor((2·e_i·D + S) / (2·S))` = `round(e_i·D / S)` half up, one
//!   `div_floor_var` (divisor `2S`, range-checked so calibration sizes `B ≥ log2(2S)`);
//! - LogSoftmax: `y_i = d_i − L`, `L = Log(S)` (`ln(S/D)·D` by the calibrated Log table,
//!   input domain `[D, n·D]`, within 1.5 ulp); LogSumExp: `m + L`.
//!
//! Error (ulps of the output): Softmax `≤ 0.5 + 1.5·(1 + n·y_i)·D/S ≤ 2 + 1.5·n·y_i`
//! (each `e` within 1.5 ulp, so `S` within `1.5n`; relative to `S ≥ D`); LogSoftmax and
//! LogSumExp `≤ 1.5 + 1.5·n·D/S ≤ 1.5·(n + 1)` (the Log table's error plus `ln`'s slope
//! `D/S ≤ 1` times the error of `S`), in practice far less: the `e` errors are not all of
//! one sign.

use onnx_import::ir::ScalarFn;

use super::axis_groups;
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::ops::nonlinear::{apply, exp_nonpositive};
use crate::ops::{arity, cells, CellTensor, OpCtx, Operand};

/// The table slot of the Log of `S` (Softmax's exp table needs no calibration).
const LOG_SLOT: usize = 0;

/// Max-subtracted exponentials of one group: `(m, d_i = x_i − m, e_i, S = Σ e_i)`.
type Exps<C> = (C, Vec<C>, Vec<C>, C);

fn exps<B: Backend>(b: &mut B, cx: &OpCtx<'_>, g: &[B::Cell]) -> Result<Exps<B::Cell>> {
    let Some((first, rest)) = g.split_first() else {
        return Err(CircuitError::unsupported(
            "softmax / logsumexp over an empty axis has no value",
        ));
    };
    let mut m = first.clone();
    for v in rest {
        m = b.max(&m, v)?; // m = max(m, v)
    }
    let mut ds = Vec::with_capacity(g.len());
    let mut es = Vec::with_capacity(g.len());
    for v in g {
        let d = b.sub(v, &m)?; // d = x − m ≤ 0
        es.push(exp_nonpositive(b, cx, &d)?); // e ≈ exp(d)·D
        ds.push(d);
    }
    let s = b.sum(&es)?; // S = Σ e
    Ok((m, ds, es, s))
}

/// `ln(Σ exp(x_i))` of one group at the activation scale: `m + Log(S)` (see the module docs).
pub(crate) fn log_sum_exp<B: Backend>(b: &mut B, cx: &OpCtx<'_>, g: &[B::Cell]) -> Result<B::Cell> {
    let (m, _, _, s) = exps(b, cx, g)?;
    let l = apply(b, cx, ScalarFn::Log, LOG_SLOT, &s)?; // L ≈ ln(S/D)·D
    b.add(&m, &l)
}

/// Softmax / LogSoftmax of every group.
pub(super) fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    axis: usize,
    log: bool,
    coerce_2d: bool,
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let x = cells(&inputs[0], "Softmax input")?;
    let d = 1i128 << cx.params.input_scale;
    let mut out: Vec<Option<B::Cell>> = vec![None; x.data.len()];
    for group in axis_groups(&x.shape, axis, coerce_2d)? {
        if group.is_empty() {
            continue;
        }
        let g: Vec<B::Cell> = group.iter().map(|&i| x.data[i].clone()).collect();
        let (_, ds, es, s) = exps(b, cx, &g)?;
        if log {
            let l = apply(b, cx, ScalarFn::Log, LOG_SLOT, &s)?; // L ≈ ln(S/D)·D
            for (&i, di) in group.iter().zip(&ds) {
                out[i] = Some(b.sub(di, &l)?); // y = d − L
            }
        } else {
            let s2 = b.add(&s, &s)?; // 2S, the divisor
            b.range_check(&s2)?; // 2S < 2^B (and calibration sees it)
            for (&i, e) in group.iter().zip(&es) {
                let num = b.dot_const(&[e.clone(), s.clone()], &[2 * d, 1], 0)?; // 2·e·D + S
                out[i] = Some(b.div_floor_var(&num, &s2)?); // y = floor(num / 2S)
            }
        }
    }
    let data = out
        .into_iter()
        .map(|c| c.ok_or_else(|| CircuitError::unsupported("Softmax left an element unset")))
        .collect::<Result<Vec<_>>>()?;
    Ok(CellTensor {
        shape: x.shape.clone(),
        data,
    })
}
