// SPDX-License-Identifier: MIT

pragma solidity ^0.8.19;

/// @notice Test-only stand-in for a `ZkinferVerifier`: accepts exactly the proof whose
/// keccak256 is `proofHash` with `numInstances` instances, sent in the canonical ABI
/// encoding (like the real wrapper, anything else is `false`).
contract MockVerifier {
    bytes32 public immutable proofHash;
    bytes32 public immutable modelCommitment;
    uint256 public immutable numInstances;
    bytes32 public immutable committed;
    /// @dev 0: answer; 1: verifyProof reverts with `Exhausted()` (as if out of gas).
    uint256 public immutable mode;

    error Exhausted();

    constructor(bytes32 proofHash_, bytes32 modelCommitment_, uint256 numInstances_, bytes32 committed_, uint256 mode_) {
        proofHash = proofHash_;
        modelCommitment = modelCommitment_;
        numInstances = numInstances_;
        committed = committed_;
        mode = mode_;
    }

    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {
        if (mode == 1) revert Exhausted();
        uint256 canonical = 4 + 0x60 + (proof.length + 31) / 32 * 32 + 0x20 + 32 * instances.length;
        return msg.data.length == canonical && keccak256(proof) == proofHash && instances.length == numInstances;
    }

    /// @dev `committed` for a proof of at least 32 bytes, else 0 (like the real one for short proofs).
    function paramCommitment(bytes calldata proof) external view returns (bytes32) {
        return proof.length >= 32 ? committed : bytes32(0);
    }
}
