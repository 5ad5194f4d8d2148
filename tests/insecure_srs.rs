//! Keys made with zkinfer's insecure local SRS. Its trapdoor `s` is public, so anyone can
//! forge a proof of a false statement: this test does (an honest proof of `op_relu`, one
//! output changed, the last opening recomputed with `s`). The forgery is accepted when
//! insecure keys are allowed, which shows that it is real, and refused by default, by the
//! library and by `zkinfer verify`. Also: the local SRS is recognized by its `s·g2` at any
//! `k`, and a malformed `srs-verifier.bin` (a G2 coordinate ≥ p) is a clean CLI error.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use circuits::halo2::field::fe_to_i128;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine, G2Affine, G1};
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::halo2_proofs::halo2curves::group::{Curve, GroupEncoding};
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_base::halo2_proofs::transcript::{Blake2bRead, Challenge255, TranscriptReadBuffer};
use onnx_import::input_file::read_inputs;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs, KzgSuccinctVerifyingKey};
use snark_verifier::system::halo2::{compile as compile_protocol, Config};
use snark_verifier::util::transcript::{Transcript, TranscriptRead};
use snark_verifier::verifier::plonk::PlonkSuccinctVerifier;
use snark_verifier::verifier::SnarkVerifier;
use verifier::container::{self, ArtifactKind};
use verifier::{
    instance_to_hex, instances_from_hex, KeyOptions, TranscriptKind, VerifierKey, VerifyError,
    INSECURE_LOCAL_S_G2, PARAMS_FORMAT_VERSION, VK_FORMAT_VERSION,
};
use zkinfer::artifacts::exact_dequantize;
use zkinfer::{
    compile, prove, setup, verify, verify_with, CompileOptions, Compiled, Error, ProofArtifact,
    Samples, SrsSource, VerifyOptions,
};

const MODEL: &str = "op_relu";
const ALLOW: KeyOptions = KeyOptions {
    allow_insecure_srs: true,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles `op_relu`, sets it up with the local SRS and proves it honestly.
fn ready() -> (tempfile::TempDir, Compiled, ProofArtifact) {
    let fixture = root().join("tests/fixtures").join(MODEL);
    let tmp = tempfile::tempdir().unwrap();
    let compiled = compile(
        &fixture.join("network.onnx"),
        &Samples::Files(vec![fixture.join("input.json")]),
        &CompileOptions::default(),
    )
    .unwrap();
    compiled.save(tmp.path()).unwrap();
    let srs = SrsSource::Local {
        cache_dir: root().join("target/test-srs-cache"),
    };
    let report = setup(tmp.path(), &srs).unwrap();
    assert!(report.insecure_srs);
    let inputs = read_inputs(&fixture.join("input.json"), &compiled.graph).unwrap();
    let artifact = prove(tmp.path(), &inputs).unwrap();
    assert!(
        artifact.insecure_srs,
        "the artifact records the insecure key"
    );
    (tmp, compiled, artifact)
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

fn zkinfer(args: &[&str]) -> (Output, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o, text)
}

/// A transcript that remembers the challenges it squeezed.
struct Recorder<T> {
    inner: T,
    challenges: Vec<Fr>,
}

impl<T: Transcript<G1Affine, NativeLoader>> Transcript<G1Affine, NativeLoader> for Recorder<T> {
    fn loader(&self) -> &NativeLoader {
        self.inner.loader()
    }

    fn squeeze_challenge(&mut self) -> Fr {
        let c = self.inner.squeeze_challenge();
        self.challenges.push(c);
        c
    }

    fn common_ec_point(&mut self, p: &G1Affine) -> Result<(), snark_verifier::Error> {
        self.inner.common_ec_point(p)
    }

    fn common_scalar(&mut self, s: &Fr) -> Result<(), snark_verifier::Error> {
        self.inner.common_scalar(s)
    }
}

impl<T: TranscriptRead<G1Affine, NativeLoader>> TranscriptRead<G1Affine, NativeLoader>
    for Recorder<T>
{
    fn read_scalar(&mut self) -> Result<Fr, snark_verifier::Error> {
        self.inner.read_scalar()
    }

    fn read_ec_point(&mut self) -> Result<G1Affine, snark_verifier::Error> {
        self.inner.read_ec_point()
    }
}

/// Turns `proof` (a Blake2b SHPLONK proof, honest for other instances) into a proof of
/// `instances`, knowing the SRS trapdoor `s`.
///
/// SHPLONK's final check is `e(lhs, g2) = e(rhs, s·g2)` with `rhs = W'`, the last point of
/// the proof (read after the last challenge `u`), and `lhs = F + u·W'`, where `F` depends only
/// on what the transcript held before `W'`. Replaying the verifier on the new instances gives
/// `F` and `u`; then `W' = F / (s − u)` satisfies `s·W' = F + u·W'`, whatever the statement.
fn forge(key: &VerifierKey, proof: &[u8], instances: &[Fr], s: Fr) -> Vec<u8> {
    let protocol = compile_protocol(
        key.params(),
        key.halo2_vk(),
        Config::kzg().with_num_instance(vec![instances.len()]),
    );
    let svk = KzgSuccinctVerifyingKey::new(key.params().get_g()[0]);
    let mut t = Recorder {
        inner: Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof),
        challenges: Vec::new(),
    };
    let statement = vec![instances.to_vec()];
    type Succinct = PlonkSuccinctVerifier<KzgAs<Bn256, Bdfg21>>;
    let read = Succinct::read_proof(&svk, &protocol, &statement, &mut t).unwrap();
    let acc = Succinct::verify(&svk, &protocol, &statement, &read)
        .unwrap()
        .remove(0);
    let last = proof.len() - 32;
    assert_eq!(
        acc.rhs.to_bytes().as_ref(),
        &proof[last..],
        "rhs is the last proof point"
    );
    let u = *t.challenges.last().unwrap();
    let f = G1::from(acc.lhs) - acc.rhs * u;
    let w = (f * (s - u).invert().unwrap()).to_affine();
    let mut forged = proof.to_vec();
    forged[last..].copy_from_slice(w.to_bytes().as_ref());
    forged
}

#[test]
fn a_forged_proof_of_a_false_output_is_accepted_only_when_insecure_keys_are_allowed() {
    let (dir, compiled, honest) = ready();
    let (vk, params) = (
        read(dir.path(), "vk.bin"),
        read(dir.path(), "srs-verifier.bin"),
    );
    let key = VerifierKey::from_bytes_with(&vk, &params, &ALLOW).unwrap();
    assert!(key.is_insecure_srs());
    let e = VerifierKey::from_bytes(&vk, &params).unwrap_err();
    assert!(matches!(e, VerifyError::InsecureSrs { .. }), "{e:?}");

    // The false statement: the last output element one fixed-point unit higher.
    let mut instances = instances_from_hex(&honest.instances).unwrap();
    let i = instances.len() - 1;
    let q = fe_to_i128(&instances[i]).unwrap() + 1;
    instances[i] += Fr::ONE;
    let proof = hex::decode(&honest.proof).unwrap();
    assert!(
        matches!(
            key.verify(TranscriptKind::Blake2b, &proof, &instances),
            Err(VerifyError::Rejected)
        ),
        "the honest proof does not prove the false statement"
    );
    let forged = forge(&key, &proof, &instances, prover::srs::local_srs_secret());
    assert_ne!(forged, proof);
    key.verify(TranscriptKind::Blake2b, &forged, &instances)
        .expect("the forgery verifies: the trapdoor is public");

    // As a proof artifact claiming the false output.
    let mut art = honest.clone();
    art.proof = hex::encode(&forged);
    art.instances[i] = instance_to_hex(&instances[i]);
    let out = &compiled.settings.outputs.last().unwrap().name;
    let data = &mut art.outputs.get_mut(out).unwrap().data;
    let shown = data.last_mut().unwrap();
    let scale = compiled.settings.quant.input_scale;
    assert_ne!(Some(*shown), exact_dequantize(q, scale));
    *shown = exact_dequantize(q, scale).unwrap();
    let allow = VerifyOptions {
        allow_insecure_srs: true,
    };
    assert!(verify_with(dir.path(), &art, &allow).unwrap().insecure_srs);
    assert!(matches!(
        verify(dir.path(), &art),
        Err(Error::Verify(VerifyError::InsecureSrs { .. }))
    ));

    // The command line refuses it without the flag, naming the flag.
    let path = dir.path().join("forged.json");
    art.save(&path).unwrap();
    let (d, p) = (dir.path().to_str().unwrap(), path.to_str().unwrap());
    let (o, text) = zkinfer(&["verify", d, "--proof", p]);
    assert!(!o.status.success(), "{text}");
    assert!(
        text.contains("refusing to verify")
            && text.contains("INSECURE SRS")
            && text.contains("--allow-insecure-srs"),
        "{text}"
    );
    assert!(!text.contains("is valid"), "{text}");
    let (o, text) = zkinfer(&["verify", d, "--proof", p, "--allow-insecure-srs"]);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("is valid for the model")
            && text.contains("INSECURE SRS: anyone can forge proofs"),
        "{text}"
    );
}

#[test]
fn the_local_srs_is_recognized_by_its_s_g2_at_every_k() {
    let s = prover::srs::local_srs_secret();
    let from_trapdoor = (G2Affine::generator() * s).to_affine();
    assert_eq!(from_trapdoor.to_bytes().as_ref(), INSECURE_LOCAL_S_G2);
    let cache = tempfile::tempdir().unwrap();
    for k in [4, 6] {
        let (srs, _, _) = prover::local_srs(k, cache.path()).unwrap();
        assert_eq!(srs.k(), k);
        assert_eq!(
            srs.s_g2().to_bytes().as_ref(),
            INSECURE_LOCAL_S_G2,
            "k = {k}"
        );
        assert!(verifier::is_insecure_local_srs(&srs));
        assert_eq!(srs.get_g()[1], (G1Affine::generator() * s).to_affine());
    }
}

/// Replaces `payload[range]` of a container file, keeping its header valid.
fn patch(file: &[u8], kind: ArtifactKind, version: u32, at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut payload = container::decode(file, kind, version).unwrap().to_vec();
    payload[at..at + bytes.len()].copy_from_slice(bytes);
    container::encode(kind, version, &payload)
}

#[test]
fn a_g2_coordinate_not_below_p_is_a_named_error_not_a_printed_panic() {
    let (dir, _, mut art) = ready();
    // p, the BN254 base-field modulus, little-endian: g2.x.c0 = p (payload offset 4 + 32).
    let mut p_le =
        hex::decode("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47").unwrap();
    p_le.reverse();
    let params = patch(
        &read(dir.path(), "srs-verifier.bin"),
        ArtifactKind::VerifierParams,
        PARAMS_FORMAT_VERSION,
        36,
        &p_le,
    );
    // Re-bind the key to the file (payload: count 4 | origin 1 | sha256 of the params 32).
    let hash = hex::decode(prover::fsutil::sha256_hex(&params)).unwrap();
    let vk = patch(
        &read(dir.path(), "vk.bin"),
        ArtifactKind::VerifyingKey,
        VK_FORMAT_VERSION,
        5,
        &hash,
    );
    std::fs::write(dir.path().join("srs-verifier.bin"), &params).unwrap();
    std::fs::write(dir.path().join("vk.bin"), &vk).unwrap();
    art.vk_digest = prover::fsutil::sha256_hex(&vk);
    let path = dir.path().join("proof.json");
    art.save(&path).unwrap();
    let (d, p) = (dir.path().to_str().unwrap(), path.to_str().unwrap());
    let (o, text) = zkinfer(&["verify", d, "--proof", p, "--allow-insecure-srs"]);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("bad verifier parameters") && text.contains("modulus p"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}
