//! An in-process EVM (revm, mainnet rules with EIP-170 enforced) to deploy a bundle and
//! measure gas without a node. Only with the `revm` feature.

use std::collections::HashMap;

use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;
use revm::database::InMemoryDB;
use revm::handler::{MainnetContext, MainnetEvm};
use revm::primitives::{Address as RevmAddress, TxKind};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

use crate::bundle::{Address, Bundle};
use crate::error::{Result, SolidityError};

/// Gas limit of every transaction.
const GAS_LIMIT: u64 = 30_000_000;

/// The outcome of a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// Whether the call returned (rather than reverted or halted).
    pub success: bool,
    /// Returned or revert data.
    pub output: Vec<u8>,
    /// Gas used by the whole transaction (21,000 intrinsic and calldata included).
    pub gas_used: u64,
    /// The event logs the transaction emitted, in order (empty unless it succeeded).
    pub logs: Vec<EvmLog>,
}

/// One event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmLog {
    /// The contract that emitted it.
    pub address: Address,
    /// Its topics: the event signature's keccak256 first (non-anonymous events), then the
    /// indexed arguments.
    pub topics: Vec<[u8; 32]>,
    /// The ABI-encoded non-indexed arguments.
    pub data: Vec<u8>,
}

/// A fresh in-memory chain; every transaction comes from a zero-balance sender at gas
/// price 0: the zero address ([`LocalEvm::sender`]), or any other with
/// [`LocalEvm::call_from`].
pub struct LocalEvm {
    evm: MainnetEvm<MainnetContext<InMemoryDB>>,
    nonces: HashMap<Address, u64>,
}

impl Default for LocalEvm {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalEvm {
    /// An empty chain.
    pub fn new() -> Self {
        Self {
            evm: Context::mainnet()
                .with_db(InMemoryDB::default())
                .build_mainnet(),
            nonces: HashMap::new(),
        }
    }

    /// An empty chain without the EIP-170 code-size limit (for measuring what splitting
    /// costs; no real chain is like this).
    pub fn without_code_size_limit() -> Self {
        Self {
            evm: Context::mainnet()
                .with_db(InMemoryDB::default())
                .modify_cfg_chained(|c| c.limit_contract_code_size = Some(usize::MAX))
                .build_mainnet(),
            nonces: HashMap::new(),
        }
    }

    /// The default sender of every transaction (the zero address).
    pub fn sender() -> Address {
        [0u8; 20]
    }

    fn transact(
        &mut self,
        from: Address,
        kind: TxKind,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> Result<ExecutionResult> {
        let nonce = self.nonces.entry(from).or_insert(0);
        let tx = TxEnv {
            caller: RevmAddress::from(from),
            gas_limit,
            kind,
            data: data.into(),
            nonce: *nonce,
            ..Default::default()
        };
        let result = self
            .evm
            .transact_commit(tx)
            .map_err(|e| SolidityError::Evm(format!("{e:?}")))?;
        *nonce += 1;
        Ok(result)
    }

    /// Deploys `code` (creation code with constructor arguments); returns the address and
    /// the gas used.
    pub fn deploy(&mut self, code: Vec<u8>) -> Result<(Address, u64)> {
        match self.transact(Self::sender(), TxKind::Create, code, GAS_LIMIT)? {
            ExecutionResult::Success {
                output: Output::Create(_, Some(address)),
                gas_used,
                ..
            } => Ok((address.into_array(), gas_used)),
            other => Err(SolidityError::Evm(format!("deployment failed: {other:?}"))),
        }
    }

    /// Calls `address` with `data` in a transaction (gas limit 30M).
    pub fn call(&mut self, address: Address, data: Vec<u8>) -> Result<CallOutcome> {
        self.call_with_gas(address, data, GAS_LIMIT)
    }

    /// Calls `address` with `data` in a transaction with gas limit `gas_limit`.
    pub fn call_with_gas(
        &mut self,
        address: Address,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> Result<CallOutcome> {
        self.call_from_with_gas(Self::sender(), address, data, gas_limit)
    }

    /// Calls `address` with `data` in a transaction sent by `from` (gas limit 30M); each
    /// sender has its own nonce.
    pub fn call_from(
        &mut self,
        from: Address,
        address: Address,
        data: Vec<u8>,
    ) -> Result<CallOutcome> {
        self.call_from_with_gas(from, address, data, GAS_LIMIT)
    }

    /// [`LocalEvm::call_from`] with gas limit `gas_limit`.
    pub fn call_from_with_gas(
        &mut self,
        from: Address,
        address: Address,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> Result<CallOutcome> {
        let to = RevmAddress::from(address);
        Ok(
            match self.transact(from, TxKind::Call(to), data, gas_limit)? {
                ExecutionResult::Success {
                    output,
                    gas_used,
                    logs,
                    ..
                } => CallOutcome {
                    success: true,
                    output: output.into_data().to_vec(),
                    gas_used,
                    logs: logs
                        .into_iter()
                        .map(|l| EvmLog {
                            address: l.address.into_array(),
                            topics: l.data.topics().iter().map(|t| t.0).collect(),
                            data: l.data.data.to_vec(),
                        })
                        .collect(),
                },
                ExecutionResult::Revert { output, gas_used } => CallOutcome {
                    success: false,
                    output: output.to_vec(),
                    gas_used,
                    logs: Vec::new(),
                },
                ExecutionResult::Halt { gas_used, .. } => CallOutcome {
                    success: false,
                    output: Vec::new(),
                    gas_used,
                    logs: Vec::new(),
                },
            },
        )
    }

    /// Deploys every contract of a compiled bundle; returns each address with the gas its
    /// deployment used, the wrapper last.
    pub fn deploy_bundle(&mut self, bundle: &Bundle) -> Result<Vec<(String, Address, u64)>> {
        let mut gas = Vec::new();
        let addresses = bundle.deploy(|_, code| {
            let (a, g) = self.deploy(code)?;
            gas.push(g);
            Ok(a)
        })?;
        Ok(addresses
            .into_iter()
            .zip(gas)
            .map(|((n, a), g)| (n, a, g))
            .collect())
    }
}
