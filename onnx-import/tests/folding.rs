//! Constant folding, BatchNormalization folding and op mapping on hand-built models.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use onnx_import::ir::{Op, ValueKind};
use onnx_import::{import_bytes, inspect_bytes, NodeStatus};

#[test]
fn pytorch_flatten_shape_subgraph_folds_into_reshape() {
    // y = x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
    let nodes = vec![
        node("Shape", "shape", &["x"], &["s"], vec![]),
        node(
            "Gather",
            "gather",
            &["s", "zero"],
            &["n"],
            vec![a_int("axis", 0)],
        ),
        node("Unsqueeze", "unsq", &["n", "axes0"], &["n1"], vec![]),
        node(
            "Concat",
            "concat",
            &["n1", "minus1"],
            &["target"],
            vec![a_int("axis", 0)],
        ),
        node("Reshape", "reshape", &["x", "target"], &["y"], vec![]),
    ];
    let inits = vec![
        init_i64("zero", &[], &[0]),
        init_i64("axes0", &[1], &[0]),
        init_i64("minus1", &[1], &[-1]),
    ];
    let bytes = model(
        nodes,
        vec![vi("x", &[2, 3, 4])],
        vec![vi("y", &[2, 12])],
        inits,
        13,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.nodes.len(), 1);
    assert_eq!(g.nodes[0].op, Op::Reshape { shape: vec![2, 12] });
    assert_eq!(g.nodes[0].inputs, vec![g.inputs[0]]);
    assert_eq!(g.shape(g.outputs[0]), &[2, 12]);
    // Only the input and the output remain in the value table.
    assert_eq!(g.values.len(), 2);
    let r = inspect_bytes(&bytes, "m").unwrap();
    let st: Vec<&NodeStatus> = r.nodes.iter().map(|n| &n.status).collect();
    assert_eq!(st[..4], [&NodeStatus::Folded; 4]);
    assert_eq!(st[4], &NodeStatus::Supported);
    assert_eq!(r.parameters, 0);
}

#[test]
fn constant_nodes_cast_range_and_constant_of_shape_fold() {
    let nodes = vec![
        node(
            "Constant",
            "c_start",
            &[],
            &["start"],
            vec![a_int("value_int", 0)],
        ),
        node(
            "Constant",
            "c_lim",
            &[],
            &["lim"],
            vec![a_int("value_int", 4)],
        ),
        node("Constant", "c_d", &[], &["d"], vec![a_int("value_int", 1)]),
        node("Range", "range", &["start", "lim", "d"], &["r"], vec![]),
        node("Cast", "cast", &["r"], &["rf"], vec![a_int("to", 1)]),
        node(
            "Constant",
            "c_shape",
            &[],
            &["cs"],
            vec![a_ints("value_ints", &[1, 4])],
        ),
        node(
            "ConstantOfShape",
            "cos",
            &["cs"],
            &["ones"],
            vec![a_tensor("value", init_f32("", &[1], &[2.0]))],
        ),
        node("Mul", "mul", &["rf", "ones"], &["w"], vec![]),
        node("Add", "add", &["x", "w"], &["y"], vec![]),
    ];
    let bytes = model(nodes, vec![vi("x", &[3, 4])], vec![out("y")], vec![], 17);
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.nodes.len(), 1);
    assert_eq!(g.nodes[0].op, Op::Add);
    let w = g.constant(g.nodes[0].inputs[1]).unwrap();
    assert_eq!(w.shape, vec![1, 4]);
    assert_eq!(w.data, vec![0.0, 2.0, 4.0, 6.0]);
    assert_eq!(g.shape(g.outputs[0]), &[3, 4]);
}

#[test]
fn cast_of_runtime_tensor_to_bool_is_refused() {
    // A runtime Cast to an integer type is an IR op (truncation); to bool it is refused.
    let bytes = model(
        vec![node("Cast", "cast", &["x"], &["y"], vec![a_int("to", 9)])],
        vec![vi("x", &[3])],
        vec![out("y")],
        vec![],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(err.to_string().contains("\"cast\""), "{err}");
    assert!(err.to_string().contains("runtime"), "{err}");
}

#[test]
fn integer_division_truncates_in_shape_arithmetic() {
    // target = [Shape(x)[1] / 2, -1]
    let nodes = vec![
        node("Shape", "shape", &["x"], &["s"], vec![]),
        node("Slice", "sl", &["s", "one", "two"], &["c"], vec![]),
        node("Div", "half", &["c", "two"], &["h"], vec![]),
        node(
            "Concat",
            "cat",
            &["h", "m1"],
            &["t"],
            vec![a_int("axis", 0)],
        ),
        node("Reshape", "rs", &["x", "t"], &["y"], vec![]),
    ];
    let inits = vec![
        init_i64("one", &[1], &[1]),
        init_i64("two", &[1], &[2]),
        init_i64("m1", &[1], &[-1]),
    ];
    let bytes = model(nodes, vec![vi("x", &[2, 7, 3])], vec![out("y")], inits, 17);
    let g = import_bytes(&bytes, "m").unwrap();
    // 7 / 2 = 3 in int64 (float division would give 3.5, not a valid dim); -1 -> 42 / 3.
    assert_eq!(g.nodes[0].op, Op::Reshape { shape: vec![3, 14] });
}

#[test]
fn slice_clamping_with_int64_max_and_negative_steps() {
    let nodes = vec![node(
        "Slice",
        "sl",
        &["x", "st", "en", "ax", "sp"],
        &["y"],
        vec![],
    )];
    let inits = vec![
        init_i64("st", &[2], &[-1, 1]),
        init_i64("en", &[2], &[i64::MIN, i64::MAX]),
        init_i64("ax", &[2], &[0, -1]),
        init_i64("sp", &[2], &[-2, 3]),
    ];
    let bytes = model(nodes, vec![vi("x", &[5, 8])], vec![out("y")], inits, 17);
    let g = import_bytes(&bytes, "m").unwrap();
    let Op::Slice { axes } = &g.nodes[0].op else {
        panic!()
    };
    assert_eq!((axes[0].start, axes[0].end, axes[0].step), (4, -1, -2));
    assert_eq!((axes[1].start, axes[1].end, axes[1].step), (1, 8, 3));
    assert_eq!(g.shape(g.outputs[0]), &[3, 3]);
}

#[test]
fn opset11_attribute_forms() {
    let nodes = vec![
        node(
            "Unsqueeze",
            "u",
            &["x"],
            &["a"],
            vec![a_ints("axes", &[0, -1])],
        ),
        node("Squeeze", "s", &["a"], &["b"], vec![]),
        node("Clip", "c", &["b"], &["y"], vec![]),
        node(
            "ReduceSum",
            "r",
            &["y"],
            &["z"],
            vec![a_ints("axes", &[-1]), a_int("keepdims", 0)],
        ),
    ];
    let bytes = model(nodes, vec![vi("x", &[3, 4])], vec![out("z")], vec![], 11);
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.nodes[0].op, Op::Unsqueeze { axes: vec![0, 3] });
    assert_eq!(g.nodes[1].op, Op::Squeeze { axes: vec![0, 3] });
    assert_eq!(
        g.nodes[2].op,
        Op::Clip {
            min: None,
            max: None
        }
    );
    assert_eq!(
        g.nodes[3].op,
        Op::ReduceSum {
            axes: vec![1],
            keepdims: false
        }
    );
    assert_eq!(g.shape(g.outputs[0]), &[3]);
    let bytes = model(
        vec![node(
            "Clip",
            "c",
            &["x"],
            &["y"],
            vec![a_float("min", 0.0), a_float("max", 6.0)],
        )],
        vec![vi("x", &[3])],
        vec![out("y")],
        vec![],
        10,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Clip {
            min: Some(0.0),
            max: Some(6.0)
        }
    );
}

#[test]
fn reduce_variants() {
    let nodes = vec![
        node("ReduceMean", "m", &["x", "ax"], &["a"], vec![]),
        node(
            "ReduceSum",
            "s",
            &["a"],
            &["b"],
            vec![a_int("noop_with_empty_axes", 1)],
        ),
        node("ReduceSum", "t", &["b"], &["y"], vec![]),
    ];
    let bytes = model(
        nodes,
        vec![vi("x", &[2, 3, 4])],
        vec![out("y")],
        vec![init_i64("ax", &[1], &[1])],
        18,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::ReduceMean {
            axes: vec![1],
            keepdims: true
        }
    );
    assert_eq!(g.nodes[1].op, Op::Identity);
    assert_eq!(
        g.nodes[2].op,
        Op::ReduceSum {
            axes: vec![0, 1, 2],
            keepdims: true
        }
    );
    assert_eq!(g.shape(g.outputs[0]), &[1, 1, 1]);
}

#[test]
fn matmul_vector_and_gemm_trans_a() {
    let nodes = vec![
        node("MatMul", "mm", &["v", "w"], &["a"], vec![]),
        node(
            "Gemm",
            "gemm",
            &["x", "b"],
            &["y"],
            vec![a_int("transA", 1), a_float("alpha", 2.0)],
        ),
    ];
    let inits = vec![
        init_f32("w", &[4, 2], &[1.0; 8]),
        init_f32_raw("b", &[3, 5], &[0.5; 15]),
    ];
    let bytes = model(
        nodes,
        vec![vi("v", &[4]), vi("x", &[3, 6])],
        vec![out("a"), out("y")],
        inits,
        17,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[2]);
    assert_eq!(g.shape(g.outputs[1]), &[6, 5]);
    assert_eq!(
        g.nodes[1].op,
        Op::Gemm {
            alpha: 2.0,
            beta: 1.0,
            trans_a: true,
            trans_b: false
        }
    );
    assert_eq!(
        g.constant(g.nodes[1].inputs[1]).unwrap().data,
        vec![0.5; 15]
    );
}

#[test]
fn gather_negative_index_and_range_check() {
    let mk = |idx: &[i64]| {
        model(
            vec![node(
                "Gather",
                "g",
                &["x", "i"],
                &["y"],
                vec![a_int("axis", -1)],
            )],
            vec![vi("x", &[2, 5])],
            vec![out("y")],
            vec![init_i64("i", &[idx.len() as i64], idx)],
            17,
        )
    };
    let g = import_bytes(&mk(&[-1, 0]), "m").unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Gather {
            axis: 1,
            indices: vec![4, 0],
            indices_shape: vec![2]
        }
    );
    let err = import_bytes(&mk(&[5]), "m").unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
}

#[test]
fn div_by_constant_with_zero_is_rejected() {
    let bytes = model(
        vec![node("Div", "d", &["x", "c"], &["y"], vec![])],
        vec![vi("x", &[2])],
        vec![out("y")],
        vec![init_f32("c", &[2], &[1.0, 0.0])],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(err.to_string().contains("zero"), "{err}");
}

fn bn_inits() -> Vec<onnx_protobuf::TensorProto> {
    vec![
        init_f32("scale", &[2], &[2.0, 3.0]),
        init_f32("bias", &[2], &[1.0, -1.0]),
        init_f32("mean", &[2], &[0.5, 0.0]),
        init_f32("var", &[2], &[3.0, 8.0]),
    ]
}

#[test]
fn batchnorm_after_conv_is_folded() {
    let mut inits = bn_inits();
    inits.push(init_f32("w", &[2, 1, 1, 1], &[1.0, 2.0]));
    inits.push(init_f32("cb", &[2], &[1.0, 1.0]));
    let nodes = vec![
        node("Conv", "conv", &["x", "w", "cb"], &["c"], vec![]),
        node(
            "BatchNormalization",
            "bn",
            &["c", "scale", "bias", "mean", "var"],
            &["y"],
            vec![a_float("epsilon", 1.0)],
        ),
    ];
    let bytes = model(
        nodes,
        vec![vi("x", &[1, 1, 3, 3])],
        vec![vi("y", &[1, 2, 3, 3])],
        inits,
        17,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.nodes.len(), 1);
    let n = &g.nodes[0];
    // s = [2/2, 3/3] = [1, 1], t = [1 - 0.5, -1] -> b' = [1 + 0.5, 1 - 1].
    assert_eq!(g.constant(n.inputs[1]).unwrap().data, vec![1.0, 2.0]);
    assert_eq!(g.constant(n.inputs[2]).unwrap().data, vec![1.5, 0.0]);
    assert_eq!(g.values[n.outputs[0]].name, "y");
    assert!(g.values.iter().all(|v| v.name != "scale" && v.name != "c"));
}

#[test]
fn batchnorm_after_gemm_trans_b_is_folded() {
    let mut inits = bn_inits();
    inits.push(init_f32("w", &[2, 3], &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]));
    inits.push(init_f32("gc", &[2], &[4.0, 4.0]));
    let nodes = vec![
        node(
            "Gemm",
            "fc",
            &["x", "w", "gc"],
            &["c"],
            vec![a_int("transB", 1), a_float("beta", 0.5)],
        ),
        node(
            "BatchNormalization",
            "bn",
            &["c", "scale", "bias", "mean", "var"],
            &["y"],
            vec![a_float("epsilon", 1.0)],
        ),
    ];
    let bytes = model(nodes, vec![vi("x", &[1, 3])], vec![out("y")], inits, 17);
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.nodes.len(), 1);
    let n = &g.nodes[0];
    let Op::Gemm { beta, trans_b, .. } = n.op else {
        panic!()
    };
    assert_eq!((beta, trans_b), (1.0, true));
    assert_eq!(
        g.constant(n.inputs[1]).unwrap().data,
        vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    );
    // c' = 0.5 * 4 * s + t = [2 + 0.5, 2 - 1].
    assert_eq!(g.constant(n.inputs[2]).unwrap().data, vec![2.5, 1.0]);
}

#[test]
fn batchnorm_is_kept_when_conv_output_has_another_consumer() {
    let mut inits = bn_inits();
    inits.push(init_f32("w", &[2, 1, 1, 1], &[1.0, 2.0]));
    let nodes = vec![
        node("Conv", "conv", &["x", "w"], &["c"], vec![]),
        node(
            "BatchNormalization",
            "bn",
            &["c", "scale", "bias", "mean", "var"],
            &["b"],
            vec![],
        ),
        node("Add", "add", &["b", "c"], &["y"], vec![]),
    ];
    let bytes = model(
        nodes,
        vec![vi("x", &[1, 1, 3, 3])],
        vec![out("y")],
        inits,
        17,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.nodes.len(), 3);
    assert!(
        matches!(g.nodes[1].op, Op::BatchNormalization { epsilon } if (epsilon - 1e-5).abs() < 1e-9)
    );
    assert!(g.nodes[1].inputs[1..]
        .iter()
        .all(|&i| matches!(g.values[i].kind, ValueKind::Constant(_))));
}

#[test]
fn reshape_zero_copies_dimension_and_flatten_negative_axis() {
    let nodes = vec![
        node("Reshape", "r", &["x", "shp"], &["a"], vec![]),
        node("Flatten", "f", &["a"], &["y"], vec![a_int("axis", -1)]),
    ];
    let bytes = model(
        nodes,
        vec![vi("x", &[2, 3, 4])],
        vec![out("y")],
        vec![init_i64("shp", &[3], &[0, -1, 2])],
        17,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Reshape {
            shape: vec![2, 6, 2]
        }
    );
    assert_eq!(g.nodes[1].op, Op::Flatten { axis: 2 });
    assert_eq!(g.shape(g.outputs[0]), &[12, 2]);
}
