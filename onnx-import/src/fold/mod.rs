//! Import-time constant folding.
//!
//! A small evaluator over [`Op`]s whose inputs are all constants, used to fold the
//! shape-arithmetic subgraphs exporters emit (`Shape -> Gather -> Unsqueeze -> Concat ->
//! Reshape`, ...). It deliberately covers only elementwise arithmetic and data movement; heavy
//! ops (Gemm, Conv, pooling) with constant inputs are left as nodes. It is independent of the
//! float reference evaluator.

mod onnx_only;

pub(crate) use onnx_only::fold_only;

use crate::ir::{Op, Tensor};
use crate::shapes::checked_numel;

/// Largest tensor the folder will materialise (elements).
pub(crate) const MAX_FOLD_ELEMS: usize = 1 << 24;

/// A constant value with its ONNX element class (integer or floating point).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ConstVal {
    /// The elements (integers are stored exactly as `f64`).
    pub tensor: Tensor,
    /// Whether the ONNX type is an integer type (affects Div and Cast).
    pub is_int: bool,
}

impl ConstVal {
    /// A constant from a shape and data that already agree.
    pub fn new(shape: Vec<usize>, data: Vec<f64>, is_int: bool) -> Option<Self> {
        Tensor::new(shape, data).map(|tensor| Self { tensor, is_int })
    }
}

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1].saturating_mul(shape[i + 1]);
    }
    s
}

/// Calls `f` with every multi-index of `shape` in row-major order.
fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0usize; shape.len()];
    loop {
        f(&idx);
        let mut i = shape.len();
        loop {
            if i == 0 {
                return;
            }
            i -= 1;
            idx[i] += 1;
            if idx[i] < shape[i] {
                break;
            }
            idx[i] = 0;
        }
    }
}

/// Offset in a tensor of shape `shape` read through broadcasting to an output index.
fn broadcast_offset(out_idx: &[usize], shape: &[usize], st: &[usize]) -> usize {
    let skip = out_idx.len() - shape.len();
    shape
        .iter()
        .zip(st)
        .zip(&out_idx[skip..])
        .map(|((&d, &s), &i)| if d == 1 { 0 } else { i * s })
        .sum()
}

fn binary(a: &ConstVal, b: &ConstVal, out: &[usize], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let (sa, sb) = (strides(&a.tensor.shape), strides(&b.tensor.shape));
    let mut data = Vec::new();
    for_each_index(out, |idx| {
        let x = a.tensor.data[broadcast_offset(idx, &a.tensor.shape, &sa)];
        let y = b.tensor.data[broadcast_offset(idx, &b.tensor.shape, &sb)];
        data.push(f(x, y));
    });
    data
}

/// Evaluates `op` on constant `inputs` (the IR node's inputs, in order), producing a value of
/// shape `out_shape`. Returns `None` when the op is not one the folder handles or the result
/// would be too large, in which case the node is kept.
pub(crate) fn eval_op(op: &Op, inputs: &[&ConstVal], out_shape: &[usize]) -> Option<ConstVal> {
    let n = checked_numel(out_shape)?;
    if n > MAX_FOLD_ELEMS {
        return None;
    }
    let first = inputs.first()?;
    let x = &first.tensor;
    let is_int = inputs.iter().all(|c| c.is_int);
    let map = |f: &dyn Fn(f64) -> f64| x.data.iter().map(|&v| f(v)).collect::<Vec<_>>();
    let (data, is_int) = match op {
        Op::Add | Op::Sub | Op::Mul | Op::Div => {
            let b = inputs.get(1)?;
            let int_div = is_int;
            let f = move |p: f64, q: f64| match op {
                Op::Add => p + q,
                Op::Sub => p - q,
                Op::Mul => p * q,
                _ if int_div => (p / q).trunc(),
                _ => p / q,
            };
            (binary(first, b, out_shape, f), is_int)
        }
        Op::Neg => (map(&|v| -v), first.is_int),
        Op::Relu => (map(&|v| v.max(0.0)), first.is_int),
        Op::LeakyRelu { alpha } => (map(&|v| if v >= 0.0 { v } else { alpha * v }), false),
        Op::Clip { min, max } => (
            map(&|v| {
                let v = min.map_or(v, |m| v.max(m));
                max.map_or(v, |m| v.min(m))
            }),
            first.is_int,
        ),
        Op::Identity
        | Op::Flatten { .. }
        | Op::Reshape { .. }
        | Op::Squeeze { .. }
        | Op::Unsqueeze { .. } => (x.data.clone(), first.is_int),
        Op::Transpose { perm } => {
            let st = strides(&x.shape);
            let mut data = Vec::with_capacity(n);
            for_each_index(out_shape, |idx| {
                let off: usize = idx.iter().zip(perm).map(|(&i, &p)| i * st[p]).sum();
                data.push(x.data[off]);
            });
            (data, first.is_int)
        }
        Op::Slice { axes } => {
            let st = strides(&x.shape);
            let mut data = Vec::with_capacity(n);
            for_each_index(out_shape, |idx| {
                let mut off = 0usize;
                for (ax, (&i, &s)) in idx.iter().zip(&st).enumerate() {
                    let src = match axes.iter().find(|a| a.axis == ax) {
                        Some(a) => (a.start + i as i64 * a.step) as usize,
                        None => i,
                    };
                    off += src * s;
                }
                data.push(x.data[off]);
            });
            (data, first.is_int)
        }
        Op::Concat { axis } => {
            let outer: usize = out_shape[..*axis].iter().product();
            let mut data = Vec::with_capacity(n);
            for o in 0..outer {
                for c in inputs {
                    let chunk: usize = c.tensor.shape[*axis..].iter().product();
                    data.extend_from_slice(c.tensor.data.get(o * chunk..(o + 1) * chunk)?);
                }
            }
            (data, inputs.iter().all(|c| c.is_int))
        }
        Op::Gather { axis, indices, .. } => {
            let outer: usize = x.shape[..*axis].iter().product();
            let dim = x.shape[*axis];
            let inner: usize = x.shape[axis + 1..].iter().product();
            let mut data = Vec::with_capacity(n);
            for o in 0..outer {
                for &i in indices {
                    let start = (o * dim + i) * inner;
                    data.extend_from_slice(x.data.get(start..start + inner)?);
                }
            }
            (data, first.is_int)
        }
        _ => return None,
    };
    ConstVal::new(out_shape.to_vec(), data, is_int)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::SliceAxis;

    fn c(shape: &[usize], data: &[f64], is_int: bool) -> ConstVal {
        ConstVal {
            tensor: Tensor {
                shape: shape.to_vec(),
                data: data.to_vec(),
            },
            is_int,
        }
    }

    #[test]
    fn arithmetic_and_int_division() {
        let a = c(&[3], &[7.0, -7.0, 8.0], true);
        let b = c(&[], &[2.0], true);
        let r = eval_op(&Op::Div, &[&a, &b], &[3]);
        assert_eq!(r.map(|r| r.tensor.data), Some(vec![3.0, -3.0, 4.0]));
        let a = c(&[2, 1], &[1.0, 2.0], false);
        let b = c(&[3], &[10.0, 20.0, 30.0], false);
        let r = eval_op(&Op::Add, &[&a, &b], &[2, 3]);
        assert_eq!(
            r.map(|r| r.tensor.data),
            Some(vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0])
        );
    }

    #[test]
    fn data_movement() {
        let x = c(&[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], false);
        let t = eval_op(&Op::Transpose { perm: vec![1, 0] }, &[&x], &[3, 2]);
        assert_eq!(
            t.map(|r| r.tensor.data),
            Some(vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0])
        );
        let g = Op::Gather {
            axis: 1,
            indices: vec![2, 0],
            indices_shape: vec![2],
        };
        let r = eval_op(&g, &[&x], &[2, 2]);
        assert_eq!(r.map(|r| r.tensor.data), Some(vec![2.0, 0.0, 5.0, 3.0]));
        let y = c(&[2, 1], &[9.0, 8.0], false);
        let r = eval_op(&Op::Concat { axis: 1 }, &[&x, &y], &[2, 4]);
        assert_eq!(
            r.map(|r| r.tensor.data),
            Some(vec![0.0, 1.0, 2.0, 9.0, 3.0, 4.0, 5.0, 8.0])
        );
        let s = Op::Slice {
            axes: vec![SliceAxis {
                axis: 1,
                start: 2,
                end: -1,
                step: -2,
            }],
        };
        let r = eval_op(&s, &[&x], &[2, 2]);
        assert_eq!(r.map(|r| r.tensor.data), Some(vec![2.0, 0.0, 5.0, 3.0]));
    }
}
