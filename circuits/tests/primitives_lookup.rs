//! Table lookups (`Backend::lookup`): the native result equals the circuit's, and every cell
//! of a lookup row is constrained. They run inside a `ModelCircuit` (the lookup columns are
//! its own, laid out by `circuits::halo2::lookup`), including a real proof from the
//! witness-only layout. The other primitives are in `primitives.rs`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use circuits::backend::{Backend, Table};
use circuits::halo2::dot::DotTable;
use circuits::halo2::field::fe_to_i128;
use circuits::halo2::{Halo2Backend, LookupTable, ModelCircuit};
use circuits::native::NativeBackend;
use circuits::CircuitError;
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr};
use halo2_base::halo2_proofs::plonk::Assigned;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

const K: u32 = 10;
const BITS: u32 = 16;

/// A table `i ↦ (a·i + b, i² − c)` over `lo..=hi` under `key`.
fn table(key: &str, lo: i128, hi: i128, (a, b, c): (i128, i128, i128)) -> Table {
    Table {
        key: key.into(),
        lo,
        hi,
        f: Arc::new(move |i| (a * i + b, i * i - c)),
    }
}

/// A circuit with table lookups, its instances and the circuit's `(y, z)` values.
struct LookupRun {
    circuit: ModelCircuit,
    instances: Vec<Fr>,
    outs: Vec<(i128, i128)>,
}

/// A circuit looking up each `(table, x)` of `xs`, `groups` lookup groups (`prover`: the
/// witness-only layout with keygen's configuration and break points). With `public`, every
/// `y + z` is a public output (so the outputs are copied out of the lookup rows); otherwise
/// the outputs are used nowhere and only the lookup argument holds them.
fn lookup_run(
    stage: CircuitBuilderStage,
    prover: Option<(BaseCircuitParams, Vec<Vec<usize>>)>,
    tables: &[Table],
    xs: &[(usize, i128)],
    groups: usize,
    public: bool,
) -> LookupRun {
    let mut builder = match prover {
        Some((config, breaks)) => BaseCircuitBuilder::<Fr>::prover(config, breaks),
        None => BaseCircuitBuilder::<Fr>::from_stage(stage).use_k(K as usize),
    };
    builder.set_lookup_bits(K as usize - 1);
    builder.set_instance_columns(1);
    let range = builder.range_chip();
    let mut outs = Vec::new();
    let mut public_cells = Vec::new();
    let lookups = {
        let ctx = builder.main(0);
        let mut hb = Halo2Backend::new(ctx, &range, BITS);
        for (t, x) in xs {
            let xc = hb.load(*x);
            let (y, z) = hb.lookup(&tables[*t], &xc).unwrap();
            outs.push((
                fe_to_i128(y.value()).unwrap(),
                fe_to_i128(z.value()).unwrap(),
            ));
            if public {
                public_cells.push(hb.add(&y, &z).unwrap());
            }
        }
        hb.take_lookups()
    };
    let instances = public_cells.iter().map(|c| *c.value()).collect();
    builder.assigned_instances = vec![public_cells];
    if stage != CircuitBuilderStage::Prover {
        builder.calculate_params(Some(20));
    }
    let circuit = ModelCircuit {
        builder,
        dots: DotTable::default(),
        dot_columns: 0,
        public_rows: 0,
        lookups,
        lookup_groups: groups,
        dot_weights: Default::default(),
        poseidon: Default::default(),
        poseidon_lanes: 0,
    };
    LookupRun {
        circuit,
        instances,
        outs,
    }
}

fn mock_ok(c: &ModelCircuit, instances: &[Fr]) -> bool {
    MockProver::run(K, c, vec![instances.to_vec()])
        .unwrap()
        .verify()
        .is_ok()
}

/// Random tables (some sharing a key), random in-table inputs.
fn random_lookups(seed: u64) -> (Vec<Table>, Vec<(usize, i128)>, usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut tables = Vec::new();
    for n in 0..rng.gen_range(1..=3) {
        let lo = rng.gen_range(-60i128..60);
        let hi = lo + rng.gen_range(0i128..50);
        let coef = (
            rng.gen_range(-9i128..9),
            rng.gen_range(-99i128..99),
            rng.gen_range(0i128..99),
        );
        tables.push(table(&format!("t{n}"), lo, hi, coef));
        if rng.gen_bool(0.5) {
            // The same table built again: one set of rows.
            tables.push(table(&format!("t{n}"), lo, hi, coef));
        }
    }
    let xs = (0..rng.gen_range(1..=40))
        .map(|_| {
            let t = rng.gen_range(0..tables.len());
            (t, rng.gen_range(tables[t].lo..=tables[t].hi))
        })
        .collect();
    (tables, xs, rng.gen_range(1..=4))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]
    /// The circuit's outputs are the native ones, MockProver is satisfied, and each distinct
    /// key is one table.
    #[test]
    fn lookup_native_equals_circuit(seed in any::<u64>(), public in any::<bool>()) {
        let (tables, xs, groups) = random_lookups(seed);
        let mut nb = NativeBackend::new(BITS);
        let native: Vec<_> = xs.iter().map(|(t, x)| nb.lookup(&tables[*t], x).unwrap()).collect();
        let run = lookup_run(CircuitBuilderStage::Mock, None, &tables, &xs, groups, public);
        prop_assert_eq!(&native, &run.outs);
        let keys: std::collections::BTreeSet<_> =
            xs.iter().map(|(t, _)| tables[*t].key.clone()).collect();
        prop_assert_eq!(run.circuit.lookups.tables.len(), keys.len());
        prop_assert!(mock_ok(&run.circuit, &run.instances), "groups {}", groups);
    }
}

/// Changing any `x`, `y` or `z` of any used lookup row, moving a row to another valid row of
/// its table (only the copy of `x` can object), or changing any flex-gate cell (the loaded
/// inputs and the copies of the outputs) is rejected.
#[test]
fn every_lookup_cell_is_constrained() {
    let tables = [
        table("a", -5, 9, (3, -2, 7)),
        table("b", 20, 30, (-1, 4, 0)),
    ];
    let xs = [(0, -5), (1, 25), (0, 9), (0, 0), (1, 20), (1, 30), (0, 3)];
    for (groups, public) in [(1, false), (3, false), (2, true)] {
        let run = lookup_run(
            CircuitBuilderStage::Mock,
            None,
            &tables,
            &xs,
            groups,
            public,
        );
        assert!(mock_ok(&run.circuit, &run.instances));
        for j in 0..xs.len() {
            for which in 0..4 {
                let mut c = run.circuit.deep_clone();
                let rec = &mut c.lookups.records[j];
                match which {
                    0 => rec.x += Fr::one(),
                    1 => rec.y += Fr::one(),
                    2 => rec.z += Fr::one(),
                    _ => {
                        let (x, y, z) = run.circuit.lookups.other_row(j).unwrap();
                        (rec.x, rec.y, rec.z) = (x, y, z);
                    }
                }
                assert!(
                    !mock_ok(&c, &run.instances),
                    "groups {groups} public {public}: change {which} of lookup {j} accepted"
                );
            }
        }
        let n = run.circuit.builder.core().phase_manager[0].threads[0]
            .advice
            .len();
        for cell in 0..n {
            let mut c = run.circuit.deep_clone();
            let ctx = &mut c.builder.core_mut().phase_manager[0].threads[0];
            let old = ctx.advice[cell].evaluate();
            ctx.advice[cell] = Assigned::Trivial(old + Fr::one());
            assert!(
                !mock_ok(&c, &run.instances),
                "groups {groups} public {public}: advice cell {cell} of {n} unconstrained"
            );
        }
    }
}

/// An input outside the table: natively `TableRange`; in the circuit the layout goes on
/// (as at key generation) and the lookup argument rejects the row.
#[test]
fn lookup_outside_the_table_is_rejected() {
    let t = table("a", -5, 9, (3, -2, 7));
    let mut nb = NativeBackend::new(BITS);
    for x in [-6i128, 10, -(1 << 40), 1 << 40] {
        match nb.lookup(&t, &x) {
            Err(CircuitError::TableRange { value, lo, hi, .. }) => {
                assert_eq!((value, lo, hi), (x, -5, 9));
            }
            other => panic!("x = {x}: expected TableRange, got {other:?}"),
        }
        let run = lookup_run(
            CircuitBuilderStage::Mock,
            None,
            std::slice::from_ref(&t),
            &[(0, 0), (0, x)],
            1,
            true,
        );
        assert!(!mock_ok(&run.circuit, &run.instances), "x = {x} accepted");
    }
}

/// Tables under one key are one set of rows; the same key over another range is an error.
#[test]
fn tables_sharing_a_key_share_rows() {
    let (a, a2) = (table("a", -5, 9, (3, -2, 7)), table("a", -5, 9, (3, -2, 7)));
    let b = table("b", 0, 3, (1, 1, 1));
    let run = lookup_run(
        CircuitBuilderStage::Mock,
        None,
        &[a.clone(), b, a2],
        &[(0, 1), (1, 2), (2, 3), (2, -5)],
        2,
        true,
    );
    let l = &run.circuit.lookups;
    assert_eq!(l.tables.len(), 2);
    assert_eq!(l.table_rows(), 1 + 15 + 4);
    assert_eq!(
        l.records.iter().map(|r| r.tag).collect::<Vec<_>>(),
        vec![1, 2, 1, 1]
    );
    assert!(mock_ok(&run.circuit, &run.instances));
    let mut reg = LookupTable::default();
    assert_eq!(reg.tag_of(&a).unwrap(), 1);
    assert!(reg.tag_of(&table("a", -5, 10, (3, -2, 7))).is_err());
}

/// Key generation on placeholder inputs, then a real proof from the witness-only (prover)
/// layout, verified.
#[test]
fn real_proof_with_lookups() {
    use halo2_base::halo2_proofs::plonk::{
        create_proof, keygen_pk, keygen_vk, verify_proof, Circuit,
    };
    use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
    use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
    use halo2_base::halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
    use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
    use halo2_base::halo2_proofs::transcript::{
        Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
    };
    let tables = [
        table("a", -5, 9, (3, -2, 7)),
        table("b", 20, 30, (-1, 4, 0)),
    ];
    let xs = [(0, -5), (1, 25), (0, 9), (0, 0), (1, 20)];
    let placeholder: Vec<_> = xs.iter().map(|(t, _)| (*t, 0)).collect();
    let params = ParamsKZG::<Bn256>::setup(K, rand::rngs::StdRng::seed_from_u64(3));
    let kg = lookup_run(
        CircuitBuilderStage::Keygen,
        None,
        &tables,
        &placeholder,
        2,
        true,
    );
    let vk = keygen_vk(&params, &kg.circuit).unwrap();
    let pk = keygen_pk(&params, vk, &kg.circuit).unwrap();
    let config = kg.circuit.builder.params();
    let breaks = kg.circuit.builder.break_points();
    let prove = |xs: &[(usize, i128)]| {
        let run = lookup_run(
            CircuitBuilderStage::Prover,
            Some((config.clone(), breaks.clone())),
            &tables,
            xs,
            2,
            true,
        );
        let mut transcript = Blake2bWrite::<_, _, Challenge255<_>>::init(vec![]);
        create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
            &params,
            &pk,
            &[run.circuit],
            &[&[&run.instances]],
            rand::rngs::StdRng::seed_from_u64(4),
            &mut transcript,
        )
        .map(|()| (transcript.finalize(), run.instances))
    };
    let verify = |proof: &[u8], instances: &[Fr]| {
        let mut transcript = Blake2bRead::<_, _, Challenge255<_>>::init(proof);
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
            params.verifier_params(),
            pk.get_vk(),
            SingleStrategy::new(&params),
            &[&[instances]],
            &mut transcript,
        )
        .is_ok()
    };
    let (proof, instances) = prove(&xs).unwrap();
    assert!(verify(&proof, &instances));
    let mut wrong = instances.clone();
    wrong[0] += Fr::one();
    assert!(!verify(&proof, &wrong));
    // An input outside its table: no valid proof (the prover fails or the proof does not
    // verify).
    if let Ok((proof, instances)) = prove(&[(0, -5), (1, 25), (0, 10), (0, 0), (1, 20)]) {
        assert!(!verify(&proof, &instances));
    }
}
