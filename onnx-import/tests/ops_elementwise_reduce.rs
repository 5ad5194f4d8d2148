//! Import and float evaluation of the lookup-free elementwise, activation, reduction, arg and
//! Einsum operators, and the old-opset semantics of their families.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use onnx_import::eval::eval_graph;
use onnx_import::import_bytes;
use onnx_import::ir::{ArgKind, CastTarget, Graph, Op, ReduceKind, Tensor, TopKOutput, VariadicOp};

fn t(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::new(shape.to_vec(), data.to_vec()).unwrap()
}

/// Imports a model and evaluates it on `inputs`.
fn run(g: &Graph, inputs: &[Tensor]) -> Vec<Tensor> {
    eval_graph(g, inputs).unwrap()
}

fn import(
    nodes: Vec<onnx_protobuf::NodeProto>,
    inputs: Vec<onnx_protobuf::ValueInfoProto>,
    outputs: &[&str],
    inits: Vec<onnx_protobuf::TensorProto>,
    opset: i64,
) -> Result<Graph, onnx_import::ImportError> {
    let outs = outputs.iter().map(|o| out(o)).collect();
    import_bytes(&model(nodes, inputs, outs, inits, opset), "m")
}

fn unary_model(op: &str, opset: i64, attrs: Vec<onnx_protobuf::AttributeProto>) -> Graph {
    import(
        vec![node(op, "n", &["x"], &["y"], attrs)],
        vec![vi("x", &[8])],
        &["y"],
        vec![],
        opset,
    )
    .unwrap()
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
    let err = import(
        vec![node("Round", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[8])],
        &["y"],
        vec![],
        10,
    )
    .unwrap_err();
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

#[test]
fn prelu_broadcasts_and_legacy_per_channel_slope() {
    let x = t(
        &[2, 3, 2],
        &[
            -1.0, 1.0, -2.0, 2.0, -3.0, 3.0, -4.0, 4.0, -5.0, 5.0, -6.0, 6.0,
        ],
    );
    // Opset 6: a [C] slope applies along axis 1.
    let g = import(
        vec![node("PRelu", "p", &["x", "s"], &["y"], vec![])],
        vec![vi("x", &[2, 3, 2])],
        &["y"],
        vec![init_f32("s", &[3], &[0.5, 0.25, 2.0])],
        6,
    )
    .unwrap();
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
    let err = import(
        vec![node("PRelu", "p", &["x", "s"], &["y"], vec![])],
        vec![vi("x", &[2, 3, 2])],
        &["y"],
        vec![init_f32("s", &[3], &[0.5, 0.25, 2.0])],
        9,
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"p\""), "{err}");
    assert!(err.to_string().contains("slope"), "{err}");
    // ... while [3, 1] broadcasts.
    let g = import(
        vec![node("PRelu", "p", &["x", "s"], &["y"], vec![])],
        vec![vi("x", &[2, 3, 2])],
        &["y"],
        vec![init_f32("s", &[3, 1], &[0.5, 0.25, 2.0])],
        9,
    )
    .unwrap();
    assert_eq!(run(&g, &[x])[0].data[4], -6.0);
    // A runtime slope is refused with a clear message.
    let err = import(
        vec![node("PRelu", "p", &["x", "s"], &["y"], vec![])],
        vec![vi("x", &[2, 3, 2]), vi("s", &[1])],
        &["y"],
        vec![],
        9,
    )
    .unwrap_err();
    assert!(err.to_string().contains("runtime"), "{err}");
}

#[test]
fn variadic_ops_broadcast_from_opset_8_only() {
    let inputs = vec![vi("a", &[2, 3]), vi("b", &[3]), vi("c", &[2, 1])];
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
        let g = import(
            vec![node(name, "v", &["a", "b", "c"], &["y"], vec![])],
            inputs.clone(),
            &["y"],
            vec![],
            13,
        )
        .unwrap();
        assert_eq!(g.nodes[0].op, Op::Variadic(v));
        assert_eq!(g.shape(g.outputs[0]), &[2, 3]);
        let y = run(&g, &[a.clone(), b.clone(), c.clone()]);
        for (got, w) in y[0].data.iter().zip(want) {
            assert!((got - w).abs() < 1e-12, "{name}: {:?}", y[0].data);
        }
        // Before opset 8: equal shapes only.
        let err = import(
            vec![node(name, "v", &["a", "b", "c"], &["y"], vec![])],
            inputs.clone(),
            &["y"],
            vec![],
            7,
        )
        .unwrap_err();
        assert!(err.to_string().contains("before opset 8"), "{err}");
    }
    // One input is an identity-like Sum; equal shapes are fine at opset 6.
    let g = import(
        vec![node("Max", "v", &["a", "a2"], &["y"], vec![])],
        vec![vi("a", &[2, 3]), vi("a2", &[2, 3])],
        &["y"],
        vec![],
        6,
    )
    .unwrap();
    assert_eq!(g.nodes[0].op, Op::Variadic(VariadicOp::Max));
    let g = import(
        vec![node("Sum", "v", &["a"], &["y"], vec![])],
        vec![vi("a", &[2, 3])],
        &["y"],
        vec![],
        13,
    )
    .unwrap();
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
    let err = import(
        vec![node("Cast", "c", &["x"], &["y"], vec![a_int("to", 9)])],
        vec![vi("x", &[8])],
        &["y"],
        vec![],
        13,
    )
    .unwrap_err();
    assert!(err.to_string().contains("bool"), "{err}");
    assert!(err.to_string().contains("\"c\""), "{err}");
    // Strings are refused.
    let err = import(
        vec![node("Cast", "c", &["x"], &["y"], vec![a_int("to", 8)])],
        vec![vi("x", &[8])],
        &["y"],
        vec![],
        13,
    )
    .unwrap_err();
    assert!(err.to_string().contains("not supported"), "{err}");
    // A constant float cast to int64 folds to an integer tensor usable as a Reshape shape.
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
fn reductions_axes_attribute_and_input() {
    let x = t(&[2, 3], &[1.0, -2.0, 3.0, -4.0, 5.0, -6.0]);
    let cases = [
        ("ReduceMax", ReduceKind::Max, [3.0, 5.0]),
        ("ReduceMin", ReduceKind::Min, [-2.0, -6.0]),
        ("ReduceL1", ReduceKind::L1, [6.0, 15.0]),
        ("ReduceSumSquare", ReduceKind::SumSquare, [14.0, 77.0]),
        ("ReduceProd", ReduceKind::Prod, [-6.0, 120.0]),
    ];
    for (name, kind, want) in cases {
        // Opset 13: axes attribute, keepdims=0.
        let g = import(
            vec![node(
                name,
                "r",
                &["x"],
                &["y"],
                vec![a_ints("axes", &[-1]), a_int("keepdims", 0)],
            )],
            vec![vi("x", &[2, 3])],
            &["y"],
            vec![],
            13,
        )
        .unwrap();
        assert_eq!(
            g.nodes[0].op,
            Op::Reduce {
                kind,
                axes: vec![1],
                keepdims: false
            }
        );
        assert_eq!(run(&g, std::slice::from_ref(&x))[0].data, want, "{name}");
        // Opset 18: axes input; default keepdims=1.
        let g = import(
            vec![node(name, "r", &["x", "ax"], &["y"], vec![])],
            vec![vi("x", &[2, 3])],
            &["y"],
            vec![init_i64("ax", &[1], &[1])],
            18,
        )
        .unwrap();
        assert_eq!(g.shape(g.outputs[0]), &[2, 1]);
        assert_eq!(run(&g, std::slice::from_ref(&x))[0].data, want, "{name}");
        // Opset 18, no axes, noop_with_empty_axes=1: identity.
        let g = import(
            vec![node(
                name,
                "r",
                &["x"],
                &["y"],
                vec![a_int("noop_with_empty_axes", 1)],
            )],
            vec![vi("x", &[2, 3])],
            &["y"],
            vec![],
            18,
        )
        .unwrap();
        assert_eq!(g.nodes[0].op, Op::Identity);
        // No axes: all of them.
        let g = import(
            vec![node(name, "r", &["x"], &["y"], vec![])],
            vec![vi("x", &[2, 3])],
            &["y"],
            vec![],
            11,
        )
        .unwrap();
        assert_eq!(g.shape(g.outputs[0]), &[1, 1]);
    }
}

#[test]
fn argmax_argmin_ties_and_attributes() {
    let x = t(&[2, 4], &[1.0, 3.0, 3.0, 0.0, 2.0, 2.0, -1.0, -1.0]);
    let cases: [(&str, i64, i64, [f64; 2]); 4] = [
        ("ArgMax", 0, 2, [1.0, 0.0]),
        ("ArgMax", 1, 1, [2.0, 1.0]),
        ("ArgMin", 0, 1, [3.0, 2.0]),
        ("ArgMin", 1, 0, [3.0, 3.0]),
    ];
    for (name, last, keep, want) in cases {
        let g = import(
            vec![node(
                name,
                "a",
                &["x"],
                &["y"],
                vec![
                    a_int("axis", -1),
                    a_int("select_last_index", last),
                    a_int("keepdims", keep.min(1)),
                ],
            )],
            vec![vi("x", &[2, 4])],
            &["y"],
            vec![],
            13,
        )
        .unwrap();
        let kind = if name == "ArgMax" {
            ArgKind::Max
        } else {
            ArgKind::Min
        };
        assert_eq!(
            g.nodes[0].op,
            Op::Arg {
                kind,
                axis: 1,
                keepdims: keep >= 1,
                select_last_index: last == 1
            }
        );
        let y = run(&g, std::slice::from_ref(&x));
        assert_eq!(y[0].data, want, "{name} last={last}");
        let shape: &[usize] = if keep >= 1 { &[2, 1] } else { &[2] };
        assert_eq!(y[0].shape, shape);
    }
    // Defaults: axis 0, keepdims 1.
    let g = import(
        vec![node("ArgMax", "a", &["x"], &["y"], vec![])],
        vec![vi("x", &[2, 4])],
        &["y"],
        vec![],
        11,
    )
    .unwrap();
    assert_eq!(run(&g, &[x])[0].data, [1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn topk_two_outputs_constant_k_every_opset() {
    let x = t(
        &[2, 5],
        &[1.0, 4.0, 4.0, -2.0, 3.0, 0.0, 0.0, 5.0, 1.0, 0.0],
    );
    // Opset 11: K input, largest and sorted attributes.
    let g = import(
        vec![node("TopK", "tk", &["x", "k"], &["v", "i"], vec![])],
        vec![vi("x", &[2, 5])],
        &["v", "i"],
        vec![init_i64("k", &[1], &[3])],
        11,
    )
    .unwrap();
    assert_eq!(g.nodes.len(), 2);
    assert!(matches!(
        g.nodes[1].op,
        Op::TopK {
            axis: 1,
            k: 3,
            largest: true,
            output: TopKOutput::Indices,
            ..
        }
    ));
    let y = run(&g, std::slice::from_ref(&x));
    assert_eq!(y[0].data, [4.0, 4.0, 3.0, 5.0, 1.0, 0.0]);
    assert_eq!(y[1].data, [1.0, 2.0, 4.0, 2.0, 3.0, 0.0]);
    // Smallest.
    let g = import(
        vec![node(
            "TopK",
            "tk",
            &["x", "k"],
            &["v", "i"],
            vec![a_int("largest", 0)],
        )],
        vec![vi("x", &[2, 5])],
        &["v", "i"],
        vec![init_i64("k", &[1], &[2])],
        11,
    )
    .unwrap();
    let y = run(&g, std::slice::from_ref(&x));
    assert_eq!(y[0].data, [-2.0, 1.0, 0.0, 0.0]);
    assert_eq!(y[1].data, [3.0, 0.0, 0.0, 1.0]);
    // Opset 9: k attribute.
    let g = import(
        vec![node(
            "TopK",
            "tk",
            &["x"],
            &["v", "i"],
            vec![a_int("k", 1), a_int("axis", 0)],
        )],
        vec![vi("x", &[2, 5])],
        &["v", "i"],
        vec![],
        9,
    )
    .unwrap();
    let y = run(&g, std::slice::from_ref(&x));
    assert_eq!(y[0].data, [1.0, 4.0, 5.0, 1.0, 3.0]);
    assert_eq!(y[1].data, [0.0, 0.0, 1.0, 1.0, 0.0]);
    // A runtime K and k beyond the axis are refused, naming the node.
    let err = import(
        vec![node("TopK", "tk", &["x", "k"], &["v", "i"], vec![])],
        vec![vi("x", &[2, 5]), vi("k", &[1])],
        &["v", "i"],
        vec![],
        11,
    )
    .unwrap_err();
    assert!(err.to_string().contains("runtime"), "{err}");
    let err = import(
        vec![node("TopK", "tk", &["x", "k"], &["v", "i"], vec![])],
        vec![vi("x", &[2, 5])],
        &["v", "i"],
        vec![init_i64("k", &[1], &[6])],
        11,
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"tk\""), "{err}");
}

fn einsum_graph(eq: &str, shapes: &[&[i64]]) -> Graph {
    let names: Vec<String> = (0..shapes.len()).map(|i| format!("x{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    import(
        vec![node(
            "Einsum",
            "e",
            &refs,
            &["y"],
            vec![a_str("equation", eq)],
        )],
        names.iter().zip(shapes).map(|(n, s)| vi(n, s)).collect(),
        &["y"],
        vec![],
        12,
    )
    .unwrap()
}

fn seq(shape: &[usize], k: f64) -> Tensor {
    let n: usize = shape.iter().product();
    t(
        shape,
        &(0..n).map(|i| (i as f64 * k).sin()).collect::<Vec<_>>(),
    )
}

#[test]
fn einsum_contractions() {
    // Matmul against the MatMul op.
    let (a, b) = (seq(&[2, 3], 0.7), seq(&[3, 4], 1.3));
    let g = einsum_graph("ij,jk->ik", &[&[2, 3], &[3, 4]]);
    let want = onnx_import::eval::eval_op(&Op::MatMul, &[&a, &b]).unwrap();
    let got = run(&g, &[a.clone(), b.clone()]);
    assert_eq!(got[0].shape, want.shape);
    for (x, y) in got[0].data.iter().zip(&want.data) {
        assert!((x - y).abs() < 1e-12);
    }
    // Implicit output: the labels used once, sorted (numpy: b and j are summed).
    let g = einsum_graph("bij,bjk", &[&[2, 2, 3], &[2, 3, 2]]);
    assert_eq!(g.shape(g.outputs[0]), &[2, 2]);
    // Batched, with spaces.
    let (a, b) = (seq(&[2, 2, 3], 0.3), seq(&[2, 3, 2], 0.9));
    let g = einsum_graph("bij, bjk -> bik", &[&[2, 2, 3], &[2, 3, 2]]);
    assert_eq!(g.shape(g.outputs[0]), &[2, 2, 2]);
    let want = onnx_import::eval::eval_op(&Op::MatMul, &[&a, &b]).unwrap();
    let got = run(&g, &[a, b]);
    for (x, y) in got[0].data.iter().zip(&want.data) {
        assert!((x - y).abs() < 1e-12);
    }
    // Bilinear: y[b, a] = Σ x1[b, n] W[a, n, m] x2[b, m].
    let (x1, w, x2) = (seq(&[2, 3], 0.5), seq(&[4, 3, 2], 0.2), seq(&[2, 2], 1.1));
    let g = einsum_graph("bn,anm,bm->ba", &[&[2, 3], &[4, 3, 2], &[2, 2]]);
    let got = run(&g, &[x1.clone(), w.clone(), x2.clone()]);
    assert_eq!(got[0].shape, vec![2, 4]);
    for bi in 0..2 {
        for ai in 0..4 {
            let mut s = 0.0;
            for n in 0..3 {
                for m in 0..2 {
                    s += x1.data[bi * 3 + n] * w.data[(ai * 3 + n) * 2 + m] * x2.data[bi * 2 + m];
                }
            }
            assert!((got[0].data[bi * 4 + ai] - s).abs() < 1e-12);
        }
    }
    // Trace, transpose and an ellipsis.
    let m = seq(&[3, 3], 0.4);
    let g = einsum_graph("ii->", &[&[3, 3]]);
    let tr = m.data[0] + m.data[4] + m.data[8];
    assert!((run(&g, std::slice::from_ref(&m))[0].data[0] - tr).abs() < 1e-12);
    let g = einsum_graph("...ij->...ji", &[&[2, 3, 3]]);
    assert_eq!(g.shape(g.outputs[0]), &[2, 3, 3]);
    // Mismatched sizes name the node and the label.
    let err = import(
        vec![node(
            "Einsum",
            "e",
            &["a", "b"],
            &["y"],
            vec![a_str("equation", "ij,jk->ik")],
        )],
        vec![vi("a", &[2, 3]), vi("b", &[4, 2])],
        &["y"],
        vec![],
        12,
    )
    .unwrap_err();
    assert!(err.to_string().contains("label 'j'"), "{err}");
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
    let g = import(
        vec![node(
            "Mul",
            "mul",
            &["a", "b"],
            &["y"],
            vec![a_int("broadcast", 1), a_int("axis", 0)],
        )],
        vec![vi("a", &[2, 3]), vi("b", &[1, 3])],
        &["y"],
        vec![],
        6,
    )
    .unwrap();
    assert_eq!(g.nodes.len(), 1);
    // broadcast=0 with different shapes is an error before opset 7 ...
    let err = import(
        vec![node("Sub", "sub", &["a", "b"], &["y"], vec![])],
        vec![vi("a", &[2, 3]), vi("b", &[3])],
        &["y"],
        vec![],
        6,
    )
    .unwrap_err();
    assert!(err.to_string().contains("broadcast=1"), "{err}");
    // ... and plain numpy broadcasting from opset 7.
    let g = import(
        vec![node("Sub", "sub", &["a", "b"], &["y"], vec![])],
        vec![vi("a", &[2, 3]), vi("b", &[3])],
        &["y"],
        vec![],
        7,
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[2, 3]);
    // A misaligned B is refused.
    let err = import(
        vec![node(
            "Add",
            "add",
            &["a", "b"],
            &["y"],
            vec![a_int("broadcast", 1), a_int("axis", 0)],
        )],
        vec![vi("a", &[2, 3]), vi("b", &[3])],
        &["y"],
        vec![],
        6,
    )
    .unwrap_err();
    assert!(err.to_string().contains("axis 0"), "{err}");
}

#[test]
fn gemm_old_opsets() {
    let gemm = |opset: i64, c: Option<&[i64]>, attrs: Vec<onnx_protobuf::AttributeProto>| {
        let mut ins = vec!["a", "b"];
        let mut inits = vec![init_f32("b", &[3, 4], &[0.5; 12])];
        if let Some(s) = c {
            ins.push("c");
            let n: i64 = s.iter().product();
            inits.push(init_f32("c", s, &vec![1.0; n as usize]));
        }
        import(
            vec![node("Gemm", "gm", &ins, &["y"], attrs)],
            vec![vi("a", &[2, 3])],
            &["y"],
            inits,
            opset,
        )
    };
    // Opset 6: C [N] needs broadcast=1.
    assert!(gemm(6, Some(&[4]), vec![a_int("broadcast", 1)]).is_ok());
    let err = gemm(6, Some(&[4]), vec![]).unwrap_err();
    assert!(err.to_string().contains("broadcast=0"), "{err}");
    assert!(gemm(6, Some(&[2, 4]), vec![]).is_ok());
    // Opset 7..10: broadcasting is implicit, C is required.
    assert!(gemm(7, Some(&[4]), vec![]).is_ok());
    let err = gemm(9, None, vec![]).unwrap_err();
    assert!(
        err.to_string().contains("required before opset 11"),
        "{err}"
    );
    // Opset 11: C optional.
    let g = gemm(11, None, vec![]).unwrap();
    assert_eq!(g.nodes[0].inputs.len(), 2);
}
