//! `ZkinferVerifier`: the stable interface integrators call, whatever the generated code.
//!
//! ```solidity
//! function verifyProof(bytes calldata proof, uint256[] calldata instances)
//!     external view returns (bool);
//! ```
//!
//! `instances` are the proof's public instances as integers (a negative fixed-point value
//! `-x` is the field element `r - x`), `proof` the Keccak-transcript proof bytes.
//! `verifyProof` is decoded by hand in the wrapper's `fallback` (Solidity's decoder would
//! revert on a malformed call); the ABI lists it as the function above, so ethers, viem and
//! cast call it as usual. The wrapper returns `false`, never reverts, when:
//!
//! * the call is not the canonical ABI encoding of `(proof, instances)` (offsets `0x40` and
//!   `0x60 + P`, then the two length words and the data, nothing after): truncated calldata,
//!   offsets or lengths out of range, trailing bytes. Every ABI encoder produces exactly the
//!   canonical encoding;
//! * the proof is not exactly `proofLength` bytes or there are not exactly `numInstances`
//!   instances;
//! * an instance or a proof scalar is not below the BN254 scalar modulus `r` (the generated
//!   verifier checks every one, see [`crate::codegen`]);
//! * the generated verifier rejects the proof (it reverts).
//!
//! It **reverts** when called with another selector (like any contract without that
//! function), and when the generated verifier failed with less than 1/16 of the gas left,
//! i.e. it ran (or may have run) out of gas, so a caller never mistakes too little gas for a
//! false proof and `eth_estimateGas` returns enough gas. A call given at least ~1.07 times
//! the verification gas always gets `true` or `false`.
//!
//! The generated verifier is called with `abi.encodePacked(instances, proof)`: the instances
//! as 32-byte big-endian words, then the proof. The only constructor argument is its
//! address: the constructor asks it for `numInstances()`, `proofLength()` and
//! `modelCommitment()` (4-byte calls its fallback answers, see [`crate::split`]; it refuses
//! sizes of 0 or from 2^32 on and a proof length that is not a multiple of 32), so the
//! commitment the wrapper reports (sha256 of `vk.bin`) is the constant compiled into the code
//! that verifies, not a claim of whoever deployed the wrapper. That code (the entry) pins its
//! parts' code hashes, so auditing the entry's code covers the whole verifier. The wrapper's
//! code is the same for every model: only its contract-level NatSpec (the model's name, vk
//! digest, instance layout and gas, see [`crate::natspec`]) replaces the template's, which
//! changes nothing but the metadata hash solc appends to the code.
//!
//! Proofs are randomized: one statement has many valid proofs, so never use proof bytes as
//! a nullifier.
//!
//! For a verifier generated with committed columns, the bundle uses
//! [`WRAPPER_COMMITTED_SOURCE`](crate::param_commitment::WRAPPER_COMMITTED_SOURCE) instead:
//! the same contract plus `paramCommitment(bytes proof) returns (bytes32)` (see
//! [`crate::param_commitment`]), whose proof range its constructor reads from the verifier.

/// Name of the wrapper contract.
pub const WRAPPER_CONTRACT: &str = "ZkinferVerifier";

/// The wrapper's Solidity source, as a template: a bundle replaces the NatSpec right before
/// `contract ZkinferVerifier` with the model's ([`crate::natspec`]).
pub const WRAPPER_SOURCE: &str = r#"// SPDX-License-Identifier: MIT

pragma solidity ^0.8.19;

/// @notice What ZkinferVerifier asks the generated verifier at construction (4-byte calls
/// its fallback answers; a proof's calldata is never 4 bytes long).
interface IZkinferGeneratedVerifier {
    function modelCommitment() external view returns (bytes32);
    function numInstances() external view returns (uint256);
    function proofLength() external view returns (uint256);
}

/// @title zkinfer proof verifier
/// @notice Stable interface to a zkinfer model's generated verifier: checks that a model
/// (committed to by `modelCommitment`, the sha256 of its vk.bin) maps public inputs to
/// public outputs. `instances` are the quantized inputs then outputs, as BN254 scalars.
contract ZkinferVerifier {
    /// @notice The generated verifier, called with abi.encodePacked(instances, proof).
    address public immutable verifier;
    /// @notice Number of public instances a proof comes with.
    uint256 public immutable numInstances;
    /// @notice Exact length of a proof, in bytes.
    uint256 public immutable proofLength;
    /// @notice sha256 of the model's vk.bin (the model commitment zkinfer prints), as
    /// compiled into the verifier's code.
    bytes32 public immutable modelCommitment;

    /// @notice Everything but the verifier's address is read from the verifier itself.
    constructor(address verifier_) {
        require(verifier_.code.length > 0, "ZkinferVerifier: no code at the verifier address");
        IZkinferGeneratedVerifier v = IZkinferGeneratedVerifier(verifier_);
        uint256 n = v.numInstances();
        uint256 p = v.proofLength();
        require(
            n > 0 && n < 2 ** 32 && p > 0 && p < 2 ** 32 && p % 32 == 0,
            "ZkinferVerifier: the verifier reports impossible sizes"
        );
        verifier = verifier_;
        numInstances = n;
        proofLength = p;
        modelCommitment = v.modelCommitment();
    }

    /// @notice verifyProof(bytes proof, uint256[] instances) returns (bool ok): true iff
    /// `proof` proves `instances` for this model. Decoded by hand, so that it returns false,
    /// never reverts, on a malformed call: any encoding but the canonical one, a wrong length,
    /// an instance or proof scalar not below r, or a rejected proof. Reverts only when the gas
    /// given is too low for the verifier to finish, and for other selectors.
    fallback(bytes calldata) external returns (bytes memory) {
        address target = verifier;
        uint256 n = numInstances;
        uint256 p = proofLength;
        assembly ("memory-safe") {
            // verifyProof(bytes,uint256[]) only.
            if iszero(eq(shr(224, calldataload(0)), 0x1e8e1e13)) { revert(0, 0) }
            // The canonical encoding: selector | 0x40 | 0x60 + p | p | proof | n | instances.
            // Reads past the end of calldata give zeros, and then the size check fails.
            let ni := shl(5, n)
            let ok := eq(calldatasize(), add(add(0x84, p), ni))
            ok := and(ok, eq(calldataload(0x04), 0x40))
            ok := and(ok, eq(calldataload(0x24), add(0x60, p)))
            ok := and(ok, eq(calldataload(0x44), p))
            ok := and(ok, eq(calldataload(add(0x64, p)), n))
            if ok {
                // abi.encodePacked(instances, proof), built in scratch memory.
                let ptr := mload(0x40)
                calldatacopy(ptr, add(0x84, p), ni)
                calldatacopy(add(ptr, ni), 0x64, p)
                let g := gas()
                ok := staticcall(g, target, ptr, add(ni, p), 0, 0)
                // A failure with under 1/16 of the gas left is (or may be) out of gas, not a
                // rejection: revert, so that a caller never reads "false" for lack of gas
                // and eth_estimateGas finds enough. (Out of gas deep inside the verifier
                // leaves about 1/64 per call level, up to three levels here.)
                if and(iszero(ok), lt(gas(), div(g, 16))) {
                    revert(0, 0)
                }
            }
            mstore(0, ok)
            return(0, 0x20)
        }
    }
}
"#;

/// The ABI entry of `verifyProof`, which both contracts implement in their `fallback`.
pub const VERIFY_PROOF_ABI: &str = r#"{"type":"function","name":"verifyProof","stateMutability":"view","inputs":[{"name":"proof","type":"bytes","internalType":"bytes"},{"name":"instances","type":"uint256[]","internalType":"uint256[]"}],"outputs":[{"name":"ok","type":"bool","internalType":"bool"}]}"#;

/// The wrapper's ABI: what solc emits for [`WRAPPER_SOURCE`], with the `fallback` described
/// as the `verifyProof` it implements (see [`integrator_abi`]).
pub const WRAPPER_ABI: &str = r#"[
  {"type":"constructor","stateMutability":"nonpayable","inputs":[{"name":"verifier_","type":"address","internalType":"address"}]},
  {"type":"function","name":"modelCommitment","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"bytes32","internalType":"bytes32"}]},
  {"type":"function","name":"numInstances","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256","internalType":"uint256"}]},
  {"type":"function","name":"proofLength","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256","internalType":"uint256"}]},
  {"type":"function","name":"verifier","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"address","internalType":"address"}]},
  {"type":"function","name":"verifyProof","stateMutability":"view","inputs":[{"name":"proof","type":"bytes","internalType":"bytes"},{"name":"instances","type":"uint256[]","internalType":"uint256[]"}],"outputs":[{"name":"ok","type":"bool","internalType":"bool"}]}
]
"#;

/// The signature whose selector [`crate::calldata::verify_proof_calldata`] uses.
pub const VERIFY_PROOF_SIGNATURE: &str = "verifyProof(bytes,uint256[])";

/// The ABI integrators use, from the ABI solc emitted for `ZkinferVerifier` (either shape):
/// the `fallback` entry becomes the `verifyProof` function it implements; the rest is kept.
pub fn integrator_abi(compiled: &serde_json::Value) -> Option<serde_json::Value> {
    let items = compiled.as_array()?;
    let verify: serde_json::Value = serde_json::from_str(VERIFY_PROOF_ABI).ok()?;
    let mut out: Vec<serde_json::Value> = items
        .iter()
        .filter(|x| x["type"] != "fallback")
        .cloned()
        .collect();
    if out.len() + 1 != items.len() {
        return None;
    }
    out.push(verify);
    Some(serde_json::Value::Array(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::calldata::selector;

    #[test]
    fn the_source_dispatches_verify_proof_and_the_abi_lists_it() {
        let sel = hex::encode(selector(VERIFY_PROOF_SIGNATURE));
        assert!(WRAPPER_SOURCE.contains(&format!("calldataload(0)), 0x{sel})")));
        let abi: serde_json::Value = serde_json::from_str(WRAPPER_ABI).unwrap();
        let verify: serde_json::Value = serde_json::from_str(VERIFY_PROOF_ABI).unwrap();
        assert!(abi.as_array().unwrap().contains(&verify));
        let compiled = serde_json::json!([{"type": "fallback", "stateMutability": "nonpayable"},
            {"type": "function", "name": "proofLength"}]);
        let got = integrator_abi(&compiled).unwrap();
        assert_eq!(
            got,
            serde_json::json!([{"type": "function", "name": "proofLength"}, verify])
        );
        assert!(integrator_abi(&serde_json::json!([])).is_none());
    }
}
