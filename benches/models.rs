//! Setup, prove and verify of the four reference models (criterion).
//!
//! `cargo bench --bench models` — heavy; run by hand, not in CI. Each model is compiled once
//! (calibrated on its input file) into a temporary directory; the local insecure SRS is cached
//! in `target/bench-srs-cache`.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use zkinfer::{prove, setup, verify_with, VerifyOptions};

use common::{bench_srs, set_up};

const MODELS: [&str; 4] = ["digits_mlp16", "digits_conv", "mlp_chain", "cnn_chain"];

fn bench_models(c: &mut Criterion) {
    let srs = bench_srs();
    let mut group = c.benchmark_group("model");
    group.sample_size(10);
    for name in MODELS {
        let m = set_up(name, &srs);
        let (dir, inputs) = (&m.dir, &m.inputs);
        group.bench_function(format!("{name}/setup"), |b| {
            b.iter(|| setup(dir.path(), &srs).unwrap())
        });
        group.bench_function(format!("{name}/prove"), |b| {
            b.iter(|| prove(dir.path(), inputs).unwrap())
        });
        let art = prove(dir.path(), inputs).unwrap();
        group.bench_function(format!("{name}/verify"), |b| {
            // The local SRS is insecure: allowed explicitly (benchmarks only).
            let allow = VerifyOptions {
                allow_insecure_srs: true,
            };
            b.iter(|| verify_with(dir.path(), &art, &allow).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_models);
criterion_main!(benches);
