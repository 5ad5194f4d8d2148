//! The EVM planner: it compares shapes by predicted gas and prove time, its candidates are
//! exactly what `plan_limits` gives for the same limits, and its choice is a circuit that
//! proves (MockProver).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use circuits::fixed::quantize_inputs;
use circuits::halo2::{
    build, evm_gas, plan_evm, plan_for, plan_limits, plan_with, predicted_prove_seconds,
    EvmOptions, Layout, ProtocolCounts,
};
use circuits::visibility::{Visibilities, Visibility};
use common::{load, quant};
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;

fn hashed_input() -> Visibilities {
    Visibilities {
        input: Visibility::Hashed,
        ..Visibilities::default()
    }
}

#[test]
fn fixed_layouts_plan_as_before_and_evm_is_a_search_among_them() {
    for name in ["digits_mlp16", "op_sigmoid"] {
        let f = load(name).unwrap();
        let q = quant(&f);
        for layout in [Layout::Speed, Layout::Gas] {
            let a = plan_for(&f.graph, &q, layout).unwrap();
            let b = plan_limits(
                &f.graph,
                &q,
                &layout.limits().unwrap(),
                &Visibilities::default(),
            )
            .unwrap();
            assert_eq!(
                (a.k, format!("{:?}", a.config)),
                (b.k, format!("{:?}", b.config)),
                "{name}"
            );
        }
        let plan = plan_evm(
            &f.graph,
            &q,
            &Visibilities::default(),
            &EvmOptions::default(),
        )
        .unwrap();
        // Sorted by score, the first chosen, each score = gas + weight × time.
        assert_eq!(plan.candidates[0].predicted_gas, plan.predicted_gas);
        for w in plan.candidates.windows(2) {
            assert!(w[0].score <= w[1].score, "{name}: not sorted");
        }
        for c in &plan.candidates {
            let s = c.predicted_gas as f64 + plan.gas_per_second * c.predicted_prove_s;
            assert!((s - c.score).abs() < 1e-6, "{name}: score of {}", c.label);
        }
        // Weighing gas only, the gas layout is among the candidates (at the k plan_for(Gas)
        // gives) and nothing chosen costs more gas.
        let plan = plan_evm(
            &f.graph,
            &q,
            &Visibilities::default(),
            &EvmOptions {
                gas_per_second: 0.0,
            },
        )
        .unwrap();
        let gas = plan_for(&f.graph, &q, Layout::Gas).unwrap();
        let public = f
            .graph
            .inputs
            .iter()
            .chain(&f.graph.outputs)
            .map(|&id| f.graph.values[id].shape.iter().product::<usize>())
            .sum::<usize>();
        let gas_cost = evm_gas(&gas, public, public).unwrap();
        assert!(
            plan.candidates
                .iter()
                .any(|c| c.k == gas.k && c.predicted_gas == gas_cost),
            "{name}: the gas layout (k={}, {gas_cost} gas) is not a candidate",
            gas.k
        );
        assert!(plan.predicted_gas <= gas_cost);
        let default = plan_evm(
            &f.graph,
            &q,
            &Visibilities::default(),
            &EvmOptions::default(),
        )
        .unwrap();
        assert_eq!(
            plan_with(&f.graph, &q, Layout::Evm, &Visibilities::default())
                .unwrap()
                .k,
            default.shape.k
        );
    }
}

#[test]
fn the_weight_moves_the_choice_between_cheapest_gas_and_fastest_proof() {
    let f = load("digits_mlp16").unwrap();
    let q = quant(&f);
    let v = hashed_input();
    let cheap = plan_evm(
        &f.graph,
        &q,
        &v,
        &EvmOptions {
            gas_per_second: 0.0,
        },
    )
    .unwrap();
    let min_gas = cheap
        .candidates
        .iter()
        .map(|c| c.predicted_gas)
        .min()
        .unwrap();
    assert_eq!(cheap.predicted_gas, min_gas);
    let fast = plan_evm(
        &f.graph,
        &q,
        &v,
        &EvmOptions {
            gas_per_second: 1e12,
        },
    )
    .unwrap();
    let min_t = fast
        .candidates
        .iter()
        .map(|c| c.predicted_prove_s)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(fast.predicted_prove_s, min_t);
    assert!(fast.predicted_gas > cheap.predicted_gas);
    assert!(fast.predicted_prove_s < cheap.predicted_prove_s);
    assert!((predicted_prove_seconds(&fast.shape) - fast.predicted_prove_s).abs() < 1e-9);
    for bad in [f64::NAN, -1.0, f64::INFINITY] {
        let e = plan_evm(
            &f.graph,
            &q,
            &v,
            &EvmOptions {
                gas_per_second: bad,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("gas per second"), "{e}");
    }
}

#[test]
fn hashing_the_inputs_cuts_the_predicted_instance_gas() {
    let f = load("digits_mlp16").unwrap();
    let q = quant(&f);
    let public = plan_evm(
        &f.graph,
        &q,
        &Visibilities::default(),
        &EvmOptions::default(),
    )
    .unwrap();
    let hashed = plan_evm(&f.graph, &q, &hashed_input(), &EvmOptions::default()).unwrap();
    let counts = |p: &circuits::halo2::EvmPlan, n: usize| ProtocolCounts::of_shape(&p.shape, n, n);
    // 64 inputs + 10 outputs vs 1 hash + 10 outputs.
    assert_eq!(counts(&public, 74).instances, 74);
    assert!(hashed.predicted_gas + 30_000 < public.predicted_gas);
}

#[test]
fn the_chosen_plan_proves_in_mock_prover() {
    for name in ["digits_mlp16", "op_sigmoid"] {
        let f = load(name).unwrap();
        let q = quant(&f);
        let v = hashed_input();
        let plan = plan_evm(&f.graph, &q, &v, &EvmOptions::default()).unwrap();
        let input = quantize_inputs(&f.graph, &q, &f.input).unwrap();
        let b = build(
            CircuitBuilderStage::Mock,
            &f.graph,
            &q,
            &plan.shape,
            Some(&input),
        )
        .unwrap();
        let ok = MockProver::run(plan.shape.k, &b.circuit, vec![b.instances.clone()])
            .unwrap()
            .verify()
            .is_ok();
        assert!(
            ok,
            "{name}: the chosen plan {} fails",
            plan.candidates[0].label
        );
        // A changed instance (the input hash) is refused.
        let mut bad = b.instances.clone();
        bad[0] += halo2_base::halo2_proofs::halo2curves::bn256::Fr::one();
        let refused = MockProver::run(plan.shape.k, &b.circuit, vec![bad])
            .unwrap()
            .verify()
            .is_err();
        assert!(refused, "{name}: a changed instance passes");
    }
}
