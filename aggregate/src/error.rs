//! The aggregation crate's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Why an aggregation key or proof could not be made. The input checks of
/// [`crate::prove`] (counts, wiring, links, every segment proof) run before any proving, so
/// a bad input fails in milliseconds with one of the first variants, never minutes later.
#[derive(Debug, Error)]
pub enum AggregateError {
    /// The number of segments (keys or proofs) is not the one the key was made for.
    #[error("expected {expected} segments, found {found}")]
    SegmentCount {
        /// Segments the aggregation key was made for (or keys given).
        expected: usize,
        /// Segments supplied.
        found: usize,
    },
    /// A segment's instance count differs from its key's.
    #[error("segment {segment}: expected {expected} public instances, found {found}")]
    InstanceCount {
        /// The segment.
        segment: usize,
        /// Instances its key declares.
        expected: usize,
        /// Instances supplied.
        found: usize,
    },
    /// A segment's verifying key is not the one the aggregation key was made for.
    #[error(
        "segment {segment}: its verifying key is not the one the aggregation key was made for"
    )]
    SegmentKeyMismatch {
        /// The segment.
        segment: usize,
    },
    /// A segment proof does not verify (Poseidon transcript, SHPLONK) against its key.
    #[error("segment {segment}: the proof does not verify against its key ({reason})")]
    SegmentProofInvalid {
        /// The segment.
        segment: usize,
        /// What the native check said.
        reason: String,
    },
    /// A link's two instances differ: the boundary hash one segment outputs is not the one
    /// the next takes as input.
    #[error(
        "link broken: instance {} of segment {} differs from instance {} of segment {}",
        .from.1, .from.0, .to.1, .to.0
    )]
    LinkMismatch {
        /// `(segment, instance index)` of the link's first end.
        from: (usize, usize),
        /// `(segment, instance index)` of the link's second end.
        to: (usize, usize),
    },
    /// The wiring names a segment or instance that does not exist, or there is nothing to
    /// aggregate.
    #[error("bad wiring: {reason}")]
    BadWiring {
        /// What is wrong.
        reason: String,
    },
    /// The wiring differs from the one the aggregation key was made with.
    #[error("the wiring (links and public instances) differs from the aggregation key's")]
    WiringMismatch,
    /// The aggregation circuit would not fit even at the largest supported size.
    #[error(
        "the aggregation needs {cells} advice cells: more than {max_columns} columns even at \
         k = {max_k}"
    )]
    TooLarge {
        /// Advice cells of the aggregation circuit.
        cells: usize,
        /// Largest supported k.
        max_k: u32,
        /// Most advice columns allowed.
        max_columns: usize,
    },
    /// The KZG parameters do not suit the key (e.g. another `k`).
    #[error("KZG parameters: {detail}")]
    Params {
        /// What is wrong.
        detail: String,
    },
    /// Key generation failed (a caught panic of snark-verifier-sdk or halo2, or halo2's error).
    #[error("aggregation key generation failed: {detail}")]
    Keygen {
        /// The message.
        detail: String,
    },
    /// Proving failed after the input checks passed (a caught panic or halo2's error).
    #[error("aggregation proving failed: {detail}")]
    Prove {
        /// The message.
        detail: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A key file or configuration is malformed or does not match.
    #[error("{}: {message}", .path.display())]
    Artifact {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, AggregateError>;

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Runs `f`, turning a panic into the message `what: <panic>`.
pub(crate) fn catch<T>(what: &str, f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|p| format!("{what}: {}", panic_message(p.as_ref())))
}
