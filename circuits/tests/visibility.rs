//! Visibility of inputs, outputs and parameters in the circuit: every mode is complete on
//! real fixtures (MockProver, outputs equal to the evaluator's), lays out exactly the
//! instances it promises, binds its hashes, and keeps one key per architecture when the
//! parameters are not fixed.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use circuits::fixed::{eval_fixed, quantize_inputs};
use circuits::halo2::{build, plan_with, BuiltCircuit, CircuitShape, Layout};
use circuits::hash::hash_values;
use circuits::visibility::{
    activation_hash_bits, architecture_digest, param_hash, param_values, ParamVisibility,
    Visibilities, Visibility,
};
use circuits::QuantParams;
use common::{load, quant, Fixture};
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr};
use halo2_base::halo2_proofs::plonk::keygen_vk;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;
use onnx_import::ir::{Graph, ValueKind};
use rand::SeedableRng;

const PARAMS: [ParamVisibility; 4] = [
    ParamVisibility::Fixed,
    ParamVisibility::Private,
    ParamVisibility::Hashed,
    ParamVisibility::Committed,
];

fn vis(input: Visibility, output: Visibility, params: ParamVisibility) -> Visibilities {
    Visibilities {
        input,
        output,
        params,
    }
}

fn built(
    f: &Fixture,
    graph: &Graph,
    q: &QuantParams,
    v: &Visibilities,
) -> (CircuitShape, BuiltCircuit) {
    let shape = plan_with(graph, q, Layout::Speed, v).unwrap();
    let input = quantize_inputs(graph, q, &f.input).unwrap();
    let b = build(CircuitBuilderStage::Mock, graph, q, &shape, Some(&input)).unwrap();
    (shape, b)
}

fn mock_ok(k: u32, b: &BuiltCircuit, instances: Vec<Fr>) -> bool {
    MockProver::run(k, &b.circuit, vec![instances])
        .unwrap()
        .verify()
        .is_ok()
}

fn int_to_fe(v: i128) -> Fr {
    circuits::halo2::field::i128_to_fe(v)
}

/// A copy of the graph with one parameter value changed.
fn nudged(graph: &Graph) -> Graph {
    let mut g = graph.clone();
    let id = *param_values(graph).iter().next().unwrap();
    if let ValueKind::Constant(t) = &mut g.values[id].kind {
        t.data[0] += 0.125;
    }
    g
}

const FIXTURES: [&str; 5] = [
    "digits_mlp16",
    "op_conv_pad1",
    "op_gemm_bias",
    "op_div_const",
    "op_mul_broadcast",
];

#[test]
fn every_mode_is_complete_and_exposes_exactly_its_instances() {
    let io = [
        (Visibility::Public, Visibility::Public),
        (Visibility::Private, Visibility::Hashed),
        (Visibility::Hashed, Visibility::Private),
    ];
    for name in FIXTURES {
        let f = load(name).unwrap();
        let q = quant(&f);
        let native = eval_fixed(&f.graph, &q, &f.input).unwrap();
        let qin = quantize_inputs(&f.graph, &q, &f.input).unwrap();
        let flat = |t: &[circuits::ops::CellTensor<i128>]| -> Vec<i128> {
            t.iter().flat_map(|t| t.data.clone()).collect()
        };
        let (ins, outs) = (flat(&qin), flat(&native.outputs));
        for p in PARAMS {
            for (i, o) in io {
                let v = vis(i, o, p);
                let (shape, b) = built(&f, &f.graph, &q, &v);
                let what = format!("{name} {v:?}");
                assert_eq!(b.outputs, native.outputs, "{what}: circuit != evaluator");
                assert!(
                    mock_ok(shape.k, &b, b.instances.clone()),
                    "{what}: unsatisfied"
                );
                let layout = v.layout(ins.len(), outs.len());
                assert_eq!(b.instances.len(), layout.len, "{what}");
                let at = |r: std::ops::Range<usize>| b.instances[r].to_vec();
                let fe = |v: &[i128]| v.iter().map(|x| int_to_fe(*x)).collect::<Vec<_>>();
                if i == Visibility::Public {
                    assert_eq!(at(layout.inputs.clone()), fe(&ins), "{what}");
                }
                if o == Visibility::Public {
                    assert_eq!(at(layout.outputs.clone()), fe(&outs), "{what}");
                }
                let w_act = activation_hash_bits(q.bits);
                if let Some(h) = layout.input_hash {
                    assert_eq!(b.instances[h], hash_values(&ins, w_act), "{what}");
                }
                if let Some(h) = layout.output_hash {
                    assert_eq!(b.instances[h], hash_values(&outs, w_act), "{what}");
                }
                if let Some(h) = layout.param_hash {
                    assert!(!b.param_values.is_empty(), "{what}: no parameters hashed");
                    let want = param_hash(&b.param_store, q.bits, q.param_scale).unwrap();
                    assert_eq!(b.instances[h], want, "{what}");
                }
            }
        }
    }
}

#[test]
fn every_hash_instance_is_bound() {
    let f = load("digits_mlp16").unwrap();
    let q = quant(&f);
    let v = vis(
        Visibility::Hashed,
        Visibility::Hashed,
        ParamVisibility::Hashed,
    );
    let (shape, b) = built(&f, &f.graph, &q, &v);
    assert_eq!(b.instances.len(), 3);
    assert!(mock_ok(shape.k, &b, b.instances.clone()));
    for i in 0..3 {
        let mut bad = b.instances.clone();
        bad[i] += Fr::one();
        assert!(!mock_ok(shape.k, &b, bad), "hash instance {i} is not bound");
    }
}

#[test]
fn private_inputs_and_outputs_are_not_instances() {
    let f = load("digits_mlp16").unwrap();
    let q = quant(&f);
    for p in PARAMS {
        let v = vis(Visibility::Private, Visibility::Private, p);
        let (shape, b) = built(&f, &f.graph, &q, &v);
        let hashed = usize::from(p == ParamVisibility::Hashed);
        assert_eq!(b.instances.len(), hashed, "{p:?}");
        assert!(mock_ok(shape.k, &b, b.instances.clone()), "{p:?}");
    }
}

/// A packed term whose activation is 0: changing its weight leaves the gate satisfied, so
/// only the copy constraint from the parameter cell (copied weights) can catch it.
fn zero_term(b: &BuiltCircuit) -> usize {
    b.circuit
        .dots
        .xs
        .iter()
        .position(|x| *x == Fr::zero())
        .expect("a packed term with a zero activation")
}

#[test]
fn copied_weights_must_equal_their_parameter_cells() {
    let f = load("digits_mlp16").unwrap();
    let q = quant(&f);
    for p in [ParamVisibility::Private, ParamVisibility::Hashed] {
        let v = vis(Visibility::Public, Visibility::Public, p);
        let (shape, b) = built(&f, &f.graph, &q, &v);
        assert!(b.circuit.dots.terms() > 0, "{p:?}: no packed products");
        let t = zero_term(&b);
        let mut bad = BuiltCircuit {
            circuit: b.circuit.deep_clone(),
            instances: b.instances.clone(),
            outputs: b.outputs.clone(),
            node_regions: b.node_regions.clone(),
            node_dots: b.node_dots.clone(),
            hashes: b.hashes.clone(),
            param_values: b.param_values.clone(),
            param_store: b.param_store.clone(),
        };
        bad.circuit.dots.ws[t] += Fr::one();
        assert!(mock_ok(shape.k, &b, b.instances.clone()), "{p:?}");
        assert!(
            !mock_ok(shape.k, &bad, b.instances.clone()),
            "{p:?}: a packed weight is not tied to its parameter"
        );
    }
}

#[test]
fn committed_weights_are_the_column_contents() {
    // In committed mode the weights are written straight into the weight columns: MockProver
    // cannot tell a changed weight whose activation is 0, the commitment of the columns can.
    let f = load("digits_mlp16").unwrap();
    let q = quant(&f);
    let v = vis(
        Visibility::Public,
        Visibility::Public,
        ParamVisibility::Committed,
    );
    let (shape, b) = built(&f, &f.graph, &q, &v);
    let rows = 1usize << shape.k;
    let cols = b.circuit.dots.weight_columns(shape.dot_columns, rows);
    assert_eq!(cols.len(), shape.dot_columns);
    let total: usize = cols
        .iter()
        .map(|c| c.iter().filter(|w| **w != Fr::zero()).count())
        .sum();
    let nonzero = b.param_values.iter().filter(|v| **v != 0).count();
    assert!(total >= nonzero, "every non-zero parameter is in a column");
    let (_, other) = built(&f, &nudged(&f.graph), &q, &v);
    assert_ne!(
        other.circuit.dots.weight_columns(shape.dot_columns, rows),
        cols,
        "a changed weight must change the committed columns"
    );
}

fn vk_bytes(b: &BuiltCircuit, srs: &ParamsKZG<Bn256>) -> Vec<u8> {
    let vk = keygen_vk(srs, &b.circuit).unwrap();
    vk.to_bytes(SerdeFormat::RawBytes)
}

#[test]
fn one_key_per_architecture_unless_parameters_are_fixed() {
    let f = load("digits_mlp16").unwrap();
    let q = quant(&f);
    let other = nudged(&f.graph);
    assert_eq!(
        architecture_digest(&f.graph).unwrap(),
        architecture_digest(&other).unwrap()
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut srs_k = 0;
    let mut srs = None;
    for p in PARAMS {
        let v = vis(Visibility::Public, Visibility::Public, p);
        let shape = plan_with(&f.graph, &q, Layout::Speed, &v).unwrap();
        if srs_k != shape.k {
            srs_k = shape.k;
            srs = Some(ParamsKZG::<Bn256>::setup(shape.k, &mut rng));
        }
        let srs = srs.as_ref().unwrap();
        let keys = |g: &Graph| {
            let b = build(CircuitBuilderStage::Keygen, g, &q, &shape, None).unwrap();
            vk_bytes(&b, srs)
        };
        let (a, b) = (keys(&f.graph), keys(&other));
        if p == ParamVisibility::Fixed {
            assert_ne!(a, b, "fixed parameters are in the key");
        } else {
            assert_eq!(a, b, "{p:?}: the key must not depend on the weights");
        }
    }
}

/// A hashed parameter outside its role's range must make the circuit unsatisfiable (the
/// packing is injective only on the range); the largest in-range value is accepted.
#[test]
fn hashed_parameters_are_range_checked() {
    use circuits::backend::{Backend, ParamRole};
    use circuits::halo2::Halo2Backend;
    use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
    const K: u32 = 12;
    const BITS: u32 = 8;
    const SCALE: u32 = 4;
    let run = |weight: i128, bias: i128, lookups: bool| -> bool {
        let mut builder =
            BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Mock).use_k(K as usize);
        builder.set_lookup_bits(K as usize - 1);
        builder.set_instance_columns(1);
        let range = builder.range_chip();
        let h = {
            let ctx = builder.main(0);
            let mut hb =
                Halo2Backend::new(ctx, &range, BITS).with_param_visibility(ParamVisibility::Hashed);
            if !lookups {
                hb = hb.without_lookups();
            }
            hb.load_params(&[weight, -3], ParamRole::Weight).unwrap();
            hb.load_params(&[bias], ParamRole::Bias).unwrap();
            hb.hash_params(SCALE).unwrap()
        };
        let value = *h.value();
        builder.assigned_instances = vec![vec![h]];
        builder.calculate_params(Some(20));
        MockProver::run(K, &builder, vec![vec![value]])
            .unwrap()
            .verify()
            .is_ok()
    };
    let w = ParamRole::Weight.hash_bits(BITS, SCALE); // 9: [-256, 256)
    let b = ParamRole::Bias.hash_bits(BITS, SCALE); // 13: [-4096, 4096)
    assert_eq!((w, b), (9, 13));
    for lookups in [true, false] {
        assert!(run(255, 4095, lookups), "largest in-range values");
        assert!(run(-256, -4096, lookups), "smallest in-range values");
        assert!(!run(256, 0, lookups), "weight 2^8 accepted");
        assert!(!run(-257, 0, lookups), "weight -2^8-1 accepted");
        assert!(!run(0, 4096, lookups), "bias 2^12 accepted");
    }
}

#[test]
fn hashes_on_the_poseidon_gate_equal_the_native_ones_and_are_bound() {
    let v = vis(
        Visibility::Hashed,
        Visibility::Hashed,
        ParamVisibility::Hashed,
    );
    for name in ["digits_mlp16", "op_conv_pad1"] {
        let f = load(name).unwrap();
        let q = quant(&f);
        // The fixed layouts keep hashing on the flex gate (their keys are unchanged).
        assert_eq!(
            plan_with(&f.graph, &q, Layout::Speed, &v)
                .unwrap()
                .poseidon_lanes,
            0
        );
        let shape = plan_with(&f.graph, &q, Layout::Memory, &v).unwrap();
        assert!(shape.poseidon_lanes > 0, "{name}: {shape:?}");
        let qin = quantize_inputs(&f.graph, &q, &f.input).unwrap();
        let b = build(CircuitBuilderStage::Mock, &f.graph, &q, &shape, Some(&qin)).unwrap();
        assert!(!b.circuit.poseidon.inputs.is_empty(), "{name}");
        let native = eval_fixed(&f.graph, &q, &f.input).unwrap();
        assert_eq!(b.outputs, native.outputs, "{name}: circuit != evaluator");
        let flat = |t: &[circuits::ops::CellTensor<i128>]| -> Vec<i128> {
            t.iter().flat_map(|t| t.data.clone()).collect()
        };
        let w_act = activation_hash_bits(q.bits);
        let want = vec![
            hash_values(&flat(&qin), w_act),
            hash_values(&flat(&native.outputs), w_act),
            param_hash(&b.param_store, q.bits, q.param_scale).unwrap(),
        ];
        assert_eq!(
            b.instances, want,
            "{name}: instances are not the native hashes"
        );
        // The instances are the native hashes and the circuit's hashes are constrained
        // equal to them: the gate computes the native sponge.
        assert!(mock_ok(shape.k, &b, b.instances.clone()), "{name}");
        for i in 0..3 {
            let mut bad = b.instances.clone();
            bad[i] += Fr::one();
            assert!(!mock_ok(shape.k, &b, bad), "{name}: hash {i} is not bound");
        }
        // A permutation whose input is not the sponge's state (the copy into the gate).
        for p in [0, b.circuit.poseidon.inputs.len() - 1] {
            let mut c = b.circuit.deep_clone();
            c.poseidon.inputs[p][4] += Fr::one();
            let ok = MockProver::run(shape.k, &c, vec![b.instances.clone()])
                .unwrap()
                .verify()
                .is_ok();
            assert!(!ok, "{name}: permutation {p}'s input is not bound");
        }
    }
}
