//! Float reference evaluation of every importable fixture against onnxruntime's outputs.
//!
//! Tolerance (from tests/fixtures/README.md, "Float import / reference run"):
//! `|got - expected| <= 1e-5 + 1e-4 * |expected|` per element, with equal shapes.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use onnx_import::error::ImportError;
use onnx_import::eval::eval_graph;
use onnx_import::input_file::{parse_inputs, parse_samples, read_outputs, read_tensor_map};
use onnx_import::ir::{Graph, Tensor};

const ABS_TOL: f64 = 1e-5;
const REL_TOL: f64 = 1e-4;

/// Fixtures whose predicted class is checked on input.json and every `test_samples` entry.
const CLASSIFIERS: [&str; 4] = ["digits_mlp16", "digits_conv", "mlp_chain", "cnn_chain"];

/// Fixtures the importer rejects on purpose with an error other than `UnsupportedOps`
/// (a supported op used in an unsupported way). They must keep failing to import; when the
/// importer gains support, remove them here so they get checked.
const REJECTED_ON_PURPOSE: [&str; 0] = [];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn output_names(graph: &Graph) -> Vec<String> {
    graph
        .outputs
        .iter()
        .map(|&id| graph.values[id].name.clone())
        .collect()
}

/// Compares outputs by name; returns the first violation.
fn compare(
    graph: &Graph,
    got: &[Tensor],
    expected: &BTreeMap<String, Tensor>,
) -> Result<(), String> {
    let names = output_names(graph);
    if names.len() != expected.len() {
        return Err(format!(
            "graph outputs {names:?}, expected.json has {:?}",
            expected.keys()
        ));
    }
    for (name, g) in names.iter().zip(got) {
        let e = expected
            .get(name)
            .ok_or_else(|| format!("no expected output '{name}'"))?;
        if g.shape != e.shape {
            return Err(format!(
                "'{name}': shape {:?}, expected {:?}",
                g.shape, e.shape
            ));
        }
        for (i, (a, b)) in g.data.iter().zip(&e.data).enumerate() {
            if (a - b).abs() > ABS_TOL + REL_TOL * b.abs() {
                return Err(format!("'{name}'[{i}]: got {a}, expected {b}"));
            }
        }
    }
    Ok(())
}

fn argmax(t: &Tensor) -> usize {
    let mut best = 0;
    for (i, v) in t.data.iter().enumerate() {
        if *v > t.data[best] {
            best = i;
        }
    }
    best
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Checks the classifier's argmax on input.json and on every `test_samples` entry; returns
/// the number of samples checked.
fn check_classifier(
    dir: &Path,
    graph: &Graph,
    out: &[Tensor],
    expected: &BTreeMap<String, Tensor>,
) -> usize {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let want = argmax(&expected[&output_names(graph)[0]]);
    assert_eq!(argmax(&out[0]), want, "{name}: argmax on input.json");
    let meta_text = read(&dir.join("meta.json"));
    let meta: serde_json::Value = serde_json::from_str(&meta_text).unwrap();
    let Some(entries) = meta.get("test_samples").and_then(|v| v.as_array()) else {
        return 1;
    };
    let samples = parse_samples(&meta_text, graph).unwrap();
    assert_eq!(samples.len(), entries.len());
    for (k, (inputs, entry)) in samples.iter().zip(entries).enumerate() {
        let got = eval_graph(graph, inputs).unwrap();
        let predicted = entry["predicted"].as_u64().unwrap() as usize;
        assert_eq!(argmax(&got[0]), predicted, "{name}: test sample {k}");
        let outs = read_tensor_map(&entry["outputs"]).unwrap();
        compare(graph, &got, &outs).unwrap_or_else(|e| panic!("{name}: test sample {k}: {e}"));
    }
    1 + samples.len()
}

#[test]
fn float_eval_matches_onnxruntime() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("network.onnx").is_file())
        .collect();
    dirs.sort();
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    let mut classifier_samples = BTreeMap::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let graph = match onnx_import::import_file(&dir.join("network.onnx")) {
            Ok(g) => g,
            Err(ImportError::UnsupportedOps { .. }) => {
                skipped.push(name);
                continue;
            }
            Err(e) if REJECTED_ON_PURPOSE.contains(&name.as_str()) => {
                skipped.push(format!("{name} ({e})"));
                continue;
            }
            Err(e) => {
                failures.push(format!("{name}: import failed: {e}"));
                continue;
            }
        };
        if REJECTED_ON_PURPOSE.contains(&name.as_str()) {
            failures.push(format!(
                "{name} now imports: remove it from REJECTED_ON_PURPOSE"
            ));
        }
        let inputs = parse_inputs(&read(&dir.join("input.json")), &graph).unwrap();
        let expected = read_outputs(&read(&dir.join("expected.json"))).unwrap();
        let out = match eval_graph(&graph, &inputs) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if let Err(e) = compare(&graph, &out, &expected) {
            failures.push(format!("{name}: {e}"));
            continue;
        }
        if CLASSIFIERS.contains(&name.as_str()) {
            classifier_samples.insert(name.clone(), check_classifier(dir, &graph, &out, &expected));
        }
        checked.push(name);
    }
    eprintln!("checked {} fixtures, skipped: {skipped:?}", checked.len());
    eprintln!("classifier samples checked: {classifier_samples:?}");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert!(
        checked.len() >= 40,
        "only {} fixtures checked",
        checked.len()
    );
    for c in CLASSIFIERS {
        assert!(classifier_samples.contains_key(c), "{c} was not checked");
    }
    assert!(classifier_samples["digits_mlp16"] >= 17 && classifier_samples["digits_conv"] >= 17);
}
