//! Prove time of each parameter visibility (criterion): `fixed`, `private`, `hashed` and
//! `committed` weights on `digits_mlp16` and the small conv fixture `digits_conv`, each model
//! compiled once per mode, public inputs and outputs.
//!
//! `cargo bench --bench visibility` — run by hand, not in CI. The LeNet-5 numbers in the
//! README come from `prover/examples/visibility_cost.rs` (one proof per mode: a hashed
//! LeNet-5 proof takes minutes). The local insecure SRS is cached in `target/bench-srs-cache`.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use circuits::visibility::{ParamVisibility, Visibilities};
use criterion::{criterion_group, criterion_main, Criterion};
use zkinfer::{compile, prove, setup, CompileOptions, Samples};

use common::fixture;

const MODELS: [&str; 2] = ["digits_mlp16", "digits_conv"];
const MODES: [ParamVisibility; 4] = [
    ParamVisibility::Fixed,
    ParamVisibility::Private,
    ParamVisibility::Hashed,
    ParamVisibility::Committed,
];

fn bench_visibility(c: &mut Criterion) {
    let srs = common::bench_srs();
    let mut group = c.benchmark_group("param-visibility");
    group.sample_size(10);
    for name in MODELS {
        let src = fixture(name);
        for params in MODES {
            let dir = tempfile::tempdir().unwrap();
            let opts = CompileOptions {
                visibility: Visibilities {
                    params,
                    ..Visibilities::default()
                },
                ..CompileOptions::default()
            };
            let samples = Samples::Files(vec![src.join("input.json")]);
            let compiled = compile(&src.join("network.onnx"), &samples, &opts).unwrap();
            compiled.save(dir.path()).unwrap();
            let inputs =
                onnx_import::input_file::read_inputs(&src.join("input.json"), &compiled.graph)
                    .unwrap();
            let report = setup(dir.path(), &srs).unwrap();
            eprintln!("{name} {params}: k = {}", report.k);
            group.bench_function(format!("{name}/{params}/prove"), |b| {
                b.iter(|| prove(dir.path(), &inputs).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_visibility);
criterion_main!(benches);
