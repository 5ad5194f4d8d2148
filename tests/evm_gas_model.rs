//! The planner's gas model (`circuits::halo2::evm_cost`) against gas measured in revm.
//!
//! For each case a fixture is compiled with a forced shape (`plan_limits`), set up with the
//! insecure local SRS, proven with the Keccak transcript, and its generated verifier is
//! compiled (solc-js 0.8.19) and called in revm: the measured gas of the `verifyProof`
//! transaction must be within 10% of `evm_gas`'s prediction, and the proof length must be
//! the one the counted protocol implies (an exact check of the commitment and evaluation
//! counts). `ZKINFER_GAS_FIT=1` runs a wider set and prints the rows the coefficients of
//! `GasModel::FITTED` were fitted on.
#![allow(clippy::unwrap_used, missing_docs)]

mod evm_common;

use std::path::Path;

use circuits::halo2::{evm_gas, plan_limits, LayoutLimits, ProtocolCounts};
use circuits::visibility::{Visibilities, Visibility};
use evm_common::{root, tools};
use solidity::calldata::{decode_bool, verify_proof_calldata};
use solidity::local::LocalEvm;
use solidity::Bundle;
use verifier::{instances_from_hex, KeyOptions, TranscriptKind, VerifierKey};
use zkinfer::{compile, prove_with, setup, CompileOptions, ProveOptions, Samples, SrsSource};

struct Case {
    fixture: &'static str,
    limits: LayoutLimits,
    input: Visibility,
}

const fn lim(max_advice: usize, range_lookup: bool, max_dot: usize) -> LayoutLimits {
    LayoutLimits {
        max_advice,
        range_lookup,
        max_dot,
        max_groups: 1,
    }
}

struct Row {
    name: String,
    counts: ProtocolCounts,
    predicted: u64,
    measured: u64,
    k: u32,
    prove_s: f64,
    prove_cpu_s: f64,
    predicted_s: f64,
}

/// CPU seconds (user + system, all threads) of this process so far, from /proc (0 where
/// there is none).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn measure(c: &Case) -> Row {
    let fixture = root().join("tests/fixtures").join(c.fixture);
    let vis = Visibilities {
        input: c.input,
        ..Visibilities::default()
    };
    let mut compiled = compile(
        &fixture.join("network.onnx"),
        &Samples::Files(vec![fixture.join("input.json")]),
        &CompileOptions {
            visibility: vis,
            ..CompileOptions::default()
        },
    )
    .unwrap();
    let shape = plan_limits(&compiled.graph, &compiled.settings.quant, &c.limits, &vis).unwrap();
    compiled.settings.circuit = shape.clone();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "gas-model-{}-{}-{}",
        c.fixture,
        c.limits.label().replace([' ', ','], "_"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    compiled.save(&dir).unwrap();
    let srs = SrsSource::Local {
        cache_dir: root().join("target/test-srs-cache"),
    };
    setup(&dir, &srs).unwrap();
    let inputs =
        onnx_import::input_file::read_inputs(&fixture.join("input.json"), &compiled.graph).unwrap();
    let opts = ProveOptions {
        transcript: TranscriptKind::Keccak,
        ..ProveOptions::default()
    };
    let t = std::time::Instant::now();
    let cpu0 = cpu_seconds();
    let artifact = prove_with(&dir, &inputs, &opts, &prover::no_progress).unwrap();
    let prove_s = t.elapsed().as_secs_f64();
    let prove_cpu_s = cpu_seconds() - cpu0;
    let key = VerifierKey::from_bytes_with(
        &std::fs::read(dir.join("vk.bin")).unwrap(),
        &std::fs::read(dir.join("srs-verifier.bin")).unwrap(),
        &KeyOptions {
            allow_insecure_srs: true,
        },
    )
    .unwrap();
    let generated =
        solidity::generate_verifier(key.params(), key.halo2_vk(), key.num_instances()).unwrap();
    let bundle = Bundle::new(&generated, key.digest(), Some(&tools().solc)).unwrap();
    let proof = hex::decode(&artifact.proof).unwrap();
    let instances = instances_from_hex(&artifact.instances).unwrap();
    let mut evm = LocalEvm::new();
    let deployed = evm.deploy_bundle(&bundle).unwrap();
    let out = evm
        .call(
            deployed.last().unwrap().1,
            verify_proof_calldata(&proof, &instances),
        )
        .unwrap();
    assert_eq!(
        decode_bool(&out.output),
        Some(true),
        "{}: rejected",
        c.fixture
    );
    let public_rows = instances.len();
    let counts = ProtocolCounts::of_shape(&shape, public_rows, instances.len());
    let predicted = evm_gas(&shape, public_rows, instances.len()).unwrap();
    let name = format!("{} [{}], input {}", c.fixture, c.limits.label(), c.input);
    assert_eq!(
        counts.proof_bytes(),
        proof.len(),
        "{name}: the counted protocol implies another proof length ({counts:?})"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Row {
        name,
        counts,
        predicted,
        measured: out.gas_used,
        k: shape.k,
        prove_s,
        prove_cpu_s,
        predicted_s: circuits::halo2::predicted_prove_seconds(&shape),
    }
}

fn check(cases: &[Case], tolerance: f64) {
    let rows: Vec<Row> = cases.iter().map(measure).collect();
    println!("| case | k | P | W | E | I | gate ops | predicted | measured | ratio | prove s | prove CPU s | predicted s |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        let c = &r.counts;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.3} | {:.2} | {:.2} | {:.2} |",
            r.name,
            r.k,
            c.preprocessed,
            c.witness,
            c.evaluations,
            c.instances,
            c.gate_ops,
            r.predicted,
            r.measured,
            r.predicted as f64 / r.measured as f64,
            r.prove_s,
            r.prove_cpu_s,
            r.predicted_s
        );
    }
    for r in &rows {
        let ratio = r.predicted as f64 / r.measured as f64;
        assert!(
            (1.0 - tolerance..=1.0 + tolerance).contains(&ratio),
            "{}: predicted {} gas, measured {} (ratio {ratio:.3})",
            r.name,
            r.predicted,
            r.measured
        );
    }
}

/// Three shapes of different widths on the digits MLP, public and hashed inputs.
#[test]
fn predicted_gas_matches_revm() {
    check(
        &[
            Case {
                fixture: "digits_mlp16",
                limits: lim(1, false, 0),
                input: Visibility::Public,
            },
            Case {
                fixture: "digits_mlp16",
                limits: lim(4, true, 4),
                input: Visibility::Hashed,
            },
            Case {
                fixture: "op_sigmoid",
                limits: lim(16, true, 32),
                input: Visibility::Public,
            },
        ],
        0.10,
    );
}

/// The wider set the coefficients were fitted on (`ZKINFER_GAS_FIT=1`, by hand).
#[test]
fn fit_rows() {
    if std::env::var_os("ZKINFER_GAS_FIT").is_none() {
        return;
    }
    let mut cases = Vec::new();
    for (fixture, input) in [
        ("digits_mlp16", Visibility::Public),
        ("digits_mlp16", Visibility::Hashed),
        ("op_sigmoid", Visibility::Public),
        ("digits_conv", Visibility::Hashed),
        ("cnn_chain", Visibility::Hashed),
    ] {
        for limits in [
            lim(1, false, 0),
            lim(2, false, 0),
            lim(1, true, 1),
            lim(4, true, 4),
            lim(8, true, 8),
            lim(16, true, 32),
        ] {
            cases.push(Case {
                fixture,
                limits,
                input,
            });
        }
    }
    check(&cases, 10.0);
}
