//! ArgMax, ArgMin and TopK: selections along one axis built only from the comparison
//! primitives, so every output cell is a deterministic, fully constrained function of the
//! inputs (no free witness).
//!
//! Indices are values: index `i` is the fixed-point integer `i·2^s_a`.
//!
//! **ArgMax / ArgMin.** A running scan over the axis: `m_0 = x_0`, `idx_0 = 0`, and for each
//! `j ≥ 1` one comparison bit `c_j = is_negative(a - b)` with
//!
//! | op, ties to | `(a, b)` | `c_j = 1` means | update when |
//! | --- | --- | --- | --- |
//! | ArgMax, first | `(m, x_j)` | `x_j > m` | `c_j = 1` |
//! | ArgMax, last | `(x_j, m)` | `x_j < m` | `c_j = 0` |
//! | ArgMin, first | `(x_j, m)` | `x_j < m` | `c_j = 1` |
//! | ArgMin, last | `(m, x_j)` | `x_j > m` | `c_j = 0` |
//!
//! and `m_j = select(update, x_j, m_{j-1})`, `idx_j = select(update, j·2^s, idx_{j-1})`.
//! Soundness: `is_negative` constrains `c_j` to be the sign bit of `a - b` (its input is
//! range-checked, so a difference outside `[-2^B, 2^B)` makes the circuit unsatisfiable,
//! never wrong), and `select` constrains its output. By induction `m_j` is the extreme of
//! `x_0..x_j` and `idx_j` the first (last) index where it occurs: the value selected equals
//! the maximum (it is `≥` every element by the comparisons made along the chain) and the
//! index is the one the same bits chose, so value and index are consistent.
//!
//! **TopK.** `k` passes of bubble sort over (value, index) pairs: pass `r` walks `j` from
//! `n-1` down to `r+1` and compare-and-swaps positions `j-1, j` with one bit
//! `c = is_negative(v_{j-1} - v_j)` (largest; `v_j - v_{j-1}` for smallest), `c = 1` iff
//! `v_j` is strictly better; both outputs and both indices are `select`s on that bit. Each
//! compare-and-swap outputs a permutation of its two inputs (the same bit drives both
//! selects), so the whole network outputs a permutation of the input pairs; swapping only on
//! strict improvement makes it stable, so after pass `r` position `r` holds the best
//! remaining value, ties by the lowest original index, exactly as ONNX orders TopK. The
//! first `k` positions are the output (always sorted; `sorted=0` allows any order). Cost:
//! `Σ_{r<k} (n-1-r)` compare-and-swaps per lane.

use onnx_import::eval::{arg_output_shape, split_axis, topk_output_shape};
use onnx_import::ir::{ArgKind, Op, TopKOutput};

use super::{arity, cells, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::pow2;

/// Dispatches ArgMax, ArgMin and TopK.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let x = cells(&inputs[0], "input")?;
    let one = i128::from(pow2(cx.params.input_scale));
    match cx.node.op {
        Op::Arg {
            kind,
            axis,
            keepdims,
            select_last_index,
        } => {
            let (outer, dim, inner) = split(&x.shape, axis)?;
            let mut data = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                for i in 0..inner {
                    let lane: Vec<&B::Cell> = (0..dim)
                        .map(|j| &x.data[(o * dim + j) * inner + i])
                        .collect();
                    data.push(arg_lane(b, &lane, kind, select_last_index, one)?);
                }
            }
            let shape = arg_output_shape(&x.shape, axis, keepdims);
            Ok(CellTensor { shape, data })
        }
        Op::TopK {
            axis,
            k,
            largest,
            output,
            ..
        } => {
            let (outer, dim, inner) = split(&x.shape, axis)?;
            if k > dim {
                return Err(CircuitError::unsupported(format!(
                    "TopK k={k} exceeds the axis size {dim}"
                )));
            }
            let mut out: Vec<Option<B::Cell>> = vec![None; outer * k * inner];
            for o in 0..outer {
                for i in 0..inner {
                    let lane: Vec<B::Cell> = (0..dim)
                        .map(|j| x.data[(o * dim + j) * inner + i].clone())
                        .collect();
                    let (vals, idxs) = topk_lane(b, lane, k, largest, one)?;
                    let picked = match output {
                        TopKOutput::Values => vals,
                        TopKOutput::Indices => idxs,
                    };
                    for (r, c) in picked.into_iter().enumerate() {
                        out[(o * k + r) * inner + i] = Some(c);
                    }
                }
            }
            let data = out
                .into_iter()
                .map(|c| c.ok_or_else(|| CircuitError::unsupported("TopK left a cell unset")))
                .collect::<Result<Vec<_>>>()?;
            let shape = topk_output_shape(&x.shape, axis, k);
            Ok(CellTensor { shape, data })
        }
        ref other => Err(CircuitError::unsupported(format!(
            "{} is not an arg op",
            other.name()
        ))),
    }
}

/// `(outer, dim, inner)` sizes of `shape` split at `axis` (as the float evaluator splits it),
/// refusing an empty axis, which has no extreme to select.
fn split(shape: &[usize], axis: usize) -> Result<(usize, usize, usize)> {
    match split_axis(shape, axis) {
        Ok(sizes) if sizes.1 > 0 => Ok(sizes),
        _ => Err(CircuitError::unsupported(format!(
            "axis {axis} of shape {shape:?} is out of range or empty"
        ))),
    }
}

/// The index (times `one`) of the extreme of `lane`, by the scan in the module docs.
fn arg_lane<B: Backend>(
    b: &mut B,
    lane: &[&B::Cell],
    kind: ArgKind,
    last: bool,
    one: i128,
) -> Result<B::Cell> {
    let mut m = lane[0].clone();
    let mut idx = b.constant(0)?;
    for (j, &xj) in lane.iter().enumerate().skip(1) {
        // (a, b) and whether c = 1 means "update", per the table in the module docs.
        let (lhs, rhs, update_on_one) = match (kind, last) {
            (ArgKind::Max, false) => (&m, xj, true),
            (ArgKind::Max, true) => (xj, &m, false),
            (ArgKind::Min, false) => (xj, &m, true),
            (ArgKind::Min, true) => (&m, xj, false),
        };
        let d = b.sub(lhs, rhs)?;
        // c = [a - b < 0]
        let c = b.is_negative(&d)?;
        let jc = b.constant(j as i128 * one)?;
        let (nm, ni) = if update_on_one {
            (b.select(&c, xj, &m)?, b.select(&c, &jc, &idx)?)
        } else {
            (b.select(&c, &m, xj)?, b.select(&c, &idx, &jc)?)
        };
        m = nm;
        idx = ni;
    }
    Ok(idx)
}

/// The first `k` (value, index·`one`) pairs of `lane` after `k` stable bubble passes.
#[allow(clippy::type_complexity)]
fn topk_lane<B: Backend>(
    b: &mut B,
    mut vals: Vec<B::Cell>,
    k: usize,
    largest: bool,
    one: i128,
) -> Result<(Vec<B::Cell>, Vec<B::Cell>)> {
    let n = vals.len();
    let mut idxs = (0..n)
        .map(|j| b.constant(j as i128 * one))
        .collect::<Result<Vec<_>>>()?;
    for r in 0..k {
        for j in (r + 1..n).rev() {
            // c = 1 iff v_j is strictly better than v_{j-1}
            let d = if largest {
                b.sub(&vals[j - 1], &vals[j])?
            } else {
                b.sub(&vals[j], &vals[j - 1])?
            };
            let c = b.is_negative(&d)?;
            // (front, back) = c ? (v_j, v_{j-1}) : (v_{j-1}, v_j), indices alike
            let front = b.select(&c, &vals[j], &vals[j - 1])?;
            let back = b.select(&c, &vals[j - 1], &vals[j])?;
            let ifront = b.select(&c, &idxs[j], &idxs[j - 1])?;
            let iback = b.select(&c, &idxs[j - 1], &idxs[j])?;
            vals[j - 1] = front;
            vals[j] = back;
            idxs[j - 1] = ifront;
            idxs[j] = iback;
        }
    }
    vals.truncate(k);
    idxs.truncate(k);
    Ok((vals, idxs))
}
