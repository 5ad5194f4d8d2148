//! On-chain (EVM) verification of zkinfer proofs.
//!
//! * [`codegen`]: snark-verifier's EVM loader turns a model's verifying key into a Solidity
//!   verifier (`Halo2Verifier`, pragma `0.8.19`, compile with the optimizer **off**) for
//!   proofs made with the Keccak transcript (`zkinfer prove --evm`), with every scalar read
//!   made canonical (a scalar `s ≥ r` fails instead of being reduced).
//! * [`split`]: verifiers over the EIP-170 limit of 24,576 bytes of runtime code are split
//!   into an entry contract and parts that hand memory ([`memory`]: a size known in advance)
//!   to each other; no chain needs a code-size flag. The entry pins each part's code hash
//!   and fails closed on any other code or return size. It answers `modelCommitment()`.
//! * [`inline`]: when the generated code fits in one contract, it becomes the body of
//!   `ZkinferVerifier.verifyProof` itself, reading the ABI-encoded arguments in place.
//! * [`wrapper`]: otherwise `ZkinferVerifier` is a wrapper, the stable interface integrators call,
//!   `verifyProof(bytes proof, uint256[] instances) returns (bool)`, so nobody depends on
//!   the generated calldata layout. It reads the model commitment from the verifier.
//!   Both shapes decode `verifyProof` by hand and return `false`, never revert, on a
//!   malformed call (anything but the canonical ABI encoding).
//! * [`param_commitment`]: for models with committed parameters (weights in unblinded
//!   advice columns, generated with [`generate_verifier_with`] and
//!   [`VerifierOptions::committed`]), `ZkinferVerifier` (both shapes) also answers
//!   `paramCommitment(bytes proof) returns (bytes32)`: keccak256 of the proof bytes holding
//!   those columns' KZG commitments (`verifier::committed::commitment_digest`), hand-decoded
//!   like `verifyProof` (0 for a malformed call or a short proof, never a revert). A registry
//!   or dApp compares it with the registered weight commitment after `verifyProof` returned
//!   `true` for the same proof. Without committed columns the function is absent.
//! * [`natspec`]: every `ZkinferVerifier` carries NatSpec stating what it checks (the halo2
//!   KZG/SHPLONK proof against the embedded key, by its vk digest), what `verifyProof`
//!   returns for bad input, the instance layout and the gas, predicted and measured
//!   ([`VerifierOptions::natspec`], [`Bundle::set_natspec`]); the contracts behind the
//!   wrapper get a one-line `@notice` saying whom to call.
//! * [`bundle`]: all contracts of a model in deploy order, written to / read from a
//!   directory; [`solc`] compiles them with any compiler speaking `--standard-json`.
//! * [`calldata`], [`rpc`], [`tx`]: transaction data, a tiny HTTP JSON-RPC client and
//!   EIP-155 signing (k256) for deploying and calling without external tools.
//! * `local` (feature `revm`): an in-process EVM for tests and gas measurements.
//! * [`registry`] ([`registry_abi`]): zkinfer's own contracts, `ModelRegistry` and its
//!   `InferenceLog` (committed build output embedded), with calldata builders, return,
//!   event and revert decoders.
//!
//! Measured on the test models compiled with `--layout gas` (revm 27, Prague rules; gas of
//! the whole `verifyProof` transaction, 21,000 intrinsic and calldata included):
//!
//! | model | k | instances | proof | gas | contracts (runtime bytes) |
//! | --- | --- | --- | --- | --- | --- |
//! | digits_mlp16 (64-16-10 MLP) | 15 | 74 | 992 B | 289,210 | single contract 22,048 |
//! | cnn_chain (2 conv) | 19 | 148 | 992 B | 368,639 | 19,870 + 14,855 + wrapper 854 |
//!
//! The wrapper in front of the unsplit generated code costs about 3.5k more than the single
//! contract on digits_mlp16 (292,747); splitting cnn_chain costs about 16k (unsplit behind the
//! wrapper: 352,326 gas, 34,332 bytes, over the limit), of which about 100 gas per part is the
//! code-hash check on every call. The generated code grows with the number of public
//! instances (about 180 bytes each).
//!
//! Nothing here depends on the prover or the ONNX importer: the inputs are the halo2
//! verifying key and the verifier's part of the SRS (`verifier::VerifierKey` provides both).

pub mod bundle;
pub mod calldata;
pub mod codegen;
pub mod error;
pub mod inline;
#[cfg(feature = "revm")]
pub mod local;
pub mod memory;
pub mod natspec;
pub mod param_commitment;
pub mod registry;
pub mod registry_abi;
pub mod rpc;
pub mod solc;
pub mod split;
pub mod tx;
pub mod wrapper;

pub use bundle::{Address, Bundle, BundleContract, ConstructorArg};
pub use codegen::{
    generate_aggregation_verifier, generate_verifier, generate_verifier_with, GeneratedVerifier,
    VerifierOptions, SOLC_VERSION, VERIFIER_CONTRACT,
};
pub use error::{Result, SolidityError};
pub use inline::INLINE_ABI;
pub use natspec::NatSpec;
pub use param_commitment::{CommittedColumns, PARAM_COMMITMENT_ABI, WRAPPER_COMMITTED_SOURCE};
pub use solc::{find_solc, Solc};
pub use split::{PartHashes, SplitVerifier, EIP170_LIMIT};
pub use wrapper::{WRAPPER_ABI, WRAPPER_CONTRACT, WRAPPER_SOURCE};
