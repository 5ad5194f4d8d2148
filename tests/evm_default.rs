//! The default on-chain flow through the CLI, one test per model: `compile --evm` (the
//! circuit planned for the EVM; inputs with many values become `hashed`), `setup`,
//! `prove --evm`, `verify`, `create-evm-verifier`, `deploy-evm` to anvil and `verify-evm`.
//! Checked on `digits_mlp16`, the small CNN `digits_conv` and `wide_mlp` (512 input values):
//! the contract accepts the proof and rejects it with one proof byte or one instance changed
//! (exit 1, no panic), every deployed contract fits EIP-170, and the measured gas is below
//! [`GAS_BOUND`] and within [`PREDICTION_TOLERANCE`] of the gas `compile --evm` predicts
//! (settings.json's `evm.predicted_gas`).
//! Needs the tools of `.ci/install-evm-tools.sh`.
#![allow(clippy::unwrap_used, missing_docs)]

mod evm_common;

use std::path::Path;
use std::time::{Duration, Instant};

use evm_common::{ok, p, root, text, tools, zkinfer, Anvil};
use solidity::rpc::parse_address;
use solidity::EIP170_LIMIT;

/// Largest accepted `verify-evm` gas (eth_estimateGas of the verifyProof call).
const GAS_BOUND: u64 = 450_000;
/// Largest accepted |measured - predicted| / predicted.
const PREDICTION_TOLERANCE: f64 = 0.15;

/// The first integer after `key` on the first line containing `key` (digits with `,` or `_`
/// separators), or `None` when no line has `key`.
fn number_after(log: &str, key: &str) -> Option<u64> {
    let line = log.lines().find(|l| l.contains(key))?;
    let rest = &line[line.find(key)? + key.len()..];
    let start = rest.find(|c: char| c.is_ascii_digit())?;
    let digits: String = rest[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '_')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// `(name, address)` of every contract `deploy-evm` lists (`  NAME 0x… (gas N)`).
fn deployed_contracts(log: &str) -> Vec<(String, String)> {
    log.lines()
        .filter(|l| l.starts_with("  ") && l.trim_end().ends_with(')') && l.contains("(gas "))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next()?.to_string();
            let addr = words
                .next()
                .filter(|a| a.starts_with("0x") && a.len() == 42)?;
            Some((name, addr.to_string()))
        })
        .collect()
}

/// `art` with its proof's middle byte flipped.
fn with_flipped_proof_byte(art: &serde_json::Value) -> serde_json::Value {
    let mut bytes = hex::decode(art["proof"].as_str().unwrap()).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    let mut bad = art.clone();
    bad["proof"] = hex::encode(bytes).into();
    bad
}

/// `art` with its last instance (an output) changed by one in its lowest bit (instances are
/// 32-byte little-endian field elements, so it stays in the field).
fn with_changed_instance(art: &serde_json::Value) -> serde_json::Value {
    let mut bad = art.clone();
    let instances = bad["instances"].as_array_mut().unwrap();
    let last = instances.last_mut().unwrap();
    let mut bytes = hex::decode(last.as_str().unwrap()).unwrap();
    bytes[0] ^= 0x01;
    *last = hex::encode(bytes).into();
    bad
}

fn on_chain_by_default(name: &str) {
    let tools = tools();
    let fixture = root().join("tests/fixtures").join(name);
    let (model, input) = (fixture.join("network.onnx"), fixture.join("input.json"));
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("model"), tmp.path().join("evm"));
    let proof = tmp.path().join("proof.json");
    let cache = root().join("target/test-srs-cache");
    let mut times: Vec<(&str, Duration)> = Vec::new();
    let mut step = |what, t: Instant| times.push((what, t.elapsed()));

    let t = Instant::now();
    let compiled = ok(&[
        "compile",
        p(&model),
        "--evm",
        "--calibration",
        p(&input),
        "-o",
        p(&dir),
    ]);
    step("compile --evm", t);
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("settings.json")).unwrap()).unwrap();
    // compile --evm records its prediction in settings.json ("evm": {"predicted_gas": …}) and
    // prints it on its EVM plan line.
    let predicted = settings["evm"]["predicted_gas"]
        .as_u64()
        .unwrap_or_else(|| panic!("{name}: settings.json has no evm.predicted_gas:\n{compiled}"));
    let plan_line = compiled
        .lines()
        .find(|l| l.contains("predicted gas") || l.contains("gas to verify on chain"))
        .unwrap_or_else(|| panic!("{name}: compile --evm printed no gas prediction:\n{compiled}"))
        .trim()
        .to_string();

    let t = Instant::now();
    ok(&["setup", p(&dir), "--srs-cache", p(&cache)]);
    step("setup", t);
    let t = Instant::now();
    ok(&[
        "prove",
        p(&dir),
        "--input",
        p(&input),
        "--evm",
        "-o",
        p(&proof),
    ]);
    step("prove --evm", t);
    let art: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    assert_eq!(art["transcript"], "keccak");
    let num_instances = art["instances"].as_array().unwrap().len();
    if name == "wide_mlp" {
        // 512 input values: under --evm only their hash is an instance (plus 4 outputs).
        assert!(
            num_instances < 16,
            "{name}: {num_instances} instances: the wide input is not hashed"
        );
    }
    let t = Instant::now();
    let log = ok(&[
        "verify",
        p(&dir),
        "--proof",
        p(&proof),
        "--allow-insecure-srs",
    ]);
    assert!(log.contains("is valid"), "{log}");
    step("verify", t);

    let t = Instant::now();
    let log = ok(&[
        "create-evm-verifier",
        p(&dir),
        "-o",
        p(&out),
        "--solc",
        p(&tools.solc.path),
        "--allow-insecure-srs",
    ]);
    assert!(
        !log.contains("Stack too deep"),
        "{name}: solc reported Stack too deep:\n{log}"
    );
    assert!(out.join("ZkinferVerifier.bin-runtime").is_file(), "{log}");
    step("create-evm-verifier", t);

    let node = Anvil::start(&tools.anvil);
    let rpc = node.rpc();
    let t = Instant::now();
    let (address, log) = node.deploy(&out);
    step("deploy-evm", t);
    let contracts = deployed_contracts(&log);
    assert!(
        contracts.iter().any(|(_, a)| *a == address),
        "{name}: the entry contract is not among the deployed ones:\n{log}"
    );
    let mut sizes = Vec::new();
    for (contract, addr) in &contracts {
        let size = rpc.code(&parse_address(addr).unwrap()).unwrap().len();
        assert!(size > 0, "{name}: {contract} at {addr} has no code");
        assert!(
            size < EIP170_LIMIT,
            "{name}: {contract} has {size} runtime bytes (EIP-170 limit {EIP170_LIMIT})"
        );
        sizes.push(format!("{contract} {size}"));
    }

    let verify_evm = |path: &Path| {
        zkinfer(&[
            "verify-evm",
            "--rpc",
            &node.url,
            "--address",
            &address,
            "--proof",
            p(path),
            "--allow-insecure-srs",
        ])
    };
    let t = Instant::now();
    let good = verify_evm(&proof);
    step("verify-evm", t);
    assert!(good.status.success(), "{name}: {}", text(&good));
    assert!(text(&good).contains("accepted"), "{}", text(&good));
    let gas = number_after(&text(&good), "; gas ")
        .unwrap_or_else(|| panic!("{name}: verify-evm printed no gas:\n{}", text(&good)));

    let mut rejections = Vec::new();
    for (what, bad) in [
        ("one proof byte flipped", with_flipped_proof_byte(&art)),
        ("one instance changed", with_changed_instance(&art)),
    ] {
        let path = tmp.path().join("bad-proof.json");
        std::fs::write(&path, bad.to_string()).unwrap();
        let o = verify_evm(&path);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{name}: {what}: verify-evm must exit 1 (rejected, no panic):\n{}",
            text(&o)
        );
        assert!(
            !text(&o).contains("panicked"),
            "{name}: {what}: {}",
            text(&o)
        );
        assert!(
            !text(&o).contains(" accepted "),
            "{name}: {what}: {}",
            text(&o)
        );
        let said = text(&o);
        let said = said.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        rejections.push(format!("{what}: exit 1, \"{}\"", said.trim()));
    }

    let deviation = (gas as f64 - predicted as f64) / predicted as f64;
    println!(
        "{name}: k={} instances {num_instances}, visibility {} (null: public in/out, fixed params), verify-evm gas {gas} (predicted \
         {predicted}, {:+.1}%), runtime bytes {}",
        settings["circuit"]["k"],
        settings["circuit"]["visibility"],
        100.0 * deviation,
        sizes.join(" + ")
    );
    println!("  compile: {plan_line}");
    for r in &rejections {
        println!("  rejected, {r}");
    }
    for (what, d) in &times {
        println!("  {what:<22} {d:>8.2?}");
    }
    assert!(
        gas < GAS_BOUND,
        "{name}: verifyProof gas {gas} is not below {GAS_BOUND}"
    );
    assert!(
        deviation.abs() <= PREDICTION_TOLERANCE,
        "{name}: measured gas {gas} is {:+.1}% off the predicted {predicted} (tolerance ±{:.0}%)",
        100.0 * deviation,
        100.0 * PREDICTION_TOLERANCE
    );
}

#[test]
fn digits_mlp16_on_chain_by_default() {
    on_chain_by_default("digits_mlp16");
}

#[test]
fn digits_conv_on_chain_by_default() {
    on_chain_by_default("digits_conv");
}

#[test]
fn wide_mlp_on_chain_by_default() {
    on_chain_by_default("wide_mlp");
}

#[test]
fn parsers_read_the_cli_output() {
    assert_eq!(
        number_after(
            "plan: k = 15, predicted gas ~312,456 (verifyProof)",
            "predicted gas"
        ),
        Some(312_456)
    );
    assert_eq!(number_after("nothing here", "predicted gas"), None);
    assert_eq!(
        number_after(
            "the contract at 0xab accepted p.json; gas 299141 (eth_estimateGas)",
            "; gas "
        ),
        Some(299_141)
    );
    let log = "  ZkinferVerifierVk     0x5fbdb2315678afecb367f032d93f642f64180aa3 (gas 1234)\n  \
               ZkinferVerifier        0xe7f1725e7734ce288f8367e1bb143e90bb3f0512 (gas 99)\n\
               ZkinferVerifier deployed at 0xe7f1725e7734ce288f8367e1bb143e90bb3f0512\n";
    let got = deployed_contracts(log);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].0, "ZkinferVerifier");
    assert_eq!(got[0].1, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
}
