//! N-D pooling (1-D, 2-D, 3-D, ...): MaxPool, AveragePool (both `count_include_pad` modes,
//! `ceil_mode`), GlobalAveragePool and GlobalMaxPool.

use super::check_arity;
use super::linear::batch_channels_spatial;
use crate::ir::{PoolAttrs, Tensor};
use crate::shapes::WindowGeometry;

/// MaxPool: the maximum over the window's input cells; padded cells never take part.
pub(super) fn max_pool(attrs: &PoolAttrs, inputs: &[&Tensor]) -> Result<Tensor, String> {
    pool(attrs, true, inputs)
}

/// AveragePool: the window sum divided by the number of input cells in the window, or,
/// with `count_include_pad`, by the number of window cells on the input or its explicit
/// padding (padded cells count as zeros; cells past the padding, which only `ceil_mode`
/// creates, never count); a window of padding only is then 0.
pub(super) fn average_pool(attrs: &PoolAttrs, inputs: &[&Tensor]) -> Result<Tensor, String> {
    pool(attrs, false, inputs)
}

fn pool(attrs: &PoolAttrs, is_max: bool, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    let (n, c, spatial) = batch_channels_spatial(&x.shape, "X")?;
    let geo = WindowGeometry::new(
        spatial,
        &attrs.kernel,
        &attrs.strides,
        &attrs.pads,
        &attrs.dilations,
        attrs.ceil_mode,
    )?;
    let in_len = geo.input_len();
    let taps: Vec<_> = (0..geo.output_len()).map(|o| geo.taps(o)).collect();
    let mut data = Vec::with_capacity(n * c * taps.len());
    for plane in 0..n * c {
        let base = plane * in_len;
        for (o, out_taps) in taps.iter().enumerate() {
            let mut count = 0usize;
            let mut sum = 0.0f64;
            let mut max = f64::NEG_INFINITY;
            for xi in out_taps.iter().filter_map(|t| t.input) {
                let v = x.data[base + xi];
                count += 1;
                sum += v;
                max = max.max(v);
            }
            if count == 0 && (is_max || !attrs.count_include_pad) {
                // With count_include_pad a window of padding only averages zeros: 0. Otherwise
                // the result is undefined (ONNX's reference gives NaN / -inf).
                return Err(format!(
                    "output cell {o} (flat, spatial) has a window made only of padding"
                ));
            }
            data.push(if is_max {
                max
            } else if attrs.count_include_pad {
                sum / out_taps.len() as f64
            } else {
                sum / count as f64
            });
        }
    }
    let mut shape = vec![n, c];
    shape.extend(&geo.output);
    Ok(Tensor { shape, data })
}

/// GlobalAveragePool (`is_max: false`) / GlobalMaxPool: the mean / maximum of each `[N, C]`
/// plane over all spatial axes, which are kept as size 1. Accepts any input of rank >= 3.
pub(super) fn global_pool(is_max: bool, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    let (n, c, spatial) = batch_channels_spatial(&x.shape, "X")?;
    let len: usize = spatial.iter().product();
    if len == 0 {
        return Err(format!("empty spatial extent in shape {:?}", x.shape));
    }
    let data = x
        .data
        .chunks(len)
        .map(|plane| {
            if is_max {
                plane.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            } else {
                plane.iter().sum::<f64>() / len as f64
            }
        })
        .collect();
    let mut shape = vec![n, c];
    shape.extend(std::iter::repeat_n(1, spatial.len()));
    Ok(Tensor { shape, data })
}
