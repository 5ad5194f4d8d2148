//! Arbitrary bytes never panic the importer or the inspector.
#![allow(clippy::unwrap_used, missing_docs)]

use onnx_import::{import_bytes, inspect_bytes};
use proptest::prelude::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = import_bytes(&bytes, "random");
        let _ = inspect_bytes(&bytes, "random");
    }

    #[test]
    fn mutated_fixture_never_panics(
        name in prop::sample::select(vec!["digits_conv", "cnn_chain", "op_slice", "op_reshape", "op_constant"]),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = std::fs::read(format!("{FIXTURES}/{name}/network.onnx")).unwrap();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = import_bytes(&bytes, name);
        let _ = inspect_bytes(&bytes, name);
    }
}

mod common;

use common::*;
use onnx_import::Registry;
use onnx_protobuf::{AttributeProto, TensorProto, ValueInfoProto};

/// Every op the importer knows (runtime and fold-only) plus one it rejects.
fn ops() -> Vec<&'static str> {
    let mut ops: Vec<&'static str> = Registry::standard()
        .ops()
        .iter()
        .map(|d| d.name())
        .collect();
    ops.push("ZkNoSuchOp");
    ops
}

fn small_int() -> impl Strategy<Value = i64> {
    prop_oneof![8 => -6i64..8, 1 => Just(i64::MAX), 1 => Just(i64::MIN), 1 => Just(1i64 << 40)]
}

fn attr() -> impl Strategy<Value = AttributeProto> {
    let int_names = prop::sample::select(vec![
        "axis",
        "group",
        "keepdims",
        "transA",
        "transB",
        "to",
        "value_int",
        "ceil_mode",
        "count_include_pad",
        "noop_with_empty_axes",
        "allowzero",
        "training_mode",
        "start",
        "end",
    ]);
    let ints_names = prop::sample::select(vec![
        "axes",
        "perm",
        "kernel_shape",
        "strides",
        "pads",
        "dilations",
        "value_ints",
        "starts",
        "ends",
        "shape",
    ]);
    prop_oneof![
        (int_names, small_int()).prop_map(|(n, v)| a_int(n, v)),
        (ints_names, prop::collection::vec(small_int(), 0..5)).prop_map(|(n, v)| a_ints(n, &v)),
        (
            prop::sample::select(vec![
                "alpha",
                "beta",
                "epsilon",
                "min",
                "max",
                "value_float"
            ]),
            -2.0f32..2.0
        )
            .prop_map(|(n, v)| a_float(n, v)),
        prop::sample::select(vec!["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "bogus"])
            .prop_map(|v| a_str("auto_pad", v)),
    ]
}

fn shape() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(0i64..5, 0..5)
}

fn float_init(name: String, dims: Vec<i64>) -> TensorProto {
    let n: i64 = dims.iter().product();
    init_f32(&name, &dims, &vec![0.5; n as usize])
}

prop_compose! {
    fn graph_case()(
        op in prop::sample::select(ops()),
        in_shapes in prop::collection::vec(shape(), 1..3),
        int_inits in prop::collection::vec(prop::collection::vec(small_int(), 0..5), 0..4),
        scalar_int in any::<bool>(),
        float_shapes in prop::collection::vec(shape(), 0..3),
        picks in prop::collection::vec(0usize..12, 0..6),
        attrs in prop::collection::vec(attr(), 0..5),
        opset in prop::sample::select(vec![7i64, 10, 11, 13, 17, 18]),
        two_outputs in prop::bool::weighted(0.1),
    ) -> Vec<u8> {
        let mut names: Vec<String> = vec![String::new()];
        let inputs: Vec<ValueInfoProto> = in_shapes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                names.push(format!("x{i}"));
                vi(&format!("x{i}"), s)
            })
            .collect();
        let mut inits = Vec::new();
        for (i, v) in int_inits.iter().enumerate() {
            let name = format!("k{i}");
            let dims: Vec<i64> = if scalar_int && v.len() == 1 { vec![] } else { vec![v.len() as i64] };
            inits.push(init_i64(&name, &dims, v));
            names.push(name);
        }
        for (i, s) in float_shapes.into_iter().enumerate() {
            let name = format!("f{i}");
            inits.push(float_init(name.clone(), s));
            names.push(name);
        }
        let node_inputs: Vec<String> = picks.iter().map(|&p| names[p % names.len()].clone()).collect();
        let node_inputs: Vec<&str> = node_inputs.iter().map(String::as_str).collect();
        let outs: &[&str] = if two_outputs { &["y", "y2"] } else { &["y"] };
        model(vec![node(op, "n", &node_inputs, outs, attrs)], inputs, vec![out("y")], inits, opset)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn random_single_node_graphs_never_panic(bytes in graph_case()) {
        let imported = import_bytes(&bytes, "case");
        let report = inspect_bytes(&bytes, "case").unwrap();
        prop_assert_eq!(imported.is_ok(), report.all_supported(), "{:?}\n{}", imported.as_ref().err().map(ToString::to_string), report);
        if let Ok(g) = imported {
            for v in &g.values {
                prop_assert!(onnx_import::shapes::checked_numel(&v.shape).is_some());
                if let onnx_import::ir::ValueKind::Constant(t) = &v.kind {
                    prop_assert_eq!(&t.shape, &v.shape);
                }
            }
            // The float evaluator accepts whatever the importer accepted (no panic, and the
            // shapes the importer inferred are the shapes it computes).
            let inputs: Vec<onnx_import::ir::Tensor> = g
                .inputs
                .iter()
                .map(|&id| {
                    let shape = g.values[id].shape.clone();
                    let n = shape.iter().product();
                    onnx_import::ir::Tensor::new(shape, vec![0.0; n]).unwrap()
                })
                .collect();
            let small = g.values.iter().all(|v| v.shape.iter().product::<usize>() <= 1 << 16);
            if small {
                if let Err(e) = onnx_import::eval::eval_graph(&g, &inputs) {
                    // Integer-index ops may reject the zero inputs' values; nothing else may fail.
                    let msg = e.to_string();
                    prop_assert!(
                        !msg.contains("shape"),
                        "the evaluator disagrees with the importer: {msg}"
                    );
                }
            }
        }
    }
}
