//! Proving a fixed-size instance of each op family (criterion).
//!
//! `cargo bench --bench ops` — run by hand, not in CI. Each graph is built directly in the IR
//! (no ONNX file), quantized at scale 2^10 with a 2^20 range bound; key generation happens
//! once outside the timed loop; the local insecure SRS is cached in `target/bench-srs-cache`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::Path;

use circuits::fixed::quantize_inputs;
use circuits::halo2::plan;
use circuits::QuantParams;
use criterion::{criterion_group, criterion_main, Criterion};
use onnx_import::ir::{ConvAttrs, Graph, Node, Op, Pads, PoolAttrs, Tensor, Value, ValueKind};
use prover::{no_progress, ProveOptions};

fn value(name: &str, shape: &[usize], kind: ValueKind) -> Value {
    Value {
        name: name.into(),
        shape: shape.to_vec(),
        kind,
    }
}

fn weights(shape: &[usize]) -> ValueKind {
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|i| ((i * 37 % 101) as f64 / 101.0) - 0.5)
        .collect();
    ValueKind::Constant(Tensor {
        shape: shape.to_vec(),
        data,
    })
}

/// A one-node graph: inputs `x` (and `y` when `two_inputs`), optional constants, one output.
fn graph(
    op: Op,
    in_shape: &[usize],
    consts: &[&[usize]],
    two_inputs: bool,
    out: &[usize],
) -> Graph {
    let mut values = vec![value("x", in_shape, ValueKind::Input)];
    if two_inputs {
        values.push(value("y", in_shape, ValueKind::Input));
    }
    for (i, c) in consts.iter().enumerate() {
        values.push(value(&format!("c{i}"), c, weights(c)));
    }
    values.push(value("out", out, ValueKind::Intermediate));
    let n = values.len();
    let inputs: Vec<usize> = if two_inputs { vec![0, 1] } else { vec![0] };
    Graph {
        nodes: vec![Node {
            name: "op".into(),
            op,
            inputs: (0..n - 1).collect(),
            outputs: vec![n - 1],
        }],
        values,
        inputs,
        outputs: vec![n - 1],
        opset: 17,
        input_info: Default::default(),
    }
}

fn pool(kernel: usize) -> PoolAttrs {
    PoolAttrs {
        kernel: vec![kernel, kernel],
        strides: vec![kernel, kernel],
        pads: Pads::zeros(2),
        dilations: vec![1, 1],
        count_include_pad: false,
        ceil_mode: false,
    }
}

fn cases() -> Vec<(&'static str, Graph)> {
    let conv = ConvAttrs {
        kernel: vec![3, 3],
        strides: vec![1, 1],
        pads: Pads::uniform(2, 1),
        dilations: vec![1, 1],
        group: 1,
    };
    vec![
        (
            "gemm_256x64",
            graph(Op::MatMul, &[1, 256], &[&[256, 64]], false, &[1, 64]),
        ),
        (
            "conv_4x16x16_to_8_3x3",
            graph(
                Op::Conv(conv),
                &[1, 4, 16, 16],
                &[&[8, 4, 3, 3], &[8]],
                false,
                &[1, 8, 16, 16],
            ),
        ),
        (
            "relu_4096",
            graph(Op::Relu, &[1, 4096], &[], false, &[1, 4096]),
        ),
        (
            "add_4096",
            graph(Op::Add, &[1, 4096], &[], true, &[1, 4096]),
        ),
        (
            "maxpool2_8x16x16",
            graph(
                Op::MaxPool(pool(2)),
                &[1, 8, 16, 16],
                &[],
                false,
                &[1, 8, 8, 8],
            ),
        ),
        (
            "avgpool2_8x16x16",
            graph(
                Op::AveragePool(pool(2)),
                &[1, 8, 16, 16],
                &[],
                false,
                &[1, 8, 8, 8],
            ),
        ),
        (
            "reducemean_64x64",
            graph(
                Op::ReduceMean {
                    axes: vec![1],
                    keepdims: true,
                },
                &[64, 64],
                &[],
                false,
                &[64, 1],
            ),
        ),
    ]
}

fn bench_ops(c: &mut Criterion) {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-srs-cache");
    let params = QuantParams::new(10, 10, 20);
    let mut group = c.benchmark_group("op");
    group.sample_size(10);
    for (name, g) in cases() {
        let inputs: Vec<Tensor> = g
            .inputs
            .iter()
            .map(|&id| {
                let shape = g.values[id].shape.clone();
                let n: usize = shape.iter().product();
                Tensor {
                    shape,
                    data: (0..n)
                        .map(|i| ((i * 13 % 29) as f64 / 29.0) - 0.5)
                        .collect(),
                }
            })
            .collect();
        let q = quantize_inputs(&g, &params, &inputs).unwrap();
        let mut shape = plan(&g, &params).unwrap();
        let (srs, _, _) = prover::local_srs(shape.k, &cache).unwrap();
        let keys = prover::setup(&g, &params, &shape, &srs, &no_progress).unwrap();
        shape.break_points = keys.break_points.clone();
        eprintln!(
            "{name}: k = {}, advice columns = {:?}",
            shape.k, shape.config.num_advice_per_phase
        );
        let opts = ProveOptions {
            self_check: false,
            ..ProveOptions::default()
        };
        group.bench_function(format!("{name}/prove"), |b| {
            b.iter(|| {
                prover::prove(&g, &params, &shape, &srs, &keys.pk, &q, &opts, &no_progress).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_ops);
criterion_main!(benches);
