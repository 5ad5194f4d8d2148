//! What the model benchmarks share: fixtures, the cached local SRS, and a model compiled and
//! set up in a temporary directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use onnx_import::ir::Tensor;
use zkinfer::{compile, setup, CompileOptions, Compiled, Samples, SrsSource};

/// `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The local insecure SRS, cached in `target/bench-srs-cache` (benchmarks only).
pub fn bench_srs() -> SrsSource {
    SrsSource::Local {
        cache_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-srs-cache"),
    }
}

/// A fixture compiled with default options (calibrated on its input file) and set up.
pub struct SetUp {
    /// The model directory (removed on drop).
    pub dir: tempfile::TempDir,
    /// The compiled model.
    pub compiled: Compiled,
    /// The fixture's input, read for the compiled graph.
    pub inputs: Vec<Tensor>,
}

/// Compiles and sets up fixture `name`, printing its k.
pub fn set_up(name: &str, srs: &SrsSource) -> SetUp {
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
    let report = setup(dir.path(), srs).unwrap();
    eprintln!("{name}: k = {}", report.k);
    SetUp {
        dir,
        compiled,
        inputs,
    }
}
