//! The fixed-point reference evaluator against onnxruntime on every supported fixture.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::fixed::eval_fixed;
use common::{argmax, load, supported_fixtures};

/// Relative L2 error allowed at the default (calibrated) scale.
const REL_L2: f64 = 1e-3;

#[test]
fn every_supported_fixture_tracks_onnxruntime() {
    let fixtures = supported_fixtures();
    assert!(
        fixtures.len() >= 40,
        "only {} fixtures imported",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for f in &fixtures {
        let cal = calibrate(
            &f.graph,
            std::slice::from_ref(&f.input),
            &CalibrationOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", f.name));
        let run = eval_fixed(&f.graph, &cal.params, &f.input).unwrap();
        eprintln!(
            "{}: scale 2^{} bits {} errors {:?}",
            f.name, cal.params.input_scale, cal.params.bits, cal.errors
        );
        for (got, want) in run.outputs_float.iter().zip(&f.expected) {
            assert_eq!(got.shape, want.shape, "{}", f.name);
            let num: f64 = got
                .data
                .iter()
                .zip(&want.data)
                .map(|(g, w)| (g - w).powi(2))
                .sum();
            let den: f64 = want.data.iter().map(|w| w * w).sum();
            let rel = (num / den.max(1e-12)).sqrt();
            // Every element also within a few output ULPs of the chosen scale per unit of
            // magnitude (roundings accumulate along the path, never more than this).
            let ulp = (-f64::from(cal.params.input_scale)).exp2();
            let max_abs = got
                .data
                .iter()
                .zip(&want.data)
                .map(|(g, w)| (g - w).abs())
                .fold(0.0, f64::max);
            let scale = want.data.iter().map(|w| w.abs()).fold(1.0, f64::max);
            if rel > REL_L2 || max_abs > 64.0 * ulp * scale {
                failures.push(format!(
                    "{}: rel_l2={rel:.2e} max_abs={max_abs:.2e} scale=2^{}",
                    f.name, cal.params.input_scale
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "fixed point off:\n{}",
        failures.join("\n")
    );
}

#[test]
fn trained_models_and_chains_keep_the_float_argmax() {
    for name in ["digits_mlp16", "digits_conv", "mlp_chain", "cnn_chain"] {
        let f = load(name).unwrap();
        let mut samples = vec![f.input.clone()];
        samples.extend(f.test_samples.iter().map(|(s, _)| s.clone()));
        let cal = calibrate(&f.graph, &samples, &CalibrationOptions::default()).unwrap();
        assert!(cal.target_met, "{name}: {:?}", cal.errors);
        let checked: Vec<_> = if f.test_samples.is_empty() {
            // Chains carry no test samples: use the input with onnxruntime's argmax.
            vec![(f.input.clone(), argmax(&f.expected[0].data))]
        } else {
            f.test_samples.clone()
        };
        for (i, (input, predicted)) in checked.iter().enumerate() {
            let run = eval_fixed(&f.graph, &cal.params, input).unwrap();
            assert_eq!(
                argmax(&run.outputs_float[0].data),
                *predicted,
                "{name} sample {i}"
            );
        }
    }
}

#[test]
fn an_input_beyond_the_calibrated_range_is_reported_not_wrapped() {
    let f = load("op_relu").unwrap();
    let cal = calibrate(
        &f.graph,
        std::slice::from_ref(&f.input),
        &CalibrationOptions::default(),
    )
    .unwrap();
    let mut big = f.input.clone();
    big[0].data[0] = 1e6;
    let err = eval_fixed(&f.graph, &cal.params, &big)
        .unwrap_err()
        .to_string();
    assert!(err.contains("outside the circuit's range"), "{err}");
}

/// Accuracy by default on data calibration never saw: each trained digits model calibrated
/// on its one `input.json` (as `zkinfer run` does), then evaluated on its 16 held-out test
/// digits. The issue measured EZKL's default ("resources") calibration on the same models at
/// a median rel-L2 of 1.1e-4 (MLP) and 3.5e-5 (CNN); the default target (1e-4) must match
/// that order: median ≤ 2e-4 and max ≤ 5e-4 on samples not used for calibration.
#[test]
fn default_calibration_generalizes_to_held_out_digits() {
    for name in ["digits_mlp16", "digits_conv"] {
        let f = load(name).unwrap();
        let cal = calibrate(
            &f.graph,
            std::slice::from_ref(&f.input),
            &CalibrationOptions::default(),
        )
        .unwrap();
        let mut errs: Vec<f64> = f
            .test_samples
            .iter()
            .map(|(input, _)| {
                let want = onnx_import::eval::eval_graph(&f.graph, input).unwrap();
                // A held-out digit outside the calibrated range is an error, never wrapped;
                // widen the bound as `--calibration` with more samples would.
                let mut p = cal.params.clone();
                let run = loop {
                    match eval_fixed(&f.graph, &p, input) {
                        Ok(r) => break r,
                        Err(_) if p.bits < 40 => p.bits += 1,
                        Err(e) => panic!("{name}: {e}"),
                    }
                };
                let (mut num, mut den) = (0.0, 0.0);
                for (g, w) in run.outputs_float[0].data.iter().zip(&want[0].data) {
                    num += (g - w) * (g - w);
                    den += w * w;
                }
                (num / den).sqrt()
            })
            .collect();
        errs.sort_by(f64::total_cmp);
        let median = errs[errs.len() / 2];
        let max = errs[errs.len() - 1];
        println!(
            "{name}: scale 2^{}, held-out rel-L2 median {median:.2e}, max {max:.2e}",
            cal.params.input_scale
        );
        assert!(
            median <= 2e-4 && max <= 5e-4,
            "{name}: median {median:.2e}, max {max:.2e}"
        );
    }
}
