//! `ModelRegistry` and `InferenceLog` in the in-process EVM, against a mock verifier
//! (`tests/contracts/MockVerifier.sol`, compiled here with `.tools/bin/solc` or
//! `$ZKINFER_SOLC`), and the committed build output against the sources.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use solidity::calldata::keccak256;
use solidity::local::{CallOutcome, LocalEvm};
use solidity::registry::*;
use solidity::{Address, Solc};

const MOCK_SOURCE: &str = include_str!("contracts/MockVerifier.sol");

fn solc() -> Solc {
    let path = std::env::var_os("ZKINFER_SOLC")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin/solc"));
    assert!(
        path.is_file(),
        "no solc at {}: these tests need solc 0.8.19 (run .ci/install-evm-tools.sh or set ZKINFER_SOLC)",
        path.display()
    );
    Solc { path }
}

fn word(n: u64) -> Word {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&n.to_be_bytes());
    w
}

const ALICE: Address = [0xa1; 20];
const BOB: Address = [0xb0; 20];
const PARAMS: Word = [0x22; 32];
const PROOF: &[u8] = &[0x5a; 96];

/// digits_mlp16 compiled --evm with hashed weights: outputs 0..10, input hash 10, param hash 11.
const LAYOUT: OnchainLayout = OnchainLayout {
    num_instances: 12,
    input_start: 10,
    input_count: 1,
    output_start: 0,
    output_count: 10,
    param_index: 11,
};

/// A layout `(numInstances, inputStart, inputCount, outputStart, outputCount, paramIndex)`.
fn lay(n: u32, is: u32, ic: u32, os: u32, oc: u32, p: u32) -> OnchainLayout {
    OnchainLayout {
        num_instances: n,
        input_start: is,
        input_count: ic,
        output_start: os,
        output_count: oc,
        param_index: p,
    }
}

struct Chain {
    evm: LocalEvm,
    registry: Address,
    log: Address,
    mock: Vec<u8>,
}

/// Mock verifier settings.
struct Mock {
    proof: &'static [u8],
    model_commitment: Word,
    num_instances: u64,
    committed: Word,
    reverts: bool,
}

impl Default for Mock {
    fn default() -> Self {
        Mock {
            proof: PROOF,
            model_commitment: [0x11; 32],
            num_instances: 12,
            committed: [0; 32],
            reverts: false,
        }
    }
}

impl Chain {
    fn new() -> Self {
        let compiled = solc()
            .compile(&[("MockVerifier.sol", MOCK_SOURCE)])
            .expect("compile the mock");
        let mut evm = LocalEvm::new();
        let (registry, gas) = evm.deploy(registry_creation_code().unwrap()).unwrap();
        println!("deploy ModelRegistry (+ InferenceLog): {gas} gas");
        let out = evm.call(registry, inference_log_calldata()).unwrap();
        let log = decode_address(&out.output).unwrap();
        Chain {
            evm,
            registry,
            log,
            mock: compiled["MockVerifier"].deploy.clone(),
        }
    }

    fn mock(&mut self, m: Mock) -> Address {
        let mut code = self.mock.clone();
        for w in [
            keccak256(m.proof),
            m.model_commitment,
            word(m.num_instances),
            m.committed,
            word(m.reverts.into()),
        ] {
            code.extend_from_slice(&w);
        }
        self.evm.deploy(code).unwrap().0
    }

    fn send(&mut self, from: Address, to: Address, data: Vec<u8>) -> CallOutcome {
        self.evm.call_from(from, to, data).unwrap()
    }

    fn register(
        &mut self,
        commitment: Word,
        kind: OnchainKind,
        verifier: Address,
        layout: OnchainLayout,
    ) -> CallOutcome {
        let data = register_calldata(
            &commitment,
            kind,
            &verifier,
            &layout,
            "data:application/json,{}",
        );
        self.send(ALICE, self.registry, data)
    }

    fn submit(&mut self, model: u64, proof: &[u8], instances: &[Word]) -> CallOutcome {
        let log = self.log;
        self.send(BOB, log, submit_calldata(model, proof, instances))
    }

    fn view(&mut self, to: Address, data: Vec<u8>) -> Vec<u8> {
        let out = self.send(ALICE, to, data);
        assert!(
            out.success,
            "view reverted: {:?}",
            decode_revert(&out.output)
        );
        out.output
    }

    /// Registers (from ALICE) expecting success; the model id.
    fn reg_ok(&mut self, commitment: Word, kind: OnchainKind, v: Address, l: OnchainLayout) -> u64 {
        let out = self.register(commitment, kind, v, l);
        assert!(out.success, "{:?}", decode_revert(&out.output));
        decode_u64(&out.output).unwrap()
    }

    /// Registers expecting a revert; its reason.
    fn reg_err(
        &mut self,
        commitment: Word,
        kind: OnchainKind,
        v: Address,
        l: OnchainLayout,
    ) -> RegistryRevert {
        reverted(&self.register(commitment, kind, v, l))
    }

    /// A view of the log returning a `uint256`.
    fn log_u64(&mut self, data: Vec<u8>) -> u64 {
        let log = self.log;
        decode_u64(&self.view(log, data)).unwrap()
    }

    /// A view of the log returning a `uint256[]` of ids.
    fn log_ids(&mut self, data: Vec<u8>) -> Vec<u64> {
        let log = self.log;
        decode_id_list(&self.view(log, data)).unwrap()
    }

    /// A view of the registry returning a `uint256`.
    fn reg_u64(&mut self, data: Vec<u8>) -> u64 {
        let registry = self.registry;
        decode_u64(&self.view(registry, data)).unwrap()
    }

    fn entry_count(&mut self) -> u64 {
        let log = self.log;
        decode_u64(&self.view(log, entry_count_calldata())).unwrap()
    }
}

/// The revert reason of a failed call.
fn reverted(out: &CallOutcome) -> RegistryRevert {
    assert!(!out.success, "the call succeeded");
    decode_revert(&out.output)
        .unwrap_or_else(|| panic!("undecoded revert 0x{}", hex::encode(&out.output)))
}

/// Instances with `params` at the parameter index.
fn instances(params: Word) -> Vec<Word> {
    let mut v: Vec<Word> = (1..=12).map(word).collect();
    v[11] = params;
    v
}

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
