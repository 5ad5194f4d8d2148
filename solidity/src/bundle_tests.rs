//! Unit tests of `bundle.rs` (kept apart to keep that file small).
#![allow(clippy::unwrap_used)]
use super::*;

fn contract(name: &str, constructor: Vec<ConstructorArg>, runtime: &[u8]) -> BundleContract {
    BundleContract {
        name: name.into(),
        source: format!("contract {name} {{}}"),
        constructor,
        compiled: Some(CompiledContract {
            abi: serde_json::Value::Null,
            deploy: vec![0xfe],
            runtime: runtime.to_vec(),
        }),
    }
}

#[test]
fn deploy_resolves_addresses_and_code_hashes() {
    let bundle = Bundle {
        vk_digest: [3; 32],
        num_instances: 1,
        proof_len: 32,
        committed: None,
        contracts: vec![
            contract("Part", vec![], &[1, 2, 3]),
            contract(
                WRAPPER_CONTRACT,
                vec![
                    ConstructorArg::Address("Part".into()),
                    ConstructorArg::Codehash("Part".into()),
                ],
                &[4],
            ),
        ],
        solc_version: None,
    };
    let mut codes = Vec::new();
    bundle
        .deploy(|_, code| {
            codes.push(code);
            Ok([codes.len() as u8; 20])
        })
        .unwrap();
    assert_eq!(codes[0], [0xfe]);
    let mut want = vec![0xfe];
    want.extend_from_slice(&[0; 12]);
    want.extend_from_slice(&[1; 20]);
    want.extend_from_slice(&keccak256(&[1, 2, 3]));
    assert_eq!(codes[1], want);
    // The manifest spells the kind "codehash" and reads back the same.
    let dir = tempfile::tempdir().unwrap();
    bundle.write(dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join(MANIFEST)).unwrap();
    assert!(text.contains("\"codehash\": \"Part\""), "{text}");
    assert_eq!(
        Bundle::read(dir.path()).unwrap().contracts[1].constructor,
        bundle.contracts[1].constructor
    );
    // A code hash of a contract not deployed before is an error, not a zero word.
    let mut bad = bundle.clone();
    bad.contracts[1].constructor = vec![ConstructorArg::Codehash(WRAPPER_CONTRACT.into())];
    assert!(bad.deploy(|_, _| Ok([0; 20])).is_err());
}
