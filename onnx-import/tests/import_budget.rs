//! Resource budgets for untrusted models: tiny files that describe huge tensors are refused
//! with named errors before anything of that size is allocated, and nodes no graph output
//! depends on are not imported at all.
//!
//! The memory checks run the import in a child process (this test binary, filtered to the
//! one test) and read the child's peak resident set (`VmHWM` in `/proc/self/status`, Linux
//! only). The `ConstantOfShape` nodes fill their outputs with 1.0, so that a folded tensor
//! really occupies memory (zeros from a fresh allocation would not be resident).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use onnx_import::budget::{MAX_FOLD_ELEMS, MAX_RUNTIME_ELEMS};
use onnx_import::input_file::{read_tensor_map, InputError};
use onnx_import::ir::Tensor;
use onnx_import::{import_bytes, inspect_bytes, ImportError, NodeStatus};
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::TensorProto;

/// Elements of each `ConstantOfShape` of the memory tests (2^24, 128 MiB as `f64`).
const BIG: i64 = 1 << 24;
/// Peak resident memory allowed to this test process.
const PEAK_LIMIT_MB: u64 = 200;

/// Set in the child process that runs one memory test's case.
const CHILD: &str = "ZKINFER_IMPORT_BUDGET_CHILD";
/// What the child prints: its peak resident set in KiB.
const PEAK_TAG: &str = "import-budget-peak-kib=";

/// This process's peak resident set in KiB, where `/proc` has it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `case` in a child process (this test binary running only the test `test`) and
/// returns the child's peak resident memory in MiB; `None` where it cannot be measured. In
/// the child, runs `case` and prints the peak.
fn peak_mib_in_child(test: &str, case: impl FnOnce()) -> Option<u64> {
    if std::env::var_os(CHILD).is_some() {
        case();
        if let Some(kib) = peak_rss_kib() {
            println!("\n{PEAK_TAG}{kib}");
        }
        return None;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child for {test} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let kib: Option<u64> = stdout
        .lines()
        .find_map(|l| l.split_once(PEAK_TAG))
        .and_then(|(_, v)| v.split_whitespace().next()?.parse().ok());
    match kib {
        Some(kib) => eprintln!("{test}: peak RSS {} MiB", kib / 1024),
        None => eprintln!("{test}: no /proc/self/status here; peak memory not measured"),
    }
    kib.map(|k| k / 1024)
}

/// [`peak_mib_in_child`], requiring the peak (where measured) to be under the limit.
fn assert_cheap(test: &str, case: impl FnOnce()) {
    if let Some(mib) = peak_mib_in_child(test, case) {
        assert!(mib < PEAK_LIMIT_MB, "{test}: peak RSS {mib} MiB");
    }
}

/// An int64 `[1]` initializer `s` holding `[BIG]`.
fn big_shape() -> TensorProto {
    init_i64("s", &[1], &[BIG])
}

/// `count` `ConstantOfShape` nodes `c0, c1, ...`, each of `BIG` elements of value 1.0.
fn constant_of_shapes(count: usize) -> Vec<onnx_protobuf::NodeProto> {
    (0..count)
        .map(|i| {
            let name = format!("c{i}");
            let one = a_tensor("value", init_f32("", &[1], &[1.0]));
            node("ConstantOfShape", &name, &["s"], &[&name], vec![one])
        })
        .collect()
}

/// A model of 15 `ConstantOfShape` nodes of 2^24 elements that no output uses.
fn fifteen_unused() -> Vec<u8> {
    let mut nodes = constant_of_shapes(15);
    nodes.push(node("Relu", "r", &["x"], &["y"], vec![]));
    model(
        nodes,
        vec![vi("x", &[2])],
        vec![out("y")],
        vec![big_shape()],
        17,
    )
}

#[test]
fn unused_constant_of_shapes_cost_nothing() {
    assert_cheap("unused_constant_of_shapes_cost_nothing", || {
        let bytes = fifteen_unused();
        assert!(bytes.len() < 1024, "{} bytes", bytes.len());
        let g = import_bytes(&bytes, "unused.onnx").unwrap();
        assert_eq!(g.nodes.len(), 1, "only the Relu is imported");
        let r = inspect_bytes(&bytes, "unused.onnx").unwrap();
        let unused = r.nodes.iter().filter(|n| n.status == NodeStatus::Unused);
        assert_eq!(unused.count(), 15);
        assert!(r.all_supported(), "{r}");
        assert!(r.to_string().contains("unused"), "{r}");
    });
}

fn assert_fold_budget_error(err: &ImportError) {
    let ImportError::FoldBudget {
        node,
        op_type,
        requested,
        used,
        budget,
    } = err
    else {
        panic!("expected a FoldBudget error, got {err}")
    };
    // c0 takes the whole budget; c1 is the first node over it.
    assert_eq!(node, "c1");
    assert_eq!(op_type, "ConstantOfShape");
    assert_eq!(*requested, Some(BIG as usize));
    assert_eq!(*used, BIG as usize);
    assert_eq!(*budget, MAX_FOLD_ELEMS);
    let text = err.to_string();
    assert!(
        text.contains("\"c1\"") && text.contains("16777216"),
        "{text}"
    );
}

#[test]
fn used_constant_of_shapes_summed_are_a_fold_budget_error() {
    assert_cheap(
        "used_constant_of_shapes_summed_are_a_fold_budget_error",
        || {
            let mut nodes = constant_of_shapes(15);
            let names: Vec<String> = (0..15).map(|i| format!("c{i}")).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            nodes.push(node("Sum", "sum", &refs, &["y"], vec![]));
            let bytes = model(nodes, vec![], vec![out("y")], vec![big_shape()], 17);
            assert!(bytes.len() < 1024, "{} bytes", bytes.len());
            let err = import_bytes(&bytes, "summed.onnx").unwrap_err();
            assert_fold_budget_error(&err);
            // inspect describes the model without failing, and names the refused nodes.
            let r = inspect_bytes(&bytes, "summed.onnx").unwrap();
            assert!(!r.all_supported());
            assert_eq!(
                r.unsupported().count(),
                14,
                "c1..c14 are over the budget: {r}"
            );
        },
    );
}

#[test]
fn constant_of_shapes_as_fifteen_outputs_are_a_fold_budget_error() {
    assert_cheap(
        "constant_of_shapes_as_fifteen_outputs_are_a_fold_budget_error",
        || {
            let outs: Vec<_> = (0..15).map(|i| out(&format!("c{i}"))).collect();
            let bytes = model(constant_of_shapes(15), vec![], outs, vec![big_shape()], 17);
            assert!(bytes.len() < 1024, "{} bytes", bytes.len());
            let err = import_bytes(&bytes, "outputs.onnx").unwrap_err();
            assert_fold_budget_error(&err);
        },
    );
}

#[test]
fn one_constant_of_shape_within_the_budget_folds_and_is_measured() {
    // The budget is not a per-node cap in disguise: one fold of the whole budget is fine.
    // It is also the check that the measurement sees folded memory: 2^24 f64 = 128 MiB.
    let peak = peak_mib_in_child(
        "one_constant_of_shape_within_the_budget_folds_and_is_measured",
        || {
            let nodes = constant_of_shapes(1);
            let bytes = model(nodes, vec![], vec![out("c0")], vec![big_shape()], 17);
            let g = import_bytes(&bytes, "one.onnx").unwrap();
            let c = g.constant(g.outputs[0]).unwrap();
            assert_eq!(c.shape, [BIG as usize]);
            assert_eq!(c.data[c.data.len() - 1], 1.0);
        },
    );
    if let Some(mib) = peak {
        assert!((128..PEAK_LIMIT_MB).contains(&mib), "peak RSS {mib} MiB");
    }
}

#[test]
fn overflowing_constant_of_shape_is_a_fold_budget_error() {
    let shape = init_i64("s", &[3], &[1 << 32, 1 << 32, 16]);
    let nodes = vec![node("ConstantOfShape", "huge", &["s"], &["y"], vec![])];
    let err = import_bytes(&model(nodes, vec![], vec![out("y")], vec![shape], 17), "m");
    let Err(ImportError::FoldBudget {
        node, requested, ..
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((node.as_str(), *requested), ("huge", None));
}

#[test]
fn huge_range_and_broadcast_mod_are_fold_budget_errors() {
    let f = |name: &str, v: f32| init_f32(name, &[], &[v]);
    let nodes = vec![node("Range", "range", &["a", "b", "d"], &["y"], vec![])];
    let inits = vec![f("a", 0.0), f("b", 1e30), f("d", 1.0)];
    let err = import_bytes(&model(nodes, vec![], vec![out("y")], inits, 17), "m");
    assert!(
        matches!(&err, Err(ImportError::FoldBudget { node, .. }) if node == "range"),
        "{err:?}"
    );
    // [2^20, 1] mod [1, 2^20] broadcasts to 2^40 elements, from 2^21 stored ones.
    let n = 1 << 20;
    let a = init_i64("a", &[n, 1], &vec![7; n as usize]);
    let b = init_i64("b", &[1, n], &vec![3; n as usize]);
    let nodes = vec![node("Mod", "mod", &["a", "b"], &["y"], vec![])];
    let err = import_bytes(&model(nodes, vec![], vec![out("y")], vec![a, b], 17), "m");
    let Err(ImportError::FoldBudget {
        node, requested, ..
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((node.as_str(), *requested), ("mod", Some(1 << 40)));
}

#[test]
fn runtime_ops_over_the_fold_budget_stay_nodes() {
    // Three Expands of a constant to 2^23 elements each: two fold (2^24 in all), the third
    // would go over the budget and is kept as an IR node instead of failing.
    let half = BIG / 2;
    let nodes: Vec<_> = (0..3)
        .map(|i| {
            node(
                "Expand",
                &format!("e{i}"),
                &["one", "s"],
                &[&format!("y{i}")],
                vec![],
            )
        })
        .collect();
    let inits = vec![init_f32("one", &[1], &[1.0]), init_i64("s", &[1], &[half])];
    let outs = (0..3).map(|i| out(&format!("y{i}"))).collect();
    let bytes = model(nodes, vec![], outs, inits, 17);
    let r = inspect_bytes(&bytes, "m").unwrap();
    let st: Vec<&NodeStatus> = r.nodes.iter().map(|n| &n.status).collect();
    assert_eq!(
        st,
        [
            &NodeStatus::Folded,
            &NodeStatus::Folded,
            &NodeStatus::Supported
        ]
    );
    let g = import_bytes(&bytes, "m").unwrap();
    assert_eq!(g.nodes.len(), 1);
    assert_eq!(g.nodes[0].name, "e2");
}

#[test]
fn runtime_tensors_over_the_budget_are_a_named_error() {
    let n = (MAX_RUNTIME_ELEMS as i64) * 2;
    let bytes = model(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[1, n])],
        vec![out("y")],
        vec![],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    let ImportError::RuntimeBudget {
        elements,
        budget,
        largest,
        largest_elements,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*elements, Some(2 * n as usize));
    assert_eq!(*budget, MAX_RUNTIME_ELEMS);
    assert_eq!(largest, "x");
    assert_eq!(*largest_elements, Some(n as usize));
    // Within the budget, the same graph imports.
    let ok = model(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[1, n / 4])],
        vec![out("y")],
        vec![],
        17,
    );
    assert!(import_bytes(&ok, "m").is_ok());
}

/// `y = x + w` for an initializer `w`.
fn model_with_bad_initializer(w: TensorProto) -> Vec<u8> {
    model(
        vec![node("Add", "add", &["x", "w"], &["y"], vec![])],
        vec![vi("x", &[1])],
        vec![out("y")],
        vec![w],
        17,
    )
}

#[test]
fn initializer_dims_larger_than_its_data_are_a_named_error() {
    assert_cheap(
        "initializer_dims_larger_than_its_data_are_a_named_error",
        || {
            let raw = |dims: &[i64], bytes: usize| TensorProto {
                name: "w".into(),
                dims: dims.to_vec(),
                data_type: DataType::FLOAT as i32,
                raw_data: vec![0; bytes],
                ..Default::default()
            };
            // 2^40 elements claimed, 4 bytes stored: refused before anything is allocated.
            let bytes = model_with_bad_initializer(raw(&[1 << 40], 4));
            let err = import_bytes(&bytes, "m").unwrap_err();
            let ImportError::TensorSize {
                tensor,
                elements,
                elem_bytes,
                found,
                unit,
                ..
            } = &err
            else {
                panic!("{err}")
            };
            assert_eq!(tensor, "w");
            assert_eq!(*elements, Some(1 << 40));
            assert_eq!((*elem_bytes, *found, *unit), (4, 4, "bytes of raw_data"));
            assert!(err.to_string().contains("\"w\""), "{err}");
            // Dims whose product overflows.
            let bytes = model_with_bad_initializer(raw(&[1 << 40, 1 << 40], 4));
            let err = import_bytes(&bytes, "m").unwrap_err();
            assert!(
                matches!(err, ImportError::TensorSize { elements: None, .. }),
                "{err}"
            );
            // Typed data shorter than the dims.
            let typed = init_f32("w", &[1 << 40], &[1.0]);
            let err = import_bytes(&model_with_bad_initializer(typed), "m").unwrap_err();
            assert!(
                matches!(
                    err,
                    ImportError::TensorSize {
                        found: 1,
                        unit: "typed elements",
                        ..
                    }
                ),
                "{err}"
            );
            // The same check for a Constant node's value.
            let k = node(
                "Constant",
                "k",
                &[],
                &["y"],
                vec![a_tensor("value", raw(&[1 << 40], 4))],
            );
            let bytes = model(vec![k], vec![], vec![out("y")], vec![], 17);
            let err = import_bytes(&bytes, "m").unwrap_err();
            assert!(
                matches!(&err, ImportError::TensorSize { tensor, .. } if tensor == "k.value"),
                "{err}"
            );
            // An unused bad initializer is never read.
            let unused = model(
                vec![node("Relu", "r", &["x"], &["y"], vec![])],
                vec![vi("x", &[1])],
                vec![out("y")],
                vec![raw(&[1 << 40], 4)],
                17,
            );
            assert!(import_bytes(&unused, "m").is_ok());
        },
    );
}

#[test]
fn json_shape_whose_product_overflows_is_a_named_error() {
    let json: serde_json::Value =
        serde_json::from_str(r#"{"x": {"shape": [4294967296, 4294967296, 16], "data": []}}"#)
            .unwrap();
    let err = read_tensor_map(&json).unwrap_err();
    let InputError::ShapeOverflow { tensor, shape } = &err else {
        panic!("{err}")
    };
    assert_eq!(tensor, "x");
    assert_eq!(shape, &[1 << 32, 1 << 32, 16]);
    // The same check through expected.json reading.
    let text = r#"{"outputs": {"y": {"shape": [4294967296, 4294967296, 16], "data": []}}}"#;
    assert!(matches!(
        onnx_import::input_file::read_outputs(text),
        Err(InputError::ShapeOverflow { .. })
    ));
    // Tensor::new never lets a wrapped product match the data.
    assert_eq!(Tensor::new(vec![1 << 32, 1 << 32, 16], vec![]), None);
    assert_eq!(Tensor::new(vec![usize::MAX, 2], vec![]), None);
    assert!(Tensor::new(vec![2, 0], vec![]).is_some());
}

#[test]
fn graph_output_declared_unlike_its_value_info_is_a_named_error() {
    // value_info agrees with the inferred [2, 3]; the graph output itself says [3, 2].
    let mut m = model_proto(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[2, 3])],
        vec![vi("y", &[3, 2])],
        vec![],
        17,
    );
    if let Some(g) = m.graph.as_mut() {
        g.value_info.push(vi("y", &[2, 3]));
    }
    use onnx_protobuf::Message;
    let err = import_bytes(&m.write_to_bytes().unwrap(), "m").unwrap_err();
    let ImportError::OutputShape {
        tensor,
        declared,
        inferred,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(tensor, "y");
    assert_eq!(declared, &[Some(3), Some(2)]);
    assert_eq!(inferred, &[2, 3]);
    // A graph output that is an initializer, declared with the wrong shape.
    let bytes = model(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[2])],
        vec![out("y"), vi("w", &[4])],
        vec![init_f32("w", &[3], &[1.0, 2.0, 3.0])],
        17,
    );
    let err = import_bytes(&bytes, "m").unwrap_err();
    assert!(
        matches!(&err, ImportError::OutputShape { tensor, .. } if tensor == "w"),
        "{err}"
    );
    // A symbolic declared dimension agrees with any size.
    let ok = model(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![vi("x", &[2, 3])],
        vec![vi("y", &[-1, 3])],
        vec![],
        17,
    );
    assert!(import_bytes(&ok, "m").is_ok());
}

#[test]
fn unused_unsupported_node_and_unused_input_do_not_change_the_inputs() {
    // An unsupported node no output depends on is skipped; a declared graph input that no
    // node reads stays an input of the graph (the statement lists it).
    let bytes = model(
        vec![
            node("Relu", "r", &["x"], &["y"], vec![]),
            node("Det", "det", &["z"], &["d"], vec![]),
        ],
        vec![vi("x", &[2]), vi("z", &[2, 2])],
        vec![out("y")],
        vec![],
        17,
    );
    let g = import_bytes(&bytes, "m").unwrap();
    let names: Vec<&str> = g
        .inputs
        .iter()
        .map(|&i| g.values[i].name.as_str())
        .collect();
    assert_eq!(names, ["x", "z"]);
    assert_eq!(g.nodes.len(), 1);
}
