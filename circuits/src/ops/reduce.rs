//! ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceL1, ReduceSumSquare, ReduceProd,
//! ReduceL2, ReduceLogSumExp.
//!
//! Fixed-point function over each group of reduced elements (scale `s_a`, `d = 2^s_a`):
//! Sum `Σ x`; Mean `div_round(Σ x, count)`; Max / Min a chain of pairwise `max` / `min`;
//! L1 `Σ select(is_negative(x), -x, x)`; SumSquare `div_round(Σ x·x, d)` (one rescale);
//! Prod `p_1 = x_1`, `p_j = div_round(p_{j-1}·x_j, d)` (one rescale per factor);
//! L2 `z = sqrt_floor(4·Σ x·x) = floor(2·sqrt(Σx²))` (range-checked: calibration sizes `B`
//! for it), `y = div_round(z, 2) = round(sqrt(Σ x²))`, the correctly rounded norm of the
//! fixed-point inputs (0.5 ulp); LogSumExp `m + Log(Σ exp_nonpositive(x − m))`, see
//! [`crate::ops::norm::softmax`] (≤ `1.5·(n+1)` ulp, typically ~1).

use onnx_import::eval::strides;
use onnx_import::ir::{Op, ReduceKind};

use super::norm::softmax::log_sum_exp;
use super::{arity, cells, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::pow2;

/// Which reduction a group gets (ReduceSum is the plain sum).
#[derive(Clone, Copy)]
enum Kind {
    Mean,
    Other(ReduceKind),
}

/// One group of ReduceMax / Min / L1 / SumSquare / Prod / L2 / LogSumExp at scale
/// `d = 2^s_a`.
fn reduce_group<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    kind: ReduceKind,
    g: &[B::Cell],
    d: u64,
) -> Result<B::Cell> {
    let Some((first, rest)) = g.split_first() else {
        return match kind {
            ReduceKind::Max | ReduceKind::Min | ReduceKind::LogSumExp => {
                Err(CircuitError::unsupported(
                    "ReduceMax / ReduceMin / ReduceLogSumExp over an empty axis has no value",
                ))
            }
            ReduceKind::L1 | ReduceKind::SumSquare | ReduceKind::L2 => b.constant(0),
            // The empty product is 1, i.e. d at scale s_a.
            ReduceKind::Prod => b.constant(i128::from(d)),
        };
    };
    match kind {
        ReduceKind::Max | ReduceKind::Min => {
            let mut acc = first.clone();
            for v in rest {
                acc = if kind == ReduceKind::Max {
                    b.max(&acc, v)?
                } else {
                    b.min(&acc, v)?
                };
            }
            Ok(acc)
        }
        ReduceKind::L1 => {
            let mut abs = Vec::with_capacity(g.len());
            for v in g {
                let n = b.is_negative(v)?;
                let m = b.neg(v)?;
                // |x| = n ? -x : x
                abs.push(b.select(&n, &m, v)?);
            }
            b.sum(&abs)
        }
        ReduceKind::SumSquare => {
            // Σ x·x at scale 2·s_a, rescaled once.
            let acc = b.dot(g, g)?;
            b.div_round(&acc, d)
        }
        ReduceKind::L2 => {
            let acc = b.dot(g, g)?; // Σ x·x at scale 2·s_a
            let a = b.mul_const(&acc, 4)?; // a = 4·Σ x²
            let z = b.sqrt_floor(&a)?; // z² ≤ a < (z+1)²
            b.range_check(&z)?;
            b.div_round(&z, 2) // y = floor((z + 1) / 2) = round(sqrt(Σ x²))
        }
        ReduceKind::LogSumExp => log_sum_exp(b, cx, g),
        ReduceKind::Prod => {
            let mut acc = first.clone();
            for v in rest {
                let p = b.mul(&acc, v)?;
                acc = b.div_round(&p, d)?;
            }
            Ok(acc)
        }
    }
}

/// Dispatches ReduceSum and ReduceMean.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let x = cells(&inputs[0], "reduction input")?;
    let (axes, keepdims, kind) = match &cx.node.op {
        Op::ReduceSum { axes, keepdims } => (axes, *keepdims, None),
        Op::ReduceMean { axes, keepdims } => (axes, *keepdims, Some(Kind::Mean)),
        Op::Reduce {
            kind,
            axes,
            keepdims,
        } => {
            if axes.is_empty() {
                // The importer resolves "all axes"; empty means nothing is reduced.
                return Ok(x.clone());
            }
            (axes, *keepdims, Some(Kind::Other(*kind)))
        }
        other => {
            return Err(CircuitError::unsupported(format!(
                "{} is not a reduction",
                other.name()
            )))
        }
    };
    let rank = x.shape.len();
    // Empty axes reduce everything (the importer resolves `noop_with_empty_axes`).
    let reduced: Vec<bool> = (0..rank)
        .map(|a| axes.is_empty() || axes.contains(&a))
        .collect();
    if axes.iter().any(|&a| a >= rank) {
        return Err(CircuitError::unsupported(format!(
            "reduction axes {axes:?} out of range"
        )));
    }
    let kept_shape: Vec<usize> = (0..rank)
        .map(|a| if reduced[a] { 1 } else { x.shape[a] })
        .collect();
    let count: usize = (0..rank)
        .filter(|&a| reduced[a])
        .map(|a| x.shape[a])
        .product();
    let out_len: usize = kept_shape.iter().product();
    let in_strides = strides(&x.shape);
    let out_strides = strides(&kept_shape);
    let mut groups: Vec<Vec<B::Cell>> = vec![Vec::with_capacity(count); out_len];
    for (i, v) in x.data.iter().enumerate() {
        let mut o = 0;
        for a in 0..rank {
            if !reduced[a] {
                o += (i / in_strides[a]) % x.shape[a] * out_strides[a];
            }
        }
        groups[o].push(v.clone());
    }
    let d = pow2(cx.params.input_scale);
    let mut data = Vec::with_capacity(out_len);
    for g in &groups {
        data.push(match kind {
            None => b.sum(g)?,
            Some(Kind::Mean) => {
                let s = b.sum(g)?;
                b.div_round(&s, count.max(1) as u64)?
            }
            Some(Kind::Other(k)) => reduce_group(b, cx, k, g, d)?,
        });
    }
    let shape = if keepdims {
        kept_shape
    } else {
        (0..rank)
            .filter(|&a| !reduced[a])
            .map(|a| x.shape[a])
            .collect()
    };
    Ok(CellTensor { shape, data })
}
