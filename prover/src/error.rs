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
    /// The SRS file has fewer powers than the circuit needs.
    #[error(
        "SRS {}: has 2^{available} powers (k = {available}), but the circuit needs k = \
         {needed}; use a ceremony file with at least 2^{needed} powers",
        path.display()
    )]
    SrsTooSmall {
        /// The SRS file.
        path: PathBuf,
        /// The file's k.
        available: u32,
        /// The circuit's k.
        needed: u32,
    },
    /// A halo2 parameter file's length disagrees with the k in its header.
    #[error(
        "SRS {}: a halo2 KZG parameter file declaring k = {k} has {raw} bytes (uncompressed) \
         or {compressed} bytes (compressed), but this one has {actual}; it is truncated, \
         damaged or not an SRS file",
        path.display()
    )]
    SrsHalo2Length {
        /// The SRS file.
        path: PathBuf,
        /// The k in its header.
        k: u32,
        /// Its length.
        actual: u64,
        /// The uncompressed length for `k`.
        raw: u64,
        /// The compressed length for `k`.
        compressed: u64,
    },
    /// A `.ptau` file's structure is wrong.
    #[error("SRS {}: not a usable snarkjs .ptau file: {defect}", path.display())]
    SrsPtau {
        /// The SRS file.
        path: PathBuf,
        /// What is wrong.
        defect: crate::srs::PtauDefect,
    },
    /// A point of the SRS is malformed or wrong.
    #[error(
        "SRS {}: {part} number {index}: {defect}; the file is damaged or not a genuine \
         ceremony output",
        path.display()
    )]
    SrsPoint {
        /// The SRS file.
        path: PathBuf,
        /// Which points.
        part: crate::srs::SrsPart,
        /// The point's index among them.
        index: u64,
        /// What is wrong with it.
        defect: crate::srs::PointDefect,
    },
    /// The SRS's points are valid one by one but are not powers of one secret, or its
    /// Lagrange points do not match its powers.
    #[error(
        "SRS {}: {check}; the file is damaged or not a genuine ceremony output",
        path.display()
    )]
    SrsInconsistent {
        /// The SRS file.
        path: PathBuf,
        /// Which check failed.
        check: crate::srs::SrsCheck,
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
    /// The circuit binds a different number of public cells than the model declares
    /// (its input and output elements): the key would check another statement.
    #[error(
        "the circuit constrains {public_rows} public cells, but the model declares \
         {declared} public instances (its input and output elements); internal error, \
         please report"
    )]
    PublicRows {
        /// Public cells of the laid-out circuit.
        public_rows: usize,
        /// Input plus output elements of the graph.
        declared: usize,
    },
    /// A column to leave unblinded is not an advice column of the circuit.
    #[error(
        "cannot leave advice column {column} unblinded: the circuit has {num_advice} advice \
         columns"
    )]
    UnblindedColumn {
        /// The requested column.
        column: usize,
        /// Advice columns of the circuit.
        num_advice: usize,
    },
    /// Unblinded (committed) columns need a single-phase circuit.
    #[error(
        "committed columns need a single-phase circuit, but this one has advice columns in \
         {phases} phases (phase {phase} among them)"
    )]
    MultiPhaseCommitted {
        /// A phase other than 0 used by an advice column.
        phase: u8,
        /// Number of distinct advice phases.
        phases: usize,
    },
    /// A committed column's values do not fit in the circuit's usable rows.
    #[error(
        "a committed column of {len} values does not fit in the circuit's {usable_rows} \
         usable rows"
    )]
    CommittedColumnTooLong {
        /// Number of values.
        len: usize,
        /// Rows before the blinding rows.
        usable_rows: usize,
    },
    /// A committed column's commitment was asked for with an SRS of another size than the
    /// circuit's (the Lagrange basis, hence the commitment, depends on `k`).
    #[error(
        "committed column: the SRS is for k = {params_k}, but the circuit has k = {circuit_k}"
    )]
    CommittedK {
        /// The SRS's k.
        params_k: u32,
        /// The circuit's k.
        circuit_k: u32,
    },
    /// `--device cuda` in a build without the CUDA backend.
    #[error(
        "--device cuda: this zkinfer was built without the `cuda` feature; build it with \
         `cargo build --release --features cuda` (README, \"GPU proving\"), or prove with \
         --device auto or --device cpu"
    )]
    CudaNotBuilt,
    /// `--device cuda` for a model whose proofs hide a witness the GPU prover would not blind
    /// (see [`crate::backend`]).
    #[error(
        "--device cuda: the GPU prover (halo2-axiom-gpu 1.0.1) does not blind its proofs, and \
         this model's proofs hide {}: a GPU proof could leak them. Prove on the CPU \
         (--device auto or --device cpu), or compile with public inputs and fixed parameters",
        crate::backend::hidden(visibility)
    )]
    CudaNotZeroKnowledge {
        /// The model's visibility.
        visibility: circuits::visibility::Visibilities,
    },
    /// `--device cuda` and no CUDA device answers.
    #[error(
        "--device cuda: no usable CUDA device: {reason}. Check `nvidia-smi`, that the NVIDIA \
         driver supports CUDA 13 (driver 580 or newer) and CUDA_VISIBLE_DEVICES, or prove with \
         --device auto or --device cpu"
    )]
    CudaUnavailable {
        /// What the CUDA runtime said.
        reason: String,
    },
    /// The GPU ran out of memory while proving with `--device cuda`.
    #[error(
        "the GPU ran out of memory proving this circuit (2^{k} rows): {detail}. Use \
         --device auto to fall back to the CPU, free the GPU, or use one with more memory"
    )]
    CudaOutOfMemory {
        /// The circuit's k.
        k: u32,
        /// What the GPU prover reported.
        detail: String,
    },
    /// The CUDA prover failed with `--device cuda` (a driver or kernel error, or a proof
    /// that its own check rejected).
    #[error("the CUDA prover failed: {detail}; --device auto falls back to the CPU")]
    Cuda {
        /// What failed.
        detail: String,
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
        ProverError::halo2(format!("{during} panicked: {}", panic_message(&*payload)))
    })
}

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
