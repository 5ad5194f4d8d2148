//! `ZkinferVerifier`: the stable interface integrators call, whatever the generated code.
//!
//! ```solidity
//! function verifyProof(bytes calldata proof, uint256[] calldata instances)
//!     external view returns (bool);
//! ```
//!
//! `instances` are the proof's public instances as integers (a negative fixed-point value
//! `-x` is the field element `r - x`), `proof` the Keccak-transcript proof bytes. The
//! wrapper returns `false`, never reverts, when:
//!
//! * the proof is not exactly `proofLength` bytes or there are not exactly `numInstances`
//!   instances;
//! * an instance is not below the BN254 scalar modulus `r` (the generated code would reduce
//!   it mod `r`, so `x` and `x + r` would both pass);
//! * the generated verifier rejects the proof (it reverts).
//!
//! It **reverts** in one case: when the generated verifier failed with less than 1/16 of
//! the gas left, i.e. it ran (or may have run) out of gas, so a caller never mistakes too
//! little gas for a false proof and `eth_estimateGas` returns enough gas. A call given at
//! least ~1.07 times the verification gas always gets `true` or `false`.
//!
//! The generated verifier is called with `abi.encodePacked(instances, proof)`: the instances
//! as 32-byte big-endian words, then the proof. The constructor pins the verifier address,
//! the two lengths and `modelCommitment` (sha256 of `vk.bin`, for integrators to check which
//! model a deployment verifies). It is compiled from the same constant source for every
//! model.
//!
//! Proof scalars are also reduced mod `r` on chain, so unlike the native verifier the EVM
//! accepts several byte strings for one proof: never use proof bytes as a nullifier.

/// Name of the wrapper contract.
pub const WRAPPER_CONTRACT: &str = "ZkinferVerifier";

/// The wrapper's Solidity source.
pub const WRAPPER_SOURCE: &str = r#"// SPDX-License-Identifier: MIT

pragma solidity ^0.8.19;

/// @title zkinfer proof verifier
/// @notice Stable interface to a zkinfer model's generated verifier: checks that a model
/// (committed to by `modelCommitment`, the sha256 of its vk.bin) maps public inputs to
/// public outputs. `instances` are the quantized inputs then outputs, as BN254 scalars.
contract ZkinferVerifier {
    /// @notice The BN254 scalar field modulus; every instance must be below it.
    uint256 internal constant R =
        0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    /// @notice The generated verifier, called with abi.encodePacked(instances, proof).
    address public immutable verifier;
    /// @notice Number of public instances a proof comes with.
    uint256 public immutable numInstances;
    /// @notice Exact length of a proof, in bytes.
    uint256 public immutable proofLength;
    /// @notice sha256 of the model's vk.bin (the model commitment zkinfer prints).
    bytes32 public immutable modelCommitment;

    constructor(address verifier_, uint256 numInstances_, uint256 proofLength_, bytes32 modelCommitment_) {
        require(verifier_.code.length > 0, "ZkinferVerifier: no code at the verifier address");
        verifier = verifier_;
        numInstances = numInstances_;
        proofLength = proofLength_;
        modelCommitment = modelCommitment_;
    }

    /// @notice True iff `proof` proves `instances` for this model. Returns false on a wrong
    /// length, an instance not below R, or a rejected proof; reverts only when the gas given
    /// is too low for the verifier to finish.
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool ok) {
        if (proof.length != proofLength || instances.length != numInstances) {
            return false;
        }
        address target = verifier;
        assembly ("memory-safe") {
            // Every instance must be a canonical scalar (below R).
            let n := mul(instances.length, 0x20)
            let end := add(instances.offset, n)
            ok := 1
            for { let p := instances.offset } lt(p, end) { p := add(p, 0x20) } {
                if iszero(lt(calldataload(p), R)) { ok := 0 }
            }
            // abi.encodePacked(instances, proof), built in scratch memory.
            if ok {
                let ptr := mload(0x40)
                calldatacopy(ptr, instances.offset, n)
                calldatacopy(add(ptr, n), proof.offset, proof.length)
                let g := gas()
                ok := staticcall(g, target, ptr, add(n, proof.length), 0, 0)
                // A failure with under 1/16 of the gas left is (or may be) out of gas, not a
                // rejection: revert, so that a caller never reads "false" for lack of gas
                // and eth_estimateGas finds enough. (Out of gas deep inside the verifier
                // leaves about 1/64 per call level, up to three levels here.)
                if and(iszero(ok), lt(gas(), div(g, 16))) {
                    revert(0, 0)
                }
            }
        }
    }
}
"#;

/// The wrapper's ABI (what solc emits for [`WRAPPER_SOURCE`]).
pub const WRAPPER_ABI: &str = r#"[
  {"type":"constructor","stateMutability":"nonpayable","inputs":[{"name":"verifier_","type":"address","internalType":"address"},{"name":"numInstances_","type":"uint256","internalType":"uint256"},{"name":"proofLength_","type":"uint256","internalType":"uint256"},{"name":"modelCommitment_","type":"bytes32","internalType":"bytes32"}]},
  {"type":"function","name":"modelCommitment","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"bytes32","internalType":"bytes32"}]},
  {"type":"function","name":"numInstances","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256","internalType":"uint256"}]},
  {"type":"function","name":"proofLength","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256","internalType":"uint256"}]},
  {"type":"function","name":"verifier","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"address","internalType":"address"}]},
  {"type":"function","name":"verifyProof","stateMutability":"view","inputs":[{"name":"proof","type":"bytes","internalType":"bytes"},{"name":"instances","type":"uint256[]","internalType":"uint256[]"}],"outputs":[{"name":"ok","type":"bool","internalType":"bool"}]}
]
"#;

/// The signature whose selector [`crate::calldata::verify_proof_calldata`] uses.
pub const VERIFY_PROOF_SIGNATURE: &str = "verifyProof(bytes,uint256[])";
