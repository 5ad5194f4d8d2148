//! Hashed and committed parameters with real proofs: one key directory serves two models of
//! one architecture, each proof verifies only against its own weights' commitment, and the
//! commitment `setup`, `commit` and the proof report equals an independent native
//! computation (`digits_mlp16` and the small conv fixture `op_conv_pad1`).
#![allow(clippy::unwrap_used, missing_docs)]

mod visibility_common;

use std::path::Path;

use circuits::visibility::{ParamVisibility, Visibility};
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::arithmetic::best_multiexp;
use halo2_base::halo2_proofs::halo2curves::group::Curve;
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use verifier::halo2::{Fr, G1Affine};
use verifier::{instance_to_hex, VerifyError};
use visibility_common::*;
use zkinfer::commitment::CommitmentFile;
use zkinfer::{
    prove_with_model, CommitmentKind, Compiled, Error, ModelCommitment, ProofArtifact, ProveOptions,
};

fn prove(dir: &Path, model: Option<&Path>, c: &Compiled, name: &str) -> ProofArtifact {
    let x = inputs(name, &c.graph);
    prove_with_model(
        dir,
        model,
        &x,
        &ProveOptions::default(),
        &prover::no_progress,
    )
    .unwrap()
    .artifact
}

/// The committed commitment, computed independently of `zkinfer::commitment` and of
/// `prover::committed`: the weight columns' contents from the circuit, each converted to
/// coefficients (inverse FFT over the key's domain) and committed with the SRS's monomial
/// powers, then keccak256 of the points (`x ‖ y` big-endian).
fn native_committed(dir: &Path, c: &Compiled) -> String {
    let s = &c.settings;
    let key = key(dir);
    let vk = key.halo2_vk();
    let srs = prover::load_srs(&dir.join("srs-prover.bin"), s.circuit.k).unwrap();
    let built = circuits::halo2::build(
        CircuitBuilderStage::Keygen,
        &c.graph,
        &s.quant,
        &s.circuit,
        None,
    )
    .unwrap();
    let n = 1usize << s.circuit.k;
    let usable = n - (vk.cs().blinding_factors() + 1);
    let domain = vk.get_domain();
    let points: Vec<G1Affine> = built
        .circuit
        .dots
        .weight_columns(s.circuit.dot_columns, n)
        .into_iter()
        .map(|mut col| {
            assert!(col[usable..].iter().all(|v| *v == Fr::zero()));
            col.resize(n, Fr::zero());
            let coeffs = domain.lagrange_to_coeff(domain.lagrange_from_vec(col));
            best_multiexp(&coeffs, &srs.get_g()[..n]).to_affine()
        })
        .collect();
    assert_eq!(points.len(), s.circuit.dot_columns);
    let mut bytes = Vec::new();
    for p in &points {
        bytes.extend(verifier::committed::point_xy_be(p));
    }
    use snark_verifier::util::hash::{Digest, Keccak256};
    format!("0x{}", hex::encode(Keccak256::digest(&bytes)))
}

/// Everything about one parameter mode on one fixture; `same_vk` also compiles the
/// perturbed model on its own (with the same quantization) and checks that its keys are
/// byte-identical.
fn two_weight_files(name: &str, params: ParamVisibility, same_vk: bool) {
    let kind = CommitmentKind::of(params).unwrap();
    let model_a = fixture(name).join("network.onnx");
    let (dir, compiled) = ready(name, vis(Visibility::Public, Visibility::Public, params));
    let dir = dir.path();
    let s = &compiled.settings;
    let files = tempfile::tempdir().unwrap();
    let model_b = perturbed_model(&model_a, 0.25, files.path(), "b.onnx");

    // Model A: the proof verifies, against commitment.json, and reports its commitment.
    let a = prove(dir, None, &compiled, name);
    let va = verify(dir, &a).unwrap();
    let ca = va.commitment.clone().unwrap();
    assert_eq!(ca.kind, kind);
    assert_eq!(a.commitment.as_ref(), Some(&ca));
    assert!(va
        .commitment_checked_against
        .unwrap()
        .ends_with("commitment.json"));
    let file = CommitmentFile::read(&dir.join("commitment.json")).unwrap();
    assert_eq!(file.commitment, ca);

    // The commitment equals an independent native computation, and `commit` agrees, twice.
    let native = match kind {
        CommitmentKind::Hashed => native_param_hash(&compiled.graph, &s.quant),
        _ => native_committed(dir, &compiled),
    };
    assert_eq!(ca.value, native, "{name} {params}");
    assert_eq!(zkinfer::commit(dir, None).unwrap(), Some(ca.clone()));
    assert_eq!(
        zkinfer::commit(dir, Some(&model_a)).unwrap(),
        Some(ca.clone())
    );
    if kind == CommitmentKind::Hashed {
        assert_eq!(a.hashes.params.as_deref(), Some(ca.value.as_str()));
    }

    // Model B (one weight changed) proves with the same keys, bound to its own commitment.
    let cb = zkinfer::commit(dir, Some(&model_b)).unwrap().unwrap();
    assert_ne!(
        cb.value, ca.value,
        "one weight changed must change the commitment"
    );
    let b = prove(dir, Some(&model_b), &compiled, name);
    assert_eq!(b.vk_digest, a.vk_digest);
    assert_eq!(b.commitment.as_ref(), Some(&cb));
    let b_graph = compiled.with_weights(&model_b).unwrap().graph;
    let native_b = match kind {
        CommitmentKind::Hashed => native_param_hash(&b_graph, &s.quant),
        _ => {
            let mut cb2 = compiled.clone();
            cb2.graph = b_graph;
            native_committed(dir, &cb2)
        }
    };
    assert_eq!(cb.value, native_b);

    // Each proof verifies only against its own commitment.
    assert_wrong_commitment(verify(dir, &b), &cb.value, &ca.value);
    let vb = verify_against(dir, &b, &cb.value).unwrap();
    assert_eq!(vb.commitment.as_ref(), Some(&cb));
    assert_wrong_commitment(verify_against(dir, &a, &cb.value), &ca.value, &cb.value);
    verify_against(dir, &a, &ca.value.to_uppercase().replace("0X", "0x")).unwrap();

    // An artifact claiming another commitment than its proof's is refused.
    let mut claims = b.clone();
    claims.commitment = Some(ca.clone());
    assert!(matches!(verify(dir, &claims), Err(Error::Artifact { .. })));
    if kind == CommitmentKind::Hashed {
        // B's proof with A's hash as its parameter-hash instance: the proof fails.
        let mut forged = b.clone();
        let last = forged.instances.len() - 1;
        let h = circuits::hash::fr_from_hex(&ca.value).unwrap();
        forged.instances[last] = instance_to_hex(&h);
        forged.hashes.params = Some(ca.value.clone());
        forged.commitment = Some(ca.clone());
        assert!(matches!(
            verify(dir, &forged),
            Err(Error::Verify(
                VerifyError::Rejected | VerifyError::BadProof(_)
            ))
        ));
    }

    // A weight file of another architecture is refused, naming it.
    let other = fixture("op_gemm_bias").join("network.onnx");
    let x = inputs(name, &compiled.graph);
    let err = prove_with_model(
        dir,
        Some(&other),
        &x,
        &ProveOptions::default(),
        &prover::no_progress,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::WrongArchitecture { .. }) && err.to_string().contains("op_gemm_bias"),
        "{err}"
    );

    if same_vk {
        // B compiled and set up on its own, with A's quantization: byte-identical keys.
        let (dir_b, _) = ready_model(
            name,
            &model_b,
            vis(Visibility::Public, Visibility::Public, params),
            Some(s.quant.clone()),
        );
        let read = |d: &Path| std::fs::read(d.join("vk.bin")).unwrap();
        assert!(read(dir) == read(dir_b.path()), "{name}: vk.bin differs");
        let own = CommitmentFile::read(&dir_b.path().join("commitment.json")).unwrap();
        assert_eq!(own.commitment, cb);
        // A's proof verifies with B's keys, but not against B's recorded commitment.
        assert_wrong_commitment(verify(dir_b.path(), &a), &ca.value, &cb.value);
        verify(dir_b.path(), &b).unwrap();
    }
}

#[test]
fn hashed_params_digits_mlp16() {
    two_weight_files("digits_mlp16", ParamVisibility::Hashed, true);
}

#[test]
fn hashed_params_conv() {
    two_weight_files("op_conv_pad1", ParamVisibility::Hashed, false);
}

#[test]
fn committed_params_digits_mlp16() {
    two_weight_files("digits_mlp16", ParamVisibility::Committed, true);
}

#[test]
fn committed_params_conv() {
    two_weight_files("op_conv_pad1", ParamVisibility::Committed, false);
}

/// Fixed parameters: another weight file is an error; the commitment is the key's sha256.
#[test]
fn fixed_params_refuse_other_weights() {
    let name = "op_conv_pad1";
    let (dir, compiled) = ready(
        name,
        vis(
            Visibility::Public,
            Visibility::Public,
            ParamVisibility::Fixed,
        ),
    );
    let files = tempfile::tempdir().unwrap();
    let model_b = perturbed_model(
        &fixture(name).join("network.onnx"),
        0.25,
        files.path(),
        "b.onnx",
    );
    let x = inputs(name, &compiled.graph);
    let err = prove_with_model(
        dir.path(),
        Some(&model_b),
        &x,
        &ProveOptions::default(),
        &prover::no_progress,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::FixedParams { .. }) && err.to_string().contains("b.onnx"),
        "{err}"
    );
    let a = prove(dir.path(), None, &compiled, name);
    let v = verify(dir.path(), &a).unwrap();
    let vk = std::fs::read(dir.path().join("vk.bin")).unwrap();
    let c = ModelCommitment::fixed(&vk);
    assert_eq!(c.value, format!("0x{}", prover::fsutil::sha256_hex(&vk)));
    assert_eq!(v.commitment, Some(c.clone()));
    assert_eq!(zkinfer::commit(dir.path(), None).unwrap(), Some(c.clone()));
    // Another model's fixed commitment, from its own keys with this shape: different.
    let cb = zkinfer::commit(dir.path(), Some(&model_b))
        .unwrap()
        .unwrap();
    assert_eq!(cb.kind, CommitmentKind::Fixed);
    assert_ne!(cb, c);
    assert_wrong_commitment(
        verify_against(dir.path(), &a, &cb.value),
        &c.value,
        &cb.value,
    );
}

/// Private parameters: real proofs with two weight files against one key both verify, and
/// neither is bound to a model commitment (asking for one is an error).
#[test]
fn private_params_prove_any_weights_of_the_architecture() {
    let name = "digits_mlp16";
    let (dir, compiled) = ready(
        name,
        vis(
            Visibility::Public,
            Visibility::Public,
            ParamVisibility::Private,
        ),
    );
    assert!(!dir.path().join("commitment.json").exists());
    let files = tempfile::tempdir().unwrap();
    // Every weight scaled by 3/4, so the outputs change too (the first weight alone, which
    // `perturbed_model` changes, multiplies a pixel that is 0 in the fixture input).
    let mut bytes = std::fs::read(fixture(name).join("network.onnx")).unwrap();
    {
        use onnx_protobuf::Message;
        let mut m = onnx_protobuf::ModelProto::parse_from_bytes(&bytes).unwrap();
        for t in &mut m.graph.as_mut().unwrap().initializer {
            t.float_data.iter_mut().for_each(|v| *v *= 0.75);
            for c in t.raw_data.chunks_exact_mut(4) {
                let v = f32::from_le_bytes(c.try_into().unwrap()) * 0.75;
                c.copy_from_slice(&v.to_le_bytes());
            }
        }
        bytes = m.write_to_bytes().unwrap();
    }
    let model_b = files.path().join("b.onnx");
    std::fs::write(&model_b, bytes).unwrap();
    let a = prove(dir.path(), None, &compiled, name);
    let b = prove(dir.path(), Some(&model_b), &compiled, name);
    assert!(a.commitment.is_none() && b.commitment.is_none());
    for art in [&a, &b] {
        let v = verify(dir.path(), art).unwrap();
        assert_eq!(v.commitment, None);
    }
    assert_ne!(a.outputs, b.outputs, "the other weights give other outputs");
    let c = "0x".to_string() + &"11".repeat(32);
    let err = verify_against(dir.path(), &a, &c).unwrap_err();
    assert!(matches!(err, Error::NoCommitment { .. }), "{err}");
}
