//! Import and float evaluation of the lookup-free elementwise and activation operators (and
//! Cast), and the old-opset semantics of their families (variadic and legacy binary
//! broadcasting).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::op_graphs::*;
use common::*;
use onnx_import::ir::{CastTarget, Graph, Op, VariadicOp};
use onnx_import::ImportError;

fn unary_model(op: &str, opset: i64, attrs: Vec<onnx_protobuf::AttributeProto>) -> Graph {
    import_op(op, "n", &[("x", &[8])], attrs, opset).unwrap()
}

const XS: [f64; 8] = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.2, 3.7];

#[test]
fn rounding_and_sign_functions() {
    let x = t(&[8], &XS);
    let cases: [(&str, i64, [f64; 8]); 5] = [
        ("Abs", 13, [2.5, 1.5, 0.5, 0.5, 1.5, 2.5, 1.2, 3.7]),
        ("Sign", 13, [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0, -1.0, 1.0]),
        ("Floor", 13, [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, 3.0]),
        ("Ceil", 13, [-2.0, -1.0, -0.0, 1.0, 2.0, 3.0, -1.0, 4.0]),
        // Half to even: -2.5 -> -2, -1.5 -> -2, -0.5 -> -0, 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
        ("Round", 13, [-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, -1.0, 4.0]),
    ];
    for (op, opset, want) in cases {
        let g = unary_model(op, opset, vec![]);
        assert_eq!(g.nodes[0].op.name(), op);
        assert_eq!(run(&g, std::slice::from_ref(&x))[0].data, want, "{op}");
    }
    assert_eq!(
        unary_model("Sign", 9, vec![]).nodes[0].op,
        Op::Sign,
        "Sign exists from opset 9"
    );
    let err = import_op("Round", "r", &[("x", &[8])], vec![], 10).unwrap_err();
    assert!(err.to_string().contains("Round"), "{err}");
}

#[test]
fn shrink_defaults_and_attributes() {
    let g = unary_model(
        "Shrink",
        10,
        vec![a_float("lambd", 1.5), a_float("bias", 1.5)],
    );
    assert_eq!(
        g.nodes[0].op,
        Op::Shrink {
            lambd: 1.5,
            bias: 1.5
        }
    );
    let y = run(&g, &[t(&[8], &XS)]);
    assert_eq!(y[0].data, [-1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 2.2]);
    let g = unary_model("Shrink", 10, vec![]);
    assert_eq!(
        g.nodes[0].op,
        Op::Shrink {
            lambd: 0.5,
            bias: 0.0
        }
    );
}

/// `PRelu(x [2, 3, 2], s) -> y` as node `p`: the slope `s` an initializer of `slope_dims`
/// holding `[0.5, 0.25, 2.0]`, or a runtime `[1]` input when `None`.
fn prelu(slope_dims: Option<&[i64]>, opset: i64) -> Result<Graph, ImportError> {
    let (inputs, inits) = match slope_dims {
        Some(dims) => (
            vec![vi("x", &[2, 3, 2])],
            vec![init_f32("s", dims, &[0.5, 0.25, 2.0])],
        ),
        None => (vec![vi("x", &[2, 3, 2]), vi("s", &[1])], vec![]),
    };
    import(
        vec![node("PRelu", "p", &["x", "s"], &["y"], vec![])],
        inputs,
        &["y"],
        inits,
        opset,
    )
}

#[test]
fn prelu_broadcasts_and_legacy_per_channel_slope() {
    let x = t(
        &[2, 3, 2],
        &[
            -1.0, 1.0, -2.0, 2.0, -3.0, 3.0, -4.0, 4.0, -5.0, 5.0, -6.0, 6.0,
        ],
    );
    // Opset 6: a [C] slope applies along axis 1.
    let g = prelu(Some(&[3]), 6).unwrap();
    let Op::PRelu { slope } = &g.nodes[0].op else {
        panic!("{:?}", g.nodes[0].op)
    };
    assert_eq!(slope.shape, vec![3, 1]);
    let y = run(&g, std::slice::from_ref(&x));
    assert_eq!(
        y[0].data,
        [-0.5, 1.0, -0.5, 2.0, -6.0, 3.0, -2.0, 4.0, -1.25, 5.0, -12.0, 6.0]
    );
    // Opset 9: numpy broadcasting, so a [3] slope aligns with the last axis (size 2): refused.
    let err = prelu(Some(&[3]), 9).unwrap_err();
    assert!(err.to_string().contains("\"p\""), "{err}");
    assert!(err.to_string().contains("slope"), "{err}");
    // ... while [3, 1] broadcasts.
    let g = prelu(Some(&[3, 1]), 9).unwrap();
    assert_eq!(run(&g, &[x])[0].data[4], -6.0);
    // A runtime slope is refused with a clear message.
    let err = prelu(None, 9).unwrap_err();
    assert!(err.to_string().contains("runtime"), "{err}");
}

#[test]
fn variadic_ops_broadcast_from_opset_8_only() {
    let inputs: [(&str, &[i64]); 3] = [("a", &[2, 3]), ("b", &[3]), ("c", &[2, 1])];
    let a = t(&[2, 3], &[1.0, 5.0, 3.0, -1.0, 0.0, 9.0]);
    let b = t(&[3], &[2.0, 2.0, 2.0]);
    let c = t(&[2, 1], &[0.0, 4.0]);
    let cases = [
        ("Sum", VariadicOp::Sum, [3.0, 7.0, 5.0, 5.0, 6.0, 15.0]),
        (
            "Mean",
            VariadicOp::Mean,
            [1.0, 7.0 / 3.0, 5.0 / 3.0, 5.0 / 3.0, 2.0, 5.0],
        ),
        ("Max", VariadicOp::Max, [2.0, 5.0, 3.0, 4.0, 4.0, 9.0]),
        ("Min", VariadicOp::Min, [0.0, 0.0, 0.0, -1.0, 0.0, 2.0]),
    ];
    for (name, v, want) in cases {
        let g = import_op(name, "v", &inputs, vec![], 13).unwrap();
        assert_eq!(g.nodes[0].op, Op::Variadic(v));
        assert_eq!(g.shape(g.outputs[0]), &[2, 3]);
        let y = run(&g, &[a.clone(), b.clone(), c.clone()]);
        for (got, w) in y[0].data.iter().zip(want) {
            assert!((got - w).abs() < 1e-12, "{name}: {:?}", y[0].data);
        }
        // Before opset 8: equal shapes only.
        let err = import_op(name, "v", &inputs, vec![], 7).unwrap_err();
        assert!(err.to_string().contains("before opset 8"), "{err}");
    }
    // One input is an identity-like Sum; equal shapes are fine at opset 6.
    let g = import_op("Max", "v", &[("a", &[2, 3]), ("a2", &[2, 3])], vec![], 6).unwrap();
    assert_eq!(g.nodes[0].op, Op::Variadic(VariadicOp::Max));
    let g = import_op("Sum", "v", &[("a", &[2, 3])], vec![], 13).unwrap();
    assert_eq!(run(&g, std::slice::from_ref(&a))[0], a);
}

#[test]
fn runtime_cast_maps_and_constant_cast_folds() {
    // Float -> int64 at runtime truncates toward zero.
    let g = unary_model("Cast", 13, vec![a_int("to", 7)]);
    assert_eq!(
        g.nodes[0].op,
        Op::Cast {
            to: CastTarget::Integer
        }
    );
    let y = run(&g, &[t(&[8], &XS)]);
    assert_eq!(y[0].data, [-2.0, -1.0, -0.0, 0.0, 1.0, 2.0, -1.0, 3.0]);
    // Float -> double is kept.
    let g = unary_model("Cast", 13, vec![a_int("to", 11)]);
    assert_eq!(run(&g, &[t(&[8], &XS)])[0].data, XS);
    // Runtime bool has no fixed-point meaning here.
    let err = import_op("Cast", "c", &[("x", &[8])], vec![a_int("to", 9)], 13).unwrap_err();
    assert!(err.to_string().contains("bool"), "{err}");
    assert!(err.to_string().contains("\"c\""), "{err}");
    // Strings are refused.
    let err = import_op("Cast", "c", &[("x", &[8])], vec![a_int("to", 8)], 13).unwrap_err();
    assert!(err.to_string().contains("not supported"), "{err}");
    let g = import(
        vec![
            node("Cast", "c", &["sf"], &["si"], vec![a_int("to", 7)]),
            node("Reshape", "r", &["x", "si"], &["y"], vec![]),
        ],
        vec![vi("x", &[2, 3])],
        &["y"],
        vec![init_f32("sf", &[2], &[3.0, 2.0])],
        13,
    )
    .unwrap();
    assert_eq!(g.nodes.len(), 1);
    assert_eq!(g.nodes[0].op, Op::Reshape { shape: vec![3, 2] });
}

#[test]
fn legacy_binary_broadcast_aligns_b_at_axis() {
    let a = seq(&[2, 3, 2], 0.6);
    let bv = t(&[3], &[10.0, 20.0, 30.0]);
    // Opset 6, broadcast=1, axis=1: B [3] lines up with A's axis 1 (numpy would use axis 2).
    for b_const in [false, true] {
        let (inputs, inits) = if b_const {
            (
                vec![vi("a", &[2, 3, 2])],
                vec![init_f32("b", &[3], &[10.0, 20.0, 30.0])],
            )
        } else {
            (vec![vi("a", &[2, 3, 2]), vi("b", &[3])], vec![])
        };
        let g = import(
            vec![node(
                "Add",
                "add",
                &["a", "b"],
                &["y"],
                vec![a_int("broadcast", 1), a_int("axis", 1)],
            )],
            inputs,
            &["y"],
            inits,
            6,
        )
        .unwrap();
        assert_eq!(g.nodes.last().unwrap().op, Op::Add);
        // A runtime B goes through an inserted Reshape to [3, 1]; a constant one is reshaped.
        assert_eq!(g.nodes.len(), if b_const { 1 } else { 2 });
        let b_id = g.nodes.last().unwrap().inputs[1];
        assert_eq!(g.shape(b_id), &[3, 1]);
        let feeds = if b_const {
            vec![a.clone()]
        } else {
            vec![a.clone(), bv.clone()]
        };
        let y = run(&g, &feeds);
        for i in 0..12 {
            let c = (i / 2) % 3;
            assert!((y[0].data[i] - (a.data[i] + bv.data[c])).abs() < 1e-12);
        }
    }
    // Default axis (suffix) and size-1 dims, as PyTorch's opset-6 exports use them.
    let ab: [(&str, &[i64]); 2] = [("a", &[2, 3]), ("b", &[3])];
    let broadcast_axis_0 = || vec![a_int("broadcast", 1), a_int("axis", 0)];
    let g = import_op(
        "Mul",
        "mul",
        &[("a", &[2, 3]), ("b", &[1, 3])],
        broadcast_axis_0(),
        6,
    )
    .unwrap();
    assert_eq!(g.nodes.len(), 1);
    // broadcast=0 with different shapes is an error before opset 7 ...
    let err = import_op("Sub", "sub", &ab, vec![], 6).unwrap_err();
    assert!(err.to_string().contains("broadcast=1"), "{err}");
    // ... and plain numpy broadcasting from opset 7.
    let g = import_op("Sub", "sub", &ab, vec![], 7).unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[2, 3]);
    // A misaligned B is refused.
    let err = import_op("Add", "add", &ab, broadcast_axis_0(), 6).unwrap_err();
    assert!(err.to_string().contains("axis 0"), "{err}");
}
