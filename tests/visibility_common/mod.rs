//! Shared helpers of the `visibility_*` tests: model directories compiled with a visibility,
//! a weight file with one weight changed, independent native commitments.
#![allow(clippy::unwrap_used, dead_code, missing_docs)]

use std::path::{Path, PathBuf};

use circuits::backend::ParamStore;
use circuits::native::NativeBackend;
use circuits::ops::{eval_graph, CellTensor};
use circuits::visibility::{ParamVisibility, Visibilities, Visibility};
use circuits::QuantParams;
use onnx_import::ir::{Graph, Tensor};
use verifier::halo2::Fr;
use verifier::KeyOptions;
use zkinfer::{
    compile, setup, CompileOptions, Compiled, Error, Expected, ProofArtifact, Samples, SrsSource,
    Verified, VerifierKey, VerifyOptions,
};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

pub fn srs() -> SrsSource {
    SrsSource::Local {
        cache_dir: root().join("target/test-srs-cache"),
    }
}

pub fn vis(input: Visibility, output: Visibility, params: ParamVisibility) -> Visibilities {
    Visibilities {
        input,
        output,
        params,
    }
}

/// The fixture's sample input.
pub fn inputs(name: &str, graph: &Graph) -> Vec<Tensor> {
    onnx_import::input_file::read_inputs(&fixture(name).join("input.json"), graph).unwrap()
}

/// Compiles `model` (calibrated on the fixture's input, or with `quant`) with `visibility`
/// into a fresh directory and sets it up.
pub fn ready_model(
    name: &str,
    model: &Path,
    visibility: Visibilities,
    quant: Option<QuantParams>,
) -> (tempfile::TempDir, Compiled) {
    let tmp = tempfile::tempdir().unwrap();
    let compiled = compile(
        model,
        &Samples::Files(vec![fixture(name).join("input.json")]),
        &CompileOptions {
            visibility,
            quant,
            ..CompileOptions::default()
        },
    )
    .unwrap();
    compiled.save(tmp.path()).unwrap();
    setup(tmp.path(), &srs()).unwrap();
    (tmp, compiled)
}

/// [`ready_model`] on the fixture's own network.
pub fn ready(name: &str, visibility: Visibilities) -> (tempfile::TempDir, Compiled) {
    ready_model(name, &fixture(name).join("network.onnx"), visibility, None)
}

pub const ALLOW: VerifyOptions = VerifyOptions {
    allow_insecure_srs: true,
};

/// `zkinfer::verify_with` accepting the insecure local SRS these tests set up with.
pub fn verify(dir: &Path, artifact: &ProofArtifact) -> zkinfer::Result<Verified> {
    zkinfer::verify_with(dir, artifact, &ALLOW)
}

/// Verifies against an explicit commitment.
pub fn verify_against(
    dir: &Path,
    artifact: &ProofArtifact,
    commitment: &str,
) -> zkinfer::Result<Verified> {
    zkinfer::verify_expecting(
        dir,
        artifact,
        &ALLOW,
        &Expected {
            commitment: Some(commitment.into()),
            inputs: None,
        },
    )
}

/// Asserts a [`Error::WrongCommitment`] naming both values.
pub fn assert_wrong_commitment(r: zkinfer::Result<Verified>, bound: &str, expected: &str) {
    match r {
        Err(e @ Error::WrongCommitment { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(bound) && msg.contains(expected), "{msg}");
        }
        other => panic!("expected a commitment mismatch, got {other:?}"),
    }
}

/// The key of a directory.
pub fn key(dir: &Path) -> VerifierKey {
    VerifierKey::from_bytes_with(
        &std::fs::read(dir.join("vk.bin")).unwrap(),
        &std::fs::read(dir.join("srs-verifier.bin")).unwrap(),
        &KeyOptions {
            allow_insecure_srs: true,
        },
    )
    .unwrap()
}

/// Writes a copy of `model` with the first element of its largest float initializer (a
/// weight matrix) changed by `delta`, into `dir`; returns the new file.
pub fn perturbed_model(model: &Path, delta: f32, dir: &Path, file: &str) -> PathBuf {
    use onnx_protobuf::Message;
    let bytes = std::fs::read(model).unwrap();
    let mut m = onnx_protobuf::ModelProto::parse_from_bytes(&bytes).unwrap();
    let g = m.graph.as_mut().unwrap();
    let len = |t: &onnx_protobuf::TensorProto| t.float_data.len().max(t.raw_data.len() / 4);
    let t = g
        .initializer
        .iter_mut()
        .filter(|t| t.data_type == onnx_protobuf::tensor_proto::DataType::FLOAT as i32)
        .max_by_key(|t| len(t))
        .unwrap();
    if t.float_data.is_empty() {
        let x = f32::from_le_bytes(t.raw_data[..4].try_into().unwrap()) + delta;
        t.raw_data[..4].copy_from_slice(&x.to_le_bytes());
    } else {
        t.float_data[0] += delta;
    }
    let path = dir.join(file);
    std::fs::write(&path, m.write_to_bytes().unwrap()).unwrap();
    path
}

/// The quantized parameters in load order, from the native evaluator alone (no circuit).
pub fn native_params(graph: &Graph, quant: &QuantParams) -> ParamStore {
    let mut native = NativeBackend::new(quant.bits);
    let zeros = graph
        .inputs
        .iter()
        .map(|&id| {
            let shape = graph.shape(id).to_vec();
            CellTensor {
                data: vec![0i128; shape.iter().product()],
                shape,
            }
        })
        .collect();
    eval_graph(&mut native, quant, graph, zeros).unwrap();
    native.params
}

/// The hashed commitment computed natively: the Poseidon hash of the native evaluator's
/// parameters (no circuit).
pub fn native_param_hash(graph: &Graph, quant: &QuantParams) -> String {
    let store = native_params(graph, quant);
    let h = circuits::visibility::param_hash(&store, quant.bits, quant.param_scale).unwrap();
    circuits::hash::fr_to_hex(&h)
}

/// The field encoding of a quantized value, as an instance.
pub fn fe(q: i128) -> Fr {
    circuits::halo2::field::i128_to_fe(q)
}
