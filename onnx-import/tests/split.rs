//! Cutting ONNX models into segments (`onnx_import::split`): cut points of the fixtures,
//! segments that import on their own and evaluate in sequence to the whole model's output,
//! and the errors of bad ranges.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use onnx_import::error::ImportError;
use onnx_import::eval::eval_graph;
use onnx_import::input_file::parse_inputs;
use onnx_import::ir::{Graph, Tensor};
use onnx_import::split::{cut_points, extract, CutPoint};
use onnx_protobuf::{Message, ModelProto};

use common::{a_int, a_tensor, init_f32, model, node, out, vi};

/// Segments evaluated in sequence agree with the whole model to this (absolute) tolerance.
const TOL: f64 = 1e-6;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// The fixture's bytes, its import and the inputs of its input.json.
fn load(name: &str) -> (Vec<u8>, Graph, Vec<Tensor>) {
    let dir = fixtures_dir().join(name);
    let bytes = std::fs::read(dir.join("network.onnx")).unwrap();
    let graph = onnx_import::import_bytes(&bytes, name).unwrap();
    let json = std::fs::read_to_string(dir.join("input.json")).unwrap();
    let inputs = parse_inputs(&json, &graph).unwrap();
    (bytes, graph, inputs)
}

fn node_count(bytes: &[u8]) -> usize {
    ModelProto::parse_from_bytes(bytes)
        .unwrap()
        .graph
        .node
        .len()
}

fn op_types(bytes: &[u8]) -> Vec<String> {
    let m = ModelProto::parse_from_bytes(bytes).unwrap();
    m.graph.node.iter().map(|n| n.op_type.clone()).collect()
}

fn max_diff(a: &[Tensor], b: &[Tensor]) -> f64 {
    assert_eq!(a.len(), b.len(), "output count");
    let mut worst = 0f64;
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.shape, y.shape, "output shape");
        for (p, q) in x.data.iter().zip(&y.data) {
            worst = worst.max((p - q).abs());
        }
    }
    worst
}

/// Extracts the segments between consecutive `bounds` (node indices, starting at 0 and
/// ending at the node count), imports each with default options and evaluates them in
/// sequence on `inputs`; returns the last segment's outputs.
fn run_segments(
    name: &str,
    bytes: &[u8],
    graph: &Graph,
    bounds: &[usize],
    inputs: &[Tensor],
) -> Vec<Tensor> {
    let mut current = inputs.to_vec();
    for w in bounds.windows(2) {
        let (start, end) = (w[0], w[1]);
        let sub = extract(bytes, name, graph, start, end)
            .unwrap_or_else(|e| panic!("{name} [{start},{end}): {e}"));
        let label = format!("{name}[{start},{end})");
        let g = onnx_import::import_bytes(&sub, &label)
            .unwrap_or_else(|e| panic!("{label} does not import: {e}"));
        assert!(g.input_info.dims.is_empty(), "{label}: free input dims");
        current = eval_graph(&g, &current).unwrap_or_else(|e| panic!("{label}: {e}"));
        if end < *bounds.last().unwrap() {
            assert_eq!(current.len(), 1, "{label}: one boundary output");
        }
    }
    current
}

/// Checks every single cut (two segments) and the chain of all cuts against the whole model;
/// returns the cut points.
fn check_fixture(name: &str) -> Vec<CutPoint> {
    let (bytes, graph, inputs) = load(name);
    let whole = eval_graph(&graph, &inputs).unwrap();
    let cuts = cut_points(&bytes, name, &graph).unwrap();
    let n = node_count(&bytes);
    for c in &cuts {
        let is_input = graph
            .inputs
            .iter()
            .any(|&i| graph.values[i].name == c.tensor);
        assert!(
            !is_input,
            "{name}: cut after {} passes a graph input on",
            c.after
        );
        let got = run_segments(name, &bytes, &graph, &[0, c.after + 1, n], &inputs);
        let d = max_diff(&got, &whole);
        assert!(d <= TOL, "{name}: cut after {}: max diff {d}", c.after);
    }
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|c| c.after + 1));
    bounds.push(n);
    let got = run_segments(name, &bytes, &graph, &bounds, &inputs);
    let d = max_diff(&got, &whole);
    assert!(d <= TOL, "{name}: all {} cuts: max diff {d}", cuts.len());
    cuts
}

fn describe(bytes: &[u8], cuts: &[CutPoint]) -> Vec<String> {
    let ops = op_types(bytes);
    cuts.iter()
        .map(|c| format!("{}:{} {} {:?}", c.after, ops[c.after], c.tensor, c.shape))
        .collect()
}

#[test]
fn lenet5_cuts_after_every_node_but_the_last() {
    let cuts = check_fixture("lenet5");
    let (bytes, _, _) = load("lenet5");
    let ops = op_types(&bytes);
    eprintln!("lenet5 ops {ops:?}\ncuts {:#?}", describe(&bytes, &cuts));
    let after: Vec<usize> = cuts.iter().map(|c| c.after).collect();
    assert_eq!(after, (0..ops.len() - 1).collect::<Vec<_>>());
    let shapes: Vec<&[usize]> = cuts.iter().map(|c| c.shape.as_slice()).collect();
    assert_eq!(
        shapes,
        [
            &[1, 6, 28, 28][..],
            &[1, 6, 28, 28],
            &[1, 6, 14, 14],
            &[1, 16, 10, 10],
            &[1, 16, 10, 10],
            &[1, 16, 5, 5],
            &[1, 400],
            &[1, 120],
            &[1, 120],
            &[1, 84],
            &[1, 84],
        ]
    );
}

#[test]
fn mlp_chain_cuts_after_every_node_but_the_last() {
    let cuts = check_fixture("mlp_chain");
    let (bytes, _, _) = load("mlp_chain");
    let ops = op_types(&bytes);
    eprintln!("mlp_chain ops {ops:?}\ncuts {:#?}", describe(&bytes, &cuts));
    let after: Vec<usize> = cuts.iter().map(|c| c.after).collect();
    assert_eq!(after, (0..ops.len() - 1).collect::<Vec<_>>());
}

#[test]
fn cnn_chain_segments_match_the_whole_model() {
    let cuts = check_fixture("cnn_chain");
    let (bytes, _, _) = load("cnn_chain");
    eprintln!("cnn_chain cuts {:#?}", describe(&bytes, &cuts));
    assert!(!cuts.is_empty());
}

/// encoder_block keeps its exporter's Constant / Shape / Gather shape arithmetic (all inside
/// the attention, left of the first cut); the segments right of it copy the GELU's
/// Constant nodes. (Shape values carried over a cut: see the hand-built test below.)
#[test]
fn encoder_block_segments_with_shape_arithmetic_match() {
    let cuts = check_fixture("encoder_block");
    let (bytes, _, _) = load("encoder_block");
    eprintln!("encoder_block cuts {:#?}", describe(&bytes, &cuts));
    let ops = op_types(&bytes);
    let first_shape = ops.iter().position(|o| o == "Shape").unwrap();
    assert!(first_shape < 70, "Shape at {first_shape}");
    // The residual connections leave the two Adds and the first LayerNorm; the two leading
    // Constant nodes would pass the graph input on unchanged, so they are no cuts.
    let after: Vec<usize> = cuts.iter().map(|c| c.after).collect();
    assert_eq!(after, [70, 71, 84]);
}

/// Every fixture that imports: the chain of all its cuts evaluates to the whole model.
#[test]
fn every_importable_fixture_splits_consistently() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("network.onnx").is_file() && p.join("input.json").is_file())
        .collect();
    dirs.sort();
    let mut split = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(dir.join("network.onnx")).unwrap();
        if onnx_import::import_bytes(&bytes, &name).is_err() {
            continue;
        }
        let cuts = check_fixture(&name);
        split.push(format!("{name}:{}", cuts.len()));
    }
    eprintln!("fixtures and their cut counts: {split:?}");
    assert!(split.len() >= 40, "only {} fixtures checked", split.len());
}

/// x -> Relu(a) -> Relu(b) -> Add(b, x) -> Relu(y): the residual makes two runtime tensors
/// cross the cuts after nodes 0 and 1; only the cut after the Add is valid.
fn residual() -> Vec<u8> {
    model(
        vec![
            node("Relu", "r0", &["x"], &["a"], vec![]),
            node("Relu", "r1", &["a"], &["b"], vec![]),
            node("Add", "add", &["b", "x"], &["c"], vec![]),
            node("Relu", "r3", &["c"], &["y"], vec![]),
        ],
        vec![vi("x", &[-1, 4])],
        vec![out("y")],
        vec![],
        17,
    )
}

#[test]
fn residual_has_one_cut_and_bad_ranges_are_named_errors() {
    let bytes = residual();
    let graph = onnx_import::import_bytes(&bytes, "residual").unwrap();
    let cuts = cut_points(&bytes, "residual", &graph).unwrap();
    assert_eq!(
        cuts,
        [CutPoint {
            after: 2,
            tensor: "c".into(),
            shape: vec![1, 4]
        }]
    );
    for (start, end) in [(2, 2), (3, 1), (0, 5), (4, 4), (usize::MAX, 0)] {
        let e = extract(&bytes, "residual", &graph, start, end).unwrap_err();
        assert!(
            matches!(e, ImportError::SegmentRange { start: s, end: t, nodes: 4, .. } if s == start && t == end),
            "[{start},{end}): {e:?}"
        );
    }
    for (start, end, after) in [(1, 4, 0), (2, 4, 1), (0, 1, 0), (0, 2, 1), (1, 3, 0)] {
        let e = extract(&bytes, "residual", &graph, start, end).unwrap_err();
        match e {
            ImportError::NoCut {
                after_node, valid, ..
            } => {
                assert_eq!((after_node, valid), (after, vec![2]), "[{start},{end})");
            }
            e => panic!("[{start},{end}): {e:?}"),
        }
    }
    // The symbolic batch dim of x is bound to 1 in the first segment's input.
    let x = Tensor::new(vec![1, 4], vec![-1.0, 2.0, -3.0, 4.0]).unwrap();
    let whole = eval_graph(&graph, std::slice::from_ref(&x)).unwrap();
    let got = run_segments("residual", &bytes, &graph, &[0, 3, 4], &[x]);
    assert_eq!(got, whole);
}

/// A Shape before the cut whose value a Reshape after it reads becomes an initializer;
/// a Constant before the cut is copied into the segment.
#[test]
fn shape_and_constant_before_a_cut_are_carried_into_the_segment() {
    let bytes = model(
        vec![
            node("Relu", "r0", &["x"], &["a"], vec![]),
            node("Shape", "shape", &["a"], &["s"], vec![]),
            node(
                "Constant",
                "k",
                &[],
                &["k"],
                vec![a_tensor("value", init_f32("", &[1], &[0.5]))],
            ),
            node("Mul", "mul", &["a", "w"], &["b"], vec![]),
            node("Flatten", "flat", &["b"], &["f"], vec![a_int("axis", 1)]),
            node("Reshape", "reshape", &["f", "s"], &["c"], vec![]),
            node("Add", "add", &["c", "k"], &["y"], vec![]),
        ],
        vec![vi("x", &[-1, 2, 3])],
        vec![out("y")],
        vec![init_f32("w", &[3], &[1.0, 2.0, 3.0])],
        17,
    );
    let graph = onnx_import::import_bytes(&bytes, "shapes").unwrap();
    let cuts = cut_points(&bytes, "shapes", &graph).unwrap();
    let after: Vec<usize> = cuts.iter().map(|c| c.after).collect();
    assert_eq!(after, [0, 1, 2, 3, 4, 5]);
    assert_eq!(cuts[4].shape, [1, 6]);
    let x = Tensor::new(vec![1, 2, 3], vec![1.0, -2.0, 3.0, -4.0, 5.0, 6.0]).unwrap();
    let whole = eval_graph(&graph, std::slice::from_ref(&x)).unwrap();
    for bounds in [
        &[0, 1, 7][..],
        &[0, 2, 7],
        &[0, 5, 7],
        &[0, 6, 7],
        &[0, 1, 2, 3, 4, 5, 6, 7],
    ] {
        let got = run_segments("shapes", &bytes, &graph, bounds, std::slice::from_ref(&x));
        assert_eq!(got, whole, "{bounds:?}");
    }
    // The last-but-one segment holds the Reshape: s comes in as an INT64 initializer, the
    // Constant node is copied, w is not needed.
    let sub = extract(&bytes, "shapes", &graph, 5, 7).unwrap();
    let g = ModelProto::parse_from_bytes(&sub).unwrap().graph.unwrap();
    let names: Vec<&str> = g.node.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["k", "reshape", "add"]);
    let inits: Vec<(&str, &[i64])> = g
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t.int64_data.as_slice()))
        .collect();
    assert_eq!(inits, [("s", &[1, 2, 3][..])]);
    assert_eq!(g.input.len(), 1);
    assert_eq!(g.input[0].name, "f");
}

#[test]
fn nodes_out_of_topological_order_are_an_error() {
    let bytes = model(
        vec![
            node("Relu", "late", &["a"], &["y"], vec![]),
            node("Relu", "early", &["x"], &["a"], vec![]),
        ],
        vec![vi("x", &[1, 2])],
        vec![out("y")],
        vec![],
        17,
    );
    let graph = onnx_import::import_bytes(&bytes, "unordered").unwrap();
    let e = cut_points(&bytes, "unordered", &graph).unwrap_err();
    assert!(
        matches!(&e, ImportError::SplitOrder { index: 0, node, input, .. } if node == "late" && input == "a"),
        "{e:?}"
    );
    let e = extract(&bytes, "unordered", &graph, 0, 2).unwrap_err();
    assert!(matches!(e, ImportError::SplitOrder { .. }), "{e:?}");
}

#[test]
fn undecodable_bytes_are_an_error() {
    let (_, graph, _) = load("mlp_chain");
    let e = cut_points(&[0xff, 0xff], "junk", &graph).unwrap_err();
    assert!(matches!(e, ImportError::Decode { .. }), "{e:?}");
    let e = extract(&[], "junk", &graph, 0, 1).unwrap_err();
    assert!(matches!(e, ImportError::Decode { .. }), "{e:?}");
}
