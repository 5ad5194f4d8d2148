//! The hummingbird-style random forest fixture (`tests/fixtures/tree_ensemble`, see its
//! `make.py`): on the 20 samples of `samples.json`, the class the circuit outputs (MockProver
//! satisfied, circuit outputs == fixed-point evaluator) equals onnxruntime's, and the
//! probabilities track onnxruntime's; tampered witnesses of the last sample are rejected.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;
mod op_harness;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::fixed::{eval_fixed, quantize_inputs};
use circuits::halo2::{build, plan};
use circuits::ops::CellTensor;
use common::{fixtures_dir, load};
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use onnx_import::input_file::parse_samples_value;
use onnx_import::ir::Tensor;

#[test]
fn forest_classes_match_onnxruntime_on_20_samples() {
    let f = load("tree_ensemble").expect("tree_ensemble imports");
    let text = std::fs::read_to_string(fixtures_dir().join("tree_ensemble/samples.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let samples: Vec<(Vec<Tensor>, usize, Vec<f64>)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let inputs = parse_samples_value(s, &f.graph).unwrap().remove(0);
            let probs = s["outputs"]["probabilities"]["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            (inputs, s["predicted"].as_u64().unwrap() as usize, probs)
        })
        .collect();
    assert_eq!(samples.len(), 20);
    let names: Vec<&str> = f
        .graph
        .outputs
        .iter()
        .map(|&id| f.graph.values[id].name.as_str())
        .collect();
    assert_eq!(names, ["probabilities", "label"]);

    let mut cal_set = vec![f.input.clone()];
    cal_set.extend(samples.iter().map(|(x, _, _)| x.clone()));
    let params = calibrate(&f.graph, &cal_set, &CalibrationOptions::default())
        .unwrap()
        .params;
    let shape = plan(&f.graph, &params).unwrap();
    let mut agree = 0;
    let mut last = None;
    for (i, (x, want, probs)) in samples.iter().enumerate() {
        let native = eval_fixed(&f.graph, &params, x).unwrap();
        let got = native.outputs_float[1].data[0];
        for (g, w) in native.outputs_float[0].data.iter().zip(probs) {
            assert!((g - w).abs() < 1e-2, "sample {i}: probability {g} vs {w}");
        }
        let q: Vec<CellTensor<i128>> = quantize_inputs(&f.graph, &params, x).unwrap();
        let built = build(
            CircuitBuilderStage::Mock,
            &f.graph,
            &params,
            &shape,
            Some(&q),
        )
        .unwrap();
        assert_eq!(
            built.outputs, native.outputs,
            "sample {i}: circuit != evaluator"
        );
        let prover =
            MockProver::run(shape.k, &built.circuit, vec![built.instances.clone()]).unwrap();
        assert!(
            prover.verify().is_ok(),
            "sample {i}: MockProver unsatisfied"
        );
        // The circuit's class output (scale 2^s_a) is the evaluator's.
        let class = built.outputs[1].data[0] >> params.input_scale;
        assert_eq!(class as f64, got, "sample {i}");
        if class as usize == *want {
            agree += 1;
        }
        last = Some(built);
    }
    let tampered = op_harness::tamper("tree_ensemble", shape.k, &last.unwrap());
    assert!(tampered >= 3, "{tampered}");
    eprintln!(
        "tree_ensemble: circuit class == onnxruntime on {agree}/20 samples (k = {}, scale 2^{})",
        shape.k, params.input_scale
    );
    assert_eq!(agree, 20);
}
