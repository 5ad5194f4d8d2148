//! The EVM commands end to end on `digits_mlp16`, as a user runs them: `run --evm`,
//! `create-evm-verifier`, `deploy-evm` to anvil, `verify-evm` (accepts; rejects a tampered
//! proof with a non-zero exit), `encode-calldata`, and the ethers example in
//! `examples/dapp`. Needs the tools of `.ci/install-evm-tools.sh`.
#![allow(clippy::unwrap_used, missing_docs)]

mod evm_common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use evm_common::{ok, p, root, text, tools, zkinfer, Anvil, ANVIL_KEY};
use solidity::calldata::decode_bool;
use solidity::rpc::{from_hex, parse_address};

#[test]
fn cli_and_dapp_on_anvil() {
    let tools = tools();
    let fixture = root().join("tests/fixtures/digits_mlp16");
    let tmp =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("evm-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let (dir, out) = (tmp.join("model"), tmp.join("evm"));
    let proof = dir.join("proof.json");
    let cache = root().join("target/test-srs-cache");
    let mut times = Vec::new();

    let t = Instant::now();
    let log = ok(&[
        "run",
        p(&fixture.join("network.onnx")),
        "--input",
        p(&fixture.join("input.json")),
        "--srs-cache",
        p(&cache),
        "-o",
        p(&dir),
        "--evm",
    ]);
    assert!(log.contains("is valid"), "{log}");
    let art: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    assert_eq!(art["transcript"], "keccak");
    times.push(("run --evm", t.elapsed()));

    // Without a compiler: sources and ABI only, and deploy-evm says what is missing.
    let src_only = tmp.join("src-only");
    ok(&[
        "create-evm-verifier",
        p(&dir),
        "-o",
        p(&src_only),
        "--no-compile",
        "--allow-insecure-srs",
    ]);
    assert!(src_only.join("ZkinferVerifier.sol").is_file());
    assert!(src_only.join("ZkinferVerifier.abi.json").is_file());
    let o = zkinfer(&[
        "deploy-evm",
        p(&src_only),
        "--rpc",
        "http://127.0.0.1:1",
        "--private-key",
        ANVIL_KEY,
    ]);
    assert!(
        !o.status.success() && text(&o).contains("no bytecode"),
        "{}",
        text(&o)
    );

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
    assert!(log.contains("ZkinferVerifier"), "{log}");
    assert!(
        out.join("ZkinferVerifier.bin").is_file()
            && out.join("ZkinferVerifier.bin-runtime").is_file()
    );
    // The ABI written is solc's, and equals the documented one.
    let abi: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("ZkinferVerifier.abi.json")).unwrap(),
    )
    .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("evm-verifier.json")).unwrap())
            .unwrap();
    let single = manifest["contracts"].as_array().unwrap().len() == 1;
    let documented: serde_json::Value = serde_json::from_str(if single {
        solidity::INLINE_ABI
    } else {
        solidity::WRAPPER_ABI
    })
    .unwrap();
    let sorted = |v: &serde_json::Value| {
        let mut items: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.to_string())
            .collect();
        items.sort();
        items
    };
    assert_eq!(sorted(&abi), sorted(&documented));
    times.push(("create-evm-verifier", t.elapsed()));

    let node = Anvil::start(&tools.anvil);
    let t = Instant::now();
    let (address, _) = node.deploy(&out);
    let deployment: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("deployment.json")).unwrap())
            .unwrap();
    assert_eq!(deployment["address"], address.as_str());
    times.push(("deploy-evm", t.elapsed()));

    let t = Instant::now();
    let log = ok(&[
        "verify-evm",
        "--rpc",
        &node.url,
        "--address",
        &address,
        "--proof",
        p(&proof),
    ]);
    assert!(log.contains("accepted") && log.contains("gas"), "{log}");
    times.push(("verify-evm", t.elapsed()));

    // A flipped proof byte: rejected, exit 1.
    let mut bad = art.clone();
    let mut hex_proof = bad["proof"].as_str().unwrap().to_string();
    let flip = if &hex_proof[100..101] == "0" {
        "1"
    } else {
        "0"
    };
    hex_proof.replace_range(100..101, flip);
    bad["proof"] = hex_proof.into();
    let bad_path = tmp.join("bad-proof.json");
    std::fs::write(&bad_path, bad.to_string()).unwrap();
    let o = zkinfer(&[
        "verify-evm",
        "--rpc",
        &node.url,
        "--address",
        &address,
        "--proof",
        p(&bad_path),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("REJECTED"), "{}", text(&o));

    // encode-calldata gives the complete transaction data.
    let data = ok(&["encode-calldata", "--proof", p(&proof)]);
    let rpc = node.rpc();
    let answer = rpc
        .call(
            &parse_address(&address).unwrap(),
            &from_hex(data.trim()).unwrap(),
        )
        .unwrap();
    assert_eq!(decode_bool(&answer), Some(true));

    // Native verification of the same (Keccak) proof.
    ok(&[
        "verify",
        p(&dir),
        "--proof",
        p(&proof),
        "--allow-insecure-srs",
    ]);

    // A Blake2b proof is refused by the EVM commands with the fix. `prove` on a directory
    // compiled for the EVM makes Keccak proofs by default, so the artifact's transcript is
    // relabelled (the commands decide on that field before reading the proof).
    let blake = tmp.join("blake.json");
    let mut relabelled = art.clone();
    relabelled["transcript"] = serde_json::Value::from("blake2b");
    std::fs::write(&blake, serde_json::to_string(&relabelled).unwrap()).unwrap();
    let o = zkinfer(&["encode-calldata", "--proof", p(&blake)]);
    assert!(
        !o.status.success() && text(&o).contains("--evm"),
        "{}",
        text(&o)
    );

    // The integrator example (ethers): deploys its own copy and verifies.
    let dapp = root().join("examples/dapp");
    assert!(
        dapp.join("node_modules/ethers").is_dir(),
        "examples/dapp/node_modules is missing: run .ci/install-evm-tools.sh"
    );
    let t = Instant::now();
    let o = Command::new("node")
        .arg(dapp.join("verify.mjs"))
        .args([
            "--rpc",
            &node.url,
            "--key",
            ANVIL_KEY,
            "--verifier",
            p(&out),
            "--proof",
            p(&proof),
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "examples/dapp/verify.mjs failed:\n{}",
        text(&o)
    );
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&o.stdout).trim()).unwrap();
    assert_eq!(line["accepted"], true);
    times.push(("dapp deploy + verify", t.elapsed()));
    let o = Command::new("node")
        .arg(dapp.join("verify.mjs"))
        .args([
            "--rpc",
            &node.url,
            "--address",
            &address,
            "--verifier",
            p(&out),
            "--proof",
            p(&bad_path),
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "dapp accepted a bad proof:\n{}",
        text(&o)
    );

    for (step, d) in &times {
        println!("  {step:<22} {d:>8.2?}");
    }
    drop(node);
    let _ = std::fs::remove_dir_all(&tmp);
}
