//! Reductions: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceL1, ReduceSumSquare and
//! ReduceProd.

use super::check_arity;
use crate::ir::{ReduceKind, Tensor};

/// Sums (or averages, when `mean`) over `axes`; an empty `axes` reduces every axis. Reduced
/// axes are kept as size 1 when `keepdims`, dropped otherwise.
pub(super) fn reduce(
    axes: &[usize],
    keepdims: bool,
    mean: bool,
    inputs: &[&Tensor],
) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    let rank = x.shape.len();
    let mut reduced = vec![axes.is_empty(); rank];
    for &a in axes {
        if a >= rank {
            return Err(format!("axis {a} is out of range for rank {rank}"));
        }
        if reduced[a] {
            return Err(format!("axis {a} is listed twice"));
        }
        reduced[a] = true;
    }
    // Shape with reduced axes as 1 (the keepdims shape); its row-major index is the output's.
    let kept: Vec<usize> = x
        .shape
        .iter()
        .zip(&reduced)
        .map(|(&d, &r)| if r { 1 } else { d })
        .collect();
    let count: usize = x
        .shape
        .iter()
        .zip(&reduced)
        .filter(|(_, &r)| r)
        .map(|(&d, _)| d)
        .product();
    let out_len: usize = kept.iter().product();
    let mut data = vec![0.0f64; out_len];
    let in_strides = super::strides(&x.shape);
    let out_strides = super::strides(&kept);
    for (i, &v) in x.data.iter().enumerate() {
        let mut o = 0usize;
        for ax in 0..rank {
            if !reduced[ax] {
                o += (i / in_strides[ax]) % x.shape[ax] * out_strides[ax];
            }
        }
        data[o] += v;
    }
    if mean {
        if count == 0 {
            return Err("mean over an empty axis".to_string());
        }
        for v in &mut data {
            *v /= count as f64;
        }
    }
    let shape = if keepdims {
        kept
    } else {
        x.shape
            .iter()
            .zip(&reduced)
            .filter(|(_, &r)| !r)
            .map(|(&d, _)| d)
            .collect()
    };
    Ok(Tensor { shape, data })
}

/// Flat input indices per output element, the keepdims shape and the dropped-axes shape.
type Groups = (Vec<Vec<usize>>, Vec<usize>, Vec<usize>);

/// The elements of `x` grouped by output position (row-major in the keepdims shape) when
/// `axes` are reduced, with the keepdims and the dropped-axes output shapes.
pub(crate) fn reduce_groups(shape: &[usize], axes: &[usize]) -> Result<Groups, String> {
    let rank = shape.len();
    let mut reduced = vec![false; rank];
    for &a in axes {
        if a >= rank {
            return Err(format!("axis {a} is out of range for rank {rank}"));
        }
        if reduced[a] {
            return Err(format!("axis {a} is listed twice"));
        }
        reduced[a] = true;
    }
    let kept: Vec<usize> = shape
        .iter()
        .zip(&reduced)
        .map(|(&d, &r)| if r { 1 } else { d })
        .collect();
    let dropped: Vec<usize> = shape
        .iter()
        .zip(&reduced)
        .filter(|(_, &r)| !r)
        .map(|(&d, _)| d)
        .collect();
    let in_strides = super::strides(shape);
    let out_strides = super::strides(&kept);
    let mut groups = vec![Vec::new(); kept.iter().product()];
    for i in 0..shape.iter().product::<usize>() {
        let mut o = 0usize;
        for ax in 0..rank {
            if !reduced[ax] {
                o += (i / in_strides[ax]) % shape[ax] * out_strides[ax];
            }
        }
        groups[o].push(i);
    }
    Ok((groups, kept, dropped))
}

/// ReduceMax, ReduceMin, ReduceL1, ReduceSumSquare or ReduceProd over `axes` (never empty:
/// the importer resolves "all axes").
pub(super) fn reduce_kind(
    kind: ReduceKind,
    axes: &[usize],
    keepdims: bool,
    inputs: &[&Tensor],
) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    let (groups, kept, dropped) = reduce_groups(&x.shape, axes)?;
    let mut data = Vec::with_capacity(groups.len());
    for g in &groups {
        let vals = g.iter().map(|&i| x.data[i]);
        data.push(match kind {
            ReduceKind::Max | ReduceKind::Min if g.is_empty() => {
                return Err(format!("{kind:?} over an empty axis has no value"))
            }
            ReduceKind::Max => vals.fold(f64::NEG_INFINITY, f64::max),
            ReduceKind::Min => vals.fold(f64::INFINITY, f64::min),
            ReduceKind::L1 => vals.map(f64::abs).sum(),
            ReduceKind::SumSquare => vals.map(|v| v * v).sum(),
            ReduceKind::Prod => vals.product(),
            ReduceKind::L2 => vals.map(|v| v * v).sum::<f64>().sqrt(),
            ReduceKind::LogSumExp => {
                let m = g
                    .iter()
                    .map(|&i| x.data[i])
                    .fold(f64::NEG_INFINITY, f64::max);
                if m.is_finite() {
                    m + vals.map(|v| (v - m).exp()).sum::<f64>().ln()
                } else {
                    m
                }
            }
        });
    }
    Ok(Tensor {
        shape: if keepdims { kept } else { dropped },
        data,
    })
}
