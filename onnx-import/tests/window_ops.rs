//! Importing the windowed ops (Conv, ConvTranspose, pooling) in 1-D, 2-D and 3-D, and the
//! opset-dependent attributes of pooling and BatchNormalization.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use onnx_import::import_bytes;
use onnx_import::ir::{ConvTransposeAttrs, Graph, Op, Pads, PoolAttrs};
use onnx_protobuf::{AttributeProto, TensorProto};

/// One node `op` named `"n0"` on input `x` of shape `x_dims` (plus initializers), opset `opset`.
fn one_node(
    op: &str,
    x_dims: &[i64],
    inits: Vec<TensorProto>,
    attrs: Vec<AttributeProto>,
    outputs: &[&str],
    opset: i64,
) -> Result<Graph, String> {
    let mut inputs = vec!["x".to_string()];
    inputs.extend(inits.iter().map(|t| t.name.clone()));
    let ins: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let bytes = model(
        vec![node(op, "n0", &ins, outputs, attrs)],
        vec![vi("x", x_dims)],
        outputs.iter().map(|o| out(o)).collect(),
        inits,
        opset,
    );
    import_bytes(&bytes, "window").map_err(|e| e.to_string())
}

fn weight(dims: &[i64]) -> TensorProto {
    let n: i64 = dims.iter().product();
    init_f32("w", dims, &vec![0.25; n as usize])
}

fn out_shape(g: &Graph) -> Vec<usize> {
    g.shape(g.outputs[0]).to_vec()
}

fn pads(begin: &[usize], end: &[usize]) -> Pads {
    Pads {
        begin: begin.to_vec(),
        end: end.to_vec(),
    }
}

#[test]
fn conv_1d_and_3d_shapes_and_attributes() {
    // test_Conv1d_pad2size1: [1, 4, 1], k 5, pads 2.
    let g = one_node(
        "Conv",
        &[1, 4, 1],
        vec![weight(&[3, 4, 5])],
        vec![a_ints("pads", &[2, 2])],
        &["y"],
        6,
    )
    .unwrap();
    assert_eq!(out_shape(&g), vec![1, 3, 1]);
    // 3-D, strides 2, pads 1, group 2, dilations [1, 2, 1].
    let g = one_node(
        "Conv",
        &[2, 4, 5, 6, 5],
        vec![weight(&[6, 2, 2, 2, 2])],
        vec![
            a_ints("strides", &[2, 2, 2]),
            a_ints("pads", &[1, 1, 1, 1, 1, 1]),
            a_ints("dilations", &[1, 2, 1]),
            a_int("group", 2),
        ],
        &["y"],
        13,
    )
    .unwrap();
    let Op::Conv(c) = &g.nodes[0].op else {
        panic!("{:?}", g.nodes[0].op)
    };
    assert_eq!((c.group, c.kernel.clone()), (2, vec![2, 2, 2]));
    assert_eq!(c.dilations, vec![1, 2, 1]);
    // D: (5+2-2)/2+1 = 3; H: (6+2-3)/2+1 = 3; W: (5+2-2)/2+1 = 3.
    assert_eq!(out_shape(&g), vec![2, 6, 3, 3, 3]);
    // SAME_LOWER in 1-D: in 5, k 2, stride 1 -> total pad 1, at the beginning.
    let g = one_node(
        "Conv",
        &[1, 1, 5],
        vec![weight(&[1, 1, 2])],
        vec![a_str("auto_pad", "SAME_LOWER")],
        &["y"],
        11,
    )
    .unwrap();
    let Op::Conv(c) = &g.nodes[0].op else {
        panic!()
    };
    assert_eq!(c.pads, pads(&[1], &[0]));
    assert_eq!(out_shape(&g), vec![1, 1, 5]);
}

#[test]
fn conv_errors_name_the_node_and_the_fix() {
    let e = one_node(
        "Conv",
        &[1, 4, 6],
        vec![weight(&[3, 4, 3, 3])],
        vec![],
        &["y"],
        13,
    )
    .unwrap_err();
    assert!(e.contains("\"n0\"") && e.contains("rank 3"), "{e}");
    let e = one_node(
        "Conv",
        &[1, 4, 6],
        vec![weight(&[3, 4, 3])],
        vec![a_ints("strides", &[1, 1])],
        &["y"],
        13,
    )
    .unwrap_err();
    assert!(e.contains("strides") && e.contains("1 values"), "{e}");
    let e = one_node(
        "Conv",
        &[1, 4, 6],
        vec![weight(&[3, 4, 3])],
        vec![a_ints("pads", &[1, 1, 1, 1])],
        &["y"],
        13,
    )
    .unwrap_err();
    assert!(e.contains("pads") && e.contains("2 values"), "{e}");
    let e = one_node("Conv", &[1, 4], vec![weight(&[3, 4])], vec![], &["y"], 13).unwrap_err();
    assert!(e.contains("spatial axis"), "{e}");
    // A runtime weight.
    let bytes = model(
        vec![node("Conv", "n0", &["x", "w"], &["y"], vec![])],
        vec![vi("x", &[1, 2, 5]), vi("w", &[2, 2, 3])],
        vec![out("y")],
        vec![],
        13,
    );
    let e = import_bytes(&bytes, "w").unwrap_err().to_string();
    assert!(e.contains("\"n0\"") && e.contains("weight W"), "{e}");
}

#[test]
fn conv_transpose_pytorch_geometry_and_output_shape() {
    // test_ConvTranspose2d: X [1, 3, 7, 6], W [3, 2, 3, 3], strides [3, 2], pads 1,
    // output_padding 1: H = 3·6 + 1 + 3 - 2 = 20, W = 2·5 + 1 + 3 - 2 = 12.
    let g = one_node(
        "ConvTranspose",
        &[1, 3, 7, 6],
        vec![weight(&[3, 2, 3, 3])],
        vec![
            a_ints("strides", &[3, 2]),
            a_ints("pads", &[1, 1, 1, 1]),
            a_ints("output_padding", &[1, 1]),
            a_ints("kernel_shape", &[3, 3]),
            a_ints("dilations", &[1, 1]),
            a_int("group", 1),
        ],
        &["y"],
        6,
    )
    .unwrap();
    assert_eq!(out_shape(&g), vec![1, 2, 20, 12]);
    assert_eq!(
        g.nodes[0].op,
        Op::ConvTranspose(ConvTransposeAttrs {
            kernel: vec![3, 3],
            strides: vec![3, 2],
            pads: Pads::uniform(2, 1),
            dilations: vec![1, 1],
            group: 1,
            output_padding: vec![1, 1],
        })
    );
    let ct = |x: &[i64], w: &[i64], attrs: Vec<AttributeProto>| {
        one_node("ConvTranspose", x, vec![weight(w)], attrs, &["y"], 17)
    };
    let attrs_of = |g: &Graph| match &g.nodes[0].op {
        Op::ConvTranspose(a) => a.clone(),
        other => panic!("{other:?}"),
    };
    // output_shape smaller than natural (1-D: in 3, k 3, s 2 -> 7): total 2 -> 1 / 1.
    let g = ct(
        &[1, 1, 3],
        &[1, 1, 3],
        vec![a_ints("strides", &[2]), a_ints("output_shape", &[5])],
    )
    .unwrap();
    assert_eq!(
        (out_shape(&g), attrs_of(&g).pads),
        (vec![1, 1, 5], pads(&[1], &[1]))
    );
    // total 1: NOTSET puts the odd one at the beginning, SAME_UPPER at the end.
    let g = ct(
        &[1, 1, 3],
        &[1, 1, 3],
        vec![a_ints("strides", &[2]), a_ints("output_shape", &[6])],
    )
    .unwrap();
    assert_eq!(attrs_of(&g).pads, pads(&[1], &[0]));
    let g = ct(
        &[1, 1, 3],
        &[1, 1, 3],
        vec![
            a_ints("strides", &[2]),
            a_ints("output_shape", &[6]),
            a_str("auto_pad", "SAME_UPPER"),
        ],
    )
    .unwrap();
    assert_eq!(attrs_of(&g).pads, pads(&[0], &[1]));
    // Larger than natural (test_convtranspose_output_shape: [3, 3] -> [10, 8] with strides
    // [3, 2]): the extra row / column becomes output padding.
    let g = ct(
        &[1, 1, 3, 3],
        &[1, 2, 3, 3],
        vec![a_ints("strides", &[3, 2]), a_ints("output_shape", &[10, 8])],
    )
    .unwrap();
    let a = attrs_of(&g);
    assert_eq!((a.pads, a.output_padding), (Pads::zeros(2), vec![1, 1]));
    assert_eq!(out_shape(&g), vec![1, 2, 10, 8]);
    // A full [N, C, ...] output_shape is accepted too.
    let g = ct(
        &[1, 1, 3, 3],
        &[1, 2, 3, 3],
        vec![
            a_ints("strides", &[3, 2]),
            a_ints("output_shape", &[1, 2, 10, 8]),
        ],
    )
    .unwrap();
    assert_eq!(out_shape(&g), vec![1, 2, 10, 8]);
    // SAME_UPPER without output_shape aims at in·stride (test_convtranspose_autopad_same).
    let g = ct(
        &[1, 1, 3, 3],
        &[1, 2, 3, 3],
        vec![a_ints("strides", &[2, 2]), a_str("auto_pad", "SAME_UPPER")],
    )
    .unwrap();
    assert_eq!(out_shape(&g), vec![1, 2, 6, 6]);
    assert_eq!(attrs_of(&g).pads, pads(&[0, 0], &[1, 1]));
    // 3-D with groups: W [4, 3, ...] with group 2 -> 6 output channels.
    let g = ct(
        &[1, 4, 2, 3, 2],
        &[4, 3, 2, 2, 2],
        vec![a_int("group", 2), a_ints("dilations", &[2, 1, 1])],
    )
    .unwrap();
    assert_eq!(out_shape(&g), vec![1, 6, 4, 4, 3]);
}

#[test]
fn conv_transpose_errors() {
    let ct = |x: &[i64], w: &[i64], attrs: Vec<AttributeProto>| {
        one_node("ConvTranspose", x, vec![weight(w)], attrs, &["y"], 17).unwrap_err()
    };
    let e = ct(&[1, 2, 4], &[3, 1, 3], vec![]);
    assert!(e.contains("input channels"), "{e}");
    let e = ct(&[1, 1, 4], &[1, 1, 3], vec![a_ints("output_padding", &[2])]);
    assert!(e.contains("output_padding") && e.contains("smaller"), "{e}");
    let e = ct(
        &[1, 1, 3],
        &[1, 1, 3],
        vec![
            a_ints("strides", &[2]),
            a_ints("output_shape", &[5]),
            a_ints("pads", &[0, 2]),
        ],
    );
    assert!(e.contains("disagree"), "{e}");
    let e = ct(&[1, 1, 2], &[1, 1, 1], vec![a_ints("pads", &[1, 1])]);
    assert!(e.contains("crop the whole output"), "{e}");
    // A runtime weight names the node.
    let bytes = model(
        vec![node("ConvTranspose", "up1", &["x", "w"], &["y"], vec![])],
        vec![vi("x", &[1, 2, 5]), vi("w", &[2, 2, 3])],
        vec![out("y")],
        vec![],
        13,
    );
    let e = import_bytes(&bytes, "w").unwrap_err().to_string();
    assert!(e.contains("\"up1\"") && e.contains("weight W"), "{e}");
}

fn pool_attrs(g: &Graph) -> PoolAttrs {
    match &g.nodes[0].op {
        Op::MaxPool(a) | Op::AveragePool(a) => a.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pools_1d_3d_and_ceil_mode() {
    // test_MaxPool1d_stride_padding_dilation (opset 12).
    let g = one_node(
        "MaxPool",
        &[1, 1, 2200],
        vec![],
        vec![
            a_ints("kernel_shape", &[200]),
            a_ints("strides", &[10]),
            a_ints("pads", &[100, 100]),
            a_ints("dilations", &[10]),
        ],
        &["y"],
        12,
    )
    .unwrap();
    // (2200 + 200 - 1991) / 10 + 1 = 41.
    assert_eq!(out_shape(&g), vec![1, 1, 41]);
    // test_AvgPool3d_stride.
    let g = one_node(
        "AveragePool",
        &[2, 3, 5, 5, 5],
        vec![],
        vec![
            a_ints("kernel_shape", &[2, 2, 2]),
            a_ints("strides", &[2, 2, 2]),
        ],
        &["y"],
        6,
    )
    .unwrap();
    assert_eq!(out_shape(&g), vec![2, 3, 2, 2, 2]);
    // ceil_mode: 5 with k 2, s 2 -> 3 (floor would give 2).
    for (ceil, want) in [(0, 2), (1, 3)] {
        let g = one_node(
            "AveragePool",
            &[1, 1, 5, 5],
            vec![],
            vec![
                a_ints("kernel_shape", &[2, 2]),
                a_ints("strides", &[2, 2]),
                a_int("ceil_mode", ceil),
                a_int("count_include_pad", 1),
            ],
            &["y"],
            10,
        )
        .unwrap();
        assert_eq!(out_shape(&g), vec![1, 1, want, want]);
        let a = pool_attrs(&g);
        assert_eq!((a.ceil_mode, a.count_include_pad), (ceil == 1, true));
    }
    // A window that would start in the end padding is dropped: in 2, k 1, s 2, pad end 1.
    let g = one_node(
        "MaxPool",
        &[1, 1, 2],
        vec![],
        vec![
            a_ints("kernel_shape", &[1]),
            a_ints("strides", &[2]),
            a_ints("pads", &[0, 1]),
            a_int("ceil_mode", 1),
        ],
        &["y"],
        11,
    )
    .unwrap();
    assert_eq!(out_shape(&g), vec![1, 1, 1]);
    let e = one_node(
        "MaxPool",
        &[1, 1, 5],
        vec![],
        vec![
            a_ints("kernel_shape", &[2]),
            a_int("ceil_mode", 1),
            a_str("auto_pad", "SAME_UPPER"),
        ],
        &["y"],
        11,
    )
    .unwrap_err();
    assert!(e.contains("ceil_mode") && e.contains("auto_pad"), "{e}");
}

#[test]
fn global_pools_any_rank() {
    let g = one_node("GlobalMaxPool", &[2, 3, 4, 5, 6], vec![], vec![], &["y"], 1).unwrap();
    assert_eq!(
        (g.nodes[0].op.clone(), out_shape(&g)),
        (Op::GlobalMaxPool, vec![2, 3, 1, 1, 1])
    );
    let g = one_node("GlobalAveragePool", &[2, 3, 7], vec![], vec![], &["y"], 13).unwrap();
    assert_eq!(out_shape(&g), vec![2, 3, 1]);
    let e = one_node("GlobalMaxPool", &[2, 3], vec![], vec![], &["y"], 13).unwrap_err();
    assert!(e.contains("spatial axis"), "{e}");
}

/// `(op, attribute, first opset that has it)`: one opset earlier it is refused, from then on
/// it is read.
#[test]
fn pool_attributes_follow_the_declared_opset() {
    let cases: &[(&str, AttributeProto, i64)] = &[
        ("MaxPool", a_int("ceil_mode", 0), 10),
        ("AveragePool", a_int("ceil_mode", 0), 10),
        ("MaxPool", a_ints("dilations", &[1, 1]), 10),
        ("AveragePool", a_ints("dilations", &[1, 1]), 19),
        ("AveragePool", a_int("count_include_pad", 1), 7),
        ("MaxPool", a_int("storage_order", 0), 8),
    ];
    for (op, attr, since) in cases {
        let attrs = |a: &AttributeProto| vec![a_ints("kernel_shape", &[2, 2]), a.clone()];
        let e = one_node(op, &[1, 1, 4, 4], vec![], attrs(attr), &["y"], since - 1).unwrap_err();
        assert!(
            e.contains(&attr.name) && e.contains(&format!("before opset {since}")),
            "{op} {}: {e}",
            attr.name
        );
        let g = one_node(op, &[1, 1, 4, 4], vec![], attrs(attr), &["y"], *since)
            .unwrap_or_else(|e| panic!("{op} {} at opset {since}: {e}", attr.name));
        assert_eq!(out_shape(&g), vec![1, 1, 3, 3]);
    }
    // Dilated AveragePool from opset 19: in 5, k 2, dilation 2 -> 3.
    let g = one_node(
        "AveragePool",
        &[1, 1, 5],
        vec![],
        vec![a_ints("kernel_shape", &[2]), a_ints("dilations", &[2])],
        &["y"],
        19,
    )
    .unwrap();
    assert_eq!(
        (out_shape(&g), pool_attrs(&g).dilations),
        (vec![1, 1, 3], vec![2])
    );
    // storage_order=1 only orders Indices, which are refused: Y is the same.
    let g = one_node(
        "MaxPool",
        &[1, 1, 4],
        vec![],
        vec![a_ints("kernel_shape", &[2]), a_int("storage_order", 1)],
        &["y"],
        12,
    )
    .unwrap();
    assert_eq!(out_shape(&g), vec![1, 1, 3]);
    let e = one_node(
        "MaxPool",
        &[1, 1, 4],
        vec![],
        vec![a_ints("kernel_shape", &[2])],
        &["y", "idx"],
        12,
    )
    .unwrap_err();
    assert!(e.contains("Indices"), "{e}");
    let e = one_node("MaxPool", &[1, 1, 4], vec![], vec![], &["y"], 12).unwrap_err();
    assert!(e.contains("kernel_shape") && e.contains("required"), "{e}");
}

fn bn_inits(c: usize) -> Vec<TensorProto> {
    ["scale", "bias", "mean", "var"]
        .iter()
        .map(|n| init_f32(n, &[c as i64], &vec![1.0; c]))
        .collect()
}

fn bn(attrs: Vec<AttributeProto>, outputs: &[&str], opset: i64) -> Result<Graph, String> {
    one_node(
        "BatchNormalization",
        &[2, 3, 4],
        bn_inits(3),
        attrs,
        outputs,
        opset,
    )
}

#[test]
fn batch_norm_old_opsets() {
    // The pytorch-converted models (opset 6): is_test=1, momentum, epsilon.
    let g = bn(
        vec![
            a_int("is_test", 1),
            a_float("momentum", 0.9),
            a_float("epsilon", 1e-5),
        ],
        &["y"],
        6,
    )
    .unwrap();
    assert!(matches!(g.nodes[0].op, Op::BatchNormalization { .. }));
    assert_eq!(out_shape(&g), vec![2, 3, 4]);
    // Opset 1 has consumed_inputs (ignored).
    bn(
        vec![
            a_int("is_test", 1),
            a_ints("consumed_inputs", &[0, 0, 0, 1, 1]),
        ],
        &["y"],
        1,
    )
    .unwrap();
    // is_test defaults to 0 (training mode) before opset 7.
    let e = bn(vec![], &["y"], 6).unwrap_err();
    assert!(e.contains("is_test=0") && e.contains("eval mode"), "{e}");
    let e = bn(vec![a_int("is_test", 1), a_int("spatial", 0)], &["y"], 6).unwrap_err();
    assert!(e.contains("spatial=0"), "{e}");
    bn(vec![a_int("spatial", 1)], &["y"], 7).unwrap();
    let e = bn(vec![a_int("spatial", 0)], &["y"], 8).unwrap_err();
    assert!(e.contains("spatial=0"), "{e}");
    // Attributes the declared opset no longer has.
    let e = bn(vec![a_int("is_test", 1)], &["y"], 7).unwrap_err();
    assert!(e.contains("is_test") && e.contains("opset 7"), "{e}");
    let e = bn(
        vec![a_int("is_test", 1), a_ints("consumed_inputs", &[0])],
        &["y"],
        6,
    )
    .unwrap_err();
    assert!(e.contains("consumed_inputs"), "{e}");
    let e = bn(vec![a_int("spatial", 1)], &["y"], 9).unwrap_err();
    assert!(e.contains("spatial") && e.contains("opset 9"), "{e}");
    // Training mode: extra outputs (opset 7..13), training_mode (14+).
    let e = bn(vec![], &["y", "m", "v", "sm", "sv"], 9).unwrap_err();
    assert!(
        e.contains("training mode") && e.contains("5 outputs"),
        "{e}"
    );
    let e = bn(vec![a_int("is_test", 1)], &["y", "m", "v", "sm", "sv"], 6).unwrap_err();
    assert!(e.contains("training mode"), "{e}");
    let e = bn(vec![a_int("training_mode", 1)], &["y"], 14).unwrap_err();
    assert!(e.contains("training_mode=1"), "{e}");
    let e = bn(vec![a_int("training_mode", 0)], &["y"], 13).unwrap_err();
    assert!(
        e.contains("training_mode") && e.contains("before opset 14"),
        "{e}"
    );
    // Momentum is ignored in inference; opset 15 is read like 14.
    for opset in [9, 14, 15] {
        bn(
            vec![a_float("momentum", 0.1), a_int("training_mode", 0)],
            &["y"],
            opset.max(14),
        )
        .unwrap();
        bn(vec![a_float("momentum", 0.1)], &["y"], opset).unwrap();
    }
}
