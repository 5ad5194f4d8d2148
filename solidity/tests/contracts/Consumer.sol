// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import "IInferenceLog.sol";

/// Test-only: a contract that acts on an output only once the log has verified it.
contract Consumer {
    IInferenceLog public immutable log;
    uint256 public immutable modelId;
    uint256 public accepted;

    constructor(IInferenceLog log_, uint256 modelId_) {
        log = log_;
        modelId = modelId_;
    }

    /// Records the first output if the log verified (inputHash, outputs) for the model.
    function act(bytes32 inputHash, uint256[] calldata outputs) external {
        require(
            log.isVerified(modelId, inputHash, keccak256(abi.encodePacked(outputs))),
            "Consumer: not proven"
        );
        accepted = outputs[0];
    }
}
