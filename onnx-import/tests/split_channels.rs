//! Channel splitting (`onnx_import::split::split_channels`): the rewritten model computes
//! what the original does, its carries are single-tensor cut points, and segments cut at
//! them chain to the whole model's output.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use onnx_import::eval::eval_graph;
use onnx_import::input_file::parse_inputs;
use onnx_import::ir::{Graph, Tensor};
use onnx_import::split::{channel_chains, cut_points, extract, split_channels};
use onnx_protobuf::{Message, ModelProto};

use common::{a_int, a_ints, init_f32, model, node, out, vi};

fn load(name: &str) -> (Vec<u8>, Graph, Vec<Tensor>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    let bytes = std::fs::read(dir.join("network.onnx")).unwrap();
    let graph = onnx_import::import_bytes(&bytes, name).unwrap();
    let json = std::fs::read_to_string(dir.join("input.json")).unwrap();
    let inputs = parse_inputs(&json, &graph).unwrap();
    (bytes, graph, inputs)
}

/// The largest absolute difference; the outputs must agree in count and shape.
fn max_diff(a: &[Tensor], b: &[Tensor]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            assert_eq!(x.shape, y.shape);
            x.data.iter().zip(&y.data).map(|(p, q)| (p - q).abs())
        })
        .fold(0.0, f64::max)
}

fn op_types(bytes: &[u8]) -> Vec<String> {
    let m = ModelProto::parse_from_bytes(bytes).unwrap();
    m.graph.node.iter().map(|n| n.op_type.clone()).collect()
}

/// Evaluates the segments between consecutive cut points (all of them) in sequence.
fn chained(bytes: &[u8], graph: &Graph, inputs: &[Tensor]) -> Vec<Tensor> {
    let cuts = cut_points(bytes, "m", graph).unwrap();
    let n = op_types(bytes).len();
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|c| c.after + 1));
    bounds.push(n);
    let mut current = inputs.to_vec();
    for w in bounds.windows(2) {
        let sub = extract(bytes, "m", graph, w[0], w[1]).unwrap();
        let g = onnx_import::import_bytes(&sub, "segment").unwrap();
        current = eval_graph(&g, &current).unwrap();
    }
    current
}

#[test]
fn lenet5_chains_are_the_two_conv_relu_pool_runs() {
    let (bytes, graph, _) = load("lenet5");
    let chains = channel_chains(&bytes, "lenet5", &graph).unwrap();
    let found: Vec<(usize, usize, usize)> =
        chains.iter().map(|c| (c.conv, c.end, c.channels)).collect();
    assert_eq!(found, vec![(0, 3, 6), (3, 6, 16)]);
}

#[test]
fn lenet5_split_into_channel_groups_computes_the_same_outputs() {
    let (bytes, graph, inputs) = load("lenet5");
    let whole = eval_graph(&graph, &inputs).unwrap();
    let original_cuts = cut_points(&bytes, "lenet5", &graph).unwrap().len();
    for groups in [2, 3, 6, 20] {
        let split = split_channels(&bytes, "lenet5", &graph, groups).unwrap();
        let g2 = onnx_import::import_bytes(&split, "split").unwrap();
        let got = eval_graph(&g2, &inputs).unwrap();
        let d = max_diff(&got, &whole);
        assert!(d <= 1e-6, "{groups} groups: max diff {d}");
        // Each chain adds one carry cut per extra group and loses its two inner cuts.
        let g1 = groups.min(6) - 1;
        let g2n = groups.min(16) - 1;
        let cuts = cut_points(&split, "split", &g2).unwrap();
        assert_eq!(cuts.len(), original_cuts - 4 + g1 + g2n, "{groups} groups");
        let carries: Vec<&[usize]> = cuts
            .iter()
            .filter(|c| c.tensor.contains("carry"))
            .map(|c| c.shape.as_slice())
            .collect();
        assert_eq!(carries.len(), g1 + g2n);
        // The first carry holds the 784 input pixels and the first group's pooled channels.
        let per = 6usize.div_ceil(groups.min(6));
        assert_eq!(carries[0], &[1, 784 + per * 14 * 14][..]);
        let d = max_diff(&chained(&split, &g2, &inputs), &whole);
        assert!(d <= 1e-6, "{groups} groups, chained: max diff {d}");
    }
    // One group is the model itself.
    assert_eq!(split_channels(&bytes, "lenet5", &graph, 1).unwrap(), bytes);
}

/// Conv(group 2) is not split; a Conv whose output is also read elsewhere ends its chain
/// at the Conv; a chain stops before a non-per-channel op.
fn mixed() -> Vec<u8> {
    let w: Vec<f32> = (0..4 * 2 * 3 * 3)
        .map(|i| (i as f32 * 0.37).sin())
        .collect();
    let wg: Vec<f32> = (0..4 * 2 * 3 * 3)
        .map(|i| (i as f32 * 0.11).cos())
        .collect();
    let b: Vec<f32> = vec![0.1, -0.2, 0.3, -0.4];
    model(
        vec![
            node(
                "Conv",
                "c0",
                &["x", "w", "b"],
                &["a"],
                vec![a_ints("pads", &[1, 1, 1, 1])],
            ),
            node("Relu", "r0", &["a"], &["ar"], vec![]),
            node("Add", "add", &["ar", "ar"], &["s"], vec![]),
            node(
                "Conv",
                "c1",
                &["s", "wg"],
                &["t"],
                vec![a_int("group", 2), a_ints("pads", &[1, 1, 1, 1])],
            ),
            node(
                "Conv",
                "c2",
                &["t", "w2"],
                &["u"],
                vec![a_ints("pads", &[1, 1, 1, 1])],
            ),
            node("Add", "add2", &["u", "t"], &["y"], vec![]),
        ],
        vec![vi("x", &[1, 2, 5, 5])],
        vec![out("y")],
        vec![
            init_f32("w", &[4, 2, 3, 3], &w),
            init_f32("b", &[4], &b),
            init_f32("wg", &[4, 2, 3, 3], &wg),
            init_f32("w2", &[4, 4, 3, 3], &[w.clone(), wg.clone()].concat()),
        ],
        17,
    )
}

#[test]
fn chains_stop_where_channels_mix_and_the_rewrite_matches() {
    let bytes = mixed();
    let graph = onnx_import::import_bytes(&bytes, "mixed").unwrap();
    let chains = channel_chains(&bytes, "mixed", &graph).unwrap();
    let found: Vec<(usize, usize)> = chains.iter().map(|c| (c.conv, c.end)).collect();
    // c0 + r0 (the Add reads ar twice: not per channel); c1 has group 2; c2 alone (its
    // output is read by the Add, a non-chain op).
    assert_eq!(found, vec![(0, 2), (4, 5)]);
    let x: Vec<f64> = (0..50).map(|i| ((i * 7 % 11) as f64 - 5.0) / 5.0).collect();
    let inputs = vec![Tensor::new(vec![1, 2, 5, 5], x).unwrap()];
    let whole = eval_graph(&graph, &inputs).unwrap();
    for groups in [2, 3, 4] {
        let split = split_channels(&bytes, "mixed", &graph, groups).unwrap();
        let g2 = onnx_import::import_bytes(&split, "split").unwrap();
        let d = max_diff(&eval_graph(&g2, &inputs).unwrap(), &whole);
        assert!(d <= 1e-6, "{groups} groups: max diff {d}");
        let d = max_diff(&chained(&split, &g2, &inputs), &whole);
        assert!(d <= 1e-6, "{groups} groups, chained: max diff {d}");
    }
}

#[test]
fn models_before_opset_10_are_left_alone() {
    let (bytes, graph, _) = load("lenet5");
    let mut m = ModelProto::parse_from_bytes(&bytes).unwrap();
    for o in &mut m.opset_import {
        o.version = 9;
    }
    let old = m.write_to_bytes().unwrap();
    assert!(channel_chains(&old, "old", &graph).unwrap().is_empty());
    assert_eq!(split_channels(&old, "old", &graph, 3).unwrap(), old);
}

/// A bias that is not one value per output channel cannot be sliced with the weights: the
/// Conv heads no chain (and nothing panics).
#[test]
fn a_conv_whose_bias_is_not_per_channel_is_no_chain() {
    let bytes = mixed();
    let graph = onnx_import::import_bytes(&bytes, "mixed").unwrap();
    let mut m = ModelProto::parse_from_bytes(&bytes).unwrap();
    let b = m
        .graph
        .mut_or_insert_default()
        .initializer
        .iter_mut()
        .find(|t| t.name == "b")
        .unwrap();
    b.dims = vec![3];
    b.float_data.truncate(3);
    let bad = m.write_to_bytes().unwrap();
    let chains = channel_chains(&bad, "bad", &graph).unwrap();
    assert_eq!(chains.iter().map(|c| c.conv).collect::<Vec<_>>(), vec![4]);
    assert!(split_channels(&bad, "bad", &graph, 2).is_ok());
}
