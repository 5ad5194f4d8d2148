//! Fixture loading shared by the circuits tests.
#![allow(clippy::unwrap_used, dead_code, missing_docs)]

use std::path::PathBuf;

use onnx_import::input_file::{parse_inputs, parse_samples_value, read_outputs};
use onnx_import::ir::{Graph, Tensor};
use onnx_import::ImportError;

pub struct Fixture {
    pub name: String,
    pub graph: Graph,
    pub input: Vec<Tensor>,
    pub expected: Vec<Tensor>,
    /// `test_samples` of meta.json with their onnxruntime argmax (`predicted`).
    pub test_samples: Vec<(Vec<Tensor>, usize)>,
    /// `[lo, hi]` input range from meta.json.
    pub input_range: (f64, f64),
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// Every fixture that imports (the ones with unsupported ops are skipped).
pub fn supported_fixtures() -> Vec<Fixture> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("network.onnx").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().filter_map(|n| load(&n)).collect()
}

pub fn load(name: &str) -> Option<Fixture> {
    let dir = fixtures_dir().join(name);
    let graph = match onnx_import::import_file(&dir.join("network.onnx")) {
        Ok(g) => g,
        Err(ImportError::UnsupportedOps { .. }) => return None,
        // Valid ONNX that this version declines on purpose (e.g. Div by a runtime tensor).
        Err(e) if e.to_string().contains("not supported") => return None,
        Err(e) => panic!("{name}: {e}"),
    };
    let input = parse_inputs(
        &std::fs::read_to_string(dir.join("input.json")).unwrap(),
        &graph,
    )
    .unwrap();
    let outs = read_outputs(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let expected = graph
        .outputs
        .iter()
        .map(|&id| outs[&graph.values[id].name].clone())
        .collect();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    let mut test_samples = Vec::new();
    if let Some(arr) = meta.get("test_samples").and_then(|v| v.as_array()) {
        for s in arr {
            let inputs = parse_samples_value(s, &graph).unwrap().remove(0);
            let predicted = s["predicted"].as_u64().unwrap() as usize;
            test_samples.push((inputs, predicted));
        }
    }
    let r = &meta["input_range"];
    let input_range = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
    Some(Fixture {
        name: name.to_string(),
        graph,
        input,
        expected,
        test_samples,
        input_range,
    })
}

pub fn argmax(xs: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in xs.iter().enumerate() {
        if *x > xs[best] {
            best = i;
        }
    }
    best
}

/// A random input in the fixture's range, rounded to 4 decimals like the fixtures.
pub fn random_input(f: &Fixture, seed: u64) -> Vec<Tensor> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    f.input
        .iter()
        .map(|t| Tensor {
            shape: t.shape.clone(),
            data: t
                .data
                .iter()
                .map(|_| (rng.gen_range(f.input_range.0..=f.input_range.1) * 1e4).round() / 1e4)
                .collect(),
        })
        .collect()
}

/// The quantization calibrated on the fixture's own input (default options).
pub fn quant(f: &Fixture) -> circuits::QuantParams {
    circuits::calibrate::calibrate(
        &f.graph,
        std::slice::from_ref(&f.input),
        &circuits::calibrate::CalibrationOptions::default(),
    )
    .unwrap()
    .params
}
