//! `compile --evm` on the command line (no keys, no proofs): the EVM plan is printed and
//! recorded, inputs with more values than the EVM limit become hashed unless chosen, explicit
//! choices win, `--layout` overrides the planner, bad flags are clear errors, and older
//! settings files still load.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use circuits::halo2::{evm_gas, plan_evm, plan_with, EvmOptions, Layout};
use circuits::visibility::{Visibility, EVM_MAX_PUBLIC_INPUTS, EVM_MAX_PUBLIC_OUTPUTS};
use serde_json::Value;
use zkinfer::{default_transcript, Compiled, TranscriptKind};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs the CLI; returns (success, stdout, stderr).
fn zkinfer(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `compile digits_mlp16 --calibration input.json -o DIR EXTRA...`; returns stdout and the
/// settings written.
fn compile(dir: &Path, extra: &[&str]) -> (String, Value) {
    let fx = fixture("digits_mlp16");
    let (model, input) = (fx.join("network.onnx"), fx.join("input.json"));
    let mut args = vec![
        "compile",
        model.to_str().unwrap(),
        "--calibration",
        input.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (ok, stdout, stderr) = zkinfer(&args);
    assert!(ok, "zkinfer {args:?} failed:\n{stdout}\n{stderr}");
    let text = std::fs::read_to_string(dir.join("settings.json")).unwrap();
    (stdout, serde_json::from_str(&text).unwrap())
}

/// The number after `~` and before ` gas` on the line of `stdout` starting with `prefix`.
fn printed_gas(stdout: &str, prefix: &str) -> u64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{stdout}"));
    let end = line.find(" gas to verify").unwrap();
    let start = line[..end].rfind('~').unwrap() + 1;
    line[start..end].replace(',', "").parse().unwrap()
}

fn evm_field(settings: &Value, field: &str) -> f64 {
    settings["evm"][field]
        .as_f64()
        .unwrap_or_else(|| panic!("no evm.{field} in {settings}"))
}

#[test]
fn evm_compile_hashes_large_inputs_and_records_the_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let (stdout, settings) = compile(&dir, &["--evm"]);
    assert_eq!(settings["format_version"], 6);
    assert_eq!(zkinfer::SETTINGS_VERSION, 6);

    // 64 input values are over the limit: hashed, with one line saying why and how not to.
    const { assert!(64 > EVM_MAX_PUBLIC_INPUTS && 10 <= EVM_MAX_PUBLIC_OUTPUTS) };
    let vis = &settings["circuit"]["visibility"];
    assert_eq!(vis["input"], "hashed", "{settings}");
    assert_eq!(vis["output"], "public", "{settings}");
    assert_eq!(settings["num_instances"], 10 + 1);
    let notes: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("inputs hashed for the EVM"))
        .collect();
    assert_eq!(notes.len(), 1, "{stdout}");
    assert!(
        notes[0].contains("64 values")
            && notes[0].contains("costs gas on every on-chain verification")
            && notes[0].contains("--input-visibility public"),
        "{}",
        notes[0]
    );
    assert!(!stdout.contains("outputs hashed"), "{stdout}");
    assert!(
        stdout.contains("visibility: input hashed, output public, params fixed (11 public"),
        "{stdout}"
    );

    // The printed plan is the recorded one, and it is the planner's choice.
    let gas = printed_gas(&stdout, "EVM plan:");
    assert_eq!(settings["evm"]["predicted_gas"].as_u64(), Some(gas));
    assert_eq!(
        evm_field(&settings, "gas_per_second"),
        circuits::halo2::DEFAULT_GAS_PER_SECOND
    );
    let compiled = Compiled::load(&dir).unwrap();
    let s = &compiled.settings;
    let plan = plan_evm(
        &compiled.graph,
        &s.quant,
        &s.circuit.visibility,
        &EvmOptions::default(),
    )
    .unwrap();
    assert_eq!(plan.predicted_gas, gas);
    assert_eq!(
        serde_json::to_value(&plan.shape).unwrap(),
        settings["circuit"]
    );
    assert_eq!(s.evm.unwrap().predicted_prove_s, plan.predicted_prove_s);
    assert!(
        stdout.contains(&format!("EVM plan: k = {},", plan.shape.k)),
        "{stdout}"
    );
    // The next candidates as a table, each with its gas.
    if plan.candidates.len() > 1 {
        assert!(stdout.contains("  next best:"), "{stdout}");
        let shown = plan.candidates.len().min(6) - 1;
        for c in &plan.candidates[1..=shown] {
            // The k has its own column, so the label is shown without it.
            let label = c.label.strip_prefix(&format!("k={}, ", c.k)).unwrap();
            assert!(
                stdout.lines().any(|l| l.contains(label)
                    && l.contains(&format!(" {} ", c.k))
                    && l.contains(&zkinfer_thousands(c.predicted_gas))),
                "candidate {} missing in:\n{stdout}",
                c.label
            );
        }
    }
    // The cost table planned with the same layout and shows the gas per target.
    assert!(
        stdout.contains("cost per error target (evm layout"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("← chosen") && l.contains("gas to verify")),
        "{stdout}"
    );

    // The model defaults to the Keccak transcript.
    assert_eq!(default_transcript(s), TranscriptKind::Keccak);
}

/// `n` with thousands separators, as the CLI prints gas.
fn zkinfer_thousands(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn explicit_visibility_wins_and_public_inputs_cost_gas() {
    let tmp = tempfile::tempdir().unwrap();
    let (stdout_h, hashed) = compile(&tmp.path().join("h"), &["--evm"]);
    let (stdout_p, public) = compile(
        &tmp.path().join("p"),
        &["--evm", "--input-visibility", "public"],
    );
    assert!(public["circuit"].get("visibility").is_none(), "{public}");
    assert_eq!(public["num_instances"], 64 + 10);
    assert!(!stdout_p.contains("hashed for the EVM"), "{stdout_p}");
    assert!(stdout_h.contains("inputs hashed for the EVM"), "{stdout_h}");
    let gas = |s: &Value| s["evm"]["predicted_gas"].as_u64().unwrap();
    // 63 more instances: each costs calldata and a Lagrange evaluation.
    assert!(
        gas(&public) > gas(&hashed) + 63 * 100,
        "public {} vs hashed {}",
        gas(&public),
        gas(&hashed)
    );
    // An explicit hashed output is kept too (10 values would otherwise stay public).
    let (_, out_hashed) = compile(
        &tmp.path().join("o"),
        &["--evm", "--output-visibility", "hashed"],
    );
    let vis = &out_hashed["circuit"]["visibility"];
    assert_eq!(
        (&vis["input"], &vis["output"]),
        (&"hashed".into(), &"hashed".into())
    );
    assert_eq!(out_hashed["num_instances"], 2);
}

#[test]
fn layout_flag_overrides_the_planner_but_evm_is_still_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let (stdout, settings) = compile(&dir, &["--evm", "--layout", "speed"]);
    let compiled = Compiled::load(&dir).unwrap();
    let s = &compiled.settings;
    assert_eq!(s.circuit.visibility.input, Visibility::Hashed);
    let speed = plan_with(
        &compiled.graph,
        &s.quant,
        Layout::Speed,
        &s.circuit.visibility,
    )
    .unwrap();
    assert_eq!(serde_json::to_value(&speed).unwrap(), settings["circuit"]);
    // The gas recorded is the model's for this (speed) shape.
    let gas = evm_gas(&speed, s.num_instances, s.num_instances).unwrap();
    assert_eq!(s.evm.unwrap().predicted_gas, gas);
    assert_eq!(printed_gas(&stdout, "EVM target (speed layout"), gas);
    assert!(!stdout.contains("next best"), "{stdout}");
    assert!(
        stdout.contains("cost per error target (speed layout"),
        "{stdout}"
    );
    assert_eq!(default_transcript(s), TranscriptKind::Keccak);

    // `--layout evm` alone plans for the EVM as `--evm` does.
    let (stdout_e, by_layout) = compile(&tmp.path().join("e"), &["--layout", "evm"]);
    let (_, by_flag) = compile(&tmp.path().join("f"), &["--evm"]);
    assert_eq!(by_layout["circuit"], by_flag["circuit"]);
    assert_eq!(by_layout["evm"], by_flag["evm"]);
    assert!(stdout_e.contains("EVM plan:"), "{stdout_e}");

    // Without --evm nothing is recorded and the transcript stays Blake2b.
    let plain = tmp.path().join("n");
    let (stdout_n, none) = compile(&plain, &[]);
    assert!(none.get("evm").is_none(), "{none}");
    assert!(none["circuit"].get("visibility").is_none(), "{none}");
    assert!(!stdout_n.contains("EVM"), "{stdout_n}");
    let loaded = Compiled::load(&plain).unwrap();
    assert_eq!(
        default_transcript(&loaded.settings),
        TranscriptKind::Blake2b
    );
}

#[test]
fn the_weight_moves_the_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, cheap) = compile(&tmp.path().join("g"), &["--evm", "--gas-per-second", "0"]);
    let (_, fast) = compile(
        &tmp.path().join("t"),
        &["--evm", "--gas-per-second", "1e12"],
    );
    let (_, default) = compile(&tmp.path().join("d"), &["--evm"]);
    assert_eq!(evm_field(&cheap, "gas_per_second"), 0.0);
    assert_eq!(evm_field(&fast, "gas_per_second"), 1e12);
    // Gas only: no plan is cheaper to verify; prove time only: none is faster to prove.
    assert!(evm_field(&cheap, "predicted_gas") <= evm_field(&default, "predicted_gas"));
    assert!(evm_field(&fast, "predicted_prove_s") <= evm_field(&default, "predicted_prove_s"));
    assert!(evm_field(&cheap, "predicted_gas") <= evm_field(&fast, "predicted_gas"));
}

#[test]
fn bad_flags_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixture("digits_mlp16");
    let model = fx.join("network.onnx");
    let out = tmp.path().join("x");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "compile",
            model.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        zkinfer(&args)
    };
    let (ok, _, stderr) = run(&["--layout", "bogus"]);
    assert!(!ok);
    assert!(
        stderr.contains("unknown layout \"bogus\": use `speed`, `gas`, `evm` or `memory`"),
        "{stderr}"
    );
    let (ok, _, stderr) = run(&["--gas-per-second", "100"]);
    assert!(!ok);
    assert!(stderr.contains("needs --evm (or --layout evm)"), "{stderr}");
    let (ok, _, stderr) = run(&["--evm", "--gas-per-second=-5"]);
    assert!(!ok);
    assert!(stderr.contains("bad gas per second \"-5\""), "{stderr}");
    assert!(!out.join("settings.json").exists());
}

#[test]
fn older_settings_still_load() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let (_, settings) = compile(&dir, &["--evm"]);
    let write = |v: &Value| std::fs::write(dir.join("settings.json"), v.to_string()).unwrap();

    // Version 5 (no "evm"): loads, not for the EVM.
    let mut v5 = settings.clone();
    v5["format_version"] = 5.into();
    v5.as_object_mut().unwrap().remove("evm");
    write(&v5);
    let loaded = Compiled::load(&dir).unwrap();
    assert!(loaded.settings.evm.is_none());
    assert_eq!(loaded.settings.circuit.visibility.input, Visibility::Hashed);
    assert_eq!(
        default_transcript(&loaded.settings),
        TranscriptKind::Blake2b
    );

    // Version 4 (no architecture digest) too; version 7 is refused.
    let mut v4 = v5.clone();
    v4["format_version"] = 4.into();
    v4.as_object_mut().unwrap().remove("architecture_sha256");
    write(&v4);
    assert!(Compiled::load(&dir)
        .unwrap()
        .settings
        .architecture_sha256
        .is_empty());
    let mut v7 = settings.clone();
    v7["format_version"] = 7.into();
    write(&v7);
    let err = Compiled::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("format version 7") && err.contains("reads version 6"),
        "{err}"
    );

    // Version 6 round-trips the EVM target exactly.
    write(&settings);
    let evm = Compiled::load(&dir).unwrap().settings.evm.unwrap();
    assert_eq!(
        Some(evm.predicted_gas),
        settings["evm"]["predicted_gas"].as_u64()
    );
    assert_eq!(
        evm.predicted_prove_s,
        evm_field(&settings, "predicted_prove_s")
    );
}
