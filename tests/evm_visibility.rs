//! On-chain verification of proofs bound to hashed and committed parameters, as a user runs
//! it: `run --evm --param-visibility …`, `create-evm-verifier`, `deploy-evm` to anvil, then
//! `verify-evm --commitment` with the value `zkinfer commit` printed: accepted with the right
//! commitment (read on chain: the parameter-hash instance, or the contract's
//! `paramCommitment(proof)`), refused with another. Needs the tools of
//! `.ci/install-evm-tools.sh`.
#![allow(clippy::unwrap_used, missing_docs)]

mod evm_common;

use std::process::Output;

use evm_common::{p, root, text, tools, zkinfer, Anvil};

fn ok(args: &[&str]) -> Output {
    let o = zkinfer(args);
    assert!(o.status.success(), "zkinfer {args:?} failed:\n{}", text(&o));
    o
}

#[test]
fn hashed_and_committed_parameters_on_anvil() {
    let tools = tools();
    let fixture = root().join("tests/fixtures/digits_mlp16");
    let (model, input) = (fixture.join("network.onnx"), fixture.join("input.json"));
    let tmp = tempfile::tempdir().unwrap();
    let cache = root().join("target/test-srs-cache");
    let node = Anvil::start(&tools.anvil);
    for mode in ["committed", "hashed"] {
        let dir = tmp.path().join(mode);
        let out = tmp.path().join(format!("{mode}-evm"));
        ok(&[
            "run",
            p(&model),
            "--input",
            p(&input),
            "--param-visibility",
            mode,
            "--srs-cache",
            p(&cache),
            "--evm",
            "-o",
            p(&dir),
        ]);
        let commitment = String::from_utf8(
            ok(&[
                "commit",
                p(&model),
                "--param-visibility",
                mode,
                "--dir",
                p(&dir),
            ])
            .stdout,
        )
        .unwrap()
        .trim()
        .to_string();
        assert!(
            commitment.starts_with("0x") && commitment.len() == 66,
            "{commitment}"
        );
        let log = text(&ok(&[
            "create-evm-verifier",
            p(&dir),
            "-o",
            p(&out),
            "--solc",
            p(&tools.solc.path),
            "--allow-insecure-srs",
        ]));
        assert_eq!(
            log.contains("paramCommitment"),
            mode == "committed",
            "{log}"
        );
        let (address, _) = node.deploy(&out);
        let proof = dir.join("proof.json");
        let verify = |c: &str| {
            zkinfer(&[
                "verify-evm",
                "--rpc",
                &node.url,
                "--address",
                &address,
                "--proof",
                p(&proof),
                "--allow-insecure-srs",
                "--commitment",
                c,
            ])
        };
        let good = verify(&commitment);
        assert!(good.status.success(), "{mode}: {}", text(&good));
        println!("{mode}: {}", text(&good).trim());
        assert!(
            text(&good).contains(&format!("bound to model commitment {commitment}")),
            "{}",
            text(&good)
        );
        let mut other = commitment.clone().into_bytes();
        let last = other.len() - 1;
        other[last] = if other[last] == b'0' { b'1' } else { b'0' };
        let bad = verify(std::str::from_utf8(&other).unwrap());
        assert!(!bad.status.success(), "{mode}: another commitment accepted");
        assert!(text(&bad).contains("not the expected"), "{}", text(&bad));
    }
}
