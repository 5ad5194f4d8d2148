//! Importer tests of the gather and scatter families (Gather, GatherElements, GatherND,
//! ScatterElements/Scatter, ScatterND, OneHot): attributes and their defaults per opset, output
//! shapes, values against hand-computed expectations, and errors.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::shape::*;
use common::*;
use onnx_import::eval::eval_graph;
use onnx_import::ir::{Graph, Op, Tensor};
use onnx_import::{import_bytes, ImportError};

// ---- Gather / Scatter families ----

#[test]
fn gather_elements_and_gather_nd() {
    let g = one_out(
        "GatherElements",
        &[2, 3],
        &["i"],
        vec![init_i64("i", &[2, 2], &[2, -3, 1, 0])],
        vec![a_int("axis", 1)],
        13,
    )
    .unwrap();
    assert_eq!(run(&g), (vec![2, 2], vec![2.0, 0.0, 4.0, 3.0]));
    let e = err_text(one_out(
        "GatherElements",
        &[2, 3],
        &["i"],
        vec![init_i64("i", &[1, 1], &[3])],
        vec![a_int("axis", 1)],
        13,
    ));
    assert!(e.contains("out of range"), "{e}");
    // GatherND: tuples of 2 into [2, 2, 3] pick rows of 3.
    let g = one_out(
        "GatherND",
        &[2, 2, 3],
        &["i"],
        vec![init_i64("i", &[2, 2], &[1, 0, 0, -1])],
        vec![],
        13,
    )
    .unwrap();
    assert_eq!(run(&g), (vec![2, 3], vec![6.0, 7.0, 8.0, 3.0, 4.0, 5.0]));
    // batch_dims = 1: one index per batch.
    let g = one_out(
        "GatherND",
        &[2, 3],
        &["i"],
        vec![init_i64("i", &[2, 1], &[2, 0])],
        vec![a_int("batch_dims", 1)],
        13,
    )
    .unwrap();
    assert_eq!(run(&g), (vec![2], vec![2.0, 3.0]));
}

#[test]
fn scatter_elements_and_nd_take_runtime_updates() {
    let bytes = model(
        vec![node(
            "ScatterElements",
            "sc",
            &["x", "i", "u"],
            &["y"],
            vec![a_int("axis", 1)],
        )],
        vec![vi("x", &[2, 3]), vi("u", &[2, 1])],
        vec![out("y")],
        vec![init_i64("i", &[2, 1], &[2, -3])],
        16,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.nodes[0].inputs.len(), 2);
    let u = Tensor::new(vec![2, 1], vec![10.0, 20.0]).unwrap();
    let y = eval_graph(&g, &[seq(&[2, 3]), u.clone()]).unwrap();
    assert_eq!(y[0].data, vec![0.0, 1.0, 10.0, 20.0, 4.0, 5.0]);
    // The opset 9 name.
    let bytes9 = model(
        vec![node(
            "Scatter",
            "sc",
            &["x", "i", "u"],
            &["y"],
            vec![a_int("axis", 1)],
        )],
        vec![vi("x", &[2, 3]), vi("u", &[2, 1])],
        vec![out("y")],
        vec![init_i64("i", &[2, 1], &[2, 0])],
        9,
    );
    let g9 = import_bytes(&bytes9, "m").unwrap();
    assert!(matches!(
        g9.nodes[0].op,
        Op::ScatterElements { axis: 1, .. }
    ));
    // A reduction is refused by name.
    let bad = model(
        vec![node(
            "ScatterElements",
            "sc",
            &["x", "i", "u"],
            &["y"],
            vec![a_str("reduction", "add")],
        )],
        vec![vi("x", &[2, 3]), vi("u", &[1, 1])],
        vec![out("y")],
        vec![init_i64("i", &[1, 1], &[0])],
        16,
    );
    let e = import_bytes(&bad, "m").unwrap_err().to_string();
    assert!(e.contains("reduction \"add\"") && e.contains("sc"), "{e}");
    // ScatterND: replace row 1 of [3, 2].
    let bytes = model(
        vec![node("ScatterND", "snd", &["x", "i", "u"], &["y"], vec![])],
        vec![vi("x", &[3, 2]), vi("u", &[1, 2])],
        vec![out("y")],
        vec![init_i64("i", &[1, 1], &[1])],
        13,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    let u = Tensor::new(vec![1, 2], vec![-1.0, -2.0]).unwrap();
    let y = eval_graph(&g, &[seq(&[3, 2]), u]).unwrap();
    assert_eq!(y[0].data, vec![0.0, 1.0, -1.0, -2.0, 4.0, 5.0]);
}

#[test]
fn one_hot_folds() {
    let bytes = model(
        vec![
            node(
                "OneHot",
                "oh",
                &["i", "d", "v"],
                &["h"],
                vec![a_int("axis", 0)],
            ),
            node("Add", "add", &["x", "h"], &["y"], vec![]),
        ],
        vec![vi("x", &[3, 2])],
        vec![out("y")],
        vec![
            init_i64("i", &[2], &[2, -3]),
            init_i64("d", &[], &[3]),
            init_f32("v", &[2], &[0.0, 5.0]),
        ],
        11,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.nodes.len(), 1);
    let h = g.constant(g.nodes[0].inputs[1]).unwrap();
    assert_eq!(h.shape, vec![3, 2]);
    assert_eq!(h.data, vec![0.0, 5.0, 0.0, 0.0, 5.0, 0.0]);
}

// ---- Gather: old opsets and runtime indices ----

#[test]
fn gather_old_opset_and_negative_indices() {
    let g = one_out_ints("Gather", &[3, 2], "i", &[-1, 0], 1).unwrap();
    assert_eq!(run(&g), (vec![2, 2], vec![4.0, 5.0, 0.0, 1.0]));
    let e = err_text(one_out(
        "Gather",
        &[3, 2],
        &["i"],
        vec![init_i64("i", &[1], &[3])],
        vec![a_int("axis", 0)],
        13,
    ));
    assert!(e.contains("out of range"), "{e}");
}

/// An int64 graph input of `dims`.
fn vi_i64(name: &str, dims: &[i64]) -> onnx_protobuf::ValueInfoProto {
    let mut v = vi(name, dims);
    if let Some(onnx_protobuf::type_proto::Value::TensorType(t)) =
        v.type_.as_mut().and_then(|t| t.value.as_mut())
    {
        t.elem_type = onnx_protobuf::tensor_proto::DataType::INT64 as i32;
    }
    v
}

/// `Gather(table, ids)` with a constant `[3, 2]` table (or a runtime one) and int64 runtime
/// indices of `ishape`.
fn gather_runtime(ishape: &[i64], axis: i64, table_const: bool) -> Result<Graph, ImportError> {
    let table: Vec<f32> = (0..6).map(|v| v as f32 * 0.5).collect();
    let (inputs, inits) = if table_const {
        (
            vec![vi_i64("ids", ishape)],
            vec![init_f32("table", &[3, 2], &table)],
        )
    } else {
        (vec![vi("table", &[3, 2]), vi_i64("ids", ishape)], vec![])
    };
    let bytes = model(
        vec![node(
            "Gather",
            "emb",
            &["table", "ids"],
            &["y"],
            vec![a_int("axis", axis)],
        )],
        inputs,
        vec![out("y")],
        inits,
        13,
    );
    import_bytes(&bytes, "m")
}

#[test]
fn gather_runtime_indices_embedding() {
    // nn.Embedding: a constant [V, D] table, int64 ids [2, 2] -> [2, 2, D].
    let g = gather_runtime(&[2, 2], 0, true).unwrap();
    assert_eq!(g.nodes.len(), 1);
    assert_eq!(g.nodes[0].op, Op::GatherDynamic { axis: 0 });
    assert_eq!(g.nodes[0].inputs.len(), 2);
    assert_eq!(g.shape(g.outputs[0]), &[2, 2, 2]);
    let ids = Tensor::new(vec![2, 2], vec![2.0, 0.0, -1.0, 1.0]).unwrap();
    let y = eval_graph(&g, &[ids]).unwrap();
    assert_eq!(
        y[0].data,
        vec![2.0, 2.5, 0.0, 0.5, 2.0, 2.5, 1.0, 1.5],
        "rows 2, 0, -1 (= 2), 1"
    );
    // Negative axis, runtime data: gather columns of a [3, 2] input; a scalar index drops
    // the axis.
    let g = gather_runtime(&[], -1, false).unwrap();
    assert_eq!(g.nodes[0].op, Op::GatherDynamic { axis: 1 });
    assert_eq!(g.shape(g.outputs[0]), &[3]);
    let x = seq(&[3, 2]);
    let one = Tensor::new(vec![], vec![1.0]).unwrap();
    assert_eq!(
        eval_graph(&g, &[x, one]).unwrap()[0].data,
        vec![1.0, 3.0, 5.0]
    );
}

#[test]
fn gather_runtime_indices_errors() {
    let g = gather_runtime(&[2], 0, true).unwrap();
    for bad in [3.0, -4.0, 0.5, f64::NAN] {
        let ids = Tensor::new(vec![2], vec![0.0, bad]).unwrap();
        let e = eval_graph(&g, &[ids]).unwrap_err().to_string();
        assert!(e.contains("not an integer in [-3, 3)"), "{e}");
        assert!(e.contains("emb"), "the error names the node: {e}");
    }
    let e = err_text(gather_runtime(&[2], 2, true));
    assert!(e.contains("emb") && e.contains("axis"), "{e}");
}
