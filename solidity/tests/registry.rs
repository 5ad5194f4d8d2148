//! `ModelRegistry` and `InferenceLog` in the in-process EVM, against a mock verifier
//! (`tests/contracts/MockVerifier.sol`, compiled here with `.tools/bin/solc` or
//! `$ZKINFER_SOLC`), and the committed build output against the sources.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod registry_common;

use registry_common::*;
use solidity::calldata::keccak256;
use solidity::registry::*;

#[test]
fn committed_build_matches_sources() {
    for (name, json) in compile_registry_contracts(&solc()).unwrap() {
        let committed = if name == "ModelRegistry" {
            MODEL_REGISTRY_JSON
        } else {
            INFERENCE_LOG_JSON
        };
        let (now, then) = (
            parse_artifact(&json).unwrap(),
            parse_artifact(committed).unwrap(),
        );
        assert!(
            now.bytecode == then.bytecode && now.deployed_bytecode == then.deployed_bytecode && now.abi == then.abi,
            "contracts/build/{name}.json is stale: regenerate with `cargo run -p zkinfer-solidity --example build_contracts`"
        );
        assert_eq!(json, committed, "contracts/build/{name}.json differs in format: regenerate with `cargo run -p zkinfer-solidity --example build_contracts`");
    }
}

#[test]
fn register_model_and_event() {
    let mut c = Chain::new();
    let v = c.mock(Mock::default());
    let out = c.register(PARAMS, OnchainKind::Hashed, v, LAYOUT);
    assert!(out.success, "{:?}", decode_revert(&out.output));
    println!("register (hashed, mock verifier): {} gas", out.gas_used);
    assert_eq!(decode_u64(&out.output).unwrap(), 1);
    let ev = out
        .logs
        .iter()
        .find_map(|l| ModelRegistered::decode(&l.topics, &l.data));
    let uri = "data:application/json,{}".to_string();
    let (commitment, owner, verifier, kind) = (PARAMS, ALICE, v, OnchainKind::Hashed);
    let expected = ModelRegistered {
        model_id: 1,
        commitment,
        owner,
        verifier,
        kind,
        metadata_uri: uri.clone(),
    };
    assert_eq!(ev, Some(expected));
    assert_eq!(out.logs[0].address, c.registry);
    let registry = c.registry;
    let m = decode_model(&c.view(registry, model_calldata(1))).unwrap();
    let (layout, metadata_uri) = (LAYOUT, uri);
    let expected = RegisteredModel {
        commitment,
        kind,
        verifier,
        owner,
        deprecated: false,
        registered_block: 0,
        layout,
        metadata_uri,
    };
    assert_eq!(m, expected);
    assert_eq!(c.reg_u64(model_id_of_calldata(&PARAMS)), 1);
    assert_eq!(c.reg_u64(model_id_of_calldata(&[9; 32])), 0);
    assert_eq!(c.reg_u64(model_count_calldata()), 1);
    assert_eq!(
        c.reg_ok([0x33; 32], OnchainKind::Hashed, v, LAYOUT),
        2,
        "ids count up"
    );
}

#[test]
fn registration_checks() {
    use OnchainKind::{Fixed, Hashed};
    use RegistryRevert::*;
    let mut c = Chain::new();
    let v = c.mock(Mock::default());
    c.reg_ok(PARAMS, Hashed, v, LAYOUT);
    let again = AlreadyRegistered {
        commitment: PARAMS,
        model_id: 1,
    };
    assert_eq!(c.reg_err(PARAMS, Hashed, v, LAYOUT), again);
    assert_eq!(c.reg_err([0; 32], Hashed, v, LAYOUT), ZeroCommitment);
    let fresh = [0x44; 32];
    assert_eq!(
        c.reg_err(fresh, Hashed, BOB, LAYOUT),
        NoVerifierCode { verifier: BOB }
    );
    let registry = c.registry;
    let e = c.reg_err(fresh, Hashed, registry, LAYOUT);
    assert_eq!(
        e,
        NoVerifierCode { verifier: registry },
        "a contract without numInstances()"
    );
    let e = c.reg_err(fresh, Hashed, v, lay(11, 10, 1, 0, 10, 10));
    assert_eq!(
        e,
        InstanceCountMismatch {
            layout: 11,
            verifier: 12
        }
    );
    // Fixed: the commitment must be the verifier's modelCommitment().
    let fixed = lay(12, 10, 1, 0, 10, 0);
    let e = c.reg_err(fresh, Fixed, v, fixed);
    assert_eq!(
        e,
        CommitmentMismatch {
            registered: fresh,
            verifier_reports: [0x11; 32]
        }
    );
    let bad = [
        (Hashed, lay(12, 10, 1, 0, 10, 12)), // param index out of range
        (Hashed, lay(12, 10, 1, 0, 10, 10)), // ... inside the input range
        (Hashed, lay(12, 10, 1, 0, 10, 0)),  // ... inside the output range
        (Hashed, lay(12, 9, 2, 0, 10, 11)),  // ranges overlap
        (Hashed, lay(12, 11, u32::MAX, 0, 10, 11)), // input range past the end (no overflow)
        (Hashed, lay(12, 10, 1, u32::MAX, u32::MAX, 11)),
        (Hashed, lay(12, 0, 13, 0, 0, 11)),
        (Fixed, LAYOUT), // param index set for a fixed model
    ];
    for (kind, layout) in bad {
        let commitment = if kind == Fixed { [0x11; 32] } else { fresh };
        assert_eq!(
            c.reg_err(commitment, kind, v, layout),
            BadLayout,
            "{layout:?}"
        );
        assert_eq!(
            layout.validate(kind),
            Err(BadLayout),
            "Rust check agrees: {layout:?}"
        );
    }
    // Fixed with the verifier's own commitment and a valid layout registers.
    assert_eq!(fixed.validate(Fixed), Ok(()));
    assert_eq!(c.reg_ok([0x11; 32], Fixed, v, fixed), 2);
    let out = c.send(ALICE, registry, model_calldata(99));
    assert_eq!(reverted(&out), UnknownModel { model_id: 99 });
}

#[test]
fn deprecation() {
    use RegistryRevert::*;
    let mut c = Chain::new();
    let v = c.mock(Mock::default());
    c.reg_ok(PARAMS, OnchainKind::Hashed, v, LAYOUT);
    let registry = c.registry;
    let e = reverted(&c.send(BOB, registry, deprecate_calldata(1)));
    assert_eq!(
        e,
        NotOwner {
            model_id: 1,
            caller: BOB
        }
    );
    let e = reverted(&c.send(ALICE, registry, deprecate_calldata(2)));
    assert_eq!(e, UnknownModel { model_id: 2 });
    let out = c.send(ALICE, registry, deprecate_calldata(1));
    assert!(out.success);
    let ev = out
        .logs
        .iter()
        .find_map(|l| ModelDeprecated::decode(&l.topics, &l.data));
    assert_eq!(
        ev,
        Some(ModelDeprecated {
            model_id: 1,
            owner: ALICE
        })
    );
    assert!(
        decode_model(&c.view(registry, model_calldata(1)))
            .unwrap()
            .deprecated
    );
    let e = reverted(&c.send(ALICE, registry, deprecate_calldata(1)));
    assert_eq!(e, AlreadyDeprecated { model_id: 1 });
    let e = reverted(&c.submit(1, PROOF, &instances(PARAMS)));
    assert_eq!(e, ModelIsDeprecated { model_id: 1 });
    assert_eq!(c.entry_count(), 0);
}

#[test]
fn submit_records_a_verified_inference() {
    use RegistryRevert::*;
    let mut c = Chain::new();
    let v = c.mock(Mock::default());
    c.reg_ok(PARAMS, OnchainKind::Hashed, v, LAYOUT);
    let inst = instances(PARAMS);
    let out = c.submit(1, PROOF, &inst);
    assert!(out.success, "{:?}", decode_revert(&out.output));
    println!(
        "submit (hashed, 12 instances, 10 outputs, mock verifier): {} gas",
        out.gas_used
    );
    assert_eq!(decode_u64(&out.output).unwrap(), 1);
    let (input_hash, output_hash) = hashes_of(&LAYOUT, &inst).unwrap();
    assert_eq!(input_hash, keccak256(&word(11)));
    assert_eq!(output_hash, keccak256(&inst[..10].concat()));
    let ev = out
        .logs
        .iter()
        .find_map(|l| InferenceVerified::decode(&l.topics, &l.data));
    assert_eq!(out.logs[0].address, c.log);
    let (outputs, submitter, block_number) = (inst[..10].to_vec(), BOB, 0);
    let entry = LogEntry {
        model_id: 1,
        input_hash,
        output_hash,
        outputs,
        submitter,
        block_number,
    };
    let expected = InferenceVerified {
        entry_id: 1,
        entry: entry.clone(),
    };
    assert_eq!(ev, Some(expected));
    let log = c.log;
    let e = decode_entry(&c.view(log, entry_calldata(1))).unwrap();
    assert_eq!(e, entry);
    let verified =
        |c: &mut Chain, m, i, o| decode_bool(&c.view(log, is_verified_calldata(m, i, o))).unwrap();
    assert!(verified(&mut c, 1, &input_hash, &output_hash));
    assert!(!verified(&mut c, 1, &input_hash, &input_hash));
    assert!(!verified(&mut c, 2, &input_hash, &output_hash));
    let onchain = decode_hashes(&c.view(log, hashes_of_calldata(1, &inst))).unwrap();
    assert_eq!(onchain, (input_hash, output_hash));
    // The same inference again is a new entry.
    let out = c.submit(1, PROOF, &inst);
    assert_eq!(decode_u64(&out.output).unwrap(), 2);
    println!("submit again (index slots warm): {} gas", out.gas_used);
    assert_eq!(c.log_u64(entry_count_calldata()), 2);
    assert_eq!(c.log_ids(entries_by_model_calldata(1)), vec![1, 2]);
    assert_eq!(
        c.log_ids(entries_by_input_calldata(&input_hash)),
        vec![1, 2]
    );
    assert_eq!(
        c.log_ids(entries_by_input_calldata(&output_hash)),
        Vec::<u64>::new()
    );
    let registry_of = c.view(log, solidity::registry_abi::encode_call("registry()", &[]));
    assert_eq!(decode_address(&registry_of).unwrap(), c.registry);
    for id in [0, 3] {
        assert_eq!(
            reverted(&c.send(ALICE, log, entry_calldata(id))),
            UnknownEntry { entry_id: id }
        );
    }
    let e = reverted(&c.send(ALICE, log, hashes_of_calldata(1, &inst[..11])));
    assert_eq!(
        e,
        WrongInstanceCount {
            expected: 12,
            got: 11
        }
    );
    let e = reverted(&c.send(ALICE, log, hashes_of_calldata(5, &inst)));
    assert_eq!(e, UnknownModel { model_id: 5 });
}

#[test]
fn submit_refusals_store_nothing() {
    use RegistryRevert::*;
    let mut c = Chain::new();
    let v = c.mock(Mock::default());
    c.reg_ok(PARAMS, OnchainKind::Hashed, v, LAYOUT);
    let other = [0x23; 32];
    let e = reverted(&c.submit(1, PROOF, &instances(other)));
    assert_eq!(
        e,
        NotBoundToModel {
            model_id: 1,
            registered: PARAMS,
            proven: other
        }
    );
    assert!(e.to_string().contains("other weights"), "{e}");
    let e = reverted(&c.submit(1, &[0x5b; 96], &instances(PARAMS)));
    assert_eq!(e, ProofRejected { model_id: 1 });
    let e = reverted(&c.submit(1, PROOF, &instances(PARAMS)[..11]));
    assert_eq!(
        e,
        WrongInstanceCount {
            expected: 12,
            got: 11
        }
    );
    let e = reverted(&c.submit(7, PROOF, &instances(PARAMS)));
    assert_eq!(e, UnknownModel { model_id: 7 });
    assert_eq!(c.entry_count(), 0);
    assert!(c.log_ids(entries_by_model_calldata(1)).is_empty());
    // A verifier revert (out of gas) is re-raised with its data, not turned into a rejection.
    let burner = c.mock(Mock {
        reverts: true,
        ..Mock::default()
    });
    c.reg_ok([0x66; 32], OnchainKind::Hashed, burner, LAYOUT);
    let out = c.submit(2, PROOF, &instances([0x66; 32]));
    assert!(!out.success);
    assert_eq!(
        out.output,
        solidity::calldata::selector("Exhausted()").to_vec()
    );
    assert_eq!(decode_revert(&out.output), None);
    assert_eq!(c.entry_count(), 0);
}

#[test]
fn committed_binding_uses_param_commitment() {
    use RegistryRevert::*;
    let mut c = Chain::new();
    let weights = [0x77; 32];
    let layout = lay(11, 10, 1, 0, 10, 0);
    let v = c.mock(Mock {
        committed: weights,
        num_instances: 11,
        ..Mock::default()
    });
    c.reg_ok(weights, OnchainKind::Committed, v, layout);
    let inst: Vec<Word> = (1..=11).map(word).collect();
    let out = c.submit(1, PROOF, &inst);
    assert!(out.success, "{:?}", decode_revert(&out.output));
    println!(
        "submit (committed, 11 instances, mock verifier): {} gas",
        out.gas_used
    );
    // A verifier reporting other weights than registered: bound to something else.
    let other = c.mock(Mock {
        committed: [0x78; 32],
        num_instances: 11,
        ..Mock::default()
    });
    c.reg_ok([0x79; 32], OnchainKind::Committed, other, layout);
    let e = reverted(&c.submit(2, PROOF, &inst));
    assert_eq!(
        e,
        NotBoundToModel {
            model_id: 2,
            registered: [0x79; 32],
            proven: [0x78; 32]
        }
    );
    // A proof too short for the commitment: the verifier answers 0.
    let e = reverted(&c.submit(1, &[1; 8], &inst));
    assert_eq!(
        e,
        NotBoundToModel {
            model_id: 1,
            registered: weights,
            proven: [0; 32]
        }
    );
    assert_eq!(c.entry_count(), 1);
}

/// A contract that imports `contracts/IInferenceLog.sol` acts on an output only once the log
/// recorded it for that model and input, and refuses other outputs.
#[test]
fn a_contract_acts_only_on_verified_outputs() {
    use solidity::registry_abi::{address_word, encode_call, Arg};
    let mut c = Chain::new();
    let v = c.mock(Mock::default());
    c.reg_ok(PARAMS, OnchainKind::Hashed, v, LAYOUT);
    let inst = instances(PARAMS);
    let (input_hash, _) = hashes_of(&LAYOUT, &inst).unwrap();
    let compiled = solc()
        .compile(&[
            (
                "IInferenceLog.sol",
                include_str!("../contracts/IInferenceLog.sol"),
            ),
            ("Consumer.sol", include_str!("contracts/Consumer.sol")),
        ])
        .expect("compile the consumer");
    let mut code = compiled["Consumer"].deploy.clone();
    code.extend_from_slice(&address_word(&c.log));
    code.extend_from_slice(&word(1));
    let consumer = c.evm.deploy(code).unwrap().0;
    let act = |outputs: &[Word]| {
        encode_call(
            "act(bytes32,uint256[])",
            &[Arg::Word(input_hash), Arg::Words(outputs)],
        )
    };
    let outputs = inst[..10].to_vec();
    assert!(
        !c.send(BOB, consumer, act(&outputs)).success,
        "not yet proven"
    );
    assert!(c.submit(1, PROOF, &inst).success);
    let mut other = outputs.clone();
    other[0] = word(7);
    assert!(!c.send(BOB, consumer, act(&other)).success, "other outputs");
    assert!(c.send(BOB, consumer, act(&outputs)).success);
    let accepted = c.view(
        consumer,
        solidity::calldata::selector("accepted()").to_vec(),
    );
    assert_eq!(accepted, outputs[0].to_vec());
}
