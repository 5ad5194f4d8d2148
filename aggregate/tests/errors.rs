//! Bad inputs fail with their named error before any aggregation proving: cheap (three
//! k = 10 segment proofs, no aggregation key; a segment's key stands in for the
//! aggregation's, which these checks never reach).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Instant;

use aggregate::{
    check_inputs, prove, AggregateError, AggregationConfig, InstanceRef, Statement, Wiring,
};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use rand::rngs::OsRng;

use common::{segments, srs, wiring, Segments, SEGMENT_K};

/// A configuration bound to the test's segments and wiring; its circuit fields are
/// placeholders (only key generation makes real ones), with `k` the segments' so the test's
/// SRS passes the `k` check.
fn config(s: &Segments, w: &Wiring) -> AggregationConfig {
    AggregationConfig {
        k: SEGMENT_K,
        num_advice: 1,
        num_lookup_advice: 1,
        num_fixed: 1,
        lookup_bits: 9,
        break_points: vec![vec![]],
        statement: Statement::new(&s.keys(), w).unwrap(),
    }
}

#[test]
fn bad_inputs_fail_fast_with_named_errors() {
    let s = segments();
    let params = srs(SEGMENT_K);
    let w = wiring();
    let cfg = config(&s, &w);
    let keys = s.keys();
    let start = Instant::now();

    // The good inputs pass every check.
    check_inputs(&params, &cfg, &keys, &w, &s.proofs).unwrap();

    let run = |proofs: &[aggregate::SegmentProof], w: &Wiring, keys: &[aggregate::SegmentKey]| {
        // `prove` with a stand-in proving key: it must fail in the checks.
        prove(&params, &s.pks[0], &cfg, keys, w, proofs, OsRng).unwrap_err()
    };

    // Wrong segment count.
    let e = run(&s.proofs[..2], &w, &keys);
    assert!(
        matches!(
            e,
            AggregateError::SegmentCount {
                expected: 3,
                found: 2
            }
        ),
        "{e}"
    );
    let e = run(&s.proofs, &w, &keys[..2]);
    assert!(matches!(e, AggregateError::SegmentCount { .. }), "{e}");

    // A wrong link: segment 1's input is not segment 0's output.
    let mut broken = s.proofs.clone();
    broken[1].instances[0] += Fr::from(1);
    let e = run(&broken, &w, &keys);
    assert!(
        matches!(
            e,
            AggregateError::LinkMismatch {
                from: (0, 1),
                to: (1, 0)
            }
        ),
        "{e}"
    );

    // A corrupted inner proof.
    let mut corrupted = s.proofs.clone();
    let n = corrupted[2].proof.len();
    corrupted[2].proof[n / 2] ^= 1;
    let e = run(&corrupted, &w, &keys);
    assert!(
        matches!(e, AggregateError::SegmentProofInvalid { segment: 2, .. }),
        "{e}"
    );
    // A valid proof of another statement (the last output changed, not linked).
    let mut lying = s.proofs.clone();
    lying[2].instances[1] += Fr::from(1);
    let e = run(&lying, &w, &keys);
    assert!(
        matches!(e, AggregateError::SegmentProofInvalid { segment: 2, .. }),
        "{e}"
    );
    // Trailing bytes.
    let mut long = s.proofs.clone();
    long[0].proof.extend_from_slice(&[0; 32]);
    let e = run(&long, &w, &keys);
    assert!(
        matches!(e, AggregateError::SegmentProofInvalid { segment: 0, .. }),
        "{e}"
    );

    // Instance count.
    let mut short = s.proofs.clone();
    short[1].instances.pop();
    let e = run(&short, &w, &keys);
    assert!(
        matches!(
            e,
            AggregateError::InstanceCount {
                segment: 1,
                expected: 2,
                found: 1
            }
        ),
        "{e}"
    );

    // Another wiring than the key's.
    let mut other = w.clone();
    other.public.pop();
    let e = run(&s.proofs, &other, &keys);
    assert!(matches!(e, AggregateError::WiringMismatch), "{e}");

    // Segment keys in another order than the key's.
    let swapped = vec![keys[1], keys[0], keys[2]];
    let e = run(&s.proofs, &w, &swapped);
    assert!(
        matches!(e, AggregateError::SegmentKeyMismatch { segment: 0 }),
        "{e}"
    );

    // Parameters of another k.
    let e = prove(
        &srs(SEGMENT_K + 1),
        &s.pks[0],
        &cfg,
        &keys,
        &w,
        &s.proofs,
        OsRng,
    )
    .unwrap_err();
    assert!(matches!(e, AggregateError::Params { .. }), "{e}");

    // Wiring naming what does not exist.
    let bad = Wiring {
        links: vec![],
        public: vec![InstanceRef {
            segment: 0,
            index: 2,
        }],
    };
    let e = Statement::new(&keys, &bad).unwrap_err();
    assert!(matches!(e, AggregateError::BadWiring { .. }), "{e}");
    let e = Statement::new(&[], &Wiring::default()).unwrap_err();
    assert!(matches!(e, AggregateError::BadWiring { .. }), "{e}");
    let e = aggregate::plan(&keys[..1], &bad).unwrap_err();
    assert!(matches!(e, AggregateError::BadWiring { .. }), "{e}");

    let elapsed = start.elapsed();
    eprintln!("all input checks took {elapsed:?}");
    assert!(elapsed.as_secs() < 60, "the checks took {elapsed:?}");
}

#[test]
fn config_round_trips_as_json() {
    let s = segments();
    let w = wiring();
    let cfg = config(&s, &w);
    let json = serde_json::to_string(&cfg).unwrap();
    let back: AggregationConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cfg);
    let params = aggregate::circuit_params(&cfg);
    assert!(params.kzg_accumulator);
    assert_eq!(params.public_rows, 12 + 2);
    assert_eq!(params.base.num_instance_columns, 1);
}
