//! Setup, prove and verify of the four reference models (criterion).
//!
//! `cargo bench --bench models` — heavy; run by hand, not in CI. Each model is compiled once
//! (calibrated on its input file) into a temporary directory; the local insecure SRS is cached
//! in `target/bench-srs-cache`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use zkinfer::{
    compile, prove, setup, verify_with, CompileOptions, Samples, SrsSource, VerifyOptions,
};

const MODELS: [&str; 4] = ["digits_mlp16", "digits_conv", "mlp_chain", "cnn_chain"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn bench_models(c: &mut Criterion) {
    let cache_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-srs-cache");
    let srs = SrsSource::Local { cache_dir };
    let mut group = c.benchmark_group("model");
    group.sample_size(10);
    for name in MODELS {
        let src = fixture(name);
        let dir = tempfile::tempdir().unwrap();
        let samples = Samples::Files(vec![src.join("input.json")]);
        let compiled = compile(
            &src.join("network.onnx"),
            &samples,
            &CompileOptions::default(),
        )
        .unwrap();
        compiled.save(dir.path()).unwrap();
        let inputs =
            onnx_import::input_file::read_inputs(&src.join("input.json"), &compiled.graph).unwrap();
        let report = setup(dir.path(), &srs).unwrap();
        eprintln!("{name}: k = {}", report.k);
        group.bench_function(format!("{name}/setup"), |b| {
            b.iter(|| setup(dir.path(), &srs).unwrap())
        });
        group.bench_function(format!("{name}/prove"), |b| {
            b.iter(|| prove(dir.path(), &inputs).unwrap())
        });
        let art = prove(dir.path(), &inputs).unwrap();
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
