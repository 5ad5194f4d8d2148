//! Error reporting on malformed or unsupported models.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use onnx_import::ir::{ConvAttrs, Op, Pads};
use onnx_import::{import_bytes, inspect_bytes, ImportError, NodeStatus};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

fn conv_model(
    group: i64,
    in_c: i64,
    w_dims: &[i64],
    attrs: Vec<onnx_protobuf::AttributeProto>,
) -> Vec<u8> {
    let n: i64 = w_dims.iter().product();
    let w = init_f32("w", w_dims, &vec![0.5; n as usize]);
    let mut attrs = attrs;
    if group != 1 {
        attrs.push(a_int("group", group));
    }
    model(
        vec![node("Conv", "conv_3", &["x", "w"], &["y"], attrs)],
        vec![vi("x", &[1, in_c, 5, 5])],
        vec![out("y")],
        vec![w],
        17,
    )
}

#[test]
fn conv_without_attributes_uses_defaults() {
    let g = import_bytes(&conv_model(1, 2, &[4, 2, 3, 3], vec![]), "conv").unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::Conv(ConvAttrs {
            kernel: vec![3, 3],
            strides: vec![1, 1],
            pads: Pads::zeros(2),
            dilations: vec![1, 1],
            group: 1
        })
    );
    assert_eq!(g.shape(g.outputs[0]), &[1, 4, 3, 3]);
}

#[test]
fn conv_same_upper_resolves_pads() {
    let attrs = vec![a_str("auto_pad", "SAME_UPPER"), a_ints("strides", &[2, 2])];
    let g = import_bytes(&conv_model(1, 2, &[4, 2, 2, 2], attrs), "conv").unwrap();
    let Op::Conv(c) = &g.nodes[0].op else {
        panic!()
    };
    // out = ceil(5/2) = 3; total pad = (3-1)*2 + 2 - 5 = 1 -> [0,0,1,1].
    assert_eq!(
        c.pads,
        Pads {
            begin: vec![0, 0],
            end: vec![1, 1]
        }
    );
    assert_eq!(g.shape(g.outputs[0]), &[1, 4, 3, 3]);
}

#[test]
fn conv_group_not_dividing_channels() {
    let err = import_bytes(&conv_model(3, 4, &[3, 1, 3, 3], vec![]), "conv").unwrap_err();
    assert!(matches!(err, ImportError::Node { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "node \"conv_3\" (Conv): group=3 does not divide 4 input channels"
    );
}

#[test]
fn zero_stride_is_a_node_error() {
    let err = import_bytes(
        &conv_model(1, 2, &[4, 2, 3, 3], vec![a_ints("strides", &[0, 1])]),
        "c",
    )
    .unwrap_err();
    let ImportError::Node { node, message, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(node, "conv_3");
    assert!(message.contains("strides"), "{message}");
}

#[test]
fn truncated_fixture_is_a_decode_error() {
    let bytes = std::fs::read(format!("{FIXTURES}/digits_mlp16/network.onnx")).unwrap();
    let half = &bytes[..bytes.len() / 2];
    let err = import_bytes(half, "digits_mlp16/network.onnx").unwrap_err();
    assert!(matches!(err, ImportError::Decode { .. }), "{err}");
    assert!(
        err.to_string().contains("digits_mlp16/network.onnx"),
        "{err}"
    );
    assert!(inspect_bytes(half, "x").is_err());
}

#[test]
fn non_onnx_and_empty_bytes_are_errors() {
    let json = std::fs::read(format!("{FIXTURES}/digits_mlp16/expected.json")).unwrap();
    let err = import_bytes(&json, "expected.json").unwrap_err();
    assert!(matches!(err, ImportError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("expected.json"));
    let err = import_bytes(&[], "empty.onnx").unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn model_without_nodes_is_an_error() {
    let bytes = model(vec![], vec![vi("x", &[1])], vec![out("x")], vec![], 17);
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(matches!(err, ImportError::Model { .. }), "{err}");
    assert!(err.to_string().contains("no nodes"), "{err}");
}

#[test]
fn custom_domain_op_is_unsupported_with_domain() {
    let mut foo = node("Foo", "foo1", &["x"], &["y"], vec![]);
    foo.domain = "com.example".into();
    let bytes = model(vec![foo], vec![vi("x", &[2])], vec![out("y")], vec![], 17);
    let err = import_bytes(&bytes, "m").unwrap_err();
    let ImportError::UnsupportedOps { ops, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(ops[0].domain, "com.example");
    assert_eq!(ops[0].op_type, "Foo");
    assert!(
        err.to_string().contains("node \"foo1\" (com.example::Foo)"),
        "{err}"
    );
}

#[test]
fn two_unsupported_nodes_are_reported_together() {
    let nodes = vec![
        node("Hardmax", "s", &["x"], &["a"], vec![]),
        node("Relu", "r", &["a"], &["b"], vec![]),
        node("Det", "", &["b"], &["y"], vec![]),
    ];
    let bytes = model(nodes, vec![vi("x", &[2, 3])], vec![out("y")], vec![], 17);
    let err = import_bytes(&bytes, "m").unwrap_err();
    let ImportError::UnsupportedOps { ops, .. } = &err else {
        panic!("{err}")
    };
    let names: Vec<&str> = ops.iter().map(|o| o.node.as_str()).collect();
    assert_eq!(names, ["s", "Det_2"]);
    let text = err.to_string();
    assert!(
        text.contains("(ai.onnx::Hardmax)") && text.contains("(ai.onnx::Det)"),
        "{text}"
    );
    // The report describes all three nodes; shapes after the unsupported node are unknown.
    let r = inspect_bytes(&bytes, "m").unwrap();
    assert_eq!(r.nodes.len(), 3);
    assert_eq!(r.nodes[1].status, NodeStatus::Supported);
    assert_eq!(r.nodes[1].input_shapes, vec![None]);
    assert_eq!(r.unsupported().count(), 2);
    assert!(!r.all_supported());
}

#[test]
fn broadcast_mismatch_names_node_and_shapes() {
    let bytes = model(
        vec![node("Add", "add_1", &["a", "b"], &["y"], vec![])],
        vec![vi("a", &[2, 3]), vi("b", &[4, 5])],
        vec![out("y")],
        vec![],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    let ImportError::ShapeMismatch { node, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(node, "add_1");
    let text = err.to_string();
    assert!(text.contains("[2, 3]") && text.contains("[4, 5]"), "{text}");
}

#[test]
fn declared_output_shape_disagreeing_is_a_shape_mismatch() {
    let bytes = model(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[2, 3])],
        vec![vi("y", &[3, 2])],
        vec![],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(matches!(err, ImportError::ShapeMismatch { .. }), "{err}");
}

#[test]
fn dangling_input_is_reported() {
    let bytes = model(
        vec![node("Add", "add", &["x", "ghost"], &["y"], vec![])],
        vec![vi("x", &[2])],
        vec![out("y")],
        vec![],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    let ImportError::DanglingInput { node, input, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!((node.as_str(), input.as_str()), ("add", "ghost"));
    let r = inspect_bytes(&bytes, "m").unwrap();
    assert!(!r.all_supported());
}

#[test]
fn cycle_is_a_model_error() {
    let nodes = vec![
        node("Add", "a1", &["x", "q"], &["p"], vec![]),
        node("Relu", "r1", &["p"], &["q"], vec![]),
    ];
    let bytes = model(nodes, vec![vi("x", &[2])], vec![out("q")], vec![], 17);
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(matches!(err, ImportError::Model { .. }), "{err}");
    assert!(err.to_string().contains("cycle"), "{err}");
}

#[test]
fn symbolic_input_dim_names_input_axis_and_flag() {
    // A leading (batch) dimension defaults to 1; any other free one needs --dim.
    let bytes = model(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[-1, 3])],
        vec![out("y")],
        vec![],
        17,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.shape(g.inputs[0]), &[1, 3]);
    let bytes = model(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[3, -1])],
        vec![out("y")],
        vec![],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(matches!(err, ImportError::Model { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("\"x\" axis 1") && text.contains("\"N\"") && text.contains("--dim N=VALUE"),
        "{text}"
    );
}

#[test]
fn unsupported_opset_is_a_model_error() {
    let bytes = model(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[3])],
        vec![out("y")],
        vec![],
        22,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(err.to_string().contains("opset 22"), "{err}");
    assert!(err.to_string().contains("1 to 21"), "{err}");
}

#[test]
fn old_opsets_import() {
    for opset in [1, 5, 6] {
        let bytes = model(
            vec![node("Relu", "r", &["x"], &["y"], vec![])],
            vec![vi("x", &[3])],
            vec![out("y")],
            vec![],
            opset,
        );
        let g = import_bytes(&bytes, "m").unwrap();
        assert_eq!(g.opset, opset);
    }
}

#[test]
fn topological_sort_reorders_nodes() {
    let nodes = vec![
        node("Neg", "second", &["a"], &["y"], vec![]),
        node("Relu", "first", &["x"], &["a"], vec![]),
    ];
    let bytes = model(nodes, vec![vi("x", &[3])], vec![out("y")], vec![], 17);
    let g = import_bytes(&bytes, "m").unwrap();
    let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["first", "second"]);
}

#[test]
fn maxpool_indices_are_rejected_and_ceil_mode_read() {
    let mp = |outs: &[&str], attrs| {
        model(
            vec![node("MaxPool", "mp", &["x"], outs, attrs)],
            vec![vi("x", &[1, 1, 4, 4])],
            vec![out("y")],
            vec![],
            17,
        )
    };
    let err = import_bytes(
        &mp(&["y", "idx"], vec![a_ints("kernel_shape", &[2, 2])]),
        "m",
    )
    .unwrap_err();
    assert!(err.to_string().contains("Indices"), "{err}");
    let attrs = vec![a_ints("kernel_shape", &[2, 2]), a_int("ceil_mode", 1)];
    let g = import_bytes(&mp(&["y"], attrs), "m").unwrap();
    // ceil((4 - 2) / 1) + 1 = 3, the same as floor here.
    assert_eq!(g.shape(g.outputs[0]), &[1, 1, 3, 3]);
    let err = import_bytes(&mp(&["y"], vec![]), "m").unwrap_err();
    assert!(err.to_string().contains("kernel_shape"), "{err}");
}

#[test]
fn bad_perm_and_axis_are_node_errors() {
    let bytes = model(
        vec![node(
            "Transpose",
            "t",
            &["x"],
            &["y"],
            vec![a_ints("perm", &[0, 0])],
        )],
        vec![vi("x", &[2, 3])],
        vec![out("y")],
        vec![],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(
        matches!(&err, ImportError::Node { node, .. } if node == "t"),
        "{err}"
    );
    let bytes = model(
        vec![node(
            "Concat",
            "c",
            &["x", "x"],
            &["y"],
            vec![a_int("axis", 2)],
        )],
        vec![vi("x", &[2, 3])],
        vec![out("y")],
        vec![],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
}

#[test]
fn unsupported_initializer_type_is_a_model_error() {
    let t = onnx_protobuf::TensorProto {
        name: "w".into(),
        dims: vec![2],
        data_type: onnx_protobuf::tensor_proto::DataType::STRING as i32,
        string_data: vec![b"a".to_vec(), b"b".to_vec()],
        ..Default::default()
    };
    let bytes = model(
        vec![node("Add", "add", &["x", "w"], &["y"], vec![])],
        vec![vi("x", &[2])],
        vec![out("y")],
        vec![t],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(err.to_string().contains("STRING"), "{err}");
    assert!(err.to_string().contains("\"w\""), "{err}");
}
