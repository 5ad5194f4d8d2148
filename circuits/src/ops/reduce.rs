//! ReduceSum and ReduceMean.
//!
//! Fixed-point function: `Σ` over the reduced axes; the mean is `div_round(Σ, count)`.

use onnx_import::eval::strides;
use onnx_import::ir::Op;

use super::{arity, cells, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};

/// Dispatches ReduceSum and ReduceMean.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 1)?;
    let x = cells(&inputs[0], "reduction input")?;
    let (axes, keepdims, mean) = match &cx.node.op {
        Op::ReduceSum { axes, keepdims } => (axes, *keepdims, false),
        Op::ReduceMean { axes, keepdims } => (axes, *keepdims, true),
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
    let mut data = Vec::with_capacity(out_len);
    for g in &groups {
        let s = b.sum(g)?;
        data.push(if mean {
            b.div_round(&s, count.max(1) as u64)?
        } else {
            s
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
