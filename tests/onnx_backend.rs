//! ONNX's own backend conformance models (`onnx/backend/test/data/{pytorch-converted,
//! pytorch-operator,simple}/<test>/`, from the PyPI `onnx` wheel that `.ci/test.sh` installs
//! into `.venv-onnx/`), run through zkinfer:
//!
//! 1. import the model;
//! 2. run the float evaluator on `test_data_set_0/input_N.pb` and compare with `output_N.pb`
//!    (relative L2 error at most [`FLOAT_TOL`]; absolute when the expected output is zero);
//! 3. for models that pass 2 and are small enough ([`CIRCUIT_MAX_ELEMENTS`], [`CIRCUIT_MAX_K`]):
//!    compile (calibrated on the test input), check the circuit with halo2's MockProver and
//!    the dequantized fixed-point outputs against `output_N.pb` ([`FIXED_TOL`]); the
//!    [`REAL_PROOFS`] smallest of them also get a real setup, prove and verify.
//!
//! Models whose inputs are strings (the 6 `simple/test_strnorm_*`) are excluded from the
//! denominator. Every model gets a status and a reason; the table is printed and written to
//! `target/onnx-backend-report.txt`. The test fails when fewer models than the floors below
//! import or prove, or when a model passes the float check but its circuit is unsatisfied.
//!
//! The data is found in `$ZKINFER_ONNX_BACKEND_DATA`, else under
//! `.venv-onnx/lib/python3*/site-packages/onnx/backend/test/data`. Without it the test is
//! skipped, except under CI (`$CI` set), where it fails.
#![allow(clippy::unwrap_used, missing_docs)]

mod onnx_backend_support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::Instant;

use circuits::fixed::{eval_fixed, quantize_inputs};
use circuits::halo2::build;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use onnx_backend_support::*;
use onnx_import::ir::Tensor;
use onnx_import::tensor_file::read_tensor_pb;
use zkinfer::{compile, prove, setup, CompileOptions, Samples, SrsSource, VerifyOptions};

/// At least this many models must import. Raise it as operators land.
const IMPORT_FLOOR: usize = 119;
/// At least this many models must pass the circuit check (MockProver, or a real proof) with
/// fixed-point outputs within [`FIXED_TOL`]. Raise it as operators land.
const PROVE_FLOOR: usize = 111;

/// Largest relative L2 error of the float evaluator against `output_N.pb`.
const FLOAT_TOL: f64 = 1e-5;
/// Largest relative L2 error of the dequantized fixed-point outputs.
const FIXED_TOL: f64 = 1e-2;
/// Circuits are only built for graphs with at most this many runtime elements (inputs plus
/// every node output), so the test stays within CI time. Measured in this debug test build
/// on 2 cores (MockProver, two models at a time): Relu on 24,000 elements (k = 15) 3 s,
/// a 3x3 Conv of 8x16x16 (4,096 elements, 295k MACs, k = 13) 1.6 s, of 16x32x32 (k = 17) 25 s;
/// the largest model within it, `test_operator_symbolic_override` (InstanceNormalization of
/// 2x10x32x32, 40,960 elements, k = 17), 18 s. The next ones (MaxPool, Conv) have 240k
/// elements and more.
const CIRCUIT_MAX_ELEMENTS: usize = 45_000;
/// ... and whose planned circuit has at most 2^CIRCUIT_MAX_K rows.
const CIRCUIT_MAX_K: u32 = 17;
/// How many of the circuit-checked models (the smallest) also get a real proof.
const REAL_PROOFS: usize = 3;
/// The suites read, under the data directory.
const SUITES: [&str; 3] = ["pytorch-converted", "pytorch-operator", "simple"];

/// Data a model needs for the real proof, kept from the circuit check.
struct Proofable {
    inputs: Vec<Tensor>,
    expected: Vec<Tensor>,
}

/// Steps 1-3 (everything but the real proof) on one model.
fn check(case: &Case) -> (Outcome, Option<Proofable>) {
    let model = case.dir.join("model.onnx");
    let set = case.dir.join("test_data_set_0");
    let graph = match onnx_import::import_file(&model) {
        Ok(g) => g,
        Err(e) => return (Outcome::new(Status::ImportError, import_reason(&e)), None),
    };
    let elements = runtime_elements(&graph);
    let with = |status, reason: String, k: Option<u32>| {
        let mut o = Outcome::new(status, reason);
        o.elements = Some(elements);
        o.k = k;
        o
    };
    let inputs = match inputs_for(&graph, &numbered(&set, "input_")) {
        Ok(i) => i,
        Err(e) => return (with(Status::EvalError, e, None), None),
    };
    let mut expected = Vec::new();
    for f in numbered(&set, "output_") {
        match read_tensor_pb(&f) {
            Ok((_, t, _)) => expected.push(t),
            Err(e) => {
                return (
                    with(Status::EvalError, first_line(&e.to_string()), None),
                    None,
                )
            }
        }
    }
    let got = match onnx_import::eval::eval_graph(&graph, &inputs) {
        Ok(g) => g,
        Err(e) => {
            return (
                with(Status::EvalError, first_line(&e.to_string()), None),
                None,
            )
        }
    };
    match compare(&got, &expected) {
        Err(e) => return (with(Status::FloatMismatch, e, None), None),
        Ok(err) if err > FLOAT_TOL => {
            return (
                with(Status::FloatMismatch, format!("rel L2 {err:.3e}"), None),
                None,
            )
        }
        Ok(_) => {}
    }
    if elements > CIRCUIT_MAX_ELEMENTS {
        let reason = format!("{elements} runtime elements > {CIRCUIT_MAX_ELEMENTS}");
        return (with(Status::TooLarge, reason, None), None);
    }

    let samples = Samples::Tensors(vec![inputs.clone()]);
    let compiled = match compile(&model, &samples, &CompileOptions::default()) {
        Ok(c) => c,
        Err(e) => {
            let reason = first_line(&e.to_string());
            return (with(Status::CompileError, reason, None), None);
        }
    };
    let s = &compiled.settings;
    let k = s.circuit.k;
    if k > CIRCUIT_MAX_K {
        let reason = format!("k = {k} > {CIRCUIT_MAX_K}");
        return (with(Status::TooLarge, reason, Some(k)), None);
    }
    let run = match eval_fixed(&compiled.graph, &s.quant, &inputs) {
        Ok(r) => r,
        Err(e) => {
            let reason = format!("fixed-point evaluator: {}", first_line(&e.to_string()));
            return (with(Status::FixedMismatch, reason, Some(k)), None);
        }
    };
    let scales = format!("scale {} bits {}", s.quant.input_scale, s.quant.bits);
    match compare(&run.outputs_float, &expected) {
        Err(e) => return (with(Status::FixedMismatch, e, Some(k)), None),
        Ok(err) if err > FIXED_TOL => {
            let reason = format!("rel L2 {err:.3e} ({scales})");
            return (with(Status::FixedMismatch, reason, Some(k)), None);
        }
        Ok(_) => {}
    }
    let circuit_fail = |reason: String| (with(Status::CircuitFail, reason, Some(k)), None);
    let q = match quantize_inputs(&compiled.graph, &s.quant, &inputs) {
        Ok(q) => q,
        Err(e) => return circuit_fail(first_line(&e.to_string())),
    };
    let built = match build(
        CircuitBuilderStage::Mock,
        &compiled.graph,
        &s.quant,
        &s.circuit,
        Some(&q),
    ) {
        Ok(b) => b,
        Err(e) => return circuit_fail(format!("build: {}", first_line(&e.to_string()))),
    };
    if built.outputs != run.outputs {
        return circuit_fail("circuit outputs differ from the fixed-point evaluator".into());
    }
    match MockProver::run(k, &built.circuit, vec![built.instances.clone()]) {
        Err(e) => return circuit_fail(format!("MockProver::run: {e}")),
        Ok(p) => {
            if let Err(failures) = p.verify() {
                let first = failures.first().map(|f| first_line(&f.to_string()));
                let reason = format!(
                    "MockProver: {} failure(s), first: {}",
                    failures.len(),
                    first.unwrap_or_default()
                );
                return circuit_fail(reason);
            }
        }
    }
    (
        with(Status::Mock, scales, Some(k)),
        Some(Proofable { inputs, expected }),
    )
}

/// Real setup, prove and verify; `Err` says what failed.
fn prove_for_real(case: &Case, p: &Proofable, srs_cache: &Path) -> Result<String, String> {
    let model = case.dir.join("model.onnx");
    let samples = Samples::Tensors(vec![p.inputs.clone()]);
    let compiled =
        compile(&model, &samples, &CompileOptions::default()).map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    compiled.save(dir.path()).map_err(|e| e.to_string())?;
    let srs = SrsSource::Local {
        cache_dir: srs_cache.to_path_buf(),
    };
    setup(dir.path(), &srs).map_err(|e| format!("setup: {}", first_line(&e.to_string())))?;
    let t = Instant::now();
    let artifact = prove(dir.path(), &p.inputs)
        .map_err(|e| format!("prove: {}", first_line(&e.to_string())))?;
    let prove_time = t.elapsed();
    // The local SRS is insecure: allowed explicitly (its keys are for tests only).
    let allow = VerifyOptions {
        allow_insecure_srs: true,
    };
    zkinfer::verify_with(dir.path(), &artifact, &allow)
        .map_err(|e| format!("verify: {}", first_line(&e.to_string())))?;
    let outputs: Vec<Tensor> = compiled
        .settings
        .outputs
        .iter()
        .map(|spec| artifact.outputs[&spec.name].clone())
        .collect();
    let err = compare(&outputs, &p.expected)?;
    if err > FIXED_TOL {
        return Err(format!("proof outputs: rel L2 {err:.3e}"));
    }
    Ok(format!(
        "prove {prove_time:.1?}, {} proof bytes, rel L2 {err:.1e}",
        artifact.proof.len() / 2
    ))
}

#[test]
fn onnx_backend_conformance() {
    let started = Instant::now();
    let Some(data) = data_dir() else {
        let msg = "ONNX backend test data not found: run .ci/test.sh (installs the onnx wheel \
                   into .venv-onnx/) or set ZKINFER_ONNX_BACKEND_DATA to \
                   <site-packages>/onnx/backend/test/data";
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        eprintln!("skipping onnx_backend_conformance: {msg}");
        return;
    };
    let (excluded, cases): (Vec<Case>, Vec<Case>) = find_cases(&data, &SUITES)
        .into_iter()
        .partition(has_string_input);
    assert!(!cases.is_empty(), "no models under {}", data.display());
    let total = cases.len();

    // Steps 1-3 in parallel.
    let checked = run_all(&cases, |case| {
        catch_unwind(AssertUnwindSafe(|| check(case)))
            .unwrap_or_else(|e| (Outcome::new(Status::Panic, panic_reason(&*e)), None))
    });
    let mut outcomes = Vec::with_capacity(total);
    let mut proofable = Vec::with_capacity(total);
    for ((mut o, p), time) in checked {
        o.time = time;
        outcomes.push(o);
        proofable.push(p);
    }

    // Real proofs for the smallest circuit-checked models, one after the other.
    let mut picks: Vec<usize> = (0..total).filter(|&i| proofable[i].is_some()).collect();
    picks.sort_by_key(|&i| (outcomes[i].k, outcomes[i].elements, cases[i].id.clone()));
    let srs_cache = tempfile::tempdir().unwrap();
    for &i in picks.iter().take(REAL_PROOFS) {
        let p = proofable[i].as_ref().unwrap();
        let t = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| {
            prove_for_real(&cases[i], p, srs_cache.path())
        }))
        .unwrap_or_else(|e| Err(panic_reason(&*e)));
        let o = &mut outcomes[i];
        o.time += t.elapsed();
        match r {
            Ok(line) => {
                o.status = Status::Proved;
                o.reason = format!("{}; {line}", o.reason);
            }
            Err(e) => {
                o.status = Status::ProveError;
                o.reason = e;
            }
        }
    }

    // The report.
    let title = format!(
        "ONNX backend conformance ({}), float tol {FLOAT_TOL:e}, fixed tol {FIXED_TOL:e}, \
         circuit budget {CIRCUIT_MAX_ELEMENTS} elements / k <= {CIRCUIT_MAX_K}",
        data.display()
    );
    let report = report_table(&title, &cases, &outcomes, &excluded, started.elapsed());
    let (imported, proved) = imported_and_proved(&outcomes);
    println!("{report}");
    let path = root().join("target/onnx-backend-report.txt");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &report).unwrap();
    println!("report written to {}", path.display());

    let broken: Vec<&str> = cases
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| matches!(o.status, Status::CircuitFail | Status::ProveError))
        .map(|(c, _)| c.id.as_str())
        .collect();
    assert!(
        broken.is_empty(),
        "circuit or proof failures (soundness/completeness bugs): {broken:?}"
    );
    assert!(
        imported >= IMPORT_FLOOR,
        "only {imported} of {total} models import; IMPORT_FLOOR is {IMPORT_FLOOR}"
    );
    assert!(
        proved >= PROVE_FLOOR,
        "only {proved} of {total} models prove; PROVE_FLOOR is {PROVE_FLOOR}"
    );
}
