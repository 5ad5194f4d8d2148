// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

/// @title What a contract needs to trust a verified zkinfer inference
/// @notice Import this in your contract and ask the registry's `InferenceLog` (its address is
/// `ModelRegistry.inferenceLog()`) whether a model mapped an input to an output:
///
///     bytes32 outputHash = keccak256(abi.encodePacked(outputs)); // the output instances
///     require(IInferenceLog(log).isVerified(modelId, inputHash, outputHash), "not proven");
///
/// `outputs` are the output instances as the proof has them (uint256 words; a negative
/// fixed-point value `-x` is `r - x`, a value is `signed(q) / 2^scale`), or the outputs'
/// one Poseidon hash when they are hashed; `inputHash` is keccak256 of the input instances
/// likewise (the public input values, or the inputs' Poseidon hash). The log records an
/// inference only after the model's verifier accepted its proof and the proof was shown to
/// be bound to the model's registered weights.
interface IInferenceLog {
    /// @notice Whether model `modelId` has been proven to map `inputHash` to `outputHash`
    /// (a deprecated model's entries still count: check the registry for `deprecated`).
    function isVerified(uint256 modelId, bytes32 inputHash, bytes32 outputHash)
        external
        view
        returns (bool);

    /// @notice The input and output hashes a submission of these instances for model
    /// `modelId` records (no proof checked).
    function hashesOf(uint256 modelId, uint256[] calldata instances)
        external
        view
        returns (bytes32 inputHash, bytes32 outputHash);
}
