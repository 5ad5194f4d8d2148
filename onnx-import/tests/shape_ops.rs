//! Importer tests of the layout (data-movement) ops: Pad, Expand, Tile, Split, Trilu, Dropout
//! and the old opsets of Reshape, Slice, Squeeze/Unsqueeze, Concat and Flatten: attributes and
//! their defaults per opset, output shapes, values against hand-computed expectations, and
//! errors.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::shape::*;
use common::*;
use onnx_import::eval::eval_graph;
use onnx_import::import_bytes;
use onnx_import::ir::{Graph, Op, PadMode, SliceAxis};

// ---- Pad ----

#[test]
fn pad_opset1_paddings_and_value() {
    let g = one_out(
        "Pad",
        &[1, 2],
        &[],
        vec![],
        vec![a_ints("paddings", &[0, 1, 0, 0]), a_float("value", 5.0)],
        1,
    )
    .unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Pad {
            pads: vec![[0, 0], [1, 0]],
            mode: PadMode::Constant,
            value: 5.0
        }
    );
    assert_eq!(run(&g), (vec![1, 3], vec![5.0, 0.0, 1.0]));
    // The opset-2 name is not read in opset 1.
    let e = err_text(one_out(
        "Pad",
        &[2],
        &[],
        vec![],
        vec![a_ints("pads", &[1, 1])],
        1,
    ));
    assert!(
        e.contains("paddings is required") && e.contains("n0"),
        "{e}"
    );
}

#[test]
fn pad_opset2_attributes_reflect_and_edge() {
    let g = one_out(
        "Pad",
        &[3],
        &[],
        vec![],
        vec![a_ints("pads", &[2, 2]), a_str("mode", "reflect")],
        2,
    )
    .unwrap();
    assert_eq!(run(&g), (vec![7], vec![2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0]));
    let g = one_out(
        "Pad",
        &[3],
        &[],
        vec![],
        vec![a_ints("pads", &[2, 1]), a_str("mode", "edge")],
        10,
    )
    .unwrap();
    assert_eq!(run(&g), (vec![6], vec![0.0, 0.0, 0.0, 1.0, 2.0, 2.0]));
    let e = err_text(one_out(
        "Pad",
        &[3],
        &[],
        vec![],
        vec![a_ints("pads", &[3, 0]), a_str("mode", "reflect")],
        10,
    ));
    assert!(e.contains("smaller than the axis"), "{e}");
}

#[test]
fn pad_opset11_inputs_negative_pads_and_opset18_axes() {
    // [2, 3] padded by one row on top with 7.0, cropped by one column on the right.
    let g = one_out(
        "Pad",
        &[2, 3],
        &["pads", "cv"],
        vec![
            init_i64("pads", &[4], &[1, 0, 0, -1]),
            init_f32("cv", &[], &[7.0]),
        ],
        vec![],
        11,
    )
    .unwrap();
    assert_eq!(run(&g), (vec![3, 2], vec![7.0, 7.0, 0.0, 1.0, 3.0, 4.0]));
    // Opset 18: pads for axis 1 only; constant_value absent (an empty name) is 0.
    let g = one_out(
        "Pad",
        &[2, 2],
        &["pads", "", "axes"],
        vec![
            init_i64("pads", &[2], &[1, 0]),
            init_i64("axes", &[1], &[-1]),
        ],
        vec![],
        18,
    )
    .unwrap();
    assert_eq!(run(&g), (vec![2, 3], vec![0.0, 0.0, 1.0, 0.0, 2.0, 3.0]));
    // Wrap exists from opset 19 only.
    let w = |opset| {
        one_out(
            "Pad",
            &[3],
            &["pads"],
            vec![init_i64("pads", &[2], &[1, 1])],
            vec![a_str("mode", "wrap")],
            opset,
        )
    };
    assert_eq!(run(&w(19).unwrap()).1, vec![2.0, 0.0, 1.0, 2.0, 0.0]);
    assert!(err_text(w(18)).contains("wrap"));
    // Runtime pads and a wrong pads length are clear errors.
    let e = err_text(one_out_ints("Pad", &[2, 2], "pads", &[1, 1], 13));
    assert!(e.contains("2 × 2 entries"), "{e}");
    let e = err_text(one_out_ints("Pad", &[2], "pads", &[-2, -1], 13));
    assert!(e.contains("crop more"), "{e}");
}

// ---- Expand, Tile, Split ----

#[test]
fn expand_is_bidirectional_broadcast() {
    let g = one_out_ints("Expand", &[3, 1], "s", &[2, 1, 2], 13).unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Expand {
            shape: vec![2, 3, 2]
        }
    );
    let (shape, data) = run(&g);
    assert_eq!(shape, vec![2, 3, 2]);
    assert_eq!(&data[..6], &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]);
    let e = err_text(one_out_ints("Expand", &[3], "s", &[2], 13));
    assert!(e.contains("do not broadcast"), "{e}");
}

#[test]
fn tile_repeats_and_tile1_form() {
    let g = one_out_ints("Tile", &[2, 2], "r", &[1, 2], 13).unwrap();
    assert_eq!(
        run(&g),
        (vec![2, 4], vec![0.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 3.0])
    );
    // Tile-1: scalar tiles and axis inputs.
    let g = one_out(
        "Tile",
        &[2, 2],
        &["t", "a"],
        vec![init_i64("t", &[], &[2]), init_i64("a", &[], &[0])],
        vec![],
        5,
    )
    .unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Tile {
            repeats: vec![2, 1]
        }
    );
    let e = err_text(one_out_ints("Tile", &[2, 2], "r", &[2], 13));
    assert!(e.contains("one entry per axis"), "{e}");
}

fn slice_of(g: &Graph, i: usize) -> SliceAxis {
    match &g.nodes[i].op {
        Op::Slice { axes } => axes[0].clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn split_per_opset() {
    // Equal parts (no split given), axis default 0.
    let g = one("Split", &[4, 2], &[], vec![], vec![], 11, &["a", "b"]).unwrap();
    assert_eq!(g.nodes.len(), 2);
    assert_eq!((slice_of(&g, 1).start, slice_of(&g, 1).end), (2, 4));
    assert_eq!(g.shape(g.outputs[1]), &[2, 2]);
    // Opset < 13: split attribute.
    let g = one(
        "Split",
        &[2, 5],
        &[],
        vec![],
        vec![a_int("axis", 1), a_ints("split", &[2, 3])],
        6,
        &["a", "b"],
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[2, 2]);
    assert_eq!(g.shape(g.outputs[1]), &[2, 3]);
    let out = eval_graph(&g, &[seq(&[2, 5])]).unwrap();
    assert_eq!(out[1].data, vec![2.0, 3.0, 4.0, 7.0, 8.0, 9.0]);
    // Opset 13: split input.
    let g = one(
        "Split",
        &[5],
        &["s"],
        vec![init_i64("s", &[2], &[4, 1])],
        vec![],
        13,
        &["a", "b"],
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[4]);
    // Opset 18: num_outputs with a smaller last part.
    let g = one(
        "Split",
        &[5],
        &[],
        vec![],
        vec![a_int("num_outputs", 2)],
        18,
        &["a", "b"],
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[3]);
    assert_eq!(g.shape(g.outputs[1]), &[2]);
    let e = err_text(one("Split", &[5], &[], vec![], vec![], 13, &["a", "b"]));
    assert!(e.contains("equal parts"), "{e}");
    let e = err_text(one(
        "Split",
        &[5],
        &["s"],
        vec![init_i64("s", &[2], &[1, 1])],
        vec![],
        13,
        &["a", "b"],
    ));
    assert!(e.contains("summing to"), "{e}");
}

// ---- Trilu ----

#[test]
fn trilu_upper_lower_and_k() {
    let g = one_out("Trilu", &[3, 3], &[], vec![], vec![], 14).unwrap();
    assert_eq!(run(&g).1, vec![0.0, 1.0, 2.0, 0.0, 4.0, 5.0, 0.0, 0.0, 8.0]);
    let g = one_out(
        "Trilu",
        &[3, 3],
        &["k"],
        vec![init_i64("k", &[], &[-1])],
        vec![a_int("upper", 0)],
        14,
    )
    .unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Trilu {
            upper: false,
            k: -1
        }
    );
    assert_eq!(run(&g).1, vec![0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 6.0, 7.0, 0.0]);
    // A runtime k is refused, naming the input.
    let bytes = model(
        vec![node("Trilu", "t", &["x", "k"], &["y"], vec![])],
        vec![vi("x", &[3, 3]), vi("k", &[])],
        vec![out("y")],
        vec![],
        14,
    );
    let e = import_bytes(&bytes, "m").unwrap_err().to_string();
    assert!(e.contains("\"k\"") && e.contains("runtime"), "{e}");
}

// ---- Dropout ----

#[test]
fn dropout_is_identity_per_opset() {
    for (opset, attrs) in [
        (6, vec![a_int("is_test", 1), a_float("ratio", 0.2)]),
        (10, vec![a_float("ratio", 0.3)]),
        (13, vec![]),
    ] {
        let g = one_out("Dropout", &[2], &[], vec![], attrs, opset).unwrap();
        assert_eq!(g.nodes[0].op, Op::Identity, "opset {opset}");
    }
    let bytes = model(
        vec![node("Dropout", "d", &["x", "r", "t"], &["y"], vec![])],
        vec![vi("x", &[2])],
        vec![out("y")],
        vec![init_f32("r", &[], &[0.5]), init_i64("t", &[], &[1])],
        13,
    );
    let e = import_bytes(&bytes, "m").unwrap_err().to_string();
    assert!(e.contains("training_mode"), "{e}");
    let e = err_text(one(
        "Dropout",
        &[2],
        &[],
        vec![],
        vec![],
        13,
        &["y", "mask"],
    ));
    assert!(e.contains("mask"), "{e}");
}

// ---- Old opsets of the existing shape ops ----

#[test]
fn reshape_opset4_shape_attribute() {
    let g = one_out(
        "Reshape",
        &[2, 3],
        &[],
        vec![],
        vec![a_ints("shape", &[3, -1])],
        4,
    )
    .unwrap();
    assert_eq!(g.nodes[0].op, Op::Reshape { shape: vec![3, 2] });
    let e = err_text(one_out("Reshape", &[2, 3], &[], vec![], vec![], 1));
    assert!(e.contains("shape is required"), "{e}");
}

#[test]
fn slice_opset9_attributes() {
    let g = one_out(
        "Slice",
        &[4, 5],
        &[],
        vec![],
        vec![
            a_ints("starts", &[1]),
            a_ints("ends", &[i64::MAX]),
            a_ints("axes", &[1]),
        ],
        9,
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[4, 4]);
    // Without axes: the first len(starts) axes.
    let g = one_out(
        "Slice",
        &[4, 5],
        &[],
        vec![],
        vec![a_ints("starts", &[0, -2]), a_ints("ends", &[2, 5])],
        1,
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[2, 2]);
    assert_eq!(run(&g).1, vec![3.0, 4.0, 8.0, 9.0]);
}

#[test]
fn squeeze_unsqueeze_opset11_axes_attribute() {
    let g = one_out(
        "Squeeze",
        &[1, 3, 1],
        &[],
        vec![],
        vec![a_ints("axes", &[0])],
        11,
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[3, 1]);
    let g = one_out("Squeeze", &[1, 3, 1], &[], vec![], vec![], 1).unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[3]);
    let g = one_out(
        "Unsqueeze",
        &[3],
        &[],
        vec![],
        vec![a_ints("axes", &[0, -1])],
        11,
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[1, 3, 1]);
    let e = err_text(one_out("Unsqueeze", &[3], &[], vec![], vec![], 1));
    assert!(e.contains("axes are required"), "{e}");
}

#[test]
fn concat_opset3_axis_defaults_to_1() {
    let bytes = |opset| {
        model(
            vec![node("Concat", "c", &["x", "x"], &["y"], vec![])],
            vec![vi("x", &[2, 3])],
            vec![out("y")],
            vec![],
            opset,
        )
    };
    let g = import_bytes(&bytes(3), "m").unwrap();
    assert_eq!(g.nodes[0].op, Op::Concat { axis: 1 });
    assert_eq!(g.shape(g.outputs[0]), &[2, 6]);
    let e = import_bytes(&bytes(4), "m").unwrap_err().to_string();
    assert!(e.contains("axis is required"), "{e}");
}

#[test]
fn flatten_default_axis_in_old_opsets() {
    for opset in [1, 9, 13] {
        let g = one_out("Flatten", &[2, 3, 4], &[], vec![], vec![], opset).unwrap();
        assert_eq!(g.nodes[0].op, Op::Flatten { axis: 1 }, "opset {opset}");
        assert_eq!(g.shape(g.outputs[0]), &[2, 12]);
    }
    let g = one_out(
        "Flatten",
        &[2, 3, 4],
        &[],
        vec![],
        vec![a_int("axis", 0)],
        1,
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[1, 24]);
}

/// An empty `axes` input (opset 13) squeezes every size-1 axis, as no `axes` does; the
/// importer's shape and the evaluator's agree (found by the graph fuzzer).
#[test]
fn squeeze_with_an_empty_axes_tensor_drops_every_unit_axis() {
    let g = one_out(
        "Squeeze",
        &[1, 3, 1],
        &["axes"],
        vec![init_i64("axes", &[0], &[])],
        vec![],
        13,
    )
    .unwrap();
    assert_eq!(g.values[g.outputs[0]].shape, vec![3]);
    let out = eval_graph(&g, &[seq(&[1, 3, 1])]).unwrap();
    assert_eq!(out[0].shape, vec![3]);
}
