//! The facade's error type: one enum wrapping every crate's error plus the artifact errors.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in [`compile`](crate::compile()), [`setup`](crate::setup),
/// [`prove`](crate::prove) and [`verify`](crate::verify()). Messages name the file involved
/// and say what to do.
#[derive(Debug, Error)]
pub enum Error {
    /// The ONNX model could not be imported.
    #[error(transparent)]
    Import(#[from] onnx_import::ImportError),
    /// An input or calibration file could not be read.
    #[error(transparent)]
    Input(#[from] onnx_import::input_file::InputError),
    /// Quantization, calibration, fixed-point evaluation or circuit layout failed (for
    /// example an input outside the calibrated range).
    #[error(transparent)]
    Circuit(#[from] circuits::CircuitError),
    /// SRS loading, key generation or proving failed.
    #[error(transparent)]
    Prover(#[from] prover::ProverError),
    /// The proof did not verify, or the key files are unusable.
    #[error(transparent)]
    Verify(#[from] verifier::VerifyError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON artifact is malformed or internally inconsistent.
    #[error("{file}: {message}")]
    Artifact {
        /// The file (or `"proof artifact"` for one held in memory).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A JSON artifact has a format version this build does not read.
    #[error(
        "{file}: format version {found}, but this build of zkinfer reads version {expected}; \
         re-create it with this version of zkinfer"
    )]
    Version {
        /// The file (or `"proof artifact"` for one held in memory).
        file: String,
        /// Version in the file.
        found: u64,
        /// Version this build reads.
        expected: u32,
    },
    /// The proof was made for another model than the one in the directory.
    #[error(
        "this proof is for another model: it was made with verifying key {proof_digest}, but \
         {} holds verifying key {key_digest}",
        dir.display()
    )]
    WrongModel {
        /// Key digest recorded in the proof artifact.
        proof_digest: String,
        /// Digest of the directory's `vk.bin`.
        key_digest: String,
        /// The model directory.
        dir: PathBuf,
    },
    /// `model.onnx` no longer matches the hash recorded in `settings.json`.
    #[error(
        "{}: sha256 {found} differs from {expected} recorded in settings.json; the model \
         changed after `compile`: re-run `compile` (and `setup`)",
        path.display()
    )]
    ModelChanged {
        /// The model file.
        path: PathBuf,
        /// Hash recorded at compile time.
        expected: String,
        /// Hash of the file now.
        found: String,
    },
    /// A proven value has no exact f64 (its integer needs more than 53 significant bits),
    /// so a proof artifact cannot show it (see [`crate::artifacts`]).
    #[error(
        "{name:?}[{element}] = {integer}·2^-{scale} needs more than 53 significant bits: no \
         JSON number holds it exactly, so the proof artifact cannot show the proven value; \
         compile with a smaller --bits (range bound)"
    )]
    InexactValue {
        /// Tensor name.
        name: String,
        /// Element, row-major.
        element: usize,
        /// The proven integer, in decimal (a 128-bit integer would double the alignment,
        /// and so the size, of every `Result` of this crate).
        integer: String,
        /// The fixed-point scale exponent.
        scale: u32,
    },
    /// The proof is bound to another model commitment than the one it was checked against.
    #[error(
        "the proof is bound to model commitment {bound} ({kind}: {}), but {expected_from} \
         expects {expected}: the proof was made with other weights (or for another model)",
        kind.meaning()
    )]
    WrongCommitment {
        /// The kind of the proof's commitment.
        kind: crate::commitment::CommitmentKind,
        /// The commitment the proof is bound to.
        bound: String,
        /// The commitment expected.
        expected: String,
        /// Where the expected commitment came from (`--commitment`, a `commitment.json`).
        expected_from: String,
    },
    /// A commitment was expected, but the model's parameters are private, so a proof is
    /// bound to no weights.
    #[error(
        "{expected_from} expects model commitment {expected}, but this model's parameters are \
         private: its proofs are bound to no weights (compile with --param-visibility \
         hashed or committed to bind them)"
    )]
    NoCommitment {
        /// The commitment expected.
        expected: String,
        /// Where it came from.
        expected_from: String,
    },
    /// A weight file given to `prove` or `commit` is not of the compiled architecture.
    #[error(
        "{}: its architecture (sha256 {found} of the graph with zeroed parameters) differs from \
         the compiled model's ({expected}); one key directory serves only models of the \
         architecture it was compiled for: compile this model itself",
        path.display()
    )]
    WrongArchitecture {
        /// The model file.
        path: PathBuf,
        /// The architecture digest in `settings.json`.
        expected: String,
        /// The file's architecture digest.
        found: String,
    },
    /// Another weight file was given for a model whose parameters are fixed in its keys.
    #[error(
        "{}: this model's parameters are fixed (part of its verifying key), so it proves only \
         with the weights it was compiled with; compile with --param-visibility \
         hashed|committed|private to prove with other weight files, or compile this model \
         itself",
        path.display()
    )]
    FixedParams {
        /// The model file.
        path: PathBuf,
    },
    /// A recomputed input hash differs from the one the proof is bound to.
    #[error(
        "the proof's input hash is {proof}, but the given input hashes to {computed}: the \
         proof was made on another input"
    )]
    InputHashMismatch {
        /// The hash among the proof's instances.
        proof: String,
        /// The hash of the given input.
        computed: String,
    },
    /// A file that `setup` writes is missing.
    #[error("{}: missing; run `setup` on {} first", path.display(), dir.display())]
    NotSetUp {
        /// The model directory.
        dir: PathBuf,
        /// The missing file.
        path: PathBuf,
    },
    /// An error of the EVM layer (RPC, transactions, verifier bundles).
    #[error(transparent)]
    Solidity(#[from] solidity::SolidityError),
    /// A contract refused a call with one of the registry's errors.
    #[error("the contract refused to {action}: {reason}")]
    Refused {
        /// What was attempted.
        action: &'static str,
        /// The decoded custom error.
        reason: solidity::registry::RegistryRevert,
    },
    /// A contract reverted with data that is none of the registry's errors.
    #[error("the contract reverted when asked to {action} (revert data {data}): is the address a zkinfer ModelRegistry?")]
    Reverted {
        /// What was attempted.
        action: &'static str,
        /// The revert data, hex.
        data: String,
    },
    /// No contract code at an address given as a contract.
    #[error("no {what} at {address} on this chain (no code there)")]
    NoContract {
        /// The contract expected.
        what: &'static str,
        /// The address.
        address: String,
    },
    /// Private parameters bind proofs to no weights: nothing to register.
    #[error(
        "{}: its parameters are private, so its proofs are bound to no weights and there is \
         nothing to register; compile with --param-visibility fixed, hashed or committed",
        dir.display()
    )]
    NotRegistrable {
        /// The model directory.
        dir: PathBuf,
    },
    /// The key was made with the insecure local SRS.
    #[error(
        "{}: its keys were made with zkinfer's INSECURE local SRS, so anyone can forge proofs \
         its verifier accepts; run setup with --srs from a trusted setup, or pass \
         --allow-insecure-srs for a local test chain",
        dir.display()
    )]
    InsecureRegistration {
        /// The model directory.
        dir: PathBuf,
    },
    /// The verifier at an address is not the one of this directory's key.
    #[error(
        "the verifier at {address} reports modelCommitment {reported}, not this model's vk.bin \
         sha256 0x{vk_sha256}: it verifies another key"
    )]
    WrongVerifier {
        /// The verifier's address.
        address: String,
        /// sha256 of the directory's vk.bin (hex).
        vk_sha256: String,
        /// What the verifier answered (hex).
        reported: String,
    },
    /// The verifier bundle cannot be deployed.
    #[error(
        "{}: cannot deploy the verifier bundle ({reason}); run `zkinfer create-evm-verifier DIR \
         -o DIR/evm --solc PATH` first, or pass --verifier ADDRESS",
        bundle.display()
    )]
    NoVerifierBundle {
        /// The bundle directory.
        bundle: PathBuf,
        /// Why.
        reason: String,
    },
    /// No registry given and none recorded for this chain.
    #[error(
        "no registry for chain {chain_id}: {} has no registration.json for it; pass \
         --registry ADDRESS (or run `zkinfer register` on it first)",
        dir.display()
    )]
    NoRegistry {
        /// The model directory.
        dir: PathBuf,
        /// The chain's id.
        chain_id: u64,
    },
    /// A proof with another transcript than the EVM's.
    #[error(
        "the proof uses the {transcript:?} transcript; contracts check Keccak proofs only: \
         re-run `zkinfer prove ... --evm`"
    )]
    NotEvmProof {
        /// The proof's transcript.
        transcript: String,
    },
    /// Split proving: the directory has no `split.json`.
    #[error(
        "{} is not a split model directory (no split.json): run `zkinfer split MODEL.onnx \
         --segments N -o {}` first",
        dir.display(),
        dir.display()
    )]
    NotSplit {
        /// The directory.
        dir: PathBuf,
    },
    /// Split proving: a segment index past the last segment.
    #[error("there is no segment {index}: the model has {count} segments (0 to {})", count.saturating_sub(1))]
    NoSuchSegment {
        /// The index asked for.
        index: usize,
        /// How many segments there are.
        count: usize,
    },
    /// Split proving: the number of segments asked for cannot be made.
    #[error(
        "cannot split into {requested} segments{}",
        match possible {
            Some(p) => format!(": the model can be cut in at most {p} (it has {} places where one tensor crosses between nodes)", p.saturating_sub(1)),
            None => ": ask for 2 or more".to_string(),
        }
    )]
    SplitSegments {
        /// Segments asked for.
        requested: usize,
        /// The most segments the model's cut points allow (`None`: fewer than 2 asked for).
        possible: Option<usize>,
    },
    /// Split proving: a `--max-rows` / `--max-memory` budget no split meets.
    #[error(
        "no split meets {budget}: at best, the largest segment (nodes {}..{}{}) needs 2^{} \
         rows and about {} MiB to prove (hashing a large tensor crossing a cut costs rows on \
         both sides); raise the budget",
        nodes[0], nodes[1], channel_note(*channel_groups), rows.trailing_zeros(), bytes >> 20
    )]
    SplitOverBudget {
        /// The budget, as the CLI flag that set it.
        budget: String,
        /// The largest segment of the split closest to the budget (ONNX node range).
        nodes: [usize; 2],
        /// Its rows (`2^k`).
        rows: u64,
        /// Its predicted peak proving memory in bytes.
        bytes: u64,
        /// The channel groups of the closest split (1: the model as given; above 1, `nodes`
        /// index the model with every convolution split into that many groups).
        channel_groups: usize,
    },
    /// Split proving keeps parameters fixed in every segment.
    #[error(
        "split proving needs fixed parameters (got --param-visibility {params}): the \
         aggregation key binds every segment's weights"
    )]
    SplitParams {
        /// The visibility asked for.
        params: circuits::visibility::ParamVisibility,
    },
    /// A segment input file that belongs to another segment or split model.
    #[error(
        "{}: is the input of segment {found_segment} (tensor {found_tensor:?}), not of segment \
         {segment} (tensor {expected_tensor:?}), or of another split model: use \
         witness/segment-{segment}.json from `zkinfer witness`",
        path.display()
    )]
    WrongBoundary {
        /// The file.
        path: PathBuf,
        /// The segment being proved.
        segment: usize,
        /// The segment the file says it is for.
        found_segment: usize,
        /// The tensor it holds.
        found_tensor: String,
        /// The tensor segment `segment` takes.
        expected_tensor: String,
    },
    /// `aggregate`: a segment's proof is missing.
    #[error(
        "segment {index}'s proof is missing ({}): run `zkinfer prove-segment DIR --segment \
         {index} ...` first",
        path.display()
    )]
    MissingSegmentProof {
        /// The segment.
        index: usize,
        /// Where its proof should be.
        path: PathBuf,
    },
    /// `aggregate`: a segment proof made for another key (another model, or an older setup).
    #[error(
        "segment {index}'s proof was made for verifying key {proof_digest}, but segment {index} \
         of this split model has key {key_digest}: it is a proof of another model (or of an \
         older setup); prove the segment again"
    )]
    SegmentFromAnotherModel {
        /// The segment.
        index: usize,
        /// The key digest the proof names.
        proof_digest: String,
        /// The segment's key digest.
        key_digest: String,
    },
    /// `aggregate`: a segment proof that does not verify.
    #[error("segment {index}'s proof does not verify: {source}")]
    SegmentProofInvalid {
        /// The segment.
        index: usize,
        /// Why.
        #[source]
        source: Box<Error>,
    },
    /// `aggregate`: two consecutive segments' boundary hashes differ.
    #[error(
        "boundary mismatch between segments {left} and {right} (tensor {tensor:?}): segment \
         {left} output hash {left_hash}, segment {right} input hash {right_hash}: the proofs \
         were made on different boundary values (prove both from one `zkinfer witness`)"
    )]
    BoundaryMismatch {
        /// The earlier segment.
        left: usize,
        /// The later segment.
        right: usize,
        /// The boundary tensor.
        tensor: String,
        /// The earlier segment's output hash.
        left_hash: String,
        /// The later segment's input hash.
        right_hash: String,
    },
    /// `aggregate`: the aggregation key was made for other segment keys.
    #[error(
        "{}: the aggregation key was made for other segment keys (segment {index}): re-run \
         `zkinfer setup` on the split directory",
        dir.display()
    )]
    StaleAggregation {
        /// The split directory.
        dir: PathBuf,
        /// The first segment whose key changed.
        index: usize,
    },
    /// The aggregation circuit failed.
    #[error(transparent)]
    Aggregate(#[from] aggregate::AggregateError),
}

/// Result alias for the facade.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Shorthand for [`Error::Artifact`].
    pub(crate) fn artifact(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Artifact {
            file: file.into(),
            message: message.into(),
        }
    }
}

/// How [`Error::SplitOverBudget`] says which model its node range indexes.
fn channel_note(groups: usize) -> String {
    if groups > 1 {
        format!(
            " of the model with every convolution split into {groups} groups of output \
             channels"
        )
    } else {
        String::new()
    }
}
