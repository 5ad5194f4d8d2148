//! The verifier's error type.

use thiserror::Error;

use crate::container::ContainerError;

/// Why a proof was not accepted. Every failure is reported as a value: the verifier never
/// panics on malformed keys, parameters, proofs or instances.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// The verifying key (`vk.bin`) is malformed or inconsistent.
    #[error("bad verifying key: {0}; re-run `setup` to regenerate vk.bin")]
    BadKey(String),
    /// The verifier parameters (`srs-verifier.bin`) are malformed.
    #[error("bad verifier parameters: {0}; re-run `setup` to regenerate srs-verifier.bin")]
    BadParams(String),
    /// The verifier parameters are not the ones the verifying key was made with.
    #[error(
        "the verifier parameters (srs-verifier.bin) do not belong to this verifying key \
         (vk.bin); copy both files from the same setup"
    )]
    ParamsMismatch,
    /// A file carries a format version this build does not read.
    #[error("{what} has format version {found}, but this build reads version {expected}; re-run `setup` with this version of zkinfer")]
    Version {
        /// Which file.
        what: &'static str,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// The proof bytes are not a well-formed proof (bad point or scalar encoding, too short,
    /// trailing bytes).
    #[error("malformed proof: {0}")]
    BadProof(String),
    /// A public instance could not be decoded.
    #[error("public instance {index}: {message}")]
    BadInstance {
        /// Position in the instance list.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The number of public instances differs from what the key expects.
    #[error(
        "wrong number of public instances: the verifying key expects {expected}, found {found}"
    )]
    InstanceCount {
        /// Count the key was made for.
        expected: usize,
        /// Count supplied.
        found: usize,
    },
    /// The proof is well formed but does not prove the statement (wrong instances, wrong key
    /// or forged proof).
    #[error(
        "proof rejected: it does not prove these public inputs/outputs for this verifying key"
    )]
    Rejected,
    /// halo2 panicked while processing the input; the input is treated as invalid.
    #[error("internal halo2 failure while {during} (input treated as invalid): {message}")]
    Internal {
        /// What was being done.
        during: &'static str,
        /// The panic message.
        message: String,
    },
}

impl VerifyError {
    /// Maps a container error of the verifying key.
    pub(crate) fn key(e: ContainerError) -> Self {
        match e {
            ContainerError::Version { found, expected } => VerifyError::Version {
                what: "the verifying key (vk.bin)",
                found,
                expected,
            },
            e => VerifyError::BadKey(e.to_string()),
        }
    }

    /// Maps a container error of the verifier parameters.
    pub(crate) fn params(e: ContainerError) -> Self {
        match e {
            ContainerError::Version { found, expected } => VerifyError::Version {
                what: "the verifier parameters (srs-verifier.bin)",
                found,
                expected,
            },
            e => VerifyError::BadParams(e.to_string()),
        }
    }
}

/// Runs `f`, turning a panic into [`VerifyError::Internal`].
pub(crate) fn guard<T>(during: &'static str, f: impl FnOnce() -> T) -> Result<T, VerifyError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        VerifyError::Internal { during, message }
    })
}
