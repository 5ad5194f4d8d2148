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
    /// The key was made with zkinfer's insecure local SRS, whose secret is public: anyone
    /// can forge proofs for it. Refused unless the caller allows it explicitly
    /// ([`crate::KeyOptions::allow_insecure_srs`]).
    #[error(
        "the verifying key was made with an INSECURE SRS ({how}): its secret is public, so \
         anyone can forge proofs for it; run `setup` with --srs CEREMONY_FILE, or pass \
         --allow-insecure-srs for tests and demos"
    )]
    InsecureSrs {
        /// How it was recognized: the key's own marker or the known `s·g2` in the parameters.
        how: &'static str,
    },
    /// The key's instance count is not the number of public cells its circuit constrains,
    /// so the statement it checks is not the one its circuit binds.
    #[error(
        "bad verifying key: it declares {num_instances} public instances but its circuit \
         constrains {public_rows} public cells; re-run `setup` to regenerate vk.bin"
    )]
    PublicRows {
        /// Instance count recorded in the key.
        num_instances: usize,
        /// Public cells recorded in the circuit configuration.
        public_rows: usize,
    },
    /// A committed column index is not a phase-0 advice column of the circuit.
    #[error(
        "committed column {column} does not exist: the circuit has {num_advice} advice columns"
    )]
    CommittedColumn {
        /// The requested column.
        column: usize,
        /// Phase-0 advice columns of the circuit.
        num_advice: usize,
    },
    /// Committed columns are located by their position among the proof's phase-0 advice
    /// commitments, which only a single-phase circuit lays out in column order.
    #[error(
        "the key's circuit has advice columns in {phases} phases; committed columns are read \
         only from single-phase circuits"
    )]
    CommittedMultiPhase {
        /// Phases with advice columns.
        phases: usize,
    },
    /// The proof is too short to hold its advice commitments.
    #[error("malformed proof: its advice commitments need {needed} bytes, the proof has {found}")]
    AdviceCommitmentsTruncated {
        /// Bytes the phase-0 advice commitments take.
        needed: usize,
        /// Length of the proof.
        found: usize,
    },
    /// An advice commitment in the proof is not a valid, canonically encoded point.
    #[error("malformed proof: the commitment of advice column {column}: {defect}")]
    BadAdviceCommitment {
        /// The advice column.
        column: usize,
        /// What is wrong with its encoding.
        defect: &'static str,
    },
    /// The first instances of an aggregation proof are not a well-formed KZG accumulator
    /// (see [`crate::accumulator`]).
    #[error("malformed KZG accumulator: {reason}")]
    BadAccumulator {
        /// What is wrong with it.
        reason: String,
    },
    /// The aggregation proof's KZG accumulator fails its pairing check: the proofs it
    /// aggregates are not valid.
    #[error(
        "proof rejected: its KZG accumulator fails the pairing check (the aggregated proofs \
         are not valid)"
    )]
    AccumulatorRejected,
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
