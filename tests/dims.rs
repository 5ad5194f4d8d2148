//! Symbolic input dimensions through the library facade: a PyTorch-style model with
//! `dim_param: "batch"` compiles with the default batch 1, with an explicit `batch = 4` and
//! from an input file of shape `[4, ...]`; its shape arithmetic folds; the circuits are
//! satisfied (MockProver; three real proofs); wrong shapes, conflicting bindings and an
//! unresolvable dimension are named errors. Also integer graph inputs, held exactly.
#![allow(clippy::unwrap_used, missing_docs)]

mod dims_models;

use std::path::{Path, PathBuf};

use circuits::fixed::{eval_fixed, quantize_inputs};
use circuits::halo2::build;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use onnx_import::dims::{DimKey, DimSource, ImportOptions};
use onnx_import::input_file::parse_inputs;
use onnx_import::ir::{DType, Op, Tensor};
use zkinfer::{
    compile, prove, setup, CompileOptions, Compiled, Error, ProofArtifact, Samples, SrsSource,
    VerifyOptions,
};

use dims_models::{batch_mlp, int_params, mlp_input, seq_model, shared_batch};

/// `zkinfer::verify` accepting keys from the insecure local SRS, which these tests set up with.
fn verify(dir: &Path, artifact: &ProofArtifact) -> zkinfer::Result<()> {
    let allow = VerifyOptions {
        allow_insecure_srs: true,
    };
    zkinfer::verify_with(dir, artifact, &allow).map(|_| ())
}

fn srs() -> SrsSource {
    SrsSource::Local {
        cache_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-srs-cache"),
    }
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn random(count: usize) -> Samples {
    Samples::Random {
        count,
        range: (-1.0, 1.0),
    }
}

fn with_dims(dims: &[(&str, usize)]) -> CompileOptions {
    CompileOptions {
        dims: dims.iter().map(|(k, v)| (DimKey::parse(k), *v)).collect(),
        ..CompileOptions::default()
    }
}

/// The circuit of `c` on `inputs` is satisfied, and its outputs are the evaluator's.
fn mock_check(c: &Compiled, inputs: &[Tensor]) {
    let s = &c.settings;
    let run = eval_fixed(&c.graph, &s.quant, inputs).unwrap();
    let q = quantize_inputs(&c.graph, &s.quant, inputs).unwrap();
    let built = build(
        CircuitBuilderStage::Mock,
        &c.graph,
        &s.quant,
        &s.circuit,
        Some(&q),
    )
    .unwrap();
    assert_eq!(built.outputs, run.outputs);
    MockProver::run(s.circuit.k, &built.circuit, vec![built.instances.clone()])
        .unwrap()
        .assert_satisfied();
}

fn prove_and_verify(c: &Compiled, inputs: &[Tensor]) {
    let tmp = tempfile::tempdir().unwrap();
    c.save(tmp.path()).unwrap();
    setup(tmp.path(), &srs()).unwrap();
    let art = prove(tmp.path(), inputs).unwrap();
    verify(tmp.path(), &art).unwrap();
    let floats = onnx_import::eval::eval_graph(&c.graph, inputs).unwrap();
    let got = &art.outputs["y"];
    assert_eq!(got.shape, floats[0].shape);
    for (g, w) in got.data.iter().zip(&floats[0].data) {
        assert!((g - w).abs() < 1e-2, "{g} vs {w}");
    }
}

#[test]
fn batch_dim_defaults_to_one_and_proves() {
    let tmp = tempfile::tempdir().unwrap();
    let model = write(tmp.path(), "mlp.onnx", batch_mlp());
    let c = compile(&model, &random(8), &CompileOptions::default()).unwrap();
    assert_eq!(c.settings.inputs[0].shape, vec![1, 1, 2, 2]);
    assert_eq!(c.settings.outputs[0].shape, vec![1, 2]);
    assert_eq!(c.settings.dims.len(), 1);
    assert_eq!(c.settings.dims[0].to_string(), "batch = 1 (default)");
    // Shape -> Gather -> Unsqueeze -> Concat folded into the Reshape's target.
    let ops: Vec<&str> = c.graph.nodes.iter().map(|n| n.op.name()).collect();
    assert_eq!(ops, ["Reshape", "Gemm", "Relu", "Gemm"]);
    assert_eq!(c.graph.nodes[0].op, Op::Reshape { shape: vec![1, 4] });
    let inputs = parse_inputs(&mlp_input(1), &c.graph).unwrap();
    prove_and_verify(&c, &inputs);
}

#[test]
fn batch_dim_from_flag_proves_and_rejects_other_shapes() {
    let tmp = tempfile::tempdir().unwrap();
    let model = write(tmp.path(), "mlp.onnx", batch_mlp());
    let c = compile(&model, &random(8), &with_dims(&[("batch", 4)])).unwrap();
    assert_eq!(c.settings.inputs[0].shape, vec![4, 1, 2, 2]);
    assert_eq!(c.settings.outputs[0].shape, vec![4, 2]);
    assert_eq!(c.settings.dims[0].source, DimSource::Flag);
    assert_eq!(c.graph.nodes[0].op, Op::Reshape { shape: vec![4, 4] });
    let inputs = parse_inputs(&mlp_input(4), &c.graph).unwrap();

    // The model directory keeps the binding: loading it gives the same graph.
    let dir = tempfile::tempdir().unwrap();
    c.save(dir.path()).unwrap();
    let loaded = Compiled::load(dir.path()).unwrap();
    assert_eq!(loaded.graph, c.graph);
    assert_eq!(loaded.settings.dims, c.settings.dims);

    prove_and_verify(&c, &inputs);

    // Proving on a batch-1 input is an error naming the input and both shapes (checked
    // before the keys are needed).
    let one = Tensor::new(vec![1, 1, 2, 2], vec![0.5; 4]).unwrap();
    let e = prove(dir.path(), &[one]).unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, Error::Circuit(_)), "{e:?}");
    for needle in ["\"x\"", "[4, 1, 2, 2]", "[1, 1, 2, 2]", "batch = 4 (--dim)"] {
        assert!(m.contains(needle), "{needle:?} missing in {m}");
    }
}

#[test]
fn batch_dim_from_input_file_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let model = write(tmp.path(), "mlp.onnx", batch_mlp());
    let cal = write(tmp.path(), "cal.json", mlp_input(4));
    let c = compile(
        &model,
        &Samples::Files(vec![cal.clone()]),
        &CompileOptions::default(),
    )
    .unwrap();
    assert_eq!(c.settings.inputs[0].shape, vec![4, 1, 2, 2]);
    assert_eq!(c.settings.dims[0].to_string(), "batch = 4 (input file)");
    let inputs = onnx_import::input_file::read_inputs(&cal, &c.graph).unwrap();
    mock_check(&c, &inputs);
    prove_and_verify(&c, &inputs);
    // The flag wins over the file; the file then no longer fits.
    let e = compile(
        &model,
        &Samples::Files(vec![cal]),
        &with_dims(&[("batch", 2)]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("[4, 1, 2, 2]") && e.contains("[2, 1, 2, 2]"),
        "{e}"
    );
    // Tensors given directly bind it too.
    let t = Tensor::new(vec![3, 1, 2, 2], vec![0.25; 12]).unwrap();
    let c = compile(
        &model,
        &Samples::Tensors(vec![vec![t]]),
        &CompileOptions::default(),
    )
    .unwrap();
    assert_eq!(c.settings.inputs[0].shape, vec![3, 1, 2, 2]);
}

#[test]
fn conflicting_and_unresolvable_dims_are_named_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = write(tmp.path(), "shared.onnx", shared_batch());
    let a = Tensor::new(vec![2, 3], vec![1.0; 6]).unwrap();
    let b = Tensor::new(vec![1, 3], vec![1.0; 3]).unwrap();
    let e = compile(
        &shared,
        &Samples::Tensors(vec![vec![a.clone(), b]]),
        &CompileOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("conflicting values for dimension batch: 2"),
        "{e}"
    );
    // Shared consistently: both inputs get it.
    let c = compile(
        &shared,
        &Samples::Tensors(vec![vec![a.clone(), a]]),
        &CompileOptions::default(),
    )
    .unwrap();
    assert_eq!(c.settings.inputs[1].shape, vec![2, 3]);
    assert_eq!(c.settings.dims.len(), 1);

    let seq = write(tmp.path(), "seq.onnx", seq_model());
    let e = compile(&seq, &random(2), &CompileOptions::default())
        .unwrap_err()
        .to_string();
    for needle in ["\"x\" axis 1", "\"seq\"", "--dim seq=VALUE"] {
        assert!(e.contains(needle), "{needle:?} missing in {e}");
    }
    let c = compile(&seq, &random(2), &with_dims(&[("seq", 5)])).unwrap();
    assert_eq!(c.settings.inputs[0].shape, vec![1, 5]);
    let e = compile(&seq, &random(2), &with_dims(&[("x:0", 2)]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no free dimension x:0"), "{e}");

    // The importer alone, without the facade.
    let opts = ImportOptions::with_dims(vec![(DimKey::parse("x:1"), 7)]);
    let g = onnx_import::import_bytes_with(&seq_model(), "seq", &opts).unwrap();
    assert_eq!(g.shape(g.inputs[0]), &[1, 7]);
    assert_eq!(g.input_info.dims[0].key, DimKey::Param("seq".into()));
}

#[test]
fn settings_version_2_is_still_read() {
    let tmp = tempfile::tempdir().unwrap();
    let model = write(tmp.path(), "int.onnx", int_params());
    let t = Tensor::new(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let c = compile(
        &model,
        &Samples::Tensors(vec![vec![t]]),
        &CompileOptions::default(),
    )
    .unwrap();
    c.save(tmp.path()).unwrap();
    let path = tmp.path().join("settings.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["format_version"], zkinfer::SETTINGS_VERSION);
    v["format_version"] = 2.into();
    v.as_object_mut().unwrap().remove("dims");
    std::fs::write(&path, v.to_string()).unwrap();
    Compiled::load(tmp.path()).unwrap();
}

/// `x * (x + p)` on an int64 input: integers are read exactly and quantized at the
/// activation scale (`v * 2^s`, exact), so the fixed-point outputs are the integers ONNX
/// gives (pytorch-operator/test_operator_non_float_params: [[2, 8], [18, 32]]).
#[test]
fn integer_inputs_are_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let model = write(tmp.path(), "int.onnx", int_params());
    let input = write(
        tmp.path(),
        "in.json",
        "{\"inputs\": {\"x\": {\"shape\": [2, 2], \"data\": [1, 2, 3, 4]}}}",
    );
    let c = compile(
        &model,
        &Samples::Files(vec![input.clone()]),
        &CompileOptions::default(),
    )
    .unwrap();
    assert_eq!(c.graph.input_dtype(0), DType::Int64);
    assert_eq!(
        c.graph.inputs.len(),
        1,
        "the initializer listed as an input is a constant"
    );
    let inputs = onnx_import::input_file::read_inputs(&input, &c.graph).unwrap();
    let run = eval_fixed(&c.graph, &c.settings.quant, &inputs).unwrap();
    assert_eq!(run.outputs_float[0].data, vec![2.0, 8.0, 18.0, 32.0]);
    mock_check(&c, &inputs);
    // Input files with non-integers or out-of-range values for an integer input are refused.
    for bad in [
        "[1, 2.5, 3, 4]",
        "[1, 2, 3, 9007199254740993]",
        "[1, true, 3, 4]",
    ] {
        let text = format!("{{\"inputs\": {{\"x\": {{\"shape\": [2, 2], \"data\": {bad}}}}}}}");
        let e = parse_inputs(&text, &c.graph).unwrap_err().to_string();
        assert!(
            e.contains("'x'") && e.contains("data[1]") || e.contains("data[3]"),
            "{e}"
        );
    }
    // Booleans and unsigned types.
    let mut g = c.graph.clone();
    g.input_info.dtypes = vec![DType::Bool];
    let t = parse_inputs("{\"input_data\": [[true, false, 1, 0]]}", &g).unwrap();
    assert_eq!(t[0].data, vec![1.0, 0.0, 1.0, 0.0]);
    assert!(parse_inputs("{\"input_data\": [[2, 0, 1, 0]]}", &g).is_err());
    g.input_info.dtypes = vec![DType::Uint8];
    assert!(parse_inputs("{\"input_data\": [[255, 0, 1, 0]]}", &g).is_ok());
    assert!(parse_inputs("{\"input_data\": [[256, 0, 1, 0]]}", &g).is_err());
    assert!(parse_inputs("{\"input_data\": [[-1, 0, 1, 0]]}", &g).is_err());
    // The facade refuses non-integer tensors for an integer input too.
    let dir = tempfile::tempdir().unwrap();
    c.save(dir.path()).unwrap();
    let frac = Tensor::new(vec![2, 2], vec![1.5, 2.0, 3.0, 4.0]).unwrap();
    let e = prove(dir.path(), &[frac]).unwrap_err().to_string();
    assert!(e.contains("int64") && e.contains("\"x\""), "{e}");
}
