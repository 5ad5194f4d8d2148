//! An in-process EVM (revm, mainnet rules with EIP-170 enforced) to deploy a bundle and
//! measure gas without a node. Only with the `revm` feature.

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
}

/// A fresh in-memory chain; every transaction comes from one zero-balance sender at gas
/// price 0.
pub struct LocalEvm {
    evm: MainnetEvm<MainnetContext<InMemoryDB>>,
    nonce: u64,
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
            nonce: 0,
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
            nonce: 0,
        }
    }

    fn transact(&mut self, kind: TxKind, data: Vec<u8>, gas_limit: u64) -> Result<ExecutionResult> {
        let tx = TxEnv {
            gas_limit,
            kind,
            data: data.into(),
            nonce: self.nonce,
            ..Default::default()
        };
        let result = self
            .evm
            .transact_commit(tx)
            .map_err(|e| SolidityError::Evm(format!("{e:?}")))?;
        self.nonce += 1;
        Ok(result)
    }

    /// Deploys `code` (creation code with constructor arguments); returns the address and
    /// the gas used.
    pub fn deploy(&mut self, code: Vec<u8>) -> Result<(Address, u64)> {
        match self.transact(TxKind::Create, code, GAS_LIMIT)? {
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
        let to = RevmAddress::from(address);
        Ok(match self.transact(TxKind::Call(to), data, gas_limit)? {
            ExecutionResult::Success {
                output, gas_used, ..
            } => CallOutcome {
                success: true,
                output: output.into_data().to_vec(),
                gas_used,
            },
            ExecutionResult::Revert { output, gas_used } => CallOutcome {
                success: false,
                output: output.to_vec(),
                gas_used,
            },
            ExecutionResult::Halt { gas_used, .. } => CallOutcome {
                success: false,
                output: Vec::new(),
                gas_used,
            },
        })
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
