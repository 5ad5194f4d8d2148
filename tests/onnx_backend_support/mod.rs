//! Support for `tests/onnx_backend.rs`: finding the backend models and their test data,
//! reading and matching tensors, per-model outcomes, running cases on a few threads, and the
//! report table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use onnx_import::ir::{Graph, Tensor, ValueKind};
use onnx_import::tensor_file::read_tensor_pb;
use onnx_import::ImportError;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::TensorProto;
use protobuf::{Enum, Message};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The backend test data directory, if there is one.
pub fn data_dir() -> Option<PathBuf> {
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
pub enum Status {
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
    pub fn label(self) -> &'static str {
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

    pub fn imported(self) -> bool {
        !matches!(self, Status::ImportError | Status::Panic)
    }

    pub fn circuit_ok(self) -> bool {
        matches!(self, Status::Proved | Status::Mock)
    }
}

pub struct Case {
    /// `suite/test_name`.
    pub id: String,
    pub dir: PathBuf,
}

pub struct Outcome {
    pub status: Status,
    pub reason: String,
    /// Runtime elements (inputs plus node outputs), once imported.
    pub elements: Option<usize>,
    /// Circuit size, once compiled.
    pub k: Option<u32>,
    pub time: Duration,
}

impl Outcome {
    pub fn new(status: Status, reason: impl Into<String>) -> Self {
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
pub fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.chars().count() > 160 {
        format!("{}...", line.chars().take(157).collect::<String>())
    } else {
        line.to_string()
    }
}

/// The reason an import failed: the unsupported op types, else the message's first line.
pub fn import_reason(e: &ImportError) -> String {
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
pub fn numbered(set: &Path, prefix: &str) -> Vec<PathBuf> {
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
pub fn has_string_input(case: &Case) -> bool {
    numbered(&case.dir.join("test_data_set_0"), "input_")
        .iter()
        .any(|p| {
            std::fs::read(p)
                .ok()
                .and_then(|b| TensorProto::parse_from_bytes(&b).ok())
                .is_some_and(|t| t.data_type == DataType::STRING.value())
        })
}

pub fn rel_l2(got: &[f64], want: &[f64]) -> f64 {
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
pub fn compare(got: &[Tensor], want: &[Tensor]) -> Result<f64, String> {
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
        let nan = w.data.iter().filter(|x| x.is_nan()).count();
        if nan > 0 {
            return Err(format!(
                "expected output {i} holds NaN in {nan} of {} elements (no fixed-point value)",
                w.data.len()
            ));
        }
        let e = rel_l2(&g.data, &w.data);
        worst = worst.max(if e.is_nan() { f64::INFINITY } else { e });
    }
    Ok(worst)
}

/// The test inputs in graph-input order (by name when every name matches, else by position).
pub fn inputs_for(graph: &Graph, files: &[PathBuf]) -> Result<Vec<Tensor>, String> {
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

pub fn runtime_elements(graph: &Graph) -> usize {
    graph
        .values
        .iter()
        .filter(|v| !matches!(v.kind, ValueKind::Constant(_)))
        .map(|v| v.shape.iter().product::<usize>())
        .sum()
}

/// Runs `f` on every case with a few threads, catching panics.
pub fn run_all<T: Send>(cases: &[Case], f: impl Fn(&Case) -> T + Sync) -> Vec<(T, Duration)> {
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

pub fn panic_reason(e: &(dyn std::any::Any + Send)) -> String {
    let msg = e
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into());
    format!("panicked: {}", first_line(&msg))
}

/// Every model (a directory with a `model.onnx`) of the `suites` under `data`, sorted by name
/// within each suite.
pub fn find_cases(data: &Path, suites: &[&str]) -> Vec<Case> {
    let mut all = Vec::new();
    for &suite in suites {
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
    all
}

/// How many of `outcomes` imported, and how many passed the circuit check.
pub fn imported_and_proved(outcomes: &[Outcome]) -> (usize, usize) {
    let imported = outcomes.iter().filter(|o| o.status.imported()).count();
    let proved = outcomes.iter().filter(|o| o.status.circuit_ok()).count();
    (imported, proved)
}

/// The report: `title`, a line per model (status, size, circuit k, time, reason), the excluded
/// models, the count by status and the totals (`elapsed` is the time taken).
pub fn report_table(
    title: &str,
    cases: &[Case],
    outcomes: &[Outcome],
    excluded: &[Case],
    elapsed: Duration,
) -> String {
    let total = cases.len();
    let mut report = String::new();
    writeln!(report, "{title}").unwrap();
    writeln!(
        report,
        "{:<58} {:<14} {:>8} {:>3} {:>8}  reason",
        "model", "status", "elements", "k", "time"
    )
    .unwrap();
    for (case, o) in cases.iter().zip(outcomes) {
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
    for case in excluded {
        writeln!(report, "{:<58} excluded (string inputs)", case.id).unwrap();
    }
    let mut by_status: BTreeMap<Status, usize> = BTreeMap::new();
    for o in outcomes {
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
    let (imported, proved) = imported_and_proved(outcomes);
    let real = by_status.get(&Status::Proved).copied().unwrap_or(0);
    writeln!(
        report,
        "{real} proved with real keys, {} with MockProver; {:.1?}",
        proved - real,
        elapsed
    )
    .unwrap();
    writeln!(report, "{imported} imported, {proved} proved / {total}").unwrap();
    report
}
