//! MockProver over every supported fixture: the circuit is satisfied, its outputs equal the
//! fixed-point evaluator's bit for bit (on the fixture input and on random inputs), and
//! changing any sampled advice cell of any node's region makes it unsatisfied.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::fixed::{eval_fixed, quantize_inputs};
use circuits::halo2::{build, plan, ModelCircuit};
use circuits::ops::CellTensor;
use common::{random_input, supported_fixtures, Fixture};
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::Assigned;

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

    // Soundness: change one advice cell of a node's region, expect failure.
    let built = last.unwrap();
    let instances = built.instances.clone();
    let mut tampered = 0;
    for (start, end) in built.node_regions.iter().copied().filter(|(s, e)| e > s) {
        let len = end - start;
        // Every cell of small regions; 48 evenly spaced cells (first and last included)
        // of larger ones.
        let picks: Vec<usize> = if len <= 48 {
            (start..end).collect()
        } else {
            (0..48).map(|i| start + i * (len - 1) / 47).collect()
        };
        for cell in picks {
            let mut b = built.circuit.deep_clone();
            let ctx = &mut b.builder.core_mut().phase_manager[0].threads[0];
            let old = ctx.advice[cell].evaluate();
            ctx.advice[cell] = Assigned::Trivial(old + Fr::one());
            let prover = MockProver::run(k, &b, vec![instances.clone()]).unwrap();
            assert!(
                prover.verify().is_err(),
                "{}: changing advice cell {cell} (region {start}..{end}) went unnoticed",
                f.name
            );
            tampered += 1;
        }
    }
    // Packed dot products: the first and last activation copied into each node's first,
    // middle and last product, and each such product's result.
    let rejects = |b: &ModelCircuit| {
        MockProver::run(k, b, vec![instances.clone()])
            .unwrap()
            .verify()
            .is_err()
    };
    for (start, end) in built.node_dots.iter().copied().filter(|(s, e)| e > s) {
        for d in [start, (start + end) / 2, end - 1] {
            let rec = built.circuit.dots.dots[d].clone();
            for t in [rec.start, rec.start + rec.len - 1] {
                let mut b = built.circuit.deep_clone();
                // Keep the product consistent so only the copy constraint can object.
                b.dots.xs[t] += Fr::one();
                let w = b.dots.ws[t];
                b.dots.dots[d].value += w;
                assert!(rejects(&b), "{}: packed term {t} of product {d}", f.name);
            }
            let mut b = built.circuit.deep_clone();
            b.dots.dots[d].value += Fr::one();
            assert!(rejects(&b), "{}: result of packed product {d}", f.name);
            tampered += 3;
        }
    }
    // Pure wiring ops have no region: changing an input cell (row 0) or an output's public
    // placeholder (the last public row) must still be caught.
    for cell in [0, built.circuit.public_rows - 1] {
        let mut b = built.circuit.deep_clone();
        let ctx = &mut b.builder.core_mut().phase_manager[0].threads[0];
        let old = ctx.advice[cell].evaluate();
        ctx.advice[cell] = Assigned::Trivial(old + Fr::one());
        assert!(rejects(&b), "{}: public row {cell}", f.name);
    }
    // And a wrong public output is rejected.
    let mut bad = instances.clone();
    let last_i = bad.len() - 1;
    bad[last_i] += Fr::one();
    assert!(MockProver::run(k, &built.circuit, vec![bad])
        .unwrap()
        .verify()
        .is_err());
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
