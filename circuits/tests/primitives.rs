//! Each Backend primitive: the native integer equals the circuit cell, and the circuit is
//! satisfied (proptest over random operands), plus a wrong witness for each constrained
//! primitive is rejected. Table lookups are in `primitives_lookup.rs`.
#![allow(clippy::unwrap_used, missing_docs)]

use circuits::backend::Backend;
use circuits::halo2::field::{fe_to_i128, i128_to_fe};
use circuits::halo2::Halo2Backend;
use circuits::native::NativeBackend;
use circuits::CircuitError;
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::Assigned;
use proptest::prelude::*;

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
