//! Unit tests of the float evaluator, on hand-built graphs.
#![allow(clippy::unwrap_used)]

mod graph;
mod linear;
mod misc;
mod pool;
mod shape;

use crate::eval::{eval_graph, EvalError};
use crate::ir::{Graph, Node, Op, Tensor, Value, ValueKind};

/// One operand of a single-node test graph.
pub(super) enum Arg {
    /// A runtime graph input.
    In(Tensor),
    /// A constant in the value table.
    Const(Tensor),
}

pub(super) fn t(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::new(shape.to_vec(), data.to_vec()).unwrap()
}

/// Deterministic pseudo-random values in [-1, 1).
pub(super) fn rand_tensor(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let data = (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect();
    Tensor {
        shape: shape.to_vec(),
        data,
    }
}

/// Builds a graph with one node applying `op` to `args`, declaring output shape `out_shape`.
pub(super) fn single_node_graph(op: Op, args: &[Arg], out_shape: &[usize]) -> Graph {
    let mut values = Vec::new();
    let mut inputs = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let (shape, kind) = match a {
            Arg::In(t) => {
                inputs.push(i);
                (t.shape.clone(), ValueKind::Input)
            }
            Arg::Const(t) => (t.shape.clone(), ValueKind::Constant(t.clone())),
        };
        values.push(Value {
            name: format!("v{i}"),
            shape,
            kind,
        });
    }
    let out = values.len();
    values.push(Value {
        name: "output".into(),
        shape: out_shape.to_vec(),
        kind: ValueKind::Intermediate,
    });
    Graph {
        values,
        nodes: vec![Node {
            name: "node0".into(),
            op,
            inputs: (0..args.len()).collect(),
            outputs: vec![out],
        }],
        inputs,
        outputs: vec![out],
        opset: 17,
        input_info: Default::default(),
    }
}

/// Runs a single-node graph and returns its output.
pub(super) fn run(op: Op, args: Vec<Arg>, out_shape: &[usize]) -> Result<Tensor, EvalError> {
    let g = single_node_graph(op, &args, out_shape);
    let runtime: Vec<Tensor> = args
        .into_iter()
        .filter_map(|a| match a {
            Arg::In(t) => Some(t),
            Arg::Const(_) => None,
        })
        .collect();
    let mut out = eval_graph(&g, &runtime)?;
    assert_eq!(out.len(), 1);
    Ok(out.remove(0))
}

/// Asserts equal shapes and elementwise closeness (absolute 1e-12).
pub(super) fn assert_close(got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape, want.shape, "shape");
    for (i, (g, w)) in got.data.iter().zip(&want.data).enumerate() {
        assert!((g - w).abs() <= 1e-12, "element {i}: got {g}, want {w}");
    }
}
