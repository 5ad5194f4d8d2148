//! The prover's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while loading an SRS, generating keys or proving.
#[derive(Debug, Error)]
pub enum ProverError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The structured reference string is unusable.
    #[error("SRS {}: {message}", path.display())]
    Srs {
        /// The SRS file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// A key file is malformed, truncated or of the wrong kind.
    #[error("{}: {message}; re-run `setup` to regenerate it", path.display())]
    Artifact {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A key file has a format version this build does not read.
    #[error(
        "{}: format version {found}, this build reads version {expected}; re-run `setup` with \
         this version of zkinfer",
        path.display()
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// Laying out or evaluating the circuit failed.
    #[error(transparent)]
    Circuit(#[from] circuits::CircuitError),
    /// The operating system's randomness (the zero-knowledge blinding seed) is unavailable.
    #[error(
        "cannot read the operating system's randomness for the proof's blinding: {message}; \
         proofs are zero-knowledge only with secret randomness"
    )]
    Randomness {
        /// What the OS reported.
        message: String,
    },
    /// halo2 failed (key generation, proving, or the prover's own check of its proof).
    #[error("halo2: {message}")]
    Halo2 {
        /// What failed.
        message: String,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, ProverError>;

impl ProverError {
    /// Shorthand for [`ProverError::Halo2`].
    pub(crate) fn halo2(message: impl Into<String>) -> Self {
        ProverError::Halo2 {
            message: message.into(),
        }
    }

    /// Maps a container error of the file at `path`.
    pub(crate) fn container(
        path: &std::path::Path,
        e: verifier::container::ContainerError,
    ) -> Self {
        match e {
            verifier::container::ContainerError::Version { found, expected } => {
                ProverError::Version {
                    path: path.to_path_buf(),
                    found,
                    expected,
                }
            }
            e => ProverError::Artifact {
                path: path.to_path_buf(),
                message: e.to_string(),
            },
        }
    }
}

/// Runs `f`, turning a panic inside halo2 into [`ProverError::Halo2`].
pub(crate) fn guard<T>(during: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        ProverError::halo2(format!("{during} panicked: {message}"))
    })
}
