// SPDX-License-Identifier: MIT

pragma solidity ^0.8.19;

import {CommitmentKind, InstanceLayout, ModelRegistry} from "./ModelRegistry.sol";

/// @title zkinfer verified-inference log
/// @notice A public record of inferences whose proofs a registered model's verifier
/// accepted: "model `modelId` maps the input with hash `inputHash` to the output with hash
/// `outputHash`". Deployed by `ModelRegistry`'s constructor; anyone may submit.
/// Hashes are over the instances as the call gives them (uint256 words, big-endian):
/// `inputHash = keccak256(abi.encodePacked(instances[inputStart : inputStart + inputCount]))`,
/// `outputHash = keccak256(abi.encodePacked(instances[outputStart : outputStart + outputCount]))`,
/// with the model's `InstanceLayout` (a count-0 range hashes to keccak256("")). For a hashed
/// input or output the range is its one Poseidon-hash instance.
/// Proofs are randomized: the same (model, input, output) submitted twice is recorded twice,
/// under two entry ids.
contract InferenceLog {
    /// @notice One verified inference.
    struct Entry {
        /// @dev The registry's model id.
        uint256 modelId;
        /// @dev keccak256 of the input instances (see the contract's notice).
        bytes32 inputHash;
        /// @dev keccak256 of the output instances.
        bytes32 outputHash;
        /// @dev The output instances themselves (raw BN254 scalars; a negative fixed-point
        /// value q is r - |q|).
        uint256[] outputs;
        /// @dev Who submitted the proof.
        address submitter;
        /// @dev Block of the submission.
        uint64 blockNumber;
    }

    /// @dev How an entry is stored: the model id (ids are a counter, far below 2^32) packed
    /// with the submitter and block, saving a slot per entry.
    struct StoredEntry {
        bytes32 inputHash;
        bytes32 outputHash;
        uint256[] outputs;
        address submitter;
        uint64 blockNumber;
        uint32 modelId;
    }

    /// @dev selector of `verifyProof(bytes,uint256[])`.
    bytes4 private constant VERIFY_PROOF = 0x1e8e1e13;

    /// @notice The registry whose models this log records (it deployed this log).
    ModelRegistry public immutable registry;

    /// @notice Number of entries; ids are 1 .. entryCount.
    uint256 public entryCount;

    mapping(uint256 => StoredEntry) private _entries;
    mapping(uint256 => uint256[]) private _byModel;
    mapping(bytes32 => uint256[]) private _byInput;
    mapping(bytes32 => bool) private _verified;

    /// @notice Entry `entryId` records that model `modelId` maps the input with hash
    /// `inputHash` to the output with hash `outputHash` (`outputs` being those instances).
    event InferenceVerified(
        uint256 indexed entryId,
        uint256 indexed modelId,
        bytes32 indexed inputHash,
        bytes32 outputHash,
        uint256[] outputs,
        address submitter,
        uint64 blockNumber
    );

    /// @notice No model has id `modelId`.
    error UnknownModel(uint256 modelId);
    /// @notice No entry has id `entryId`.
    error UnknownEntry(uint256 entryId);
    /// @notice Model `modelId` is deprecated: it accepts no new inferences.
    error ModelIsDeprecated(uint256 modelId);
    /// @notice The model's verifier takes `expected` instances, the call gave `got`.
    error WrongInstanceCount(uint256 expected, uint256 got);
    /// @notice The proof is bound to parameters `proven`, model `modelId` is registered with
    /// `registered`: it was made with other weights. `Hashed`: `proven` is
    /// bytes32(instances[paramIndex]); `Committed`: `verifier.paramCommitment(proof)` (0 when
    /// the verifier does not answer with one word).
    error NotBoundToModel(uint256 modelId, bytes32 registered, bytes32 proven);
    /// @notice The model's verifier returned false for the proof.
    error ProofRejected(uint256 modelId);

    /// @param registry_ The registry (ModelRegistry's constructor passes itself).
    constructor(address registry_) {
        registry = ModelRegistry(registry_);
    }

    /// @notice Verifies a proof of model `modelId` and records it as a new entry.
    /// @dev Checks, in order (each failure reverts and stores nothing): the model exists
    /// (UnknownModel) and is not deprecated (ModelIsDeprecated); `instances.length ==
    /// layout.numInstances` (WrongInstanceCount); the binding to the registered weights
    /// (NotBoundToModel): `Hashed`, `bytes32(instances[paramIndex]) == commitment`;
    /// `Committed`, `verifier.paramCommitment(proof) == commitment`; `Fixed`, nothing more
    /// (the verifier's key is the model, checked at registration). Then it staticcalls
    /// `verifier.verifyProof(proof, instances)` (canonical ABI encoding) with all the gas
    /// left: a revert of that call (the verifier ran out of gas) is re-raised with its
    /// data; anything but one word equal to 1 (true) reverts ProofRejected.
    /// @param modelId The registry's model id.
    /// @param proof The proof bytes (Keccak transcript).
    /// @param instances All public instances of the proof, as the verifier takes them.
    /// @return entryId The new entry's id (1, 2, ...).
    function submit(uint256 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (uint256 entryId)
    {
        (bytes32 commitment, CommitmentKind kind, address verifier, bool deprecated, InstanceLayout memory l) =
            registry.binding(modelId);
        if (commitment == bytes32(0) || modelId > type(uint32).max) revert UnknownModel(modelId);
        if (deprecated) revert ModelIsDeprecated(modelId);
        if (instances.length != l.numInstances) {
            revert WrongInstanceCount(l.numInstances, instances.length);
        }
        if (kind == CommitmentKind.Hashed) {
            bytes32 proven = bytes32(instances[l.paramIndex]);
            if (proven != commitment) revert NotBoundToModel(modelId, commitment, proven);
        } else if (kind == CommitmentKind.Committed) {
            bytes32 proven = _paramCommitment(verifier, proof);
            if (proven != commitment) revert NotBoundToModel(modelId, commitment, proven);
        }
        _verify(modelId, verifier, proof, instances);
        entryId = _record(modelId, l, instances);
    }

    /// @notice Entry `entryId`; reverts UnknownEntry.
    /// @param entryId The entry.
    /// @return The entry.
    function entry(uint256 entryId) external view returns (Entry memory) {
        if (entryId == 0 || entryId > entryCount) revert UnknownEntry(entryId);
        StoredEntry storage e = _entries[entryId];
        return Entry(e.modelId, e.inputHash, e.outputHash, e.outputs, e.submitter, e.blockNumber);
    }

    /// @notice Ids of the entries of model `modelId`, oldest first.
    /// @param modelId The model.
    /// @return The entry ids.
    function entriesByModel(uint256 modelId) external view returns (uint256[] memory) {
        return _byModel[modelId];
    }

    /// @notice Ids of the entries whose input hash is `inputHash`, oldest first.
    /// @param inputHash The input hash.
    /// @return The entry ids.
    function entriesByInput(bytes32 inputHash) external view returns (uint256[] memory) {
        return _byInput[inputHash];
    }

    /// @notice Whether some entry records that model `modelId` maps `inputHash` to
    /// `outputHash` (a deprecated model's entries still count).
    /// @param modelId The model.
    /// @param inputHash The input hash.
    /// @param outputHash The output hash.
    /// @return Whether such an entry exists.
    function isVerified(uint256 modelId, bytes32 inputHash, bytes32 outputHash)
        external
        view
        returns (bool)
    {
        return _verified[keccak256(abi.encode(modelId, inputHash, outputHash))];
    }

    /// @notice The input and output hashes `submit` would record for these instances of
    /// model `modelId` (no proof checked). Reverts UnknownModel or WrongInstanceCount.
    /// @param modelId The model.
    /// @param instances All public instances.
    /// @return inputHash keccak256 of the input range.
    /// @return outputHash keccak256 of the output range.
    function hashesOf(uint256 modelId, uint256[] calldata instances)
        external
        view
        returns (bytes32 inputHash, bytes32 outputHash)
    {
        (bytes32 commitment,,,, InstanceLayout memory l) = registry.binding(modelId);
        if (commitment == bytes32(0)) revert UnknownModel(modelId);
        if (instances.length != l.numInstances) {
            revert WrongInstanceCount(l.numInstances, instances.length);
        }
        inputHash = _hashRange(instances, l.inputStart, l.inputCount);
        outputHash = _hashRange(instances, l.outputStart, l.outputCount);
    }

    /// @dev Stores the entry of a verified proof and emits InferenceVerified.
    function _record(uint256 modelId, InstanceLayout memory l, uint256[] calldata instances)
        private
        returns (uint256 entryId)
    {
        bytes32 inputHash = _hashRange(instances, l.inputStart, l.inputCount);
        bytes32 outputHash = _hashRange(instances, l.outputStart, l.outputCount);
        uint256[] calldata outputs = instances[l.outputStart:uint256(l.outputStart) + l.outputCount];
        entryId = ++entryCount;
        StoredEntry storage e = _entries[entryId];
        e.inputHash = inputHash;
        e.outputHash = outputHash;
        e.outputs = outputs;
        e.submitter = msg.sender;
        e.blockNumber = uint64(block.number);
        e.modelId = uint32(modelId); // submit checked modelId <= type(uint32).max
        _byModel[modelId].push(entryId);
        _byInput[inputHash].push(entryId);
        _verified[keccak256(abi.encode(modelId, inputHash, outputHash))] = true;
        emit InferenceVerified(
            entryId, modelId, inputHash, outputHash, outputs, msg.sender, uint64(block.number)
        );
    }

    /// @dev Staticcalls verifyProof; bubbles a revert, reverts ProofRejected unless it
    /// returned exactly the word 1.
    function _verify(uint256 modelId, address verifier, bytes calldata proof, uint256[] calldata instances)
        private
        view
    {
        (bool ok, bytes memory ret) =
            verifier.staticcall(abi.encodeWithSelector(VERIFY_PROOF, proof, instances));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        if (ret.length != 32 || abi.decode(ret, (uint256)) != 1) revert ProofRejected(modelId);
    }

    /// @dev `verifier.paramCommitment(proof)`, or 0 when the call fails or does not return
    /// exactly one word.
    function _paramCommitment(address verifier, bytes calldata proof)
        private
        view
        returns (bytes32)
    {
        (bool ok, bytes memory ret) =
            verifier.staticcall(abi.encodeWithSignature("paramCommitment(bytes)", proof));
        if (!ok || ret.length != 32) return bytes32(0);
        return abi.decode(ret, (bytes32));
    }

    /// @dev keccak256 of the words instances[start : start + count]; the caller has checked
    /// start + count <= instances.length (registration bounds the layout by numInstances,
    /// which equals instances.length here).
    function _hashRange(uint256[] calldata instances, uint256 start, uint256 count)
        private
        pure
        returns (bytes32 h)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let len := mul(count, 0x20)
            calldatacopy(ptr, add(instances.offset, mul(start, 0x20)), len)
            h := keccak256(ptr, len)
        }
    }
}
