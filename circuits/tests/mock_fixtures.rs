//! MockProver over every supported fixture: the circuit is satisfied, its outputs equal the
//! fixed-point evaluator's bit for bit (on the fixture input and on random inputs), and
//! changing any sampled advice cell of any node's region, a packed dot product, a placeholder
//! row or a public output makes it unsatisfied (the per-op harness's `tamper`).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;
mod op_harness;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::fixed::{eval_fixed, quantize_inputs};
use circuits::halo2::{build, plan};
use circuits::ops::CellTensor;
use common::{random_input, supported_fixtures, Fixture};
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;

struct Checked {
    name: String,
    tampered_cells: usize,
}

fn check_fixture(f: &Fixture) -> Checked {
    let cal = calibrate(
        &f.graph,
        std::slice::from_ref(&f.input),
        &CalibrationOptions::default(),
    )
    .unwrap();
    let params = cal.params;
    let shape = plan(&f.graph, &params).unwrap_or_else(|e| panic!("{}: {e}", f.name));
    let k = shape.k;

    // Completeness on the fixture input and two random inputs (drawn from the fixture's
    // range; ones the calibrated range does not cover are skipped, not wrapped).
    let mut inputs = vec![f.input.clone()];
    inputs.extend((0..2).map(|s| random_input(f, 1000 + s)));
    let mut last = None;
    for (i, input) in inputs.iter().enumerate() {
        let Ok(native) = eval_fixed(&f.graph, &params, input) else {
            assert!(i > 0, "{}: fixture input out of range", f.name);
            continue;
        };
        let q: Vec<CellTensor<i128>> = quantize_inputs(&f.graph, &params, input).unwrap();
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
            "{}: circuit != evaluator",
            f.name
        );
        let prover = MockProver::run(k, &built.circuit, vec![built.instances.clone()]).unwrap();
        assert!(
            prover.verify().is_ok(),
            "{}: MockProver unsatisfied on input {i}",
            f.name
        );
        last = Some(built);
    }

    // Soundness: tampered region cells, packed products, placeholder rows and public
    // outputs are all rejected.
    let built = last.unwrap();
    let tampered = op_harness::tamper(&f.name, k, &built);
    Checked {
        name: f.name.clone(),
        tampered_cells: tampered,
    }
}

#[test]
fn every_op_fixture_is_satisfied_complete_and_tamper_evident() {
    let fixtures: Vec<Fixture> = supported_fixtures()
        .into_iter()
        .filter(|f| f.name.starts_with("op_"))
        .collect();
    assert!(fixtures.len() >= 38, "only {} op fixtures", fixtures.len());
    let mut total = 0;
    for f in &fixtures {
        let c = check_fixture(f);
        total += c.tampered_cells;
        eprintln!("{}: {} tampered cells rejected", c.name, c.tampered_cells);
    }
    assert!(total > 100);
}
