//! Importer tests of the data-movement (shape) and resize families: attributes and their
//! defaults per opset, output shapes, values against hand-computed expectations, and errors.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use onnx_import::eval::eval_graph;
use onnx_import::ir::{
    CoordMode, DepthToSpaceMode, Graph, NearestMode, Op, PadMode, ResizeMode, SliceAxis, Tensor,
};
use onnx_import::{import_bytes, ImportError};
use onnx_protobuf::{AttributeProto, TensorProto};

/// One node `op(x, extra...) -> outs` with float input `x` of `shape`.
fn one(
    op: &str,
    shape: &[i64],
    extra: &[&str],
    inits: Vec<TensorProto>,
    attrs: Vec<AttributeProto>,
    opset: i64,
    outs: &[&str],
) -> Result<Graph, ImportError> {
    let mut ins = vec!["x"];
    ins.extend_from_slice(extra);
    let bytes = model(
        vec![node(op, "n0", &ins, outs, attrs)],
        vec![vi("x", shape)],
        outs.iter().map(|o| out(o)).collect(),
        inits,
        opset,
    );
    import_bytes(&bytes, "m")
}

fn one_out(
    op: &str,
    shape: &[i64],
    extra: &[&str],
    inits: Vec<TensorProto>,
    attrs: Vec<AttributeProto>,
    opset: i64,
) -> Result<Graph, ImportError> {
    one(op, shape, extra, inits, attrs, opset, &["y"])
}

fn a_floats(name: &str, v: &[f32]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: onnx_protobuf::attribute_proto::AttributeType::FLOATS.into(),
        floats: v.to_vec(),
        ..Default::default()
    }
}

/// `0, 1, 2, ...` of `shape`.
fn seq(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::new(shape.to_vec(), (0..n).map(|v| v as f64).collect()).unwrap()
}

/// Runs `g` on `seq(input shape)` and returns the first output's data and shape.
/// [`one_out`] with one extra input: the 1-D int64 initializer `name` holding `vals`, and
/// no attributes.
fn one_out_ints(
    op: &str,
    shape: &[i64],
    name: &str,
    vals: &[i64],
    opset: i64,
) -> Result<Graph, ImportError> {
    let dims = [i64::try_from(vals.len()).unwrap()];
    one_out(
        op,
        shape,
        &[name],
        vec![init_i64(name, &dims, vals)],
        vec![],
        opset,
    )
}

fn run(g: &Graph) -> (Vec<usize>, Vec<f64>) {
    let x = seq(g.shape(g.inputs[0]));
    let out = eval_graph(g, &[x]).unwrap();
    (out[0].shape.clone(), out[0].data.clone())
}

fn err_text(r: Result<Graph, ImportError>) -> String {
    r.unwrap_err().to_string()
}

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

// ---- DepthToSpace, SpaceToDepth, Trilu ----

#[test]
fn depth_to_space_modes_and_space_to_depth_round_trip() {
    let d2s = |mode: Option<&str>, opset| {
        let attrs = std::iter::once(a_int("blocksize", 2))
            .chain(mode.map(|m| a_str("mode", m)))
            .collect();
        one_out("DepthToSpace", &[1, 4, 1, 1], &[], vec![], attrs, opset)
    };
    let g = d2s(None, 9).unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::DepthToSpace {
            blocksize: 2,
            mode: DepthToSpaceMode::Dcr
        }
    );
    assert_eq!(run(&g), (vec![1, 1, 2, 2], vec![0.0, 1.0, 2.0, 3.0]));
    // With 8 channels DCR and CRD differ: DCR reads channel (bh·2 + bw)·2 + c.
    let g = one_out(
        "DepthToSpace",
        &[1, 8, 1, 1],
        &[],
        vec![],
        vec![a_int("blocksize", 2)],
        13,
    )
    .unwrap();
    assert_eq!(run(&g).1, vec![0.0, 2.0, 4.0, 6.0, 1.0, 3.0, 5.0, 7.0]);
    let g = one_out(
        "DepthToSpace",
        &[1, 8, 1, 1],
        &[],
        vec![],
        vec![a_int("blocksize", 2), a_str("mode", "CRD")],
        13,
    )
    .unwrap();
    assert_eq!(run(&g).1, (0..8).map(f64::from).collect::<Vec<_>>());
    assert!(err_text(d2s(Some("CRD"), 10)).contains("CRD"));
    let g = one_out(
        "SpaceToDepth",
        &[1, 1, 2, 4],
        &[],
        vec![],
        vec![a_int("blocksize", 2)],
        13,
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[1, 4, 1, 2]);
    // Channel (bh·2 + bw): [x[0,0], x[0,2]], [x[0,1], x[0,3]], [x[1,0], x[1,2]], ...
    assert_eq!(run(&g).1, vec![0.0, 2.0, 1.0, 3.0, 4.0, 6.0, 5.0, 7.0]);
    let e = err_text(one_out(
        "SpaceToDepth",
        &[1, 1, 3, 4],
        &[],
        vec![],
        vec![a_int("blocksize", 2)],
        13,
    ));
    assert!(e.contains("not divisible"), "{e}");
    let e = err_text(one_out(
        "DepthToSpace",
        &[1, 4, 1, 1],
        &[],
        vec![],
        vec![],
        13,
    ));
    assert!(e.contains("blocksize is required"), "{e}");
}

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

// ---- Resize / Upsample ----

fn resize_attrs(g: &Graph) -> onnx_import::ir::ResizeAttrs {
    match &g.nodes[0].op {
        Op::Resize(a) => a.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn resize_nearest_layouts_per_opset() {
    // Opset 10: (X, scales); asymmetric + floor.
    let g = one_out(
        "Resize",
        &[1, 1, 1, 2],
        &["s"],
        vec![init_f32("s", &[4], &[1.0, 1.0, 1.0, 2.0])],
        vec![],
        10,
    )
    .unwrap();
    let a = resize_attrs(&g);
    assert_eq!(a.coord, CoordMode::Asymmetric);
    assert_eq!(a.mode, ResizeMode::Nearest(NearestMode::Floor));
    assert_eq!(run(&g), (vec![1, 1, 1, 4], vec![0.0, 0.0, 1.0, 1.0]));
    // Opset 13: (X, roi, scales, sizes) with sizes; defaults half_pixel + round_prefer_floor.
    let g = one_out(
        "Resize",
        &[1, 1, 1, 4],
        &["", "", "sz"],
        vec![init_i64("sz", &[4], &[1, 1, 1, 3])],
        vec![],
        13,
    )
    .unwrap();
    let a = resize_attrs(&g);
    assert_eq!(a.coord, CoordMode::HalfPixel);
    // x = (y + 0.5)·4/3 - 0.5 = 0.17, 1.5, 2.83 → 0, 1 (tie down), 3.
    assert_eq!(run(&g).1, vec![0.0, 1.0, 3.0]);
    // Opset 11: empty roi and scales tensors, align_corners, round_prefer_ceil.
    let g = one_out(
        "Resize",
        &[1, 1, 1, 4],
        &["roi", "sc", "sz"],
        vec![
            init_f32("roi", &[0], &[]),
            init_f32("sc", &[0], &[]),
            init_i64("sz", &[4], &[1, 1, 1, 3]),
        ],
        vec![
            a_str("coordinate_transformation_mode", "align_corners"),
            a_str("nearest_mode", "round_prefer_ceil"),
        ],
        11,
    )
    .unwrap();
    // x = 0, 1.5, 3 → 0, 2, 3.
    assert_eq!(run(&g).1, vec![0.0, 2.0, 3.0]);
    let e = err_text(one_out(
        "Resize",
        &[1, 1, 1, 4],
        &["", "sc"],
        vec![init_f32("sc", &[4], &[1.0, 1.0, 1.0, 2.0])],
        vec![a_str("mode", "cubic")],
        13,
    ));
    assert!(e.contains("cubic"), "{e}");
    let e = err_text(one_out(
        "Resize",
        &[1, 1, 1, 4],
        &["", "sc"],
        vec![init_f32("sc", &[4], &[1.0, 1.0, 1.0, 2.0])],
        vec![a_str(
            "coordinate_transformation_mode",
            "tf_crop_and_resize",
        )],
        13,
    ));
    assert!(e.contains("tf_crop_and_resize"), "{e}");
}

#[test]
fn resize_linear_and_opset18_axes() {
    // 1-D linear, half_pixel, ×2: x = -0.25, 0.25, 0.75, 1.25 (edge-clamped).
    let g = one_out(
        "Resize",
        &[1, 2],
        &["", "sc"],
        vec![init_f32("sc", &[2], &[1.0, 2.0])],
        vec![a_str("mode", "linear")],
        13,
    )
    .unwrap();
    assert_eq!(run(&g).1, vec![0.0, 0.25, 0.75, 1.0]);
    // pytorch_half_pixel with an output of length 1 reads x = -0.5 → element 0.
    let g = one_out(
        "Resize",
        &[1, 3],
        &["", "", "sz"],
        vec![init_i64("sz", &[2], &[1, 1])],
        vec![
            a_str("mode", "linear"),
            a_str("coordinate_transformation_mode", "pytorch_half_pixel"),
        ],
        13,
    )
    .unwrap();
    assert_eq!(run(&g).1, vec![0.0]);
    // Opset 18: scales for the listed axes only.
    let g = one_out(
        "Resize",
        &[1, 1, 2, 2],
        &["", "sc"],
        vec![init_f32("sc", &[2], &[2.0, 1.0])],
        vec![
            a_ints("axes", &[2, 3]),
            a_str("coordinate_transformation_mode", "asymmetric"),
        ],
        18,
    )
    .unwrap();
    assert_eq!(
        run(&g),
        (
            vec![1, 1, 4, 2],
            vec![0.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 3.0]
        )
    );
}

#[test]
fn upsample_attribute_and_input_forms() {
    let g = one_out(
        "Upsample",
        &[1, 1, 2],
        &[],
        vec![],
        vec![a_floats("scales", &[1.0, 1.0, 2.0])],
        7,
    )
    .unwrap();
    assert_eq!(run(&g).1, vec![0.0, 0.0, 1.0, 1.0]);
    let g = one_out(
        "Upsample",
        &[1, 2],
        &["s"],
        vec![init_f32("s", &[2], &[1.0, 2.0])],
        vec![a_str("mode", "linear")],
        9,
    )
    .unwrap();
    // Asymmetric linear: x = 0, 0.5, 1, 1.5 (clamped).
    assert_eq!(run(&g).1, vec![0.0, 0.5, 1.0, 1.0]);
    // Upsample does not exist from opset 10.
    let e = err_text(one_out(
        "Upsample",
        &[1, 2],
        &["s"],
        vec![init_f32("s", &[2], &[1.0, 2.0])],
        vec![],
        10,
    ));
    assert!(e.contains("Upsample"), "{e}");
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
