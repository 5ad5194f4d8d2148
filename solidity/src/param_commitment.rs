//! Committed model parameters: `paramCommitment(bytes proof) returns (bytes32)`.
//!
//! A model compiled with committed parameters keeps its weights in advice columns that the
//! prover leaves unblinded, so their KZG commitments — the first points of every proof —
//! are a deterministic function of the weights. In a Keccak-transcript (EVM) proof each
//! commitment is 64 bytes, `x ‖ y` as 32-byte big-endian coordinates, one per phase-0 advice
//! column in column-index order, so the consecutive committed columns
//! `first .. first + count` ([`CommittedColumns`]) are the one byte slice
//! `proof[64·first .. 64·(first + count)]`. The **parameter commitment** is its keccak256:
//!
//! ```text
//! paramCommitment(proof) = keccak256(proof[64·first .. 64·(first + count)])
//!                        = keccak256(abi.encodePacked(x_first, y_first, …))
//! ```
//!
//! the same word as `verifier::committed::commitment_digest` of those columns'
//! commitments, which a model's owner computes off chain from the weights and registers.
//!
//! **How to use it.** `paramCommitment` does not check the proof: it hashes bytes. A
//! registry or dApp calls `verifyProof(proof, instances)` and, only once that returned
//! `true`, compares `paramCommitment(proof)` (same bytes) with the registered commitment;
//! only both together show that *those* weights produced the outputs. `modelCommitment()`
//! (the sha256 of `vk.bin`) still identifies the circuit, which does not fix the weights.
//!
//! **Decoding.** Like `verifyProof`, it is decoded by hand and never reverts on its input: it
//! returns `bytes32(0)` unless the call is the canonical ABI encoding
//! (`selector | 0x20 | len | proof`, zero-padded to a multiple of 32 bytes, nothing after)
//! and the proof has at least `64·(first + count)` bytes. A 0 is never a real digest.
//!
//! **Where it is.** Only verifiers generated with committed columns
//! ([`crate::codegen::generate_verifier_with`]) have it; others are byte for byte what
//! [`crate::generate_verifier`] makes, without the function. The single contract
//! ([`crate::inline`]) has the range as constants. With a wrapper, the range is a constant of
//! the generated entry (`Halo2Verifier`, which answers the 4-byte call
//! `paramCommitmentRange()` with `(offset, length)` in bytes), read by the wrapper's
//! constructor like the model commitment, so [`WRAPPER_COMMITTED_SOURCE`] is one source for
//! every committed model (but for its NatSpec, see [`crate::natspec`]) and the range is never
//! a claim of whoever deployed it.

use std::ops::Range;

use crate::calldata::{keccak256, selector};
use crate::error::{Result, SolidityError};

/// Bytes of one G1 point in a Keccak-transcript proof (`x ‖ y`, big-endian).
pub const POINT_BYTES: usize = 64;

/// The signature of the parameter-commitment function.
pub const PARAM_COMMITMENT_SIGNATURE: &str = "paramCommitment(bytes)";

/// The 4-byte query the generated entry answers with the committed range, `(offset, length)`
/// in bytes of the proof (only verifiers with committed columns answer it).
pub const PARAM_RANGE_SIGNATURE: &str = "paramCommitmentRange()";

/// The ABI entry of `paramCommitment`, which the entry contract implements in its `fallback`.
pub const PARAM_COMMITMENT_ABI: &str = r#"{"type":"function","name":"paramCommitment","stateMutability":"pure","inputs":[{"name":"proof","type":"bytes","internalType":"bytes"}],"outputs":[{"name":"","type":"bytes32","internalType":"bytes32"}]}"#;

/// Consecutive committed (unblinded) phase-0 advice columns `first .. first + count`, whose
/// commitments are the proof bytes [`CommittedColumns::proof_range`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommittedColumns {
    /// The first committed column's index.
    pub first: usize,
    /// How many consecutive columns are committed (at least 1).
    pub count: usize,
}

impl CommittedColumns {
    /// The range of column indices `columns` (e.g. `circuits::halo2::committed_columns`):
    /// `None` when empty; [`SolidityError::Codegen`] unless they are consecutive and
    /// ascending.
    pub fn from_indices(columns: &[usize]) -> Result<Option<Self>> {
        let Some(&first) = columns.first() else {
            return Ok(None);
        };
        if columns
            .iter()
            .enumerate()
            .any(|(i, &c)| first.checked_add(i) != Some(c))
        {
            return Err(SolidityError::Codegen(format!(
                "committed columns must be consecutive and ascending, got {columns:?}"
            )));
        }
        Ok(Some(Self {
            first,
            count: columns.len(),
        }))
    }

    /// The bytes of a Keccak-transcript proof that hold these columns' commitments.
    pub fn proof_range(&self) -> Range<usize> {
        let start = self.first.saturating_mul(POINT_BYTES);
        start..start.saturating_add(self.count.saturating_mul(POINT_BYTES))
    }

    /// What the contract's `paramCommitment(proof)` returns: keccak256 of
    /// [`CommittedColumns::proof_range`], or 32 zero bytes when `proof` is shorter.
    pub fn digest(&self, proof: &[u8]) -> [u8; 32] {
        proof
            .get(self.proof_range())
            .map(keccak256)
            .unwrap_or([0; 32])
    }
}

/// The Yul statement (at `indent`) that answers `paramCommitment(bytes)` in a `fallback`:
/// returns the digest of the proof bytes `offset .. offset + length` (Yul expressions), or 0
/// for a non-canonical call or a short proof (see the module docs).
pub(crate) fn param_commitment_yul(indent: &str, offset: &str, length: &str) -> String {
    let sel = hex::encode(selector(PARAM_COMMITMENT_SIGNATURE));
    let lines = [
        "// paramCommitment(bytes proof): keccak256 of the committed columns' commitments".into(),
        "// in the proof, or 0 unless the call is canonical (selector | 0x20 | len | proof,".into(),
        "// zero-padded, nothing after) and the proof long enough. Never reverts.".into(),
        format!("if eq(shr(224, calldataload(0)), 0x{sel}) {{"),
        "    let len := calldataload(0x24)".into(),
        "    let ok := eq(calldataload(0x04), 0x20)".into(),
        "    // len < 2^32 first, so that rounding it up cannot wrap.".into(),
        "    ok := and(ok, lt(len, 0x100000000))".into(),
        "    ok := and(ok, eq(calldatasize(), add(0x44, and(add(len, 31), not(31)))))".into(),
        format!("    ok := and(ok, iszero(lt(len, add({offset}, {length}))))"),
        "    let digest := 0".into(),
        "    if ok {".into(),
        "        let ptr := mload(0x40)".into(),
        format!("        calldatacopy(ptr, add(0x44, {offset}), {length})"),
        format!("        digest := keccak256(ptr, {length})"),
        "    }".into(),
        "    mstore(0, digest)".into(),
        "    return(0, 0x20)".into(),
        "}".into(),
    ];
    lines
        .iter()
        .map(|l: &String| format!("{indent}{l}\n"))
        .collect()
}

/// The wrapper for verifiers with committed columns: [`crate::WRAPPER_SOURCE`] plus
/// `paramCommitment`, whose range its constructor reads from the verifier
/// (`paramCommitmentRange()`, checked to be whole points inside the proof). A template like
/// [`crate::WRAPPER_SOURCE`]: a bundle puts the model's NatSpec before the contract.
pub const WRAPPER_COMMITTED_SOURCE: &str = r#"// SPDX-License-Identifier: MIT

pragma solidity ^0.8.19;

/// @notice What ZkinferVerifier asks the generated verifier at construction (4-byte calls
/// its fallback answers; a proof's calldata is never 4 bytes long).
interface IZkinferCommittedVerifier {
    function modelCommitment() external view returns (bytes32);
    function numInstances() external view returns (uint256);
    function proofLength() external view returns (uint256);
    function paramCommitmentRange() external view returns (uint256 offset, uint256 length);
}

/// @title zkinfer proof verifier (committed parameters)
/// @notice Stable interface to a zkinfer model's generated verifier: checks that a model
/// (committed to by `modelCommitment`, the sha256 of its vk.bin) maps public inputs to
/// public outputs. `instances` are the quantized inputs then outputs, as BN254 scalars.
/// `paramCommitment(proof)` is the keccak256 of the committed weight columns' commitments in
/// `proof`: compare it with the registered commitment once `verifyProof` returned true.
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
    /// @notice Where the committed columns' commitments are in a proof, in bytes.
    uint256 private immutable paramOffset;
    /// @notice Their length in bytes (64 per column).
    uint256 private immutable paramLength;

    /// @notice Everything but the verifier's address is read from the verifier itself.
    constructor(address verifier_) {
        require(verifier_.code.length > 0, "ZkinferVerifier: no code at the verifier address");
        IZkinferCommittedVerifier v = IZkinferCommittedVerifier(verifier_);
        uint256 n = v.numInstances();
        uint256 p = v.proofLength();
        require(
            n > 0 && n < 2 ** 32 && p > 0 && p < 2 ** 32 && p % 32 == 0,
            "ZkinferVerifier: the verifier reports impossible sizes"
        );
        (uint256 o, uint256 l) = v.paramCommitmentRange();
        // Whole points inside the proof: o % 64 == 0, l % 64 == 0, 0 < l, o + l <= p.
        require(
            o % 64 == 0 && l % 64 == 0 && l > 0 && o < p && l <= p - o,
            "ZkinferVerifier: the verifier reports an impossible parameter range"
        );
        verifier = verifier_;
        numInstances = n;
        proofLength = p;
        modelCommitment = v.modelCommitment();
        paramOffset = o;
        paramLength = l;
    }

    /// @notice verifyProof(bytes proof, uint256[] instances) returns (bool ok): true iff
    /// `proof` proves `instances` for this model. Decoded by hand, so that it returns false,
    /// never reverts, on a malformed call: any encoding but the canonical one, a wrong length,
    /// an instance or proof scalar not below r, or a rejected proof. Reverts only when the gas
    /// given is too low for the verifier to finish, and for other selectors.
    /// paramCommitment(bytes proof) returns (bytes32): keccak256(proof[paramOffset :
    /// paramOffset + paramLength]), or 0 for a malformed call or a shorter proof; never
    /// reverts.
    fallback(bytes calldata) external returns (bytes memory) {
        address target = verifier;
        uint256 n = numInstances;
        uint256 p = proofLength;
        uint256 po = paramOffset;
        uint256 pl = paramLength;
        assembly ("memory-safe") {
            // paramCommitment(bytes proof): keccak256 of the committed columns' commitments
            // in the proof, or 0 unless the call is canonical (selector | 0x20 | len | proof,
            // zero-padded, nothing after) and the proof long enough. Never reverts.
            if eq(shr(224, calldataload(0)), 0x1d614581) {
                let len := calldataload(0x24)
                let ok := eq(calldataload(0x04), 0x20)
                // len < 2^32 first, so that rounding it up cannot wrap.
                ok := and(ok, lt(len, 0x100000000))
                ok := and(ok, eq(calldatasize(), add(0x44, and(add(len, 31), not(31)))))
                ok := and(ok, iszero(lt(len, add(po, pl))))
                let digest := 0
                if ok {
                    let ptr := mload(0x40)
                    calldatacopy(ptr, add(0x44, po), pl)
                    digest := keccak256(ptr, pl)
                }
                mstore(0, digest)
                return(0, 0x20)
            }
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

/// `abi` (a JSON array of ABI entries) with the [`PARAM_COMMITMENT_ABI`] entry added when
/// `committed` and not already there.
pub(crate) fn with_param_commitment(
    mut abi: serde_json::Value,
    committed: bool,
) -> Option<serde_json::Value> {
    if !committed {
        return Some(abi);
    }
    let entry: serde_json::Value = serde_json::from_str(PARAM_COMMITMENT_ABI).ok()?;
    let items = abi.as_array_mut()?;
    if !items.contains(&entry) {
        items.push(entry);
    }
    Some(abi)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ranges_from_column_indices() {
        assert_eq!(CommittedColumns::from_indices(&[]).unwrap(), None);
        let c = CommittedColumns::from_indices(&[3, 4]).unwrap().unwrap();
        assert_eq!(c, CommittedColumns { first: 3, count: 2 });
        assert_eq!(c.proof_range(), 192..320);
        for bad in [&[3, 5][..], &[4, 3], &[3, 3]] {
            assert!(CommittedColumns::from_indices(bad).is_err(), "{bad:?}");
        }
        let proof: Vec<u8> = (0..400).map(|i| i as u8).collect();
        assert_eq!(c.digest(&proof), keccak256(&proof[192..320]));
        assert_eq!(c.digest(&proof[..319]), [0; 32]);
    }

    #[test]
    fn the_wrapper_answers_the_documented_selector_with_the_shared_code() {
        let sel = hex::encode(selector(PARAM_COMMITMENT_SIGNATURE));
        // The wrapper's block is the generated one, with the immutables' locals.
        let block = param_commitment_yul("            ", "po", "pl");
        assert!(block.contains(&format!("0x{sel}")));
        assert!(WRAPPER_COMMITTED_SOURCE.contains(&block), "{block}");
        let abi = with_param_commitment(serde_json::json!([]), true).unwrap();
        assert_eq!(abi.as_array().unwrap().len(), 1);
        assert_eq!(abi[0]["name"], "paramCommitment");
        assert_eq!(
            with_param_commitment(serde_json::json!([]), false).unwrap(),
            serde_json::json!([])
        );
    }
}
