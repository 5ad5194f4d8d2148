//! zkinfer: verifiable ONNX inference. A model is compiled to a halo2 circuit over BN254;
//! a proof (KZG commitments, SHPLONK openings) shows that the committed model maps an input
//! to an output (each public, private or hashed), and anyone holding the model's verifying
//! key checks it natively.
//!
//! This facade is what a backend embeds. Each step works on a model directory:
//!
//! | step | reads | writes |
//! | --- | --- | --- |
//! | [`compile()`] + [`Compiled::save`] | the ONNX file, calibration samples | `model.onnx`, `settings.json` |
//! | [`setup()`] | `model.onnx`, `settings.json`, an SRS | `pk.bin`, `srs-prover.bin`, `srs-verifier.bin`, `commitment.json`, `vk.bin` |
//! | [`prove()`] / [`prove_with_model()`] | all of the above (and another weight file) | a [`ProofArtifact`] (save it as `proof.json`) |
//! | [`verify()`] / [`verify_with()`] / [`verify_expecting()`] | `vk.bin`, `srs-verifier.bin`, `commitment.json`, the artifact | nothing |
//! | [`commit()`] | the directory, a weight file | nothing: the model commitment |
//!
//! What a proof reveals is chosen at compile time ([`CompileOptions::visibility`], see
//! [`circuits::visibility`]): inputs and outputs public, private or hashed, parameters
//! fixed, private, hashed or committed. A proof is bound to a model commitment
//! ([`commitment`]): sha256 of `vk.bin` for fixed parameters, the parameters' Poseidon hash
//! for hashed ones, the digest of the weight columns' KZG commitments for committed ones,
//! so with hashed or committed parameters one key directory serves every model of the
//! architecture and each proof verifies only against its own weights' commitment. Every
//! proof artifact records the digest of the key it was made for. The key also carries what
//! the public instances mean ([`statement`]), so a verifier needs only `vk.bin`, the
//! 213-byte `srs-verifier.bin` and the expected commitment. Formats: `settings.json`
//! in [`settings`], `proof.json` in [`artifacts`], `commitment.json` in [`commitment`], the
//! binary key files in the `verifier` and `prover` crates. Every file is written atomically.
//!
//! For on-chain verification, compile with [`CompileOptions::evm`] (or [`Layout::Evm`]): the
//! planner ([`circuits::halo2::plan_evm`]) chooses the layout with the lowest predicted
//! verify gas plus weighted prove time ([`Compiled::evm_plan`], [`Settings::evm`]), inputs
//! and outputs whose visibility was left open ([`CompileOptions::auto_visibility`]) and that
//! have more values than a few become hashed, so the gas does not grow with them
//! ([`Compiled::auto_hashed`]), and [`prove()`] uses the Keccak transcript the generated
//! Solidity verifier recomputes ([`default_transcript`]).
//!
//! Keys made with the insecure local SRS ([`SrsSource::Local`]; its secret is public, anyone
//! can forge proofs for them) are marked in `vk.bin` and reported by
//! [`SetupReport::insecure_srs`] and [`ProofArtifact::insecure_srs`]; [`verify()`] refuses
//! them, [`verify_with()`] with [`VerifyOptions::allow_insecure_srs`] accepts them.
//!
//! ```
//! # fn main() -> Result<(), zkinfer::Error> {
//! use std::path::Path;
//! use zkinfer::{
//!     compile, prove, setup, verify, verify_with, CompileOptions, Compiled, Samples, SrsSource,
//!     VerifyOptions,
//! };
//!
//! let root = Path::new(env!("CARGO_MANIFEST_DIR"));
//! let example = root.join("examples/digits_mlp16");
//! let dir = std::env::temp_dir().join(format!("zkinfer-doc-{}", std::process::id()));
//!
//! // Import, calibrate on the sample input, plan the circuit, save to `dir`.
//! let samples = Samples::Files(vec![example.join("input.json")]);
//! let compiled = compile(&example.join("network.onnx"), &samples, &CompileOptions::default())?;
//! compiled.save(&dir)?;
//!
//! // Keys, with an insecure local SRS (tests and demos only).
//! let cache_dir = root.join("target/test-srs-cache");
//! let report = setup(&dir, &SrsSource::Local { cache_dir })?;
//! // Fixed parameters (the default): the commitment is the sha256 of vk.bin.
//! if let Some(c) = &report.commitment {
//!     println!("model commitment {} (k = {})", c.value, report.k);
//! }
//!
//! // Prove on an input, then verify the artifact. `verify` refuses keys made with the
//! // insecure local SRS; tests and demos allow them explicitly.
//! let input = onnx_import::input_file::read_inputs(&example.join("input.json"), &compiled.graph)?;
//! let artifact = prove(&dir, &input)?;
//! assert!(report.insecure_srs && artifact.insecure_srs);
//! assert!(verify(&dir, &artifact).is_err());
//! verify_with(&dir, &artifact, &VerifyOptions { allow_insecure_srs: true })?;
//! let logits = &artifact.outputs["output"].data;
//! assert_eq!(logits.len(), 10);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! ```

pub mod artifacts;
pub mod commitment;
pub mod compile;
pub mod cost;
pub mod error;
pub mod pipeline;
pub mod provenance;
pub mod settings;
pub mod split;
pub mod statement;
pub mod verify;

pub use artifacts::{Hashes, ProofArtifact, PROOF_FORMAT, PROOF_VERSION};
pub use circuits::halo2::{EvmCandidate, EvmOptions, EvmPlan, Layout};
pub use circuits::visibility::{ParamVisibility, Visibilities, Visibility};
pub use commitment::{commit, CommitmentKind, ModelCommitment};
pub use compile::{compile, AutoHashed, AutoVisibility, CompileOptions, Compiled, Part, Samples};
pub use error::{Error, Result};
pub use pipeline::{
    default_transcript, prove, prove_with, prove_with_model, setup, setup_with, Proved,
    SetupReport, SrsSource,
};
pub use prover::{Backend, CpuFallback, Device, ProveOptions, ProvedOn, Stage};
pub use settings::{EvmTarget, Settings, TensorSpec, SETTINGS_FORMAT, SETTINGS_VERSION};
pub use statement::Statement;
pub use verifier::{TranscriptKind, VerifierKey};
pub use verify::{
    verify, verify_expecting, verify_with, verify_with_key, verify_with_key_expecting, Expected,
    Verified, VerifyOptions,
};

// Every key the planners can produce must read back in the verifier.
const _: () = assert!(circuits::halo2::MEMORY_MAX_ADVICE <= verifier::key::MAX_COLUMNS);

/// Names of the files in a model directory.
pub mod files {
    /// Compile settings (JSON, see [`crate::settings`]).
    pub const SETTINGS: &str = "settings.json";
    /// A copy of the ONNX model.
    pub const MODEL: &str = "model.onnx";
    /// The proving key and its break points (binary, see `prover::keys`).
    pub const PK: &str = "pk.bin";
    /// The verifying key (binary, see `verifier::key`); its sha256 is the model commitment
    /// when parameters are fixed.
    pub const VK: &str = "vk.bin";
    /// The model commitment of the model `setup` was run on (JSON, see
    /// [`crate::commitment`]); absent for private parameters.
    pub const COMMITMENT: &str = "commitment.json";
    /// The verifier's KZG parameters (binary, 213 bytes, see `verifier::params`).
    pub const SRS_VERIFIER: &str = "srs-verifier.bin";
    /// The prover's KZG parameters, exactly `2^k` powers (halo2's parameter format).
    pub const SRS_PROVER: &str = "srs-prover.bin";
}
