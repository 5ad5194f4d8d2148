//! The crate's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong generating, compiling, deploying or calling an EVM verifier.
/// Nothing in this crate panics on bad input; every failure is one of these.
#[derive(Debug, Error)]
pub enum SolidityError {
    /// snark-verifier could not generate a verifier for this key.
    #[error("cannot generate the EVM verifier: {0}")]
    Codegen(String),
    /// The generated code is not in the shape that zkinfer's hardening of it (canonical
    /// scalars, see `codegen`) or its split (literal memory addresses, see `memory`) relies
    /// on: zkinfer supports snark-verifier 0.2.7's output.
    #[error(
        "unexpected verifier code ({check}): {found}; zkinfer supports the code of \
         snark-verifier 0.2.7 only"
    )]
    UnexpectedCode {
        /// What was being checked.
        check: &'static str,
        /// What was found instead.
        found: String,
    },
    /// No Solidity compiler was found.
    #[error(
        "no Solidity compiler found: pass --solc PATH or set ZKINFER_SOLC to an executable that \
         speaks `--standard-json` (solc 0.8.19, or solc-js's solcjs; `.ci/install-evm-tools.sh` \
         installs one into .tools/bin/solc)"
    )]
    NoCompiler,
    /// The compiler failed to run or reported errors.
    #[error("solc failed: {0}")]
    Compiler(String),
    /// A contract's runtime code is over the EIP-170 limit even after splitting.
    #[error("contract {name} has {size} bytes of runtime code, over the EIP-170 limit of {limit}")]
    TooLarge {
        /// Contract name.
        name: String,
        /// Runtime code size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A bundle file (manifest, bytecode) is malformed.
    #[error("{what}: {message}")]
    Bundle {
        /// Which file or field.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// Bad user input: a key, an address, a hex string, an instance.
    #[error("invalid {what}: {message}")]
    Input {
        /// What was invalid.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// The JSON-RPC endpoint could not be reached or answered garbage.
    #[error("JSON-RPC transport ({url}): {message}")]
    Transport {
        /// The endpoint.
        url: String,
        /// What happened.
        message: String,
    },
    /// The node answered a JSON-RPC error.
    #[error("JSON-RPC {method} failed: {message}")]
    Rpc {
        /// The method called.
        method: String,
        /// The node's message (with revert data, if any).
        message: String,
    },
    /// A transaction was mined but failed, or a deployment produced no code.
    #[error("transaction {tx}: {message}")]
    Transaction {
        /// Transaction hash.
        tx: String,
        /// What went wrong.
        message: String,
    },
    /// Return data or an event log of the registry contracts is not what their ABI says.
    #[error("cannot decode the {what}: {message}")]
    Abi {
        /// What was being decoded.
        what: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A `ModelRegistry` or `InferenceLog` call reverted with one of their custom errors.
    #[error("{call} reverted: {reason}")]
    RegistryReverted {
        /// The function called.
        call: &'static str,
        /// The decoded error (its message says what to do).
        reason: crate::registry::RegistryRevert,
    },
    /// A `ModelRegistry` or `InferenceLog` call reverted with data that is none of their
    /// errors (empty: out of gas, or the address is not the registry).
    #[error("{call} reverted with {data} (empty: out of gas, or not a zkinfer registry)")]
    Reverted {
        /// The function called.
        call: &'static str,
        /// The revert data, `0x` hex.
        data: String,
    },
    /// The in-process EVM failed (only with the `revm` feature).
    #[error("in-process EVM: {0}")]
    Evm(String),
}

impl SolidityError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SolidityError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn input(what: &'static str, message: impl Into<String>) -> Self {
        SolidityError::Input {
            what,
            message: message.into(),
        }
    }

    pub(crate) fn unexpected(check: &'static str, found: impl Into<String>) -> Self {
        SolidityError::UnexpectedCode {
            check,
            found: found.into(),
        }
    }

    pub(crate) fn bundle(what: impl Into<String>, message: impl Into<String>) -> Self {
        SolidityError::Bundle {
            what: what.into(),
            message: message.into(),
        }
    }
}

/// Result with [`SolidityError`].
pub type Result<T> = std::result::Result<T, SolidityError>;

/// Runs `f`, turning a panic (snark-verifier asserts freely) into `SolidityError::Codegen`.
pub(crate) fn guard<T>(during: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        SolidityError::Codegen(format!("{during}: {message}"))
    })
}
