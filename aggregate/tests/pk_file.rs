//! The proving key file round-trips, cheaply: a k = 10 halo2-base circuit with a range
//! table has the constraint system of an aggregation circuit of the same columns, so its key
//! stands in for one.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use aggregate::{
    read_proving_key, write_proving_key, AggregateError, AggregationConfig, Statement,
};
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::RangeInstructions;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::{keygen_pk, keygen_vk};
use halo2_base::halo2_proofs::SerdeFormat;

use common::{segments, srs, wiring};

const K: u32 = 10;

#[test]
fn proving_key_file_round_trips_and_refuses_mismatches() {
    let params = srs(K);
    let mut b = BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Keygen)
        .use_k(K as usize)
        .use_lookup_bits(K as usize - 1);
    b.set_instance_columns(1);
    let range = b.range_chip();
    let ctx = b.main(0);
    let x = ctx.load_witness(Fr::from(5));
    range.range_check(ctx, x, 30);
    b.assigned_instances = vec![vec![x]];
    let base = b.calculate_params(Some(20));
    let vk = keygen_vk(&params, &b).unwrap();
    let pk = keygen_pk(&params, vk, &b).unwrap();

    let s = segments();
    let config = AggregationConfig {
        k: K,
        num_advice: base.num_advice_per_phase[0],
        num_lookup_advice: base.num_lookup_advice_per_phase[0],
        num_fixed: base.num_fixed,
        lookup_bits: base.lookup_bits.unwrap(),
        break_points: b.break_points(),
        statement: Statement::new(&s.keys(), &wiring()).unwrap(),
    };

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.bin");
    write_proving_key(&path, &pk, &config).unwrap();
    let back = read_proving_key(&path, &config).unwrap();
    assert_eq!(
        back.to_bytes(SerdeFormat::RawBytes),
        pk.to_bytes(SerdeFormat::RawBytes)
    );
    // Only the file itself is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // Another setup's break points.
    let mut other = config.clone();
    other.break_points = vec![vec![7]];
    assert!(matches!(
        read_proving_key(&path, &other),
        Err(AggregateError::Artifact { .. })
    ));
    // A corrupted file.
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        read_proving_key(&path, &config),
        Err(AggregateError::Artifact { .. })
    ));
    // A missing file.
    assert!(matches!(
        read_proving_key(&dir.path().join("none.bin"), &config),
        Err(AggregateError::Io { .. })
    ));
}
