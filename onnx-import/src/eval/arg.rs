//! Index-valued selections along one axis: ArgMax, ArgMin and TopK.
//!
//! Indices are returned as (integral) float values. Ties go to the lowest index (ArgMax /
//! ArgMin with `select_last_index=1`: the highest); TopK orders equal values by index.

use super::check_arity;
use crate::ir::{ArgKind, Op, Tensor, TopKOutput};

/// `(outer, dim, inner)` sizes of `shape` split at `axis`.
pub fn split_axis(shape: &[usize], axis: usize) -> Result<(usize, usize, usize), String> {
    if axis >= shape.len() {
        return Err(format!(
            "axis {axis} is out of range for rank {}",
            shape.len()
        ));
    }
    Ok((
        shape[..axis].iter().product(),
        shape[axis],
        shape[axis + 1..].iter().product(),
    ))
}

/// The output shape of ArgMax / ArgMin along `axis` of `shape`: the axis becomes 1 with
/// `keepdims`, else it is dropped (the fixed-point op in the circuits crate shares it).
pub fn arg_output_shape(shape: &[usize], axis: usize, keepdims: bool) -> Vec<usize> {
    let mut out = shape.to_vec();
    if axis < out.len() {
        if keepdims {
            out[axis] = 1;
        } else {
            out.remove(axis);
        }
    }
    out
}

/// The output shape of TopK along `axis` of `shape`: the axis becomes `k`.
pub fn topk_output_shape(shape: &[usize], axis: usize, k: usize) -> Vec<usize> {
    let mut out = shape.to_vec();
    if let Some(d) = out.get_mut(axis) {
        *d = k;
    }
    out
}

/// Evaluates `Arg` or `TopK`.
pub(super) fn eval(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    match *op {
        Op::Arg {
            kind,
            axis,
            keepdims,
            select_last_index,
        } => {
            let (outer, dim, inner) = split_axis(&x.shape, axis)?;
            if dim == 0 {
                return Err(format!("{} over an empty axis has no value", op.name()));
            }
            let mut data = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                for i in 0..inner {
                    let at = |j: usize| x.data[(o * dim + j) * inner + i];
                    let mut best = 0usize;
                    for j in 1..dim {
                        let (v, b) = (at(j), at(best));
                        let better = match kind {
                            ArgKind::Max => v > b || (select_last_index && v == b),
                            ArgKind::Min => v < b || (select_last_index && v == b),
                        };
                        if better {
                            best = j;
                        }
                    }
                    data.push(best as f64);
                }
            }
            let shape = arg_output_shape(&x.shape, axis, keepdims);
            Ok(Tensor { shape, data })
        }
        Op::TopK {
            axis,
            k,
            largest,
            output,
            ..
        } => {
            let (outer, dim, inner) = split_axis(&x.shape, axis)?;
            if k > dim {
                return Err(format!("k={k} exceeds the axis size {dim}"));
            }
            let mut out = vec![0.0; outer * k * inner];
            for o in 0..outer {
                for i in 0..inner {
                    let at = |j: usize| x.data[(o * dim + j) * inner + i];
                    let mut idx: Vec<usize> = (0..dim).collect();
                    // A stable sort keeps equal values in index order, as ONNX specifies.
                    idx.sort_by(|&p, &q| {
                        let ord = at(p)
                            .partial_cmp(&at(q))
                            .unwrap_or(std::cmp::Ordering::Equal);
                        if largest {
                            ord.reverse()
                        } else {
                            ord
                        }
                    });
                    for (r, &j) in idx.iter().take(k).enumerate() {
                        out[(o * k + r) * inner + i] = match output {
                            TopKOutput::Values => at(j),
                            TopKOutput::Indices => j as f64,
                        };
                    }
                }
            }
            let shape = topk_output_shape(&x.shape, axis, k);
            Ok(Tensor { shape, data: out })
        }
        ref other => Err(format!("{} is not an arg op", other.name())),
    }
}
