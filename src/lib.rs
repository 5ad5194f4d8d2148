//! zkinfer: verifiable ONNX inference. A model is compiled to a halo2 circuit over BN254;
//! a proof (KZG commitments, SHPLONK openings) shows that the committed model maps public
//! inputs to public outputs, and anyone holding the model's verifying key checks it natively.
//!
//! This facade is what a backend embeds. Each step works on a model directory:
//!
//! | step | reads | writes |
//! | --- | --- | --- |
//! | [`compile()`] + [`Compiled::save`] | the ONNX file, calibration samples | `model.onnx`, `settings.json` |
//! | [`setup()`] | `model.onnx`, `settings.json`, an SRS | `pk.bin`, `srs-prover.bin`, `srs-verifier.bin`, `vk.bin` |
//! | [`prove()`] | all of the above | a [`ProofArtifact`] (save it as `proof.json`) |
//! | [`verify()`] / [`verify_with()`] | `vk.bin`, `srs-verifier.bin`, the artifact | nothing |
//!
//! The model commitment is the hex sha256 of `vk.bin` ([`SetupReport::vk_digest`]); every
//! proof artifact records the digest of the key it was made for. The key also carries what
//! the public instances mean ([`statement`]), so a verifier needs only `vk.bin` and the
//! 213-byte `srs-verifier.bin`. Formats: `settings.json`
//! in [`settings`], `proof.json` in [`artifacts`], the binary key files in the `verifier`
//! and `prover` crates. Every file is written atomically.
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
//! println!("model commitment {} (k = {})", report.vk_digest, report.k);
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
pub mod compile;
pub mod cost;
pub mod error;
pub mod pipeline;
pub mod settings;
pub mod statement;

pub use artifacts::{ProofArtifact, PROOF_FORMAT, PROOF_VERSION};
pub use circuits::halo2::Layout;
pub use compile::{compile, CompileOptions, Compiled, Samples};
pub use error::{Error, Result};
pub use pipeline::{
    prove, prove_with, setup, setup_with, verify, verify_with, verify_with_key, SetupReport,
    SrsSource, Verified, VerifyOptions,
};
pub use prover::{ProveOptions, Stage};
pub use settings::{Settings, TensorSpec, SETTINGS_FORMAT, SETTINGS_VERSION};
pub use statement::Statement;
pub use verifier::{TranscriptKind, VerifierKey};

/// Names of the files in a model directory.
pub mod files {
    /// Compile settings (JSON, see [`crate::settings`]).
    pub const SETTINGS: &str = "settings.json";
    /// A copy of the ONNX model.
    pub const MODEL: &str = "model.onnx";
    /// The proving key and its break points (binary, see `prover::keys`).
    pub const PK: &str = "pk.bin";
    /// The verifying key (binary, see `verifier::key`); its sha256 is the model commitment.
    pub const VK: &str = "vk.bin";
    /// The verifier's KZG parameters (binary, 213 bytes, see `verifier::params`).
    pub const SRS_VERIFIER: &str = "srs-verifier.bin";
    /// The prover's KZG parameters, exactly `2^k` powers (halo2's parameter format).
    pub const SRS_PROVER: &str = "srs-prover.bin";
}
