//! Prove time per backend (criterion): the CPU, and the GPU when this build has the `cuda`
//! feature and a CUDA device answers, on the four reference models and LeNet-5.
//!
//! `cargo bench --bench backends` (CPU only), or on a GPU machine
//! `cargo bench --features cuda --bench backends` — heavy; run by hand, not in CI. On a GPU
//! machine without a Rust toolchain use `scripts/gpu-check.sh` (same models, plus the
//! equivalence checks). The local insecure SRS is cached in `target/bench-srs-cache`.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use zkinfer::{default_transcript, prove_with, verify_with, Device, ProveOptions, VerifyOptions};

use common::{bench_srs, set_up};

const MODELS: [&str; 5] = [
    "digits_mlp16",
    "digits_conv",
    "mlp_chain",
    "cnn_chain",
    "lenet5",
];

fn bench_backends(c: &mut Criterion) {
    let srs = bench_srs();
    let gpu = prover::backend::probe();
    match &gpu {
        Ok(d) => eprintln!("CUDA device {d}: benchmarking cpu and cuda"),
        Err(why) => eprintln!("no GPU backend ({why}): benchmarking cpu only"),
    }
    let mut devices = vec![Device::Cpu];
    if gpu.is_ok() {
        devices.push(Device::Cuda);
    }
    let mut group = c.benchmark_group("backend");
    group.sample_size(10);
    for name in MODELS {
        let m = set_up(name, &srs);
        let (dir, compiled, inputs) = (&m.dir, &m.compiled, &m.inputs);
        let allow = VerifyOptions {
            allow_insecure_srs: true,
        };
        for &device in &devices {
            let opts = ProveOptions {
                transcript: default_transcript(&compiled.settings),
                device,
                // Timed alone; each backend's proof is verified once below.
                self_check: false,
                ..ProveOptions::default()
            };
            let art = prove_with(dir.path(), inputs, &opts, &prover::no_progress).unwrap();
            verify_with(dir.path(), &art, &allow).unwrap();
            group.bench_function(format!("{name}/prove/{device}"), |b| {
                b.iter(|| prove_with(dir.path(), inputs, &opts, &prover::no_progress).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_backends);
criterion_main!(benches);
