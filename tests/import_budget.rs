//! `zkinfer inspect` and `zkinfer compile` on a tiny hostile model stay cheap: 15
//! `ConstantOfShape` nodes of 2^24 elements each (< 1 KB of ONNX) once made the import
//! allocate 2 GB (4 GB when used). Unused, they are skipped; used, the first node over the
//! folding budget is a named error. Each command runs as a child process whose peak resident
//! memory is read with `/usr/bin/time` where it exists (otherwise the child runs under a
//! 2 GiB address-space limit with `prlimit`, and must still end cleanly).
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../onnx-import/tests/common/mod.rs"]
mod models;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use models::{a_tensor, init_f32, init_i64, model, node, out, vi};

/// Peak resident memory allowed to one command.
const PEAK_LIMIT_KIB: u64 = 200 * 1024;

/// The hostile model: 15 `ConstantOfShape` of 2^24 ones, summed into the output when
/// `used`, otherwise left dangling next to a `Relu` that makes the output.
fn hostile(used: bool) -> Vec<u8> {
    let mut nodes: Vec<_> = (0..15)
        .map(|i| {
            let name = format!("c{i}");
            let one = a_tensor("value", init_f32("", &[1], &[1.0]));
            node("ConstantOfShape", &name, &["s"], &[&name], vec![one])
        })
        .collect();
    let shape = init_i64("s", &[1], &[1 << 24]);
    let bytes = if used {
        let names: Vec<String> = (0..15).map(|i| format!("c{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        nodes.push(node("Sum", "sum", &refs, &["y"], vec![]));
        model(nodes, vec![], vec![out("y")], vec![shape], 17)
    } else {
        nodes.push(node("Relu", "r", &["x"], &["y"], vec![]));
        model(nodes, vec![vi("x", &[2])], vec![out("y")], vec![shape], 17)
    };
    assert!(bytes.len() < 1024, "{} bytes", bytes.len());
    bytes
}

/// Runs `zkinfer ARGS` and returns its output with its peak resident memory in KiB (when
/// `/usr/bin/time` can measure it).
fn run_measured(dir: &Path, args: &[&str]) -> (Output, Option<u64>) {
    let exe = env!("CARGO_BIN_EXE_zkinfer");
    let time = Path::new("/usr/bin/time");
    let prlimit = Path::new("/usr/bin/prlimit");
    let peak_file = dir.join("peak.txt");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&peak_file).arg(exe);
        c
    } else if prlimit.exists() {
        let mut c = Command::new(prlimit);
        c.arg(format!("--as={}", 2u64 << 30)).arg(exe);
        c
    } else {
        Command::new(exe)
    };
    let o = cmd.args(args).output().unwrap();
    let peak = std::fs::read_to_string(&peak_file)
        .ok()
        .and_then(|t| t.lines().last()?.trim().parse().ok());
    (o, peak)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn check_peak(what: &str, peak: Option<u64>) {
    match peak {
        Some(kib) => {
            eprintln!("{what}: peak RSS {} MiB", kib / 1024);
            assert!(kib < PEAK_LIMIT_KIB, "{what}: peak RSS {kib} KiB");
        }
        None => eprintln!("{what}: /usr/bin/time unavailable; ran under a 2 GiB limit instead"),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs `inspect` then `compile` on the hostile model (`used`: its constants feed the
/// output), checking each one's peak memory; returns both outputs as text with their status.
fn inspect_and_compile(used: bool) -> [(bool, String); 2] {
    let what = if used { "used" } else { "unused" };
    let dir = tempfile::tempdir().unwrap();
    let m = write(dir.path(), &format!("{what}.onnx"), &hostile(used));
    let out_dir = dir.path().join("compiled");
    let (model, out) = (m.to_str().unwrap(), out_dir.to_str().unwrap());
    let mut results = Vec::new();
    for (name, args) in [
        ("inspect", vec!["inspect", model]),
        ("compile", vec!["compile", model, "-o", out]),
    ] {
        let (o, peak) = run_measured(dir.path(), &args);
        check_peak(&format!("{name} ({what})"), peak);
        results.push((o.status.success(), text(&o)));
    }
    results.try_into().unwrap()
}

#[test]
fn inspect_and_compile_skip_unused_huge_constants() {
    let [(ok, t), (compiled, c)] = inspect_and_compile(false);
    assert!(ok, "{t}");
    assert_eq!(t.matches("unused (no graph output").count(), 15, "{t}");
    assert!(compiled, "{c}");
}

#[test]
fn inspect_and_compile_name_the_node_over_the_fold_budget() {
    let [(ok, t), (compiled, c)] = inspect_and_compile(true);
    assert!(!ok && !t.contains("panicked"), "{t}");
    assert!(
        t.contains("c1 ConstantOfShape") && t.contains("may fold at most 16777216 elements"),
        "{t}"
    );
    assert!(!compiled && !c.contains("panicked"), "{c}");
    assert!(
        c.contains("node \"c1\" (ConstantOfShape)") && c.contains("16777216"),
        "{c}"
    );
}
