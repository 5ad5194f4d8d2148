//! End-to-end proofs with real keys (not MockProver) on the trained and chain fixtures:
//! compile → setup (insecure local SRS, cached in `target/test-srs-cache`) → prove → verify,
//! then tampering, wrong-model and version checks. One test per model keeps CI cost low.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use circuits::fixed::eval_fixed;
use onnx_import::input_file::read_inputs;
use verifier::halo2::Fr;
use verifier::KeyOptions;
use verifier::{instance_from_hex, instance_to_hex, VerifyError};
use zkinfer::{
    compile, prove, prove_with, setup, verify_with_key, CompileOptions, Compiled, Error,
    ProofArtifact, ProveOptions, Samples, SrsSource, Stage, VerifierKey, VerifyOptions,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// `zkinfer::verify` accepting keys from the insecure local SRS, which these tests set up with.
fn verify(dir: &Path, artifact: &ProofArtifact) -> zkinfer::Result<()> {
    let allow = VerifyOptions {
        allow_insecure_srs: true,
    };
    zkinfer::verify_with(dir, artifact, &allow).map(|_| ())
}

fn srs() -> SrsSource {
    SrsSource::Local {
        cache_dir: root().join("target/test-srs-cache"),
    }
}

/// Calibration files: input.json, plus meta.json when it carries test samples.
fn samples(name: &str) -> Samples {
    let dir = fixture(name);
    let mut files = vec![dir.join("input.json")];
    let meta = dir.join("meta.json");
    if std::fs::read_to_string(&meta).is_ok_and(|t| t.contains("\"test_samples\"")) {
        files.push(meta);
    }
    Samples::Files(files)
}

/// Compiles and sets up `name` in a fresh temporary directory.
fn compiled_dir(name: &str) -> (tempfile::TempDir, Compiled, String) {
    let tmp = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let compiled = compile(
        &fixture(name).join("network.onnx"),
        &samples(name),
        &CompileOptions::default(),
    )
    .unwrap();
    compiled.save(tmp.path()).unwrap();
    let compile_time = t.elapsed();
    let report = setup(tmp.path(), &srs()).unwrap();
    let s = &compiled.settings;
    let line =
        format!(
        "{name}: k={} scale={} bits={} instances={} | compile {:.2?}, srs {:.2?}{}, keygen {:.2?}",
        report.k,
        s.quant.input_scale,
        s.quant.bits,
        s.num_instances,
        compile_time,
        report.srs_time,
        if report.srs_generated { " (generated)" } else { " (cached)" },
        report.keygen_time
    );
    (tmp, compiled, line)
}

/// Adds `delta` to instance `i` and keeps the readable tensors consistent with it, so only
/// the cryptographic check can catch the change.
fn shift_instance(a: &ProofArtifact, c: &Compiled, i: usize) -> ProofArtifact {
    let mut a = a.clone();
    let v = instance_from_hex(&a.instances[i], i).unwrap() + Fr::one();
    a.instances[i] = instance_to_hex(&v);
    let step = 1.0 / f64::from(c.settings.quant.input_scale).exp2();
    let mut offset = i;
    let specs = c
        .settings
        .inputs
        .iter()
        .map(|s| (s, true))
        .chain(c.settings.outputs.iter().map(|s| (s, false)));
    for (spec, is_input) in specs {
        if offset < spec.len() {
            let map = if is_input {
                &mut a.inputs
            } else {
                &mut a.outputs
            };
            map.get_mut(&spec.name).unwrap().data[offset] += step;
            return a;
        }
        offset -= spec.len();
    }
    unreachable!("instance index out of range")
}

fn assert_rejected(r: zkinfer::Result<()>, what: &str) {
    match r {
        Err(Error::Verify(VerifyError::Rejected | VerifyError::BadProof(_))) => {}
        other => panic!("{what}: expected a rejected proof, got {other:?}"),
    }
}

/// The whole pipeline on one model; returns the model directory for further checks.
fn end_to_end(name: &str) -> (tempfile::TempDir, Compiled, ProofArtifact) {
    let (dir, compiled, mut line) = compiled_dir(name);
    let inputs = read_inputs(&fixture(name).join("input.json"), &compiled.graph).unwrap();

    let t = Instant::now();
    let stages = std::cell::RefCell::new(Vec::new());
    let record = |stage: Stage| stages.borrow_mut().push((stage, t.elapsed()));
    let artifact = prove_with(dir.path(), &inputs, &ProveOptions::default(), &record).unwrap();
    let prove_time = t.elapsed();
    let marks: Vec<String> = stages
        .borrow()
        .iter()
        .map(|(s, at)| format!("{} @{at:.2?}", s.label()))
        .collect();
    let t = Instant::now();
    verify(dir.path(), &artifact).unwrap();
    let verify_time = t.elapsed();
    let proof_len = artifact.proof.len() / 2;
    line += &format!(
        ", prove {prove_time:.2?} [{}], verify {verify_time:.2?}, proof {proof_len} bytes",
        marks.join(", ")
    );
    for f in ["pk.bin", "vk.bin", "srs-verifier.bin", "srs-prover.bin"] {
        let len = std::fs::metadata(dir.path().join(f)).unwrap().len();
        line += &format!(", {f} {len}");
    }
    println!("{line}");

    // Outputs equal the fixed-point reference evaluator bit for bit, in the instances too.
    let s = &compiled.settings;
    let run = eval_fixed(&compiled.graph, &s.quant, &inputs).unwrap();
    for (spec, want) in s.outputs.iter().zip(&run.outputs_float) {
        let got = &artifact.outputs[&spec.name];
        assert_eq!(got.shape, want.shape);
        let (g, w): (Vec<u64>, Vec<u64>) = (
            got.data.iter().map(|x| x.to_bits()).collect(),
            want.data.iter().map(|x| x.to_bits()).collect(),
        );
        assert_eq!(g, w, "{name}: output {} differs from eval_fixed", spec.name);
    }
    let q_out: Vec<i128> = run
        .outputs
        .iter()
        .flat_map(|t| t.data.iter().copied())
        .collect();
    let n_in = s.num_instances - q_out.len();
    for (j, q) in q_out.iter().enumerate() {
        let f = instance_from_hex(&artifact.instances[n_in + j], j).unwrap();
        assert_eq!(circuits::halo2::field::fe_to_i128(&f), Some(*q));
    }

    // Save/load round trip.
    let path = dir.path().join("proof.json");
    artifact.save(&path).unwrap();
    let loaded = ProofArtifact::load(&path).unwrap();
    assert_eq!(loaded, artifact);
    verify(dir.path(), &loaded).unwrap();

    // Tampering: an output instance, an input instance (readable values kept consistent,
    // so only the proof can catch it), a readable output alone, one proof byte.
    let last = artifact.instances.len() - 1;
    assert_rejected(
        verify(dir.path(), &shift_instance(&artifact, &compiled, last)),
        "output instance",
    );
    assert_rejected(
        verify(dir.path(), &shift_instance(&artifact, &compiled, 0)),
        "input instance",
    );
    let mut fake = artifact.clone();
    fake.outputs.values_mut().next().unwrap().data[0] += 1.0;
    assert!(matches!(
        verify(dir.path(), &fake),
        Err(Error::Artifact { .. })
    ));
    for pos in [0, proof_len / 2, proof_len - 1] {
        let mut bytes = hex::decode(&artifact.proof).unwrap();
        bytes[pos] ^= 0x01;
        let mut bad = artifact.clone();
        bad.proof = hex::encode(bytes);
        assert_rejected(verify(dir.path(), &bad), "flipped proof byte");
    }
    (dir, compiled, artifact)
}

/// A settings.json from a future version is refused with a clear error naming the file;
/// verification does not read it (the key carries the statement).
fn check_future_settings(dir: &Path, artifact: &ProofArtifact, inputs: &[onnx_import::ir::Tensor]) {
    let path = dir.join("settings.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["format_version"] = 99.into();
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let errors = [
        Compiled::load(dir).unwrap_err(),
        prove(dir, inputs).unwrap_err(),
        setup(dir, &srs()).unwrap_err(),
    ];
    for err in errors {
        assert!(
            matches!(
                err,
                Error::Version {
                    found: 99,
                    expected: zkinfer::SETTINGS_VERSION,
                    ..
                }
            ),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("settings.json") && msg.contains("99"), "{msg}");
    }
    verify(dir, artifact).unwrap();
    std::fs::write(&path, text).unwrap();
}

#[test]
fn digits_mlp16() {
    let (dir, compiled, artifact) = end_to_end("digits_mlp16");
    let inputs = read_inputs(&fixture("digits_mlp16").join("input.json"), &compiled.graph).unwrap();
    check_future_settings(dir.path(), &artifact, &inputs);

    // A verifier needs only vk.bin and srs-verifier.bin, parsed once.
    let vk = std::fs::read(dir.path().join("vk.bin")).unwrap();
    let params = std::fs::read(dir.path().join("srs-verifier.bin")).unwrap();
    let allow = KeyOptions {
        allow_insecure_srs: true,
    };
    let key = VerifierKey::from_bytes_with(&vk, &params, &allow).unwrap();
    verify_with_key(&key, &artifact).unwrap();
    let only_keys = tempfile::tempdir().unwrap();
    std::fs::write(only_keys.path().join("vk.bin"), &vk).unwrap();
    std::fs::write(only_keys.path().join("srs-verifier.bin"), &params).unwrap();
    verify(only_keys.path(), &artifact).unwrap();

    // Proving again gives the same statement; the proof bytes may differ (halo2-axiom's
    // lookup argument orders equal values through a randomly seeded hash map).
    let again = prove(dir.path(), &inputs).unwrap();
    assert_eq!(
        (&again.instances, &again.outputs, &again.vk_digest),
        (&artifact.instances, &artifact.outputs, &artifact.vk_digest)
    );
    verify(dir.path(), &again).unwrap();

    // A proof artifact from a future version.
    let mut v = serde_json::to_value(&artifact).unwrap();
    v["format_version"] = 99.into();
    let path = dir.path().join("future-proof.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let err = ProofArtifact::load(&path).unwrap_err();
    assert!(
        matches!(err, Error::Version { found: 99, .. })
            && err.to_string().contains("future-proof.json")
    );

    // Another model's directory: refused by digest, and by the proof if the digest is forged.
    let (other, _, line) = compiled_dir("op_gemm_bias");
    println!("{line}");
    let err = verify(other.path(), &artifact).unwrap_err();
    assert!(matches!(err, Error::WrongModel { .. }), "{err:?}");
    assert!(err.to_string().contains("another model"));
    let mut forged = artifact.clone();
    forged.vk_digest =
        prover::fsutil::sha256_hex(&std::fs::read(other.path().join("vk.bin")).unwrap());
    assert!(verify(other.path(), &forged).is_err());

    // An out-of-range input fails before proving, naming the problem.
    let mut big = inputs.clone();
    big[0].data[0] = 1.0e6;
    let err = prove(dir.path(), &big).unwrap_err();
    assert!(matches!(err, Error::Circuit(_)), "{err:?}");

    // Verifier parameters of another SRS size are detected (another model's file may well
    // be for the same k, so make one for a different k).
    let k = compiled.settings.circuit.k;
    let other_k = if k > 8 { k - 1 } else { k + 1 };
    let (other_srs, _, _) =
        prover::local_srs(other_k, &root().join("target/test-srs-cache")).unwrap();
    std::fs::write(
        dir.path().join("srs-verifier.bin"),
        verifier::encode_verifier_params(&other_srs).unwrap(),
    )
    .unwrap();
    let err = verify(dir.path(), &artifact).unwrap_err();
    assert!(
        matches!(err, Error::Verify(VerifyError::ParamsMismatch)),
        "{err:?}"
    );
}

#[test]
fn digits_conv() {
    end_to_end("digits_conv");
}

#[test]
fn mlp_chain() {
    end_to_end("mlp_chain");
}

#[test]
fn cnn_chain() {
    end_to_end("cnn_chain");
}
