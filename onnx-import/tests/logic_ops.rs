//! Importer and float-evaluator tests of the logic family (Less, LessOrEqual, Greater,
//! GreaterOrEqual, Equal, Not, And, Or, Xor, Where), Clip with runtime bounds, Div by a
//! runtime tensor and GatherElements with runtime indices: the IR op, opsets, broadcasting
//! (numpy and legacy), values against hand-computed expectations, and errors.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::op_graphs::{import, import_op, run, t};
use common::*;
use onnx_import::ir::{CompareOp, DType, LogicOp, Op};
use onnx_import::ImportError;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::type_proto::Value as TypeValue;
use onnx_protobuf::ValueInfoProto;

/// A value info of element type `dt` (float by default in `vi`).
fn vi_typed(name: &str, dims: &[i64], dt: DataType) -> ValueInfoProto {
    let mut v = vi(name, dims);
    if let Some(TypeValue::TensorType(tt)) = v.type_.as_mut().and_then(|t| t.value.as_mut()) {
        tt.elem_type = dt as i32;
    }
    v
}

#[test]
fn comparisons_broadcast_and_tie() {
    let a = t(&[2, 3], &[0.1, 0.2, 0.3, 0.3, 0.2, 0.1]);
    let b = t(&[3], &[0.2, 0.2, 0.2]);
    let cases: [(&str, CompareOp, [f64; 6]); 5] = [
        ("Less", CompareOp::Less, [1., 0., 0., 0., 0., 1.]),
        (
            "LessOrEqual",
            CompareOp::LessOrEqual,
            [1., 1., 0., 0., 1., 1.],
        ),
        ("Greater", CompareOp::Greater, [0., 0., 1., 1., 0., 0.]),
        (
            "GreaterOrEqual",
            CompareOp::GreaterOrEqual,
            [0., 1., 1., 1., 1., 0.],
        ),
        ("Equal", CompareOp::Equal, [0., 1., 0., 0., 1., 0.]),
    ];
    for (name, op, want) in cases {
        let g = import_op(name, "c", &[("a", &[2, 3]), ("b", &[3])], vec![], 13).unwrap();
        assert_eq!(g.nodes[0].op, Op::Compare(op), "{name}");
        assert_eq!(g.shape(g.outputs[0]), &[2, 3]);
        assert_eq!(run(&g, &[a.clone(), b.clone()])[0].data, want, "{name}");
    }
}

#[test]
fn comparison_opsets_and_legacy_broadcast() {
    // LessOrEqual / GreaterOrEqual exist from opset 12.
    for name in ["LessOrEqual", "GreaterOrEqual"] {
        let e = import_op(name, "c", &[("a", &[2]), ("b", &[2])], vec![], 11).unwrap_err();
        assert!(
            matches!(e, ImportError::UnsupportedOps { .. }),
            "{name}: {e}"
        );
    }
    // Opset 6: B [2] aligned at axis 0 of A [2, 3] with broadcast=1.
    let g = import_op(
        "Greater",
        "c",
        &[("a", &[2, 3]), ("b", &[2])],
        vec![a_int("broadcast", 1), a_int("axis", 0)],
        6,
    )
    .unwrap();
    let y = run(
        &g,
        &[t(&[2, 3], &[0., 1., 2., 0., 1., 2.]), t(&[2], &[0.5, 1.5])],
    );
    assert_eq!(y[0].data, vec![0., 1., 1., 0., 0., 1.]);
    // Without broadcast=1 differing shapes are refused before opset 7.
    let e = import_op("Equal", "c", &[("a", &[2, 3]), ("b", &[3])], vec![], 6).unwrap_err();
    assert!(e.to_string().contains("broadcast"), "{e}");
}

#[test]
fn equal_on_int64_labels() {
    let g = import(
        vec![node("Equal", "eq", &["y", "k"], &["m"], vec![])],
        vec![vi_typed("y", &[4], DataType::INT64)],
        &["m"],
        vec![init_i64("k", &[], &[2])],
        13,
    )
    .unwrap();
    assert_eq!(g.input_dtype(0), DType::Int64);
    let y = run(&g, &[t(&[4], &[2., 0., 2., 1.])]);
    assert_eq!(y[0].data, vec![1., 0., 1., 0.]);
}

#[test]
fn not_and_or_xor() {
    let p = t(&[4], &[0., 0., 1., 1.]);
    let q = t(&[4], &[0., 1., 0., 1.]);
    let g = import(
        vec![node("Not", "n", &["p"], &["y"], vec![])],
        vec![vi_typed("p", &[4], DataType::BOOL)],
        &["y"],
        vec![],
        1,
    )
    .unwrap();
    assert_eq!(g.nodes[0].op, Op::Not);
    assert_eq!(
        run(&g, std::slice::from_ref(&p))[0].data,
        vec![1., 1., 0., 0.]
    );
    for (name, op, want) in [
        ("And", LogicOp::And, [0., 0., 0., 1.]),
        ("Or", LogicOp::Or, [0., 1., 1., 1.]),
        ("Xor", LogicOp::Xor, [0., 1., 1., 0.]),
    ] {
        let g = import(
            vec![node(name, "l", &["p", "q"], &["y"], vec![])],
            vec![
                vi_typed("p", &[4], DataType::BOOL),
                vi_typed("q", &[4], DataType::BOOL),
            ],
            &["y"],
            vec![],
            7,
        )
        .unwrap();
        assert_eq!(g.nodes[0].op, Op::Logic(op));
        assert_eq!(g.input_dtype(0), DType::Bool);
        assert_eq!(run(&g, &[p.clone(), q.clone()])[0].data, want, "{name}");
    }
}

#[test]
fn where_broadcasts_three_ways() {
    let g = import(
        vec![
            node("Greater", "gt", &["x", "zero"], &["c"], vec![]),
            node("Where", "w", &["c", "x", "y"], &["o"], vec![]),
        ],
        vec![vi("x", &[2, 1]), vi("y", &[3])],
        &["o"],
        vec![init_f32("zero", &[], &[0.0])],
        9,
    )
    .unwrap();
    assert_eq!(g.nodes[1].op, Op::Where);
    assert_eq!(g.shape(g.outputs[0]), &[2, 3]);
    let o = run(&g, &[t(&[2, 1], &[0.5, -0.5]), t(&[3], &[1., 2., 3.])]);
    assert_eq!(o[0].data, vec![0.5, 0.5, 0.5, 1., 2., 3.]);
    // Where is opset 9+; incompatible shapes are a shape error.
    let e = import_op(
        "Where",
        "w",
        &[("c", &[2]), ("a", &[3]), ("b", &[2])],
        vec![],
        16,
    )
    .unwrap_err();
    assert!(matches!(e, ImportError::ShapeMismatch { .. }), "{e}");
}

#[test]
fn comparisons_of_constants_fold() {
    let g = import(
        vec![
            node("Less", "lt", &["a", "b"], &["m"], vec![]),
            node("Cast", "c", &["m"], &["mf"], vec![a_int("to", 1)]),
            node("Add", "add", &["x", "mf"], &["y"], vec![]),
        ],
        vec![vi("x", &[3])],
        &["y"],
        vec![
            init_f32("a", &[3], &[0.0, 1.0, 2.0]),
            init_f32("b", &[3], &[1.0, 1.0, 1.0]),
        ],
        13,
    )
    .unwrap();
    assert_eq!(g.nodes.len(), 1, "Less and Cast fold");
    let y = run(&g, &[t(&[3], &[0., 0., 0.])]);
    assert_eq!(y[0].data, vec![1., 0., 0.]);
}

#[test]
fn clip_with_runtime_bounds() {
    // Both bounds runtime scalars.
    let g = import_op(
        "Clip",
        "c",
        &[("x", &[4]), ("lo", &[]), ("hi", &[])],
        vec![],
        13,
    )
    .unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::ClipDynamic {
            has_min: true,
            has_max: true
        }
    );
    assert_eq!(g.nodes[0].inputs.len(), 3);
    let x = t(&[4], &[-2., -0.5, 0.5, 2.]);
    let y = run(&g, &[x.clone(), t(&[], &[-1.]), t(&[], &[1.])]);
    assert_eq!(y[0].data, vec![-1., -0.5, 0.5, 1.]);
    // lo > hi: everything becomes hi.
    let y = run(&g, &[x.clone(), t(&[], &[1.]), t(&[], &[-1.])]);
    assert_eq!(y[0].data, vec![-1.; 4]);
    // Only a runtime max (min absent, empty name).
    let g = import(
        vec![node("Clip", "c", &["x", "", "hi"], &["y"], vec![])],
        vec![vi("x", &[4]), vi("hi", &[1])],
        &["y"],
        vec![],
        12,
    )
    .unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::ClipDynamic {
            has_min: false,
            has_max: true
        }
    );
    let y = run(&g, &[x.clone(), t(&[1], &[0.])]);
    assert_eq!(y[0].data, vec![-2., -0.5, 0., 0.]);
    // A constant min and a runtime max: the constant stays an input.
    let g = import(
        vec![node("Clip", "c", &["x", "lo", "hi"], &["y"], vec![])],
        vec![vi("x", &[4]), vi("hi", &[])],
        &["y"],
        vec![init_f32("lo", &[], &[-1.0])],
        13,
    )
    .unwrap();
    assert_eq!(g.nodes[0].inputs.len(), 3);
    assert!(g.constant(g.nodes[0].inputs[1]).is_some());
    let y = run(&g, &[x.clone(), t(&[], &[0.25])]);
    assert_eq!(y[0].data, vec![-1., -0.5, 0.25, 0.25]);
    // Constant bounds are still resolved into Clip.
    let g = import(
        vec![node("Clip", "c", &["x", "lo"], &["y"], vec![])],
        vec![vi("x", &[4])],
        &["y"],
        vec![init_f32("lo", &[], &[0.0])],
        13,
    )
    .unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Clip {
            min: Some(0.0),
            max: None
        }
    );
    // A bound with more than one element is refused.
    let e = import_op("Clip", "c", &[("x", &[4]), ("lo", &[2])], vec![], 13).unwrap_err();
    assert!(e.to_string().contains("single value"), "{e}");
}

#[test]
fn div_by_a_runtime_tensor_imports() {
    let g = import_op("Div", "d", &[("a", &[2, 2]), ("b", &[2])], vec![], 13).unwrap();
    assert_eq!(g.nodes[0].op, Op::Div);
    let y = run(&g, &[t(&[2, 2], &[1., 2., 3., 4.]), t(&[2], &[2., -4.])]);
    assert_eq!(y[0].data, vec![0.5, -0.5, 1.5, -1.0]);
    // A constant divisor with a zero is still refused.
    let e = import(
        vec![node("Div", "d", &["a", "z"], &["y"], vec![])],
        vec![vi("a", &[2])],
        &["y"],
        vec![init_f32("z", &[2], &[1.0, 0.0])],
        13,
    )
    .unwrap_err();
    assert!(e.to_string().contains("zero"), "{e}");
}

#[test]
fn gather_elements_runtime_indices() {
    let g = import(
        vec![node(
            "GatherElements",
            "ge",
            &["x", "i"],
            &["y"],
            vec![a_int("axis", -1)],
        )],
        vec![vi("x", &[2, 3]), vi_typed("i", &[2, 2], DataType::INT64)],
        &["y"],
        vec![],
        13,
    )
    .unwrap();
    assert_eq!(g.nodes[0].op, Op::GatherElementsDynamic { axis: 1 });
    assert_eq!(g.shape(g.outputs[0]), &[2, 2]);
    let x = t(&[2, 3], &[0., 1., 2., 3., 4., 5.]);
    let y = run(&g, &[x.clone(), t(&[2, 2], &[2., -3., -1., 0.])]);
    assert_eq!(y[0].data, vec![2., 0., 5., 3.]);
    // An out-of-range runtime index is an evaluation error.
    let e = onnx_import::eval::eval_graph(&g, &[x, t(&[2, 2], &[3., 0., 0., 0.])]).unwrap_err();
    assert!(e.to_string().contains("not an integer in [-3, 3)"), "{e}");
    // Indices must have the data's rank.
    let e = import(
        vec![node("GatherElements", "ge", &["x", "i"], &["y"], vec![])],
        vec![vi("x", &[2, 3]), vi_typed("i", &[2], DataType::INT64)],
        &["y"],
        vec![],
        13,
    )
    .unwrap_err();
    assert!(matches!(e, ImportError::ShapeMismatch { .. }), "{e}");
}
