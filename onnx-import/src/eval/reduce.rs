//! Reductions: ReduceSum and ReduceMean.

use super::check_arity;
use crate::ir::Tensor;

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
