//! The verifier on a real (small) key and proof: valid proofs pass, and arbitrary,
//! truncated or mutated keys, parameters, proofs and instances are rejected without panics.
#![allow(clippy::unwrap_used, missing_docs)]

use circuits::halo2::ModelCircuitParams;
use std::sync::OnceLock;

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::gates::{GateInstructions, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk};
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_base::halo2_proofs::transcript::{Blake2bWrite, Challenge255, TranscriptWriterBuffer};
use halo2_base::QuantumCell::Constant;
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use verifier::container::{self, ArtifactKind};
use verifier::{
    encode_verifier_params, encode_verifying_key, instances_from_hex, instances_to_hex,
    is_insecure_local_srs, KeyOptions, SrsOrigin, TranscriptKind, VerifierKey, VerifyError,
    INSECURE_LOCAL_S_G2, PARAMS_FORMAT_VERSION, VK_FORMAT_VERSION,
};

const K: u32 = 8;
const META: &[u8] = br#"{"what":"a*b+7"}"#;

/// Everything a verifier sees, for one small circuit.
struct Fixture {
    vk_file: Vec<u8>,
    params_file: Vec<u8>,
    proof: Vec<u8>,
    instances: Vec<Fr>,
    vk: halo2_base::halo2_proofs::plonk::VerifyingKey<G1Affine>,
    config: ModelCircuitParams,
}

/// out = (a·b + 7) with a, b range-checked; instances: a, b, out.
fn circuit(
    stage: CircuitBuilderStage,
    a: u64,
    b: u64,
    shape: Option<(&BaseCircuitParams, &[Vec<usize>])>,
) -> BaseCircuitBuilder<Fr> {
    let mut builder = match shape {
        Some((config, bp)) => BaseCircuitBuilder::prover(config.clone(), bp.to_vec()),
        None => BaseCircuitBuilder::from_stage(stage)
            .use_k(K as usize)
            .use_lookup_bits(K as usize - 1),
    };
    builder.set_instance_columns(1);
    let range = builder.range_chip();
    let ctx = builder.main(0);
    let (a, b) = (ctx.load_witness(Fr::from(a)), ctx.load_witness(Fr::from(b)));
    range.range_check(ctx, a, 16);
    range.range_check(ctx, b, 16);
    let ab = range.gate().mul(ctx, a, b);
    let out = range.gate().add(ctx, ab, Constant(Fr::from(7)));
    builder.assigned_instances = vec![vec![a, b, out]];
    builder
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build_fixture([7; 32], SrsOrigin::File))
}

/// The fixture's circuit with keys and proof made with zkinfer's insecure local SRS (seed
/// `0x5a`), marked as coming from a user's file so that only the `s·g2` gives it away.
fn local_fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build_fixture(LOCAL_SEED, SrsOrigin::File))
}

/// The seed of zkinfer's insecure local SRS (`prover::local_srs`).
const LOCAL_SEED: [u8; 32] = [0x5a; 32];

fn build_fixture(srs_seed: [u8; 32], origin: SrsOrigin) -> Fixture {
    {
        let params = ParamsKZG::<Bn256>::setup(K, ChaCha20Rng::from_seed(srs_seed));
        let mut kg = circuit(CircuitBuilderStage::Keygen, 0, 0, None);
        // A plain halo2-base circuit is a model circuit without packed dot products; its
        // three instance cells are its public rows.
        let config = ModelCircuitParams {
            base: kg.calculate_params(Some(20)),
            dot_columns: 0,
            lookup_groups: 0,
            public_rows: 3,
            dot_weights: Default::default(),
            kzg_accumulator: false,
            poseidon_lanes: 0,
        };
        let vk = keygen_vk(&params, &kg).unwrap();
        let pk = keygen_pk(&params, vk.clone(), &kg).unwrap();
        let bp = kg.break_points();
        let prover = circuit(
            CircuitBuilderStage::Prover,
            300,
            5,
            Some((&config.base, &bp)),
        );
        let instances = vec![Fr::from(300), Fr::from(5), Fr::from(1507)];
        let mut t = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
        create_proof::<
            KZGCommitmentScheme<Bn256>,
            ProverSHPLONK<'_, Bn256>,
            Challenge255<_>,
            _,
            _,
            _,
        >(
            &params,
            &pk,
            &[prover],
            &[&[&instances]],
            ChaCha20Rng::from_seed([1; 32]),
            &mut t,
        )
        .unwrap();
        let proof = t.finalize();
        let params_file = encode_verifier_params(&params).unwrap();
        let vk_file =
            encode_verifying_key(&vk, &config, instances.len(), &params_file, origin, META)
                .unwrap();
        Fixture {
            vk_file,
            params_file,
            proof,
            instances,
            vk,
            config,
        }
    }
}

fn key() -> VerifierKey {
    let f = fixture();
    VerifierKey::from_bytes(&f.vk_file, &f.params_file).unwrap()
}

/// Verification of `proof` with the fixture's instances, through freshly parsed files.
fn check(
    vk_file: &[u8],
    params_file: &[u8],
    proof: &[u8],
    instances: &[Fr],
) -> Result<(), VerifyError> {
    VerifierKey::from_bytes(vk_file, params_file)?.verify(TranscriptKind::Blake2b, proof, instances)
}

#[test]
fn valid_proof_verifies_and_files_are_small() {
    let f = fixture();
    check(&f.vk_file, &f.params_file, &f.proof, &f.instances).unwrap();
    let key = key();
    assert_eq!(key.num_instances(), 3);
    assert_eq!(key.k(), K);
    assert_eq!(key.metadata(), META);
    // 49-byte header + k + g[0] + g2 + s·g2.
    assert_eq!(f.params_file.len(), 49 + 4 + 32 + 64 + 64);
    let hex = instances_to_hex(&f.instances);
    assert_eq!(instances_from_hex(&hex).unwrap(), f.instances);
}

#[test]
fn flag_bits_and_first_bits_of_every_item_matter() {
    // Proof items are 32 bytes; the top bits of each item's last byte are the compressed
    // point flags, which the curve library partly ignores: the verifier must not.
    let f = fixture();
    let key = key();
    assert_eq!(f.proof.len() % 32, 0);
    for item in 0..f.proof.len() / 32 {
        for (byte, bit) in [(31, 7), (31, 6), (0, 0)] {
            let mut p = f.proof.clone();
            p[item * 32 + byte] ^= 1 << bit;
            let r = key.verify(TranscriptKind::Blake2b, &p, &f.instances);
            assert!(r.is_err(), "item {item} byte {byte} bit {bit}: {r:?}");
        }
    }
}

#[test]
fn every_bit_of_the_verifier_params_matters() {
    let f = fixture();
    let payload_len = f.params_file.len() - container::HEADER_LEN;
    for i in 0..payload_len {
        for bit in 0..8 {
            let params = rewrap(
                &f.params_file,
                ArtifactKind::VerifierParams,
                PARAMS_FORMAT_VERSION,
                |p| p[i] ^= 1 << bit,
            );
            let vk =
                encode_verifying_key(&f.vk, &f.config, 3, &params, SrsOrigin::File, META).unwrap();
            let r = check(&vk, &params, &f.proof, &f.instances);
            assert!(r.is_err(), "byte {i} bit {bit}: accepted");
        }
    }
}

#[test]
fn wrong_instances_are_rejected() {
    let f = fixture();
    let key = key();
    for i in 0..3 {
        let mut inst = f.instances.clone();
        inst[i] += Fr::one();
        assert!(matches!(
            key.verify(TranscriptKind::Blake2b, &f.proof, &inst),
            Err(VerifyError::Rejected)
        ));
    }
    let short = &f.instances[..2];
    assert!(matches!(
        key.verify(TranscriptKind::Blake2b, &f.proof, short),
        Err(VerifyError::InstanceCount {
            expected: 3,
            found: 2
        })
    ));
}

#[test]
fn trailing_and_truncated_proofs_are_malformed() {
    let f = fixture();
    let key = key();
    let mut long = f.proof.clone();
    long.push(0);
    assert!(matches!(
        key.verify(TranscriptKind::Blake2b, &long, &f.instances),
        Err(VerifyError::BadProof(_))
    ));
    let short = &f.proof[..f.proof.len() - 1];
    let r = key.verify(TranscriptKind::Blake2b, short, &f.instances);
    // halo2 reports a short read in the opening phase as a failed opening.
    assert!(
        matches!(r, Err(VerifyError::BadProof(_) | VerifyError::Rejected)),
        "{r:?}"
    );
    assert!(key
        .verify(TranscriptKind::Blake2b, &[], &f.instances)
        .is_err());
}

#[test]
fn foreign_params_and_versions_are_detected() {
    let f = fixture();
    let other = ParamsKZG::<Bn256>::setup(K, ChaCha20Rng::from_seed([8; 32]));
    let other_file = encode_verifier_params(&other).unwrap();
    assert!(matches!(
        VerifierKey::from_bytes(&f.vk_file, &other_file),
        Err(VerifyError::ParamsMismatch)
    ));
    // Swapped files: each has the wrong kind.
    assert!(matches!(
        VerifierKey::from_bytes(&f.params_file, &f.vk_file),
        Err(VerifyError::BadKey(_))
    ));
    // A future version.
    let payload =
        container::decode(&f.vk_file, ArtifactKind::VerifyingKey, VK_FORMAT_VERSION).unwrap();
    let v99 = container::encode(ArtifactKind::VerifyingKey, 99, payload);
    assert!(matches!(
        VerifierKey::from_bytes(&v99, &f.params_file),
        Err(VerifyError::Version {
            found: 99,
            expected: VK_FORMAT_VERSION,
            ..
        })
    ));
    // A key re-encoded against other params whose hash matches but whose s differs: the
    // proof must not verify.
    let vk_other =
        encode_verifying_key(&f.vk, &f.config, 3, &other_file, SrsOrigin::File, META).unwrap();
    assert!(matches!(
        check(&vk_other, &other_file, &f.proof, &f.instances),
        Err(VerifyError::Rejected)
    ));
}

#[test]
fn the_local_srs_s_g2_constant_is_its_trapdoor_times_g2() {
    use halo2_base::halo2_proofs::halo2curves::bn256::{Fr, G2Affine};
    use halo2_base::halo2_proofs::halo2curves::ff::Field;
    use halo2_base::halo2_proofs::halo2curves::group::{Curve, GroupEncoding};
    // The trapdoor is the first scalar ParamsKZG::setup draws from the seeded stream.
    let s = Fr::random(ChaCha20Rng::from_seed(LOCAL_SEED));
    let s_g2 = (G2Affine::generator() * s).to_affine();
    assert_eq!(s_g2.to_bytes().as_ref(), INSECURE_LOCAL_S_G2);
    for k in [4, 5] {
        let local = ParamsKZG::<Bn256>::setup(k, ChaCha20Rng::from_seed(LOCAL_SEED));
        assert_eq!(
            local.s_g2().to_bytes().as_ref(),
            INSECURE_LOCAL_S_G2,
            "k = {k}"
        );
        assert!(is_insecure_local_srs(&local));
    }
    let other = ParamsKZG::<Bn256>::setup(4, ChaCha20Rng::from_seed([7; 32]));
    assert!(!is_insecure_local_srs(&other));
}

#[test]
fn insecure_keys_are_refused_unless_allowed() {
    let allow = KeyOptions {
        allow_insecure_srs: true,
    };
    // Marked: the fixture's own (secure) SRS, but the key says local generator.
    let f = fixture();
    let marked = encode_verifying_key(
        &f.vk,
        &f.config,
        3,
        &f.params_file,
        SrsOrigin::InsecureLocal,
        META,
    )
    .unwrap();
    let e = VerifierKey::from_bytes(&marked, &f.params_file).unwrap_err();
    assert!(matches!(e, VerifyError::InsecureSrs { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("--srs CEREMONY_FILE") && text.contains("--allow-insecure-srs"),
        "{text}"
    );
    assert!(text.contains("anyone can forge proofs"), "{text}");
    let key = VerifierKey::from_bytes_with(&marked, &f.params_file, &allow).unwrap();
    assert!(key.is_insecure_srs());
    assert_eq!(key.srs_origin(), SrsOrigin::InsecureLocal);
    key.verify(TranscriptKind::Blake2b, &f.proof, &f.instances)
        .unwrap();
    assert_eq!(
        verifier::srs_origin(&marked).unwrap(),
        SrsOrigin::InsecureLocal
    );
    // Unmarked, but the parameters are the local SRS: recognized by s·g2.
    let l = local_fixture();
    let e = VerifierKey::from_bytes(&l.vk_file, &l.params_file).unwrap_err();
    assert!(
        matches!(e, VerifyError::InsecureSrs { how } if how.contains("s·g2")),
        "{e:?}"
    );
    let key = VerifierKey::from_bytes_with(&l.vk_file, &l.params_file, &allow).unwrap();
    assert!(key.is_insecure_srs());
    assert_eq!(key.srs_origin(), SrsOrigin::File);
    key.verify(TranscriptKind::Blake2b, &l.proof, &l.instances)
        .unwrap();
    // A secure key is not flagged, with or without the option.
    assert!(
        !VerifierKey::from_bytes_with(&f.vk_file, &f.params_file, &allow)
            .unwrap()
            .is_insecure_srs()
    );
    assert!(!key_is_insecure(&f.vk_file, &f.params_file));
    // An unknown origin byte is a malformed key (payload byte 4, after the count).
    let bad = rewrap(
        &f.vk_file,
        ArtifactKind::VerifyingKey,
        VK_FORMAT_VERSION,
        |p| p[4] = 2,
    );
    assert!(matches!(
        VerifierKey::from_bytes_with(&bad, &f.params_file, &allow),
        Err(VerifyError::BadKey(m)) if m.contains("SRS origin")
    ));
}

fn key_is_insecure(vk: &[u8], params: &[u8]) -> bool {
    VerifierKey::from_bytes(vk, params)
        .unwrap()
        .is_insecure_srs()
}

#[test]
fn instance_count_must_equal_the_circuits_public_rows() {
    let f = fixture();
    for count in [f.config.public_rows + 2, f.config.public_rows - 1] {
        let vk = encode_verifying_key(
            &f.vk,
            &f.config,
            count,
            &f.params_file,
            SrsOrigin::File,
            META,
        )
        .unwrap();
        let e = VerifierKey::from_bytes(&vk, &f.params_file).unwrap_err();
        assert!(
            matches!(e, VerifyError::PublicRows { num_instances, public_rows: 3 } if num_instances == count),
            "{e:?}"
        );
    }
}

#[test]
fn a_g2_coordinate_not_below_p_is_bad_params_not_a_panic() {
    let f = fixture();
    // p, the BN254 base-field modulus, little-endian: the smallest non-canonical limb.
    let p_le: [u8; 32] = {
        let mut be =
            hex::decode("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47")
                .unwrap();
        be.reverse();
        be.try_into().unwrap()
    };
    // Payload: k (4) | g[0] (32) | g2 (64) | s·g2 (64). Limbs: g2.x.c0, g2.x.c1, s·g2.x.c0.
    for (offset, what) in [(36, "g2"), (68, "g2"), (100, "s·g2")] {
        let params = rewrap(
            &f.params_file,
            ArtifactKind::VerifierParams,
            PARAMS_FORMAT_VERSION,
            |p| p[offset..offset + 32].copy_from_slice(&p_le),
        );
        let vk = encode_verifying_key(&f.vk, &f.config, 3, &params, SrsOrigin::File, META).unwrap();
        let e = VerifierKey::from_bytes(&vk, &params).unwrap_err();
        assert!(
            matches!(&e, VerifyError::BadParams(m) if m.contains(what) && m.contains("modulus p")),
            "offset {offset}: {e:?}"
        );
    }
}

/// Re-wraps a mutated payload so it passes the container checksum and reaches the parsers.
fn rewrap(
    file: &[u8],
    kind: ArtifactKind,
    version: u32,
    mutate: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    let mut payload = container::decode(file, kind, version).unwrap().to_vec();
    mutate(&mut payload);
    container::encode(kind, version, &payload)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mutated_proofs_never_verify(pos in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let f = fixture();
        let mut proof = f.proof.clone();
        let i = pos.index(proof.len());
        proof[i] ^= xor;
        prop_assert!(key().verify(TranscriptKind::Blake2b, &proof, &f.instances).is_err());
    }

    #[test]
    fn truncated_proofs_never_verify(len in any::<prop::sample::Index>()) {
        let f = fixture();
        let cut = len.index(f.proof.len());
        prop_assert!(key().verify(TranscriptKind::Blake2b, &f.proof[..cut], &f.instances).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let f = fixture();
        prop_assert!(key().verify(TranscriptKind::Blake2b, &bytes, &f.instances).is_err());
        prop_assert!(VerifierKey::from_bytes(&bytes, &f.params_file).is_err());
        prop_assert!(VerifierKey::from_bytes(&f.vk_file, &bytes).is_err());
        // Arbitrary payloads inside valid headers reach the parsers proper.
        let vk = container::encode(ArtifactKind::VerifyingKey, VK_FORMAT_VERSION, &bytes);
        prop_assert!(VerifierKey::from_bytes(&vk, &f.params_file).is_err());
        let params = container::encode(ArtifactKind::VerifierParams, PARAMS_FORMAT_VERSION, &bytes);
        prop_assert!(VerifierKey::from_bytes(&f.vk_file, &params).is_err());
    }

    /// A mutated key either fails to parse or rejects the proof, unless only its metadata
    /// changed: metadata is covered by the key's digest, not by the proof.
    #[test]
    fn mutated_keys_never_accept(pos in any::<prop::sample::Index>(), xor in 1u8..=255, raw in any::<bool>()) {
        let f = fixture();
        let vk_file = if raw {
            let mut v = f.vk_file.clone();
            let i = pos.index(v.len());
            v[i] ^= xor;
            v
        } else {
            rewrap(&f.vk_file, ArtifactKind::VerifyingKey, VK_FORMAT_VERSION, |p| {
                let i = pos.index(p.len());
                p[i] ^= xor;
            })
        };
        match VerifierKey::from_bytes(&vk_file, &f.params_file) {
            Err(_) => {}
            Ok(key) => {
                let accepted = key.verify(TranscriptKind::Blake2b, &f.proof, &f.instances).is_ok();
                prop_assert!(!accepted || key.metadata() != META, "a mutated key accepted the proof");
                prop_assert_ne!(key.digest(), verifier::vk_digest(&f.vk_file));
            }
        }
    }

    #[test]
    fn truncated_keys_are_rejected(len in any::<prop::sample::Index>()) {
        let f = fixture();
        let cut = len.index(f.vk_file.len());
        prop_assert!(VerifierKey::from_bytes(&f.vk_file[..cut], &f.params_file).is_err());
        let vk = rewrap(&f.vk_file, ArtifactKind::VerifyingKey, VK_FORMAT_VERSION, |p| p.truncate(len.index(p.len())));
        prop_assert!(VerifierKey::from_bytes(&vk, &f.params_file).is_err());
        let cut = len.index(f.params_file.len());
        prop_assert!(VerifierKey::from_bytes(&f.vk_file, &f.params_file[..cut]).is_err());
    }

    #[test]
    fn mutated_params_never_accept(pos in any::<prop::sample::Index>(), xor in 1u8..=255, trunc in any::<bool>()) {
        let f = fixture();
        // Mutate inside a valid header, then re-bind the key to the mutated file so the
        // params parser (not just the hash check) sees it.
        let params_file = rewrap(&f.params_file, ArtifactKind::VerifierParams, PARAMS_FORMAT_VERSION, |p| {
            let i = pos.index(p.len());
            if trunc { p.truncate(i) } else { p[i] ^= xor }
        });
        let vk_file = encode_verifying_key(&f.vk, &f.config, f.instances.len(), &params_file, SrsOrigin::File, META).unwrap();
        prop_assert!(check(&vk_file, &params_file, &f.proof, &f.instances).is_err());
    }
}
