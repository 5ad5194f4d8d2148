//! The graph driver and the shared index helpers.

use super::{rand_tensor, run, single_node_graph, t, Arg};
use crate::eval::{broadcast_index, broadcast_shape, eval_all, eval_graph, strides, EvalError};
use crate::ir::{Graph, Node, Op, Value, ValueKind};

#[test]
fn strides_are_row_major() {
    assert_eq!(strides(&[2, 3, 4]), vec![12, 4, 1]);
    assert_eq!(strides(&[5]), vec![1]);
    assert!(strides(&[]).is_empty());
}

#[test]
fn broadcast_shapes() {
    assert_eq!(broadcast_shape(&[2, 3, 4], &[4]), Some(vec![2, 3, 4]));
    assert_eq!(broadcast_shape(&[2, 3, 4], &[3, 1]), Some(vec![2, 3, 4]));
    assert_eq!(broadcast_shape(&[1, 3, 1], &[2, 1, 5]), Some(vec![2, 3, 5]));
    assert_eq!(broadcast_shape(&[], &[2, 2]), Some(vec![2, 2]));
    assert_eq!(broadcast_shape(&[2, 3], &[3, 2]), None);
}

#[test]
fn broadcast_indices() {
    // [2,3,4] output, operand [3,1]: index depends only on the middle coordinate.
    let out = [2, 3, 4];
    for i in 0..24 {
        let mid = (i / 4) % 3;
        assert_eq!(broadcast_index(i, &out, &[3, 1]), mid);
        assert_eq!(broadcast_index(i, &out, &[4]), i % 4);
        assert_eq!(broadcast_index(i, &out, &[]), 0);
        assert_eq!(broadcast_index(i, &out, &out), i);
        assert_eq!(broadcast_index(i, &out, &[2, 1, 1]), i / 12);
    }
}

/// input [1,4] -> Gemm(W const [3,4] transB, bias) -> Relu -> output [1,3].
fn two_node_graph() -> Graph {
    let w = rand_tensor(&[3, 4], 7);
    let b = t(&[3], &[0.1, -0.2, 0.3]);
    let value = |name: &str, shape: &[usize], kind| Value {
        name: name.into(),
        shape: shape.to_vec(),
        kind,
    };
    Graph {
        values: vec![
            value("input", &[1, 4], ValueKind::Input),
            value("w", &[3, 4], ValueKind::Constant(w)),
            value("b", &[3], ValueKind::Constant(b)),
            value("hidden", &[1, 3], ValueKind::Intermediate),
            value("output", &[1, 3], ValueKind::Intermediate),
        ],
        nodes: vec![
            Node {
                name: "gemm".into(),
                op: Op::Gemm {
                    alpha: 1.0,
                    beta: 1.0,
                    trans_a: false,
                    trans_b: true,
                },
                inputs: vec![0, 1, 2],
                outputs: vec![3],
            },
            Node {
                name: "relu".into(),
                op: Op::Relu,
                inputs: vec![3],
                outputs: vec![4],
            },
        ],
        inputs: vec![0],
        outputs: vec![4],
        opset: 17,
        input_info: Default::default(),
    }
}

#[test]
fn chain_with_constants_and_intermediates() {
    let g = two_node_graph();
    let x = t(&[1, 4], &[1.0, -0.5, 0.25, 2.0]);
    let all = eval_all(&g, std::slice::from_ref(&x)).unwrap();
    let w = g.constant(1).unwrap();
    let hidden = all[3].as_ref().unwrap();
    for j in 0..3 {
        let want: f64 =
            (0..4).map(|k| x.data[k] * w.data[j * 4 + k]).sum::<f64>() + [0.1, -0.2, 0.3][j];
        assert!((hidden.data[j] - want).abs() < 1e-12);
    }
    let out = eval_graph(&g, &[x]).unwrap();
    let relu: Vec<f64> = hidden.data.iter().map(|v| v.max(0.0)).collect();
    assert_eq!(out[0].data, relu);
    assert_eq!(all[4].as_ref().unwrap(), &out[0]);
}

#[test]
fn wrong_input_count_and_shape_are_errors() {
    let g = two_node_graph();
    let err = eval_graph(&g, &[]).unwrap_err();
    assert!(matches!(
        err,
        EvalError::InputCount {
            expected: 1,
            got: 0,
            ..
        }
    ));
    assert!(err.to_string().contains("input"), "{err}");
    let err = eval_graph(&g, &[t(&[4], &[0.0; 4])]).unwrap_err();
    match err {
        EvalError::InputShape {
            input,
            expected,
            got,
        } => {
            assert_eq!(input, "input");
            assert_eq!(expected, vec![1, 4]);
            assert_eq!(got, vec![4]);
        }
        other => panic!("unexpected {other:?}"),
    }
    // A tensor whose data does not fill its shape (fields are public).
    let bad = crate::ir::Tensor {
        shape: vec![1, 4],
        data: vec![0.0; 3],
    };
    let err = eval_graph(&g, &[bad]).unwrap_err();
    assert!(matches!(
        err,
        EvalError::InputData {
            expected: 4,
            got: 3,
            ..
        }
    ));
}

#[test]
fn declared_shape_mismatch_names_the_node() {
    let err = run(Op::Relu, vec![Arg::In(t(&[2], &[1.0, -1.0]))], &[3]).unwrap_err();
    match err {
        EvalError::Node { node, op, message } => {
            assert_eq!(node, "node0");
            assert_eq!(op, "Relu");
            assert!(message.contains("declared"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn bad_operand_shapes_are_errors_not_panics() {
    let gemm = Op::Gemm {
        alpha: 1.0,
        beta: 1.0,
        trans_a: false,
        trans_b: false,
    };
    let a = Arg::In(rand_tensor(&[2, 3], 1));
    let b = Arg::Const(rand_tensor(&[4, 5], 2));
    assert!(matches!(
        run(gemm, vec![a, b], &[2, 5]),
        Err(EvalError::Node { .. })
    ));
    let add = run(
        Op::Add,
        vec![
            Arg::In(rand_tensor(&[2, 3], 1)),
            Arg::In(rand_tensor(&[3, 2], 2)),
        ],
        &[2, 3],
    );
    assert!(matches!(add, Err(EvalError::Node { .. })));
    let relu = run(Op::Relu, vec![], &[1]);
    assert!(matches!(relu, Err(EvalError::Node { .. })));
    let conv = run(
        Op::Conv(crate::ir::ConvAttrs {
            kernel: vec![3, 3],
            strides: vec![1, 1],
            pads: crate::ir::Pads::zeros(2),
            dilations: vec![1, 1],
            group: 1,
        }),
        vec![
            Arg::In(rand_tensor(&[1, 1, 2, 2], 1)),
            Arg::Const(rand_tensor(&[1, 1, 3, 3], 2)),
        ],
        &[1, 1, 1, 1],
    );
    assert!(matches!(conv, Err(EvalError::Node { .. })));
}

#[test]
fn uncomputed_values_are_errors() {
    let mut g = single_node_graph(Op::Relu, &[Arg::In(t(&[1], &[1.0]))], &[1]);
    // The node reads an intermediate nothing produces.
    g.values.push(Value {
        name: "ghost".into(),
        shape: vec![1],
        kind: ValueKind::Intermediate,
    });
    g.nodes[0].inputs = vec![2];
    let err = eval_graph(&g, &[t(&[1], &[1.0])]).unwrap_err();
    assert!(err.to_string().contains("ghost"), "{err}");
    g.nodes[0].inputs = vec![99];
    assert!(eval_graph(&g, &[t(&[1], &[1.0])]).is_err());
    g.nodes.clear();
    let err = eval_graph(&g, &[t(&[1], &[1.0])]).unwrap_err();
    assert!(matches!(err, EvalError::Graph { .. }));
}
