//! MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool over `[N, C, spatial...]`
//! tensors (1-D, 2-D, 3-D, ...), walking the window taps of [`onnx_import::shapes`].
//!
//! Fixed-point function:
//! - MaxPool: pairwise `max` over the window's non-padded cells (padding never wins);
//! - AveragePool: `div_round(Σ window, count)` with `count` the number of window cells on
//!   the input or its explicit padding when `count_include_pad` (cells past the padding,
//!   which only `ceil_mode` creates, never count; a window of padding only gives 0), else
//!   the number of non-padded cells;
//! - GlobalAveragePool: `div_round(Σ_spatial x, D1·…·Dn)`;
//! - GlobalMaxPool: pairwise `max` over the plane.

use onnx_import::ir::{Op, PoolAttrs};
use onnx_import::shapes::WindowGeometry;

use super::linear::batch_channels_spatial;
use super::{arity, cells, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};

/// Dispatches the pooling ops.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let x = cells(&inputs[0], "pooling input")?;
    let (n, c, spatial) = batch_channels_spatial(&x.shape, "pooling input")?;
    match &cx.node.op {
        Op::GlobalAveragePool | Op::GlobalMaxPool => {
            let len: usize = spatial.iter().product();
            if len == 0 {
                return Err(CircuitError::unsupported(
                    "global pooling over an empty plane",
                ));
            }
            let mut data = Vec::with_capacity(n * c);
            for plane in x.data.chunks(len) {
                data.push(if matches!(cx.node.op, Op::GlobalMaxPool) {
                    max_of(b, plane)?
                } else {
                    // s = Σ plane; y = floor((s + floor(len/2)) / len), range-checked
                    let s = b.sum(plane)?;
                    b.div_round(&s, len as u64)?
                });
            }
            let mut shape = vec![n, c];
            shape.extend(std::iter::repeat_n(1, spatial.len()));
            Ok(CellTensor { shape, data })
        }
        Op::MaxPool(at) => window(b, x, at, (n * c, spatial), true),
        Op::AveragePool(at) => window(b, x, at, (n * c, spatial), false),
        other => Err(CircuitError::unsupported(format!(
            "{} is not a pooling op",
            other.name()
        ))),
    }
}

/// Running pairwise maximum of a non-empty list (each step `m' = max(m, v)`, which
/// constrains `m - v`'s sign bit and selects).
fn max_of<B: Backend>(b: &mut B, xs: &[B::Cell]) -> Result<B::Cell> {
    let Some((first, rest)) = xs.split_first() else {
        return Err(CircuitError::unsupported(
            "a pooling window covers only padding",
        ));
    };
    let mut m = first.clone();
    for v in rest {
        m = b.max(&m, v)?;
    }
    Ok(m)
}

fn window<B: Backend>(
    b: &mut B,
    x: &CellTensor<B::Cell>,
    at: &PoolAttrs,
    (planes, spatial): (usize, &[usize]),
    is_max: bool,
) -> Result<CellTensor<B::Cell>> {
    let geo = WindowGeometry::new(
        spatial,
        &at.kernel,
        &at.strides,
        &at.pads,
        &at.dilations,
        at.ceil_mode,
    )
    .map_err(CircuitError::unsupported)?;
    let in_len = geo.input_len();
    let taps: Vec<_> = (0..geo.output_len()).map(|o| geo.taps(o)).collect();
    let mut data = Vec::with_capacity(planes * taps.len());
    for plane in 0..planes {
        let base = plane * in_len;
        for out_taps in &taps {
            let win: Vec<B::Cell> = out_taps
                .iter()
                .filter_map(|t| t.input)
                .map(|xi| x.data[base + xi].clone())
                .collect();
            let v = if is_max {
                max_of(b, &win)?
            } else if win.is_empty() {
                if !at.count_include_pad {
                    return Err(CircuitError::unsupported(
                        "an AveragePool window covers only padding (its average is undefined \
                         without count_include_pad)",
                    ));
                }
                // y = 0: the average of padded zeros only
                b.constant(0)?
            } else {
                let count = if at.count_include_pad {
                    out_taps.len()
                } else {
                    win.len()
                };
                // s = Σ window; y = floor((s + floor(count/2)) / count), range-checked
                let s = b.sum(&win)?;
                b.div_round(&s, count as u64)?
            };
            data.push(v);
        }
    }
    let mut shape = vec![x.shape[0], x.shape[1]];
    shape.extend(&geo.output);
    Ok(CellTensor { shape, data })
}
