//! Import-time constant folding.
//!
//! A node whose inputs are all constants is evaluated at import time with the float
//! reference evaluator ([`crate::eval::eval_op`]), which folds the shape-arithmetic
//! subgraphs exporters emit (`Shape -> Gather -> Unsqueeze -> Concat -> Reshape`, ...); the
//! import-time-only operators (`Constant`, `Shape`, `Cast`, ...) live in `onnx_only`.

mod onnx_only;

pub(crate) use onnx_only::{constant_node, fold_only};

use crate::budget::FoldBudget;
use crate::ir::{Op, Tensor};
use crate::shapes::checked_numel;

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

/// Evaluates `op` on constant `inputs` (the IR node's inputs, in order), producing a value of
/// shape `out_shape`, with the float evaluator every runtime op already has (so a new op
/// folds with no code here). Integer-ness is derived: the result is an integer tensor when
/// every input is and (after C-style truncation of an integer `Div`) every element is
/// integral. The output's elements are reserved from `budget` before anything is evaluated.
/// Returns `None` (reserving nothing) when the result would not fit the budget or the
/// evaluator refuses the inputs, in which case the node is kept as an IR node.
pub(crate) fn eval_op(
    op: &Op,
    inputs: &[&ConstVal],
    out_shape: &[usize],
    budget: &FoldBudget,
) -> Option<ConstVal> {
    let n = checked_numel(out_shape)?;
    if !budget.reserve(Some(n)) {
        return None;
    }
    let tensors: Vec<&Tensor> = inputs.iter().map(|c| &c.tensor).collect();
    let out = crate::eval::eval_op(op, &tensors)
        .ok()
        .filter(|out| out.shape == out_shape);
    let Some(mut out) = out else {
        budget.release(n);
        return None;
    };
    let all_int = !inputs.is_empty() && inputs.iter().all(|c| c.is_int);
    if all_int && *op == Op::Div {
        for v in &mut out.data {
            *v = v.trunc();
        }
    }
    // Cast decides the element class itself (Cast to float of an integer stays a float).
    let is_int = match op {
        Op::Cast { to } => to.is_integer(),
        _ => all_int && out.data.iter().all(|v| v.fract() == 0.0),
    };
    ConstVal::new(out.shape, out.data, is_int)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::MAX_FOLD_ELEMS;
    use crate::ir::SliceAxis;

    fn eval_op(op: &Op, inputs: &[&ConstVal], out_shape: &[usize]) -> Option<ConstVal> {
        super::eval_op(op, inputs, out_shape, &FoldBudget::new(MAX_FOLD_ELEMS))
    }

    #[test]
    fn a_fold_over_the_budget_is_refused_and_reserves_nothing() {
        let x = c(&[4], &[1.0, 2.0, 3.0, 4.0], false);
        let budget = FoldBudget::new(6);
        assert!(super::eval_op(&Op::Neg, &[&x], &[4], &budget).is_some());
        assert_eq!(budget.used(), 4);
        assert!(
            super::eval_op(&Op::Neg, &[&x], &[4], &budget).is_none(),
            "4 + 4 > 6"
        );
        assert_eq!(budget.used(), 4);
        // A fold the evaluator refuses (the shape it computes is not the declared one)
        // gives its reservation back.
        assert!(super::eval_op(&Op::Neg, &[&x], &[2], &budget).is_none());
        assert_eq!(budget.used(), 4);
    }

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
