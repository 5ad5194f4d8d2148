// SPDX-License-Identifier: MIT

pragma solidity ^0.8.19;

import {InferenceLog} from "./InferenceLog.sol";

/// @notice How a registered model's weights are bound to its proofs (the `kind` of
/// zkinfer's commitment.json).
/// * `Fixed` (0): the weights are compiled into the verifying key; the commitment is
///   sha256(vk.bin), which the verifier itself reports as `modelCommitment()`.
/// * `Hashed` (1): the proof carries a Poseidon hash of the weights as one public instance
///   (`InstanceLayout.paramIndex`); the commitment is that instance as bytes32.
/// * `Committed` (2): the weights sit in unblinded advice columns; the commitment is
///   keccak256 of their KZG commitments in the proof, which the verifier reports as
///   `paramCommitment(proof)`.
enum CommitmentKind {
    Fixed,
    Hashed,
    Committed
}

/// @notice Positions of a model's values among its verifier's public instances.
/// A range with count 0 means "not public" (private); a hashed input or output is a range
/// of one instance (its Poseidon hash).
struct InstanceLayout {
    /// @dev Must equal the verifier's `numInstances()`.
    uint32 numInstances;
    /// @dev First instance carrying the input (its public values, or its one hash).
    uint32 inputStart;
    /// @dev Number of input instances; 0 = private input.
    uint32 inputCount;
    /// @dev First instance carrying the output.
    uint32 outputStart;
    /// @dev Number of output instances; 0 = private output.
    uint32 outputCount;
    /// @dev `Hashed` kind: the parameter-hash instance; 0 for the other kinds.
    uint32 paramIndex;
}

/// @notice A registered model.
struct Model {
    /// @dev The weight commitment (see `CommitmentKind`); never 0.
    bytes32 commitment;
    /// @dev How `commitment` is bound to proofs.
    CommitmentKind kind;
    /// @dev The model's `ZkinferVerifier` contract.
    address verifier;
    /// @dev Who registered it; the only one who may deprecate it.
    address owner;
    /// @dev Set by `deprecate`; a deprecated model accepts no new inferences.
    bool deprecated;
    /// @dev Block of the registration.
    uint64 registeredBlock;
    /// @dev Where inputs, outputs and the parameter hash sit among the instances.
    InstanceLayout layout;
    /// @dev Free-form description (zkinfer writes `data:application/json,{...}`).
    string metadataURI;
}

/// @title zkinfer model registry
/// @notice Binds weight commitments to deployed zkinfer verifiers, so that anyone can check
/// that a proof was made with *these* weights, and owns the `InferenceLog` of verified
/// inferences (deployed by the constructor: this contract's address identifies both).
/// Registration is permissionless: a model id says "whoever registered it claims these
/// weights and this verifier", nothing more; trust the owner or the metadata you check.
/// Each commitment can be registered once (first come, first served).
contract ModelRegistry {
    /// @notice The log of verified inferences, deployed by the constructor.
    InferenceLog public immutable inferenceLog;

    /// @notice Number of registered models; ids are 1 .. modelCount.
    uint256 public modelCount;

    mapping(uint256 => Model) private _models;
    mapping(bytes32 => uint256) private _idOf;

    /// @notice A model was registered with id `modelId`.
    event ModelRegistered(
        uint256 indexed modelId,
        bytes32 indexed commitment,
        address indexed owner,
        address verifier,
        CommitmentKind kind,
        string metadataURI
    );
    /// @notice `owner` deprecated model `modelId`.
    event ModelDeprecated(uint256 indexed modelId, address indexed owner);

    /// @notice `commitment` is already registered as model `modelId`.
    error AlreadyRegistered(bytes32 commitment, uint256 modelId);
    /// @notice The commitment is 0 (no model has it).
    error ZeroCommitment();
    /// @notice `verifier` has no code, or does not answer `numInstances()` with one word.
    error NoVerifierCode(address verifier);
    /// @notice `Fixed` kind: the verifier's `modelCommitment()` (0 when it does not answer)
    /// is not the commitment being registered.
    error CommitmentMismatch(bytes32 registered, bytes32 verifierReports);
    /// @notice The layout's `numInstances` is not the verifier's `numInstances()`.
    error InstanceCountMismatch(uint256 layout, uint256 verifier);
    /// @notice A range ends past `numInstances`, the input and output ranges overlap, or
    /// the `Hashed` parameter index is out of range or inside a range (or non-zero for
    /// another kind).
    error BadLayout();
    /// @notice No model has id `modelId`.
    error UnknownModel(uint256 modelId);
    /// @notice `caller` is not the owner of model `modelId`.
    error NotOwner(uint256 modelId, address caller);
    /// @notice Model `modelId` is already deprecated.
    error AlreadyDeprecated(uint256 modelId);

    /// @notice Deploys the registry and its `InferenceLog`.
    constructor() {
        inferenceLog = new InferenceLog(address(this));
    }

    /// @notice Registers a model; the caller becomes its owner. Ids are 1, 2, 3, ...
    /// @dev Checks, in order (each failure reverts with the error named):
    /// `commitment != 0` (ZeroCommitment); the commitment is not registered yet
    /// (AlreadyRegistered); `verifier` has code and answers `numInstances()` with one word
    /// (NoVerifierCode); that number equals `layout.numInstances` (InstanceCountMismatch);
    /// `inputStart + inputCount <= numInstances`, `outputStart + outputCount <= numInstances`
    /// (computed in uint256), the two ranges do not overlap (a count-0 range overlaps
    /// nothing), and `paramIndex < numInstances` outside both ranges for `Hashed`, else
    /// `paramIndex == 0` (BadLayout); for `Fixed`, `verifier.modelCommitment() ==
    /// commitment` (CommitmentMismatch). `Committed` models are checked per proof, by
    /// `InferenceLog.submit`.
    /// @param commitment The weight commitment (see `CommitmentKind`).
    /// @param kind How the commitment is bound to proofs.
    /// @param verifier The model's `ZkinferVerifier`.
    /// @param layout Where inputs, outputs and the parameter hash sit among the instances.
    /// @param metadataURI Free-form description, stored and emitted as given.
    /// @return modelId The new model's id.
    function register(
        bytes32 commitment,
        CommitmentKind kind,
        address verifier,
        InstanceLayout calldata layout,
        string calldata metadataURI
    ) external returns (uint256 modelId) {
        if (commitment == bytes32(0)) revert ZeroCommitment();
        uint256 existing = _idOf[commitment];
        if (existing != 0) revert AlreadyRegistered(commitment, existing);
        if (verifier.code.length == 0) revert NoVerifierCode(verifier);
        (bool ok, uint256 n) = _askWord(verifier, abi.encodeWithSignature("numInstances()"));
        if (!ok) revert NoVerifierCode(verifier);
        if (n != layout.numInstances) revert InstanceCountMismatch(layout.numInstances, n);
        _checkLayout(kind, layout);
        if (kind == CommitmentKind.Fixed) {
            (bool answered, uint256 reported) =
                _askWord(verifier, abi.encodeWithSignature("modelCommitment()"));
            if (!answered) reported = 0;
            if (bytes32(reported) != commitment) {
                revert CommitmentMismatch(commitment, bytes32(reported));
            }
        }

        modelId = ++modelCount;
        _idOf[commitment] = modelId;
        Model storage m = _models[modelId];
        m.commitment = commitment;
        m.kind = kind;
        m.verifier = verifier;
        m.owner = msg.sender;
        m.registeredBlock = uint64(block.number);
        m.layout = layout;
        m.metadataURI = metadataURI;
        emit ModelRegistered(modelId, commitment, msg.sender, verifier, kind, metadataURI);
    }

    /// @notice Marks model `modelId` deprecated: `InferenceLog.submit` refuses it from now
    /// on; its entries stay. Reverts UnknownModel, NotOwner (caller is not the owner) or
    /// AlreadyDeprecated.
    /// @param modelId The model.
    function deprecate(uint256 modelId) external {
        Model storage m = _models[modelId];
        if (m.commitment == bytes32(0)) revert UnknownModel(modelId);
        if (m.owner != msg.sender) revert NotOwner(modelId, msg.sender);
        if (m.deprecated) revert AlreadyDeprecated(modelId);
        m.deprecated = true;
        emit ModelDeprecated(modelId, msg.sender);
    }

    /// @notice Model `modelId`; reverts UnknownModel.
    /// @param modelId The model.
    /// @return The model.
    function model(uint256 modelId) external view returns (Model memory) {
        Model storage m = _models[modelId];
        if (m.commitment == bytes32(0)) revert UnknownModel(modelId);
        return m;
    }

    /// @notice The id of the model registered with `commitment`, 0 if none.
    /// @param commitment The weight commitment.
    /// @return The model id, or 0.
    function modelIdOf(bytes32 commitment) external view returns (uint256) {
        return _idOf[commitment];
    }

    /// @notice What `InferenceLog.submit` needs of model `modelId`, without the metadata.
    /// Never reverts: an unknown model has `commitment == 0`.
    /// @param modelId The model.
    /// @return commitment The weight commitment (0: no such model).
    /// @return kind How it is bound to proofs.
    /// @return verifier The model's verifier.
    /// @return deprecated Whether it is deprecated.
    /// @return layout Its instance layout.
    function binding(uint256 modelId)
        external
        view
        returns (
            bytes32 commitment,
            CommitmentKind kind,
            address verifier,
            bool deprecated,
            InstanceLayout memory layout
        )
    {
        Model storage m = _models[modelId];
        return (m.commitment, m.kind, m.verifier, m.deprecated, m.layout);
    }

    /// @dev Reverts BadLayout unless the ranges fit in `numInstances` and do not overlap,
    /// and the parameter index is valid for `kind` (see `register`).
    function _checkLayout(CommitmentKind kind, InstanceLayout calldata l) private pure {
        uint256 n = l.numInstances;
        uint256 inEnd = uint256(l.inputStart) + l.inputCount;
        uint256 outEnd = uint256(l.outputStart) + l.outputCount;
        if (inEnd > n || outEnd > n) revert BadLayout();
        // Two non-empty ranges [a, aEnd) and [b, bEnd) are disjoint iff aEnd <= b or bEnd <= a.
        if (
            l.inputCount != 0 && l.outputCount != 0 && inEnd > l.outputStart
                && outEnd > l.inputStart
        ) revert BadLayout();
        uint256 p = l.paramIndex;
        if (kind == CommitmentKind.Hashed) {
            if (p >= n) revert BadLayout();
            if (p >= l.inputStart && p < inEnd) revert BadLayout();
            if (p >= l.outputStart && p < outEnd) revert BadLayout();
        } else if (p != 0) {
            revert BadLayout();
        }
    }

    /// @dev Staticcalls `target` with `data`; `ok` only if the call succeeded and returned
    /// exactly one word, `word`.
    function _askWord(address target, bytes memory data)
        private
        view
        returns (bool ok, uint256 word)
    {
        (bool success, bytes memory ret) = target.staticcall(data);
        if (!success || ret.length != 32) return (false, 0);
        return (true, abi.decode(ret, (uint256)));
    }
}
