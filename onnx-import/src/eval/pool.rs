//! 2-D pooling: MaxPool, AveragePool (both `count_include_pad` modes), GlobalAveragePool.

use super::check_arity;
use super::linear::window_out_len;
use crate::ir::{PoolAttrs, Tensor};

/// How a window's cells are combined.
#[derive(Clone, Copy)]
enum Kind {
    Max,
    Average { count_include_pad: bool },
}

/// MaxPool: the maximum over the window's input cells; padded cells never take part.
pub(super) fn max_pool(attrs: &PoolAttrs, inputs: &[&Tensor]) -> Result<Tensor, String> {
    pool(attrs, Kind::Max, inputs)
}

/// AveragePool: the window sum divided by the number of input cells in the window, or by
/// `kh * kw` when `count_include_pad` is set (padded cells then count as zeros).
pub(super) fn average_pool(attrs: &PoolAttrs, inputs: &[&Tensor]) -> Result<Tensor, String> {
    pool(
        attrs,
        Kind::Average {
            count_include_pad: attrs.count_include_pad,
        },
        inputs,
    )
}

fn pool(attrs: &PoolAttrs, kind: Kind, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    let [n, c, h, w] = x.shape[..] else {
        return Err(format!("X must be 4-D NCHW, got shape {:?}", x.shape));
    };
    let [kh, kw] = attrs.kernel;
    let [pt, pl, pb, pr] = attrs.pads;
    let [sh, sw] = attrs.strides;
    let [dh, dw] = attrs.dilations;
    let (Some(oh), Some(ow)) = (
        window_out_len(h, pt, pb, kh, sh, dh),
        window_out_len(w, pl, pr, kw, sw, dw),
    ) else {
        return Err(format!(
            "window (kernel {:?}, dilations {:?}, strides {:?}) does not fit input {:?} with pads {:?}",
            attrs.kernel, attrs.dilations, attrs.strides, x.shape, attrs.pads
        ));
    };
    let mut data = Vec::with_capacity(n * c * oh * ow);
    for plane in 0..n * c {
        let base = plane * h * w;
        for oy in 0..oh {
            for ox in 0..ow {
                let mut count = 0usize;
                let mut sum = 0.0f64;
                let mut max = f64::NEG_INFINITY;
                for ky in 0..kh {
                    let Some(iy) = (oy * sh + ky * dh).checked_sub(pt).filter(|&v| v < h) else {
                        continue;
                    };
                    for kx in 0..kw {
                        let Some(ix) = (ox * sw + kx * dw).checked_sub(pl).filter(|&v| v < w)
                        else {
                            continue;
                        };
                        let v = x.data[base + iy * w + ix];
                        count += 1;
                        sum += v;
                        max = max.max(v);
                    }
                }
                if count == 0 {
                    return Err(format!(
                        "output cell ({oy}, {ox}) has a window made only of padding"
                    ));
                }
                data.push(match kind {
                    Kind::Max => max,
                    Kind::Average {
                        count_include_pad: true,
                    } => sum / (kh * kw) as f64,
                    Kind::Average {
                        count_include_pad: false,
                    } => sum / count as f64,
                });
            }
        }
    }
    Ok(Tensor {
        shape: vec![n, c, oh, ow],
        data,
    })
}

/// GlobalAveragePool: the mean of each `[N, C]` plane over all spatial axes, which are kept
/// as size 1. Accepts any input of rank >= 3 (rank 4 in practice).
pub(super) fn global_average_pool(inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    if x.shape.len() < 3 {
        return Err(format!(
            "X must have rank >= 3 (N, C, spatial...), got shape {:?}",
            x.shape
        ));
    }
    let spatial: usize = x.shape[2..].iter().product();
    if spatial == 0 {
        return Err(format!("empty spatial extent in shape {:?}", x.shape));
    }
    let data = x
        .data
        .chunks(spatial)
        .map(|plane| plane.iter().sum::<f64>() / spatial as f64)
        .collect();
    let mut shape = x.shape[..2].to_vec();
    shape.extend(std::iter::repeat_n(1, x.shape.len() - 2));
    Ok(Tensor { shape, data })
}
