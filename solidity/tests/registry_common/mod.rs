//! The in-process chain of the registry tests: the contracts deployed in revm with a mock
//! verifier (tests/contracts/MockVerifier.sol), and helpers to call them.
#![allow(clippy::unwrap_used, missing_docs, dead_code)]

use std::path::PathBuf;

use solidity::calldata::keccak256;
use solidity::local::{CallOutcome, LocalEvm};
use solidity::registry::*;
use solidity::{Address, Solc};

pub const MOCK_SOURCE: &str = include_str!("../contracts/MockVerifier.sol");

pub fn solc() -> Solc {
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

pub fn word(n: u64) -> Word {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&n.to_be_bytes());
    w
}

pub const ALICE: Address = [0xa1; 20];
pub const BOB: Address = [0xb0; 20];
pub const PARAMS: Word = [0x22; 32];
pub const PROOF: &[u8] = &[0x5a; 96];

/// digits_mlp16 compiled --evm with hashed weights: outputs 0..10, input hash 10, param hash 11.
pub const LAYOUT: OnchainLayout = OnchainLayout {
    num_instances: 12,
    input_start: 10,
    input_count: 1,
    output_start: 0,
    output_count: 10,
    param_index: 11,
};

/// A layout `(numInstances, inputStart, inputCount, outputStart, outputCount, paramIndex)`.
pub fn lay(n: u32, is: u32, ic: u32, os: u32, oc: u32, p: u32) -> OnchainLayout {
    OnchainLayout {
        num_instances: n,
        input_start: is,
        input_count: ic,
        output_start: os,
        output_count: oc,
        param_index: p,
    }
}

pub struct Chain {
    pub evm: LocalEvm,
    pub registry: Address,
    pub log: Address,
    pub mock: Vec<u8>,
}

/// Mock verifier settings.
pub struct Mock {
    pub proof: &'static [u8],
    pub model_commitment: Word,
    pub num_instances: u64,
    pub committed: Word,
    pub reverts: bool,
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
    pub fn new() -> Self {
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

    pub fn mock(&mut self, m: Mock) -> Address {
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

    pub fn send(&mut self, from: Address, to: Address, data: Vec<u8>) -> CallOutcome {
        self.evm.call_from(from, to, data).unwrap()
    }

    pub fn register(
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

    pub fn submit(&mut self, model: u64, proof: &[u8], instances: &[Word]) -> CallOutcome {
        let log = self.log;
        self.send(BOB, log, submit_calldata(model, proof, instances))
    }

    pub fn view(&mut self, to: Address, data: Vec<u8>) -> Vec<u8> {
        let out = self.send(ALICE, to, data);
        assert!(
            out.success,
            "view reverted: {:?}",
            decode_revert(&out.output)
        );
        out.output
    }

    /// Registers (from ALICE) expecting success; the model id.
    pub fn reg_ok(
        &mut self,
        commitment: Word,
        kind: OnchainKind,
        v: Address,
        l: OnchainLayout,
    ) -> u64 {
        let out = self.register(commitment, kind, v, l);
        assert!(out.success, "{:?}", decode_revert(&out.output));
        decode_u64(&out.output).unwrap()
    }

    /// Registers expecting a revert; its reason.
    pub fn reg_err(
        &mut self,
        commitment: Word,
        kind: OnchainKind,
        v: Address,
        l: OnchainLayout,
    ) -> RegistryRevert {
        reverted(&self.register(commitment, kind, v, l))
    }

    /// A view of the log returning a `uint256`.
    pub fn log_u64(&mut self, data: Vec<u8>) -> u64 {
        let log = self.log;
        decode_u64(&self.view(log, data)).unwrap()
    }

    /// A view of the log returning a `uint256[]` of ids.
    pub fn log_ids(&mut self, data: Vec<u8>) -> Vec<u64> {
        let log = self.log;
        decode_id_list(&self.view(log, data)).unwrap()
    }

    /// A view of the registry returning a `uint256`.
    pub fn reg_u64(&mut self, data: Vec<u8>) -> u64 {
        let registry = self.registry;
        decode_u64(&self.view(registry, data)).unwrap()
    }

    pub fn entry_count(&mut self) -> u64 {
        let log = self.log;
        decode_u64(&self.view(log, entry_count_calldata())).unwrap()
    }
}

/// The revert reason of a failed call.
pub fn reverted(out: &CallOutcome) -> RegistryRevert {
    assert!(!out.success, "the call succeeded");
    decode_revert(&out.output)
        .unwrap_or_else(|| panic!("undecoded revert 0x{}", hex::encode(&out.output)))
}

/// Instances with `params` at the parameter index.
pub fn instances(params: Word) -> Vec<Word> {
    let mut v: Vec<Word> = (1..=12).map(word).collect();
    v[11] = params;
    v
}
