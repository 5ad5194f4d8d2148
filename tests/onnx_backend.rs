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

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use circuits::fixed::{eval_fixed, quantize_inputs};
use circuits::halo2::build;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use onnx_import::ir::{Graph, Tensor, ValueKind};
use onnx_import::tensor_file::read_tensor_pb;
use onnx_import::ImportError;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::TensorProto;
use protobuf::{Enum, Message};
use zkinfer::{compile, prove, setup, verify, CompileOptions, Samples, SrsSource};

/// At least this many models must import. Raise it as operators land.
const IMPORT_FLOOR: usize = 97;
/// At least this many models must pass the circuit check (MockProver, or a real proof) with
/// fixed-point outputs within [`FIXED_TOL`]. Raise it as operators land.
const PROVE_FLOOR: usize = 90;

/// Largest relative L2 error of the float evaluator against `output_N.pb`.
const FLOAT_TOL: f64 = 1e-5;
/// Largest relative L2 error of the dequantized fixed-point outputs.
const FIXED_TOL: f64 = 1e-2;
/// Circuits are only built for graphs with at most this many runtime elements (inputs plus
/// every node output), so the test stays within CI time. Measured in this debug test build
/// on 2 cores (MockProver, two models at a time): Relu on 24,000 elements (k = 15) 3 s,
/// a 3x3 Conv of 8x16x16 (4,096 elements, 295k MACs, k = 13) 1.6 s, of 16x32x32 (k = 17) 25 s.
const CIRCUIT_MAX_ELEMENTS: usize = 25_000;
/// ... and whose planned circuit has at most 2^CIRCUIT_MAX_K rows.
const CIRCUIT_MAX_K: u32 = 16;
/// How many of the circuit-checked models (the smallest) also get a real proof.
const REAL_PROOFS: usize = 3;
/// The suites read, under the data directory.
const SUITES: [&str; 3] = ["pytorch-converted", "pytorch-operator", "simple"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The backend test data directory, if there is one.
fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ZKINFER_ONNX_BACKEND_DATA") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "ZKINFER_ONNX_BACKEND_DATA={} is not a directory (run .ci/test.sh to install the \
             onnx wheel into .venv-onnx/)",
            dir.display()
        );
        return Some(dir);
    }
    let lib = root().join(".venv-onnx/lib");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| e.path().join("site-packages/onnx/backend/test/data"))
        .filter(|p| p.is_dir())
        .collect();
    found.sort();
    found.pop()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    /// Proved and verified with real keys.
    Proved,
    /// MockProver satisfied, fixed-point outputs within tolerance.
    Mock,
    /// Float evaluator matches; the graph is over the circuit budget.
    TooLarge,
    /// Float evaluator matches; compiling (calibration, planning) failed.
    CompileError,
    /// Float evaluator matches; dequantized fixed-point outputs are off.
    FixedMismatch,
    /// The circuit is unsatisfied or differs from the fixed-point evaluator.
    CircuitFail,
    /// Real setup / prove / verify failed.
    ProveError,
    /// Float evaluator's outputs are off.
    FloatMismatch,
    /// Float evaluator failed, or the test data does not fit the imported graph.
    EvalError,
    /// The importer refused the model.
    ImportError,
    /// Something panicked.
    Panic,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Proved => "proved",
            Status::Mock => "mock-ok",
            Status::TooLarge => "too-large",
            Status::CompileError => "compile-error",
            Status::FixedMismatch => "fixed-mismatch",
            Status::CircuitFail => "circuit-fail",
            Status::ProveError => "prove-error",
            Status::FloatMismatch => "float-mismatch",
            Status::EvalError => "eval-error",
            Status::ImportError => "import-error",
            Status::Panic => "panic",
        }
    }

    fn imported(self) -> bool {
        !matches!(self, Status::ImportError | Status::Panic)
    }

    fn circuit_ok(self) -> bool {
        matches!(self, Status::Proved | Status::Mock)
    }
}

struct Case {
    /// `suite/test_name`.
    id: String,
    dir: PathBuf,
}

struct Outcome {
    status: Status,
    reason: String,
    /// Runtime elements (inputs plus node outputs), once imported.
    elements: Option<usize>,
    /// Circuit size, once compiled.
    k: Option<u32>,
    time: Duration,
}

impl Outcome {
    fn new(status: Status, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
            elements: None,
            k: None,
            time: Duration::ZERO,
        }
    }
}

/// The first line of an error message, shortened.
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.chars().count() > 160 {
        format!("{}...", line.chars().take(157).collect::<String>())
    } else {
        line.to_string()
    }
}

/// The reason an import failed: the unsupported op types, else the message's first line.
fn import_reason(e: &ImportError) -> String {
    if let ImportError::UnsupportedOps { ops, .. } = e {
        let mut types: Vec<String> = ops
            .iter()
            .map(|o| {
                let mut t = if o.domain.is_empty() {
                    o.op_type.clone()
                } else {
                    format!("{}::{}", o.domain, o.op_type)
                };
                if let Some(d) = &o.detail {
                    t += &format!(" ({})", first_line(d));
                }
                t
            })
            .collect();
        types.sort();
        types.dedup();
        return format!("unsupported op: {}", types.join(", "));
    }
    first_line(&e.to_string())
}

/// `prefix_N.pb` files of a data set, in N order.
fn numbered(set: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<(usize, PathBuf)> = std::fs::read_dir(set)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name
                .strip_prefix(prefix)?
                .strip_suffix(".pb")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, p)| p).collect()
}

/// Whether any test input holds strings (such models are excluded).
fn has_string_input(case: &Case) -> bool {
    numbered(&case.dir.join("test_data_set_0"), "input_")
        .iter()
        .any(|p| {
            std::fs::read(p)
                .ok()
                .and_then(|b| TensorProto::parse_from_bytes(&b).ok())
                .is_some_and(|t| t.data_type == DataType::STRING.value())
        })
}

fn rel_l2(got: &[f64], want: &[f64]) -> f64 {
    let diff: f64 = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt();
    let norm: f64 = want.iter().map(|b| b * b).sum::<f64>().sqrt();
    if norm == 0.0 {
        diff
    } else {
        diff / norm
    }
}

/// The largest error of `got` against `want` (both in graph-output order), or why they
/// cannot be compared.
fn compare(got: &[Tensor], want: &[Tensor]) -> Result<f64, String> {
    if got.len() != want.len() {
        return Err(format!(
            "the graph has {} outputs, the test data {}",
            got.len(),
            want.len()
        ));
    }
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g.data.len() != w.data.len() {
            return Err(format!(
                "output {i} has shape {:?}, expected {:?}",
                g.shape, w.shape
            ));
        }
        let e = rel_l2(&g.data, &w.data);
        worst = worst.max(if e.is_nan() { f64::INFINITY } else { e });
    }
    Ok(worst)
}

/// The test inputs in graph-input order (by name when every name matches, else by position).
fn inputs_for(graph: &Graph, files: &[PathBuf]) -> Result<Vec<Tensor>, String> {
    let mut read = Vec::with_capacity(files.len());
    for f in files {
        read.push(read_tensor_pb(f).map_err(|e| first_line(&e.to_string()))?);
    }
    if read.len() != graph.inputs.len() {
        return Err(format!(
            "the imported graph has {} runtime inputs, the test data {}",
            graph.inputs.len(),
            read.len()
        ));
    }
    let names: Vec<&str> = graph
        .inputs
        .iter()
        .map(|&id| graph.values[id].name.as_str())
        .collect();
    let by_name = read.iter().all(|(n, _, _)| names.contains(&n.as_str()));
    if by_name {
        let mut map: BTreeMap<String, Tensor> = read.into_iter().map(|(n, t, _)| (n, t)).collect();
        Ok(names.iter().map(|n| map.remove(*n).unwrap()).collect())
    } else {
        Ok(read.into_iter().map(|(_, t, _)| t).collect())
    }
}

fn runtime_elements(graph: &Graph) -> usize {
    graph
        .values
        .iter()
        .filter(|v| !matches!(v.kind, ValueKind::Constant(_)))
        .map(|v| v.shape.iter().product::<usize>())
        .sum()
}

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
    verify(dir.path(), &artifact).map_err(|e| format!("verify: {}", first_line(&e.to_string())))?;
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

/// Runs `f` on every case with a few threads, catching panics.
fn run_all<T: Send>(cases: &[Case], f: impl Fn(&Case) -> T + Sync) -> Vec<(T, Duration)> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<(T, Duration)>>> =
        Mutex::new((0..cases.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let t = Instant::now();
                let r = f(case);
                results.lock().unwrap()[i] = Some((r, t.elapsed()));
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

fn panic_reason(e: &(dyn std::any::Any + Send)) -> String {
    let msg = e
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into());
    format!("panicked: {}", first_line(&msg))
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
    let mut all = Vec::new();
    for suite in SUITES {
        let mut names: Vec<String> = std::fs::read_dir(data.join(suite))
            .unwrap_or_else(|e| panic!("{}: {e}", data.join(suite).display()))
            .flatten()
            .filter(|e| e.path().join("model.onnx").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        all.extend(names.into_iter().map(|n| Case {
            id: format!("{suite}/{n}"),
            dir: data.join(suite).join(&n),
        }));
    }
    let (excluded, cases): (Vec<Case>, Vec<Case>) = all.into_iter().partition(has_string_input);
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
    let mut report = String::new();
    writeln!(
        report,
        "ONNX backend conformance ({}), float tol {FLOAT_TOL:e}, fixed tol {FIXED_TOL:e}, \
         circuit budget {CIRCUIT_MAX_ELEMENTS} elements / k <= {CIRCUIT_MAX_K}",
        data.display()
    )
    .unwrap();
    writeln!(
        report,
        "{:<58} {:<14} {:>8} {:>3} {:>8}  reason",
        "model", "status", "elements", "k", "time"
    )
    .unwrap();
    for (case, o) in cases.iter().zip(&outcomes) {
        writeln!(
            report,
            "{:<58} {:<14} {:>8} {:>3} {:>7.2}s  {}",
            case.id,
            o.status.label(),
            o.elements.map_or("-".into(), |e| e.to_string()),
            o.k.map_or("-".into(), |k| k.to_string()),
            o.time.as_secs_f64(),
            o.reason
        )
        .unwrap();
    }
    for case in &excluded {
        writeln!(report, "{:<58} excluded (string inputs)", case.id).unwrap();
    }
    let mut by_status: BTreeMap<Status, usize> = BTreeMap::new();
    for o in &outcomes {
        *by_status.entry(o.status).or_default() += 1;
    }
    let summary: Vec<String> = by_status
        .iter()
        .map(|(s, n)| format!("{} {n}", s.label()))
        .collect();
    writeln!(
        report,
        "by status: {}; {} excluded (string inputs)",
        summary.join(", "),
        excluded.len()
    )
    .unwrap();
    let imported = outcomes.iter().filter(|o| o.status.imported()).count();
    let proved = outcomes.iter().filter(|o| o.status.circuit_ok()).count();
    let real = by_status.get(&Status::Proved).copied().unwrap_or(0);
    writeln!(
        report,
        "{real} proved with real keys, {} with MockProver; {:.1?}",
        proved - real,
        started.elapsed()
    )
    .unwrap();
    writeln!(report, "{imported} imported, {proved} proved / {total}").unwrap();
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
