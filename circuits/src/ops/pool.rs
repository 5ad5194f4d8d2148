//! MaxPool, AveragePool and GlobalAveragePool over NCHW tensors.
//!
//! Fixed-point function:
//! - MaxPool: pairwise `max` over the window's non-padded cells (padding never wins);
//! - AveragePool: `div_round(Σ window, count)` with `count` the window size when
//!   `count_include_pad`, else the number of non-padded cells;
//! - GlobalAveragePool: `div_round(Σ_{h,w} x, H·W)`.

use onnx_import::ir::{Op, PoolAttrs};

use super::linear::dims4;
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
    let [n, c, h, w] = dims4(&x.shape, "pooling input")?;
    match &cx.node.op {
        Op::GlobalAveragePool => {
            let hw = h * w;
            let mut data = Vec::with_capacity(n * c);
            for plane in x.data.chunks(hw.max(1)) {
                let s = b.sum(plane)?;
                data.push(b.div_round(&s, hw as u64)?);
            }
            Ok(CellTensor {
                shape: vec![n, c, 1, 1],
                data,
            })
        }
        Op::MaxPool(at) => window(b, x, at, [n, c, h, w], true),
        Op::AveragePool(at) => window(b, x, at, [n, c, h, w], false),
        other => Err(CircuitError::unsupported(format!(
            "{} is not a pooling op",
            other.name()
        ))),
    }
}

fn out_dim(size: usize, at: &PoolAttrs, axis: usize) -> Result<usize> {
    let padded = size + at.pads[axis] + at.pads[axis + 2];
    let span = at.dilations[axis].max(1) * (at.kernel[axis].max(1) - 1) + 1;
    if padded < span || at.strides[axis] == 0 {
        return Err(CircuitError::unsupported(
            "pooling window larger than the padded input",
        ));
    }
    Ok((padded - span) / at.strides[axis] + 1)
}

fn window<B: Backend>(
    b: &mut B,
    x: &CellTensor<B::Cell>,
    at: &PoolAttrs,
    [n, c, h, w]: [usize; 4],
    is_max: bool,
) -> Result<CellTensor<B::Cell>> {
    let (oh, ow) = (out_dim(h, at, 0)?, out_dim(w, at, 1)?);
    let [kh, kw] = at.kernel;
    let mut data = Vec::with_capacity(n * c * oh * ow);
    for plane in 0..n * c {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut win = Vec::with_capacity(kh * kw);
                for ky in 0..kh {
                    let iy = (oy * at.strides[0] + ky * at.dilations[0].max(1)) as isize
                        - at.pads[0] as isize;
                    for kx in 0..kw {
                        let ix = (ox * at.strides[1] + kx * at.dilations[1].max(1)) as isize
                            - at.pads[1] as isize;
                        if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                            win.push(x.data[(plane * h + iy as usize) * w + ix as usize].clone());
                        }
                    }
                }
                let Some(first) = win.first().cloned() else {
                    return Err(CircuitError::unsupported(
                        "a pooling window covers only padding",
                    ));
                };
                let v = if is_max {
                    let mut m = first;
                    for v in &win[1..] {
                        m = b.max(&m, v)?;
                    }
                    m
                } else {
                    let count = if at.count_include_pad {
                        kh * kw
                    } else {
                        win.len()
                    };
                    let s = b.sum(&win)?;
                    b.div_round(&s, count as u64)?
                };
                data.push(v);
            }
        }
    }
    Ok(CellTensor {
        shape: vec![n, c, oh, ow],
        data,
    })
}
