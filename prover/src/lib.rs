//! zkinfer's prover: structured reference strings ([`srs`]), key generation and key files
//! ([`keys`]), and witness generation plus SHPLONK/KZG proving ([`mod@prove`]) on the CPU or,
//! with the `cuda` feature, a GPU ([`backend`]).
//!
//! The circuit comes from the `circuits` crate; the verifying-key and verifier-parameter
//! formats come from the `verifier` crate, so prover and verifier share one definition.
//! Every file is written atomically ([`fsutil::atomic_write`]).

pub mod backend;
pub mod committed;
pub mod error;
pub mod fsutil;
pub mod keys;
pub mod prove;
pub mod srs;

pub use backend::{Backend, CpuFallback, Device, ProvedOn};
pub use error::{ProverError, Result};
pub use keys::{
    num_instances, read_proving_key, setup, verifier_files, vk_digest, write_proving_key, Keys,
    VerifierFiles,
};
pub use prove::{prove, Proof, ProveOptions};
pub use srs::{load_srs, local_srs, local_srs_secret, save_srs, Srs};
pub use verifier::TranscriptKind;

/// A step of key generation or proving, reported to a progress callback when it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Generating the verifying key (commits to the fixed columns: the model's weights).
    KeygenVk,
    /// Generating the proving key.
    KeygenPk,
    /// Laying out the circuit with the actual inputs (witness generation).
    Witness,
    /// Computing the proof on the CPU.
    Proof,
    /// Computing the proof on the GPU (CUDA backend).
    ProofCuda,
    /// Verifying the new proof before returning it.
    SelfCheck,
}

impl Stage {
    /// A short human-readable label.
    pub fn label(self) -> &'static str {
        match self {
            Stage::KeygenVk => "generating verifying key",
            Stage::KeygenPk => "generating proving key",
            Stage::Witness => "generating witness",
            Stage::Proof => "proving",
            Stage::ProofCuda => "proving on the GPU (CUDA)",
            Stage::SelfCheck => "checking proof",
        }
    }
}

/// A progress callback that ignores every stage.
pub fn no_progress(_: Stage) {}
