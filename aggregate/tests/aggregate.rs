//! The one real aggregation proof of the test suite (minutes on 2 cores): three chained
//! k = 10 segments, keys from the segment keys alone, a Keccak-transcript proof that the
//! native verifier (vk.bin of `circuit_params`) accepts and whose accumulator `decide`
//! accepts, and the Solidity verifier generated with the accumulator.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Instant;

use aggregate::{circuit_params, keygen, plan, prove, read_proving_key, write_proving_key};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use rand::rngs::OsRng;
use verifier::{
    encode_verifier_params, encode_verifying_key, KeyOptions, SrsOrigin, TranscriptKind,
    VerifierKey, VerifyError,
};

use common::{chain, segments, srs, wiring, SEGMENTS};

#[test]
fn three_segments_aggregate_and_verify() {
    let s = segments();
    let keys = s.keys();
    let w = wiring();

    let t = Instant::now();
    let p = plan(&keys, &w).unwrap();
    eprintln!(
        "plan: k = {}, {} advice cells, {} lookup cells ({:?})",
        p.k,
        p.advice_cells,
        p.lookup_cells,
        t.elapsed()
    );
    let params = srs(p.k);

    let t = Instant::now();
    let (pk, config) = keygen(&params, &keys, &w).unwrap();
    eprintln!(
        "keygen: k = {}, {} advice, {} lookup advice, {} fixed columns, lookup_bits {} ({:?})",
        config.k,
        config.num_advice,
        config.num_lookup_advice,
        config.num_fixed,
        config.lookup_bits,
        t.elapsed()
    );

    // The proving key file round-trips (only with ZKINFER_TEST_PK_FILE: it is large).
    let pk = if std::env::var_os("ZKINFER_TEST_PK_FILE").is_some() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aggregation-pk.bin");
        let t = Instant::now();
        write_proving_key(&path, &pk, &config).unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        drop(pk);
        let pk = read_proving_key(&path, &config).unwrap();
        eprintln!(
            "pk file: {len} bytes, written and read in {:?}",
            t.elapsed()
        );
        pk
    } else {
        pk
    };

    let t = Instant::now();
    let (proof, instances) = prove(&params, &pk, &config, &keys, &w, &s.proofs, OsRng).unwrap();
    eprintln!(
        "prove: {} proof bytes, {} instances ({:?})",
        proof.len(),
        instances.len(),
        t.elapsed()
    );
    let xs = chain();
    assert_eq!(instances.len(), 12 + 2);
    assert_eq!(instances[12..], [xs[0], xs[SEGMENTS]]);
    let limbs: Vec<String> = instances[..12]
        .iter()
        .map(|f| hex::encode(f.to_repr()))
        .collect();
    eprintln!("accumulator limbs: {limbs:?}");

    // The native verifier reads the aggregation's vk.bin and accepts the proof.
    let params_file = encode_verifier_params(&params).unwrap();
    let vk_file = encode_verifying_key(
        pk.get_vk(),
        &circuit_params(&config),
        config.num_instances(),
        &params_file,
        SrsOrigin::InsecureLocal,
        b"",
    )
    .unwrap();
    let key = VerifierKey::from_bytes_with(
        &vk_file,
        &params_file,
        &KeyOptions {
            allow_insecure_srs: true,
        },
    )
    .unwrap();
    assert!(key.config().kzg_accumulator);
    let t = Instant::now();
    key.verify(TranscriptKind::Keccak, &proof, &instances)
        .unwrap();
    verifier::accumulator::decide(key.params(), &instances[..12]).unwrap();
    eprintln!("native verify + decide: {:?}", t.elapsed());

    // Another public output, or another accumulator, is rejected.
    let mut lie = instances.clone();
    lie[13] += Fr::from(1);
    assert!(matches!(
        key.verify(TranscriptKind::Keccak, &proof, &lie),
        Err(VerifyError::Rejected)
    ));
    let mut acc = instances.clone();
    acc[0] += Fr::from(1);
    assert!(key.verify(TranscriptKind::Keccak, &proof, &acc).is_err());
    assert!(verifier::accumulator::decide(key.params(), &acc[..12]).is_err());

    // The Solidity verifier decides the accumulator.
    let t = Instant::now();
    let generated = solidity::generate_aggregation_verifier(
        key.params(),
        key.halo2_vk(),
        key.num_instances(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(generated.proof_len, proof.len());
    eprintln!(
        "solidity verifier: {} source bytes ({:?})",
        generated.source.len(),
        t.elapsed()
    );
    // Where asked, leave the artifacts for EVM checks elsewhere.
    if let Some(dir) = std::env::var_os("ZKINFER_AGGREGATE_FIXTURE_DIR") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("vk.bin"), &vk_file).unwrap();
        std::fs::write(dir.join("srs-verifier.bin"), &params_file).unwrap();
        std::fs::write(dir.join("proof.bin"), &proof).unwrap();
        let hex: Vec<String> = instances.iter().map(|f| hex::encode(f.to_repr())).collect();
        std::fs::write(
            dir.join("instances.json"),
            serde_json::to_vec(&hex).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.join("Halo2Verifier.sol"), &generated.source).unwrap();
        std::fs::write(
            dir.join("config.json"),
            serde_json::to_vec_pretty(&config).unwrap(),
        )
        .unwrap();
    }
}
