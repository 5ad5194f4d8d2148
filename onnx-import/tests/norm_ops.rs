//! Import and float evaluation of the normalization family and the norm-like reductions:
//! Softmax / LogSoftmax axis defaults per opset (and the pre-13 2-D coercion),
//! LayerNormalization (axis, epsilon, optional B, refused Mean / InvStdDev outputs),
//! InstanceNormalization, LRN (defaults, windows) and ReduceL2 / ReduceLogSumExp.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::op_graphs::*;
use common::*;
use onnx_import::ir::{Op, ReduceKind};

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
    }
}

fn softmax_ref(xs: &[f64]) -> Vec<f64> {
    let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = xs.iter().map(|x| (x - m).exp()).sum();
    xs.iter().map(|x| (x - m).exp() / s).collect()
}

#[test]
fn softmax_axis_defaults_per_opset() {
    // Opset 13: default axis -1, one axis.
    let g = import_op("Softmax", "n", &[("x", &[2, 2, 3])], vec![], 13).unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Softmax {
            axis: 2,
            log: false,
            coerce_2d: false
        }
    );
    // Opset 11: default axis 1, coerced over axes 1 and 2.
    let g = import_op("Softmax", "n", &[("x", &[2, 2, 3])], vec![], 11).unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Softmax {
            axis: 1,
            log: false,
            coerce_2d: true
        }
    );
    let x = seq(&[2, 2, 3], 0.7);
    let y = run(&g, std::slice::from_ref(&x));
    // Each batch row's 6 values form one softmax.
    close(&y[0].data[..6], &softmax_ref(&x.data[..6]), 1e-12);
    close(&y[0].data[6..], &softmax_ref(&x.data[6..]), 1e-12);
    // Opset 11 with the last axis: a plain one-axis softmax.
    let g = import_op("Softmax", "n", &[("x", &[2, 3])], vec![], 11).unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Softmax {
            axis: 1,
            log: false,
            coerce_2d: false
        }
    );
}

#[test]
fn softmax_over_axis_zero_and_log_softmax() {
    let g = import_op(
        "Softmax",
        "n",
        &[("x", &[2, 3])],
        vec![a_int("axis", 0)],
        13,
    )
    .unwrap();
    let x = t(&[2, 3], &[1.0, 2.0, 3.0, 3.0, 0.0, -1.0]);
    let y = run(&g, std::slice::from_ref(&x));
    for c in 0..3 {
        let want = softmax_ref(&[x.data[c], x.data[3 + c]]);
        close(&[y[0].data[c], y[0].data[3 + c]], &want, 1e-12);
    }
    let g = import_op(
        "LogSoftmax",
        "n",
        &[("x", &[2, 3])],
        vec![a_int("axis", -1)],
        13,
    )
    .unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Softmax {
            axis: 1,
            log: true,
            coerce_2d: false
        }
    );
    let y = run(&g, std::slice::from_ref(&x));
    let want: Vec<f64> = softmax_ref(&x.data[..3]).iter().map(|v| v.ln()).collect();
    close(&y[0].data[..3], &want, 1e-12);
    // Large inputs do not overflow (max-subtracted).
    let y = run(&g, &[t(&[2, 3], &[1000.0, 1000.0, 1000.0, 0.0, 0.0, 0.0])]);
    close(&y[0].data[..3], &[-(3f64.ln()); 3], 1e-12);
    assert!(import_op(
        "Softmax",
        "n",
        &[("x", &[2, 3])],
        vec![a_int("axis", 2)],
        13
    )
    .is_err());
}

fn layer_norm(
    attrs: Vec<onnx_protobuf::AttributeProto>,
    with_bias: bool,
    outputs: &[&str],
) -> Result<onnx_import::ir::Graph, onnx_import::ImportError> {
    let mut ins = vec!["x", "scale"];
    let mut inits = vec![init_f32("scale", &[3], &[1.0, 2.0, 0.5])];
    if with_bias {
        ins.push("bias");
        inits.push(init_f32("bias", &[3], &[0.0, 0.5, -1.0]));
    }
    import(
        vec![node("LayerNormalization", "ln", &ins, outputs, attrs)],
        vec![vi("x", &[2, 3])],
        &outputs[..1],
        inits,
        17,
    )
}

#[test]
fn layer_norm_defaults_and_evaluation() {
    let g = layer_norm(vec![], true, &["y"]).unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::LayerNormalization {
            axis: 1,
            epsilon: 1e-5
        }
    );
    let x = t(&[2, 3], &[1.0, 2.0, 3.0, -1.0, -1.0, -1.0]);
    let y = run(&g, std::slice::from_ref(&x));
    let r = 1.0 / (2.0f64 / 3.0 + 1e-5).sqrt();
    close(&y[0].data, &[-r, 0.5, 0.5 * r - 1.0, 0.0, 0.5, -1.0], 1e-6);
    // No bias; epsilon attribute.
    let g = layer_norm(vec![a_float("epsilon", 0.5)], false, &["y"]).unwrap();
    assert_eq!(g.nodes[0].inputs.len(), 2);
    let y = run(&g, &[x]);
    let r = 1.0 / (2.0f64 / 3.0 + 0.5).sqrt();
    close(&y[0].data[..3], &[-r, 0.0, 0.5 * r], 1e-6);
}

#[test]
fn layer_norm_refuses_mean_outputs_and_old_opsets() {
    let e = layer_norm(vec![], true, &["y", "mean", "inv"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("Mean / InvStdDev"), "{e}");
    let e = import_op(
        "LayerNormalization",
        "n",
        &[("x", &[2, 3]), ("s", &[3])],
        vec![],
        16,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("opset"), "{e}");
    // A scale that does not broadcast to the normalized shape.
    let e = import_op(
        "LayerNormalization",
        "n",
        &[("x", &[2, 3]), ("s", &[2])],
        vec![],
        17,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("broadcast"), "{e}");
}

#[test]
fn instance_norm_per_channel() {
    let g = import(
        vec![node(
            "InstanceNormalization",
            "in",
            &["x", "s", "b"],
            &["y"],
            vec![a_float("epsilon", 0.0)],
        )],
        vec![vi("x", &[1, 2, 2])],
        &["y"],
        vec![
            init_f32("s", &[2], &[1.0, 3.0]),
            init_f32("b", &[2], &[0.0, 1.0]),
        ],
        6,
    )
    .unwrap();
    assert_eq!(g.nodes[0].op, Op::InstanceNormalization { epsilon: 0.0 });
    let y = run(&g, &[t(&[1, 2, 2], &[1.0, 3.0, 5.0, 1.0])]);
    close(&y[0].data, &[-1.0, 1.0, 4.0, -2.0], 1e-12);
    // Rank 2 is refused.
    assert!(import(
        vec![node(
            "InstanceNormalization",
            "in",
            &["x", "s", "b"],
            &["y"],
            vec![]
        )],
        vec![vi("x", &[1, 2])],
        &["y"],
        vec![
            init_f32("s", &[2], &[1.0, 1.0]),
            init_f32("b", &[2], &[0.0, 0.0])
        ],
        6,
    )
    .is_err());
}

#[test]
fn lrn_defaults_and_window() {
    let g = import_op("LRN", "n", &[("x", &[1, 4, 1])], vec![a_int("size", 2)], 13).unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Lrn {
            size: 2,
            alpha: 1e-4,
            beta: 0.75,
            bias: 1.0
        }
    );
    // size 2: the window of channel c is c ..= c + 1.
    let g = import_op(
        "LRN",
        "n",
        &[("x", &[1, 3, 1])],
        vec![
            a_int("size", 2),
            a_float("alpha", 2.0),
            a_float("beta", 1.0),
            a_float("bias", 1.0),
        ],
        13,
    )
    .unwrap();
    let y = run(&g, &[t(&[1, 3, 1], &[1.0, 2.0, 3.0])]);
    close(
        &y[0].data,
        &[1.0 / (1.0 + 5.0), 2.0 / (1.0 + 13.0), 3.0 / (1.0 + 9.0)],
        1e-12,
    );
    let e = import_op("LRN", "n", &[("x", &[1, 3, 1])], vec![], 13)
        .unwrap_err()
        .to_string();
    assert!(e.contains("size"), "{e}");
}

#[test]
fn reduce_l2_and_log_sum_exp() {
    for (op, kind) in [
        ("ReduceL2", ReduceKind::L2),
        ("ReduceLogSumExp", ReduceKind::LogSumExp),
    ] {
        // Opset 13: axes attribute; keepdims default 1.
        let g = import_op(op, "n", &[("x", &[2, 2])], vec![a_ints("axes", &[1])], 13).unwrap();
        assert_eq!(
            g.nodes[0].op,
            Op::Reduce {
                kind,
                axes: vec![1],
                keepdims: true
            }
        );
        let y = run(&g, &[t(&[2, 2], &[3.0, 4.0, 0.0, 0.0])]);
        let want = match kind {
            ReduceKind::L2 => [5.0, 0.0],
            _ => [4.0 + (1.0 + (-1f64).exp()).ln(), 2f64.ln()],
        };
        close(&y[0].data, &want, 1e-12);
        // Opset 18: axes input; no axes reduces everything.
        let g = import_op(op, "n", &[("x", &[2, 2])], vec![a_int("keepdims", 0)], 18).unwrap();
        assert_eq!(g.values[g.outputs[0]].shape, Vec::<usize>::new());
        // noop_with_empty_axes: identity.
        let g = import_op(
            op,
            "n",
            &[("x", &[2, 2])],
            vec![a_int("noop_with_empty_axes", 1)],
            18,
        )
        .unwrap();
        assert_eq!(g.nodes.first().map(|n| &n.op), Some(&Op::Identity));
    }
}
