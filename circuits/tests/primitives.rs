//! Each Backend primitive: the native integer equals the circuit cell, and the circuit is
//! satisfied (proptest over random operands), plus a wrong witness for each constrained
//! primitive is rejected. Table lookups run inside a `ModelCircuit` (the lookup columns are
//! its own), including a real proof from the witness-only layout.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use circuits::backend::{Backend, Table};
use circuits::halo2::dot::DotTable;
use circuits::halo2::field::{fe_to_i128, i128_to_fe};
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

/// Runs `f` on both backends; returns (native result, circuit result, satisfied, builder).
fn both(
    a: i128,
    b: i128,
    lookups: bool,
    f: impl Fn(&mut dyn PrimOps, i128, i128) -> Vec<i128>,
) -> (Vec<i128>, Vec<i128>, bool) {
    let mut nb = NativeBackend::new(BITS);
    let native = f(&mut NativeOps(&mut nb), a, b);
    let mut builder =
        BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Mock).use_k(K as usize);
    builder.set_lookup_bits(K as usize - 1);
    builder.set_instance_columns(1);
    let range = builder.range_chip();
    let circuit = {
        let ctx = builder.main(0);
        let mut hb = Halo2Backend::new(ctx, &range, BITS);
        if !lookups {
            hb = hb.without_lookups();
        }
        f(&mut CircuitOps(&mut hb), a, b)
    };
    builder.calculate_params(Some(20));
    let ok = MockProver::run(K, &builder, vec![vec![]])
        .unwrap()
        .verify()
        .is_ok();
    (native, circuit, ok)
}

/// Object-safe view of both backends over integer operands (inputs are loaded as
/// witnesses in the circuit).
trait PrimOps {
    fn run(&mut self, which: &str, a: i128, b: i128) -> i128;
}

struct NativeOps<'a>(&'a mut NativeBackend);
struct CircuitOps<'a, 'b>(&'a mut Halo2Backend<'b>);

fn apply<B: Backend>(be: &mut B, which: &str, a: B::Cell, b: B::Cell, bi: i128) -> B::Cell {
    match which {
        "add" => be.add(&a, &b).unwrap(),
        "sub" => be.sub(&a, &b).unwrap(),
        "neg" => be.neg(&a).unwrap(),
        "mul" => be.mul(&a, &b).unwrap(),
        "add_const" => be.add_const(&a, bi).unwrap(),
        "mul_const" => be.mul_const(&a, bi).unwrap(),
        "dot_const" => be.dot_const(&[a.clone(), b.clone()], &[3, -bi], 7).unwrap(),
        "dot" => be.dot(&[a.clone(), b.clone()], &[b, a]).unwrap(),
        "sum" => be.sum(&[a.clone(), b.clone(), a]).unwrap(),
        "div_pow2" => be.div_round(&a, 256).unwrap(),
        "div_odd" => be.div_round(&a, 9).unwrap(),
        "is_negative" => be.is_negative(&a).unwrap(),
        "relu" => be.relu(&a).unwrap(),
        "max" => be.max(&a, &b).unwrap(),
        "min" => be.min(&a, &b).unwrap(),
        // A runtime divisor in [1, 2^14 + 1]: relu(b) + 1.
        "div_floor_var" => {
            let r = be.relu(&b).unwrap();
            let d = be.add_const(&r, 1).unwrap();
            be.div_floor_var(&a, &d).unwrap()
        }
        "sqrt_floor" => {
            let r = be.relu(&b).unwrap();
            be.sqrt_floor(&r).unwrap()
        }
        other => panic!("unknown primitive {other}"),
    }
}

impl PrimOps for NativeOps<'_> {
    fn run(&mut self, which: &str, a: i128, b: i128) -> i128 {
        apply(self.0, which, a, b, b)
    }
}

impl PrimOps for CircuitOps<'_, '_> {
    fn run(&mut self, which: &str, a: i128, b: i128) -> i128 {
        let (ca, cb) = (self.0.load(a), self.0.load(b));
        self.0.range_check(&ca).unwrap();
        self.0.range_check(&cb).unwrap();
        let out = apply(self.0, which, ca, cb, b);
        fe_to_i128(out.value()).unwrap()
    }
}

const PRIMS: [&str; 17] = [
    "add",
    "sub",
    "neg",
    "mul",
    "add_const",
    "mul_const",
    "dot_const",
    "dot",
    "sum",
    "div_pow2",
    "div_odd",
    "is_negative",
    "relu",
    "max",
    "min",
    "div_floor_var",
    "sqrt_floor",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn native_equals_circuit(a in -(1i128 << 14)..(1i128 << 14), b in -(1i128 << 14)..(1i128 << 14)) {
        for lookups in [true, false] {
            let (n, c, ok) =
                both(a, b, lookups, |ops, a, b| PRIMS.iter().map(|p| ops.run(p, a, b)).collect());
            prop_assert_eq!(n, c);
            prop_assert!(ok, "lookups {}", lookups);
        }
    }
}

#[test]
fn field_encoding_is_signed() {
    assert_eq!(fe_to_i128(&i128_to_fe(-5)), Some(-5));
}

/// Tampering with every advice cell of a circuit using each primitive once must be caught,
/// with range checks by lookup and by bit decomposition.
#[test]
fn every_cell_of_every_primitive_is_constrained() {
    every_cell_constrained(true);
    every_cell_constrained(false);
}

fn every_cell_constrained(lookups: bool) {
    let mut builder =
        BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Mock).use_k(K as usize);
    builder.set_lookup_bits(K as usize - 1);
    builder.set_instance_columns(1);
    let range = builder.range_chip();
    let mut public = Vec::new();
    {
        let ctx = builder.main(0);
        let mut hb = Halo2Backend::new(ctx, &range, BITS);
        if !lookups {
            hb = hb.without_lookups();
        }
        let (a, b) = (hb.load(-1234), hb.load(977));
        public.push(a);
        public.push(b);
        let mut outs = Vec::new();
        for p in PRIMS {
            outs.push(apply(&mut hb, p, a, b, 977));
        }
        public.extend(outs);
    }
    let instances: Vec<Fr> = public.iter().map(|c| *c.value()).collect();
    builder.assigned_instances = vec![public];
    builder.calculate_params(Some(20));
    assert!(MockProver::run(K, &builder, vec![instances.clone()])
        .unwrap()
        .verify()
        .is_ok());
    let n = builder.core().phase_manager[0].threads[0].advice.len();
    let mut unconstrained = Vec::new();
    for cell in 0..n {
        let mut b = builder.deep_clone();
        let ctx = &mut b.core_mut().phase_manager[0].threads[0];
        let old = ctx.advice[cell].evaluate();
        ctx.advice[cell] = Assigned::Trivial(old + Fr::one());
        if MockProver::run(K, &b, vec![instances.clone()])
            .unwrap()
            .verify()
            .is_ok()
        {
            unconstrained.push(cell);
        }
    }
    assert!(
        unconstrained.is_empty(),
        "lookups {lookups}: unconstrained cells: {unconstrained:?} of {n}"
    );
}

/// `assert_zero`: natively an error unless the value is 0; in the circuit a zero witness is
/// satisfied and any other value (loaded as the witness, so only the constraint can object)
/// is rejected, with and without lookups.
#[test]
fn assert_zero_accepts_only_zero() {
    let mut nb = NativeBackend::new(BITS);
    assert!(nb.assert_zero(&0).is_ok());
    assert!(nb.assert_zero(&3).is_err());
    for lookups in [true, false] {
        for (v, want_ok) in [(0i128, true), (1, false), (-1, false), (977, false)] {
            let mut builder =
                BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Mock).use_k(K as usize);
            builder.set_lookup_bits(K as usize - 1);
            builder.set_instance_columns(1);
            let range = builder.range_chip();
            {
                let ctx = builder.main(0);
                let mut hb = Halo2Backend::new(ctx, &range, BITS);
                if !lookups {
                    hb = hb.without_lookups();
                }
                let a = hb.load(v);
                hb.assert_zero(&a).unwrap();
            }
            builder.calculate_params(Some(20));
            let ok = MockProver::run(K, &builder, vec![vec![]])
                .unwrap()
                .verify()
                .is_ok();
            assert_eq!(ok, want_ok, "value {v}, lookups {lookups}");
        }
    }
}

// ---- Table lookups (`Backend::lookup`): laid out by `circuits::halo2::lookup` inside a
// `ModelCircuit`, the only circuit that has the lookup columns.

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

/// `div_floor_var` and `sqrt_floor` natively: exact floors for both signs of the dividend,
/// and a named error (not a wrong value) for a divisor ≤ 0 or a negative square root.
#[test]
fn witness_division_and_root_are_exact_floors() {
    let mut nb = NativeBackend::new(BITS);
    for (a, d, q) in [
        (7, 2, 3),
        (-7, 2, -4),
        (6, 3, 2),
        (-6, 3, -2),
        (0, 5, 0),
        (5, 1, 5),
    ] {
        assert_eq!(nb.div_floor_var(&a, &d).unwrap(), q, "{a} / {d}");
    }
    for (a, y) in [(0, 0), (1, 1), (3, 1), (4, 2), (99, 9), (100, 10)] {
        assert_eq!(nb.sqrt_floor(&a).unwrap(), y, "sqrt {a}");
    }
    assert!(matches!(
        nb.div_floor_var(&5, &0),
        Err(CircuitError::DivisionByZero { divisor: 0 })
    ));
    assert!(matches!(
        nb.div_floor_var(&5, &-3),
        Err(CircuitError::DivisionByZero { divisor: -3 })
    ));
    assert!(matches!(
        nb.sqrt_floor(&-1),
        Err(CircuitError::NegativeSqrt { value: -1 })
    ));
}

/// Wrong quotients and roots, laid out with the primitives' own constraints: only the honest
/// witness satisfies them. `q − 1` keeps `r = a − q·d ≥ 0` and is caught only by `r < d`;
/// `q + 1` only by `r ≥ 0`; likewise `y ± 1` by the two bounds of `y² ≤ a < (y+1)²`.
#[test]
fn wrong_quotients_and_roots_are_rejected() {
    let run = |lookups: bool, q_delta: i128, y_delta: i128| -> bool {
        let mut builder =
            BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Mock).use_k(K as usize);
        builder.set_lookup_bits(K as usize - 1);
        builder.set_instance_columns(1);
        let range = builder.range_chip();
        {
            let ctx = builder.main(0);
            let mut hb = Halo2Backend::new(ctx, &range, BITS);
            if !lookups {
                hb = hb.without_lookups();
            }
            for (a, d) in [(-1234i128, 978i128), (977, 31), (5, 7)] {
                let (ca, cd) = (hb.load(a), hb.load(d));
                hb.div_floor_var_with(&ca, &cd, a.div_euclid(d) + q_delta)
                    .unwrap();
            }
            for a in [977i128, 1024, 0] {
                let ca = hb.load(a);
                hb.sqrt_floor_with(&ca, circuits::native::isqrt(a) + y_delta)
                    .unwrap();
            }
        }
        builder.assigned_instances = vec![vec![]];
        builder.calculate_params(Some(20));
        MockProver::run(K, &builder, vec![vec![]])
            .unwrap()
            .verify()
            .is_ok()
    };
    for lookups in [true, false] {
        assert!(
            run(lookups, 0, 0),
            "honest witnesses rejected (lookups {lookups})"
        );
        for (dq, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
            assert!(
                !run(lookups, dq, dy),
                "lookups {lookups}: quotient {dq:+} / root {dy:+} accepted"
            );
        }
    }
}
