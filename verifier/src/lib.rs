//! zkinfer's native verifier: checks a SHPLONK/KZG proof over BN254 that a committed model
//! produced some public outputs from some public inputs.
//!
//! It depends only on halo2-base (for halo2 and the circuit's column layout), never on the
//! model, the prover or the ONNX importer: everything it needs is in two files written at
//! setup, `vk.bin` (see [`key`]) and `srs-verifier.bin` (see [`params`]), both wrapped in
//! the header described in [`container`].
//!
//! ```no_run
//! # fn main() -> Result<(), verifier::VerifyError> {
//! use verifier::{instances_from_hex, TranscriptKind, VerifierKey};
//! # let (vk_bytes, params_bytes, proof, hex): (Vec<u8>, Vec<u8>, Vec<u8>, Vec<String>) = Default::default();
//! let key = VerifierKey::from_bytes(&vk_bytes, &params_bytes)?;
//! let instances = instances_from_hex(&hex)?;
//! key.verify(TranscriptKind::Blake2b, &proof, &instances)?;
//! # Ok(()) }
//! ```
//!
//! Keys made with zkinfer's insecure local SRS (its secret is public: anyone can forge
//! proofs) are refused by [`VerifierKey::from_bytes`] with [`VerifyError::InsecureSrs`];
//! tests and demos accept them explicitly:
//!
//! ```no_run
//! # fn main() -> Result<(), verifier::VerifyError> {
//! use verifier::{KeyOptions, VerifierKey};
//! # let (vk_bytes, params_bytes): (Vec<u8>, Vec<u8>) = Default::default();
//! let options = KeyOptions { allow_insecure_srs: true };
//! let key = VerifierKey::from_bytes_with(&vk_bytes, &params_bytes, &options)?;
//! if key.is_insecure_srs() {
//!     eprintln!("INSECURE SRS: anyone can forge proofs for this key");
//! }
//! # Ok(()) }
//! ```
//!
//! Every function is deterministic and returns a [`VerifyError`] rather than panicking on
//! malformed bytes: headers, lengths and counts are validated before halo2 sees the data,
//! and halo2 calls run under `catch_unwind` as a last line of defence. Verification takes
//! time and memory proportional to `2^k` (halo2 commits to the instance column over the
//! whole domain).

pub mod accumulator;
pub mod committed;
pub mod container;
pub mod error;
pub mod instances;
mod keccak;
pub mod key;
pub mod params;
pub mod poseidon;
pub mod transcript;

pub use error::VerifyError;
pub use instances::{instance_from_hex, instance_to_hex, instances_from_hex, instances_to_hex};
pub use key::{
    encode_verifying_key, srs_origin, verify_halo2_proof, vk_digest, KeyOptions, SrsOrigin,
    VerifierKey, VK_FORMAT_VERSION,
};
pub use params::{
    encode_verifier_params, is_insecure_local_srs, INSECURE_LOCAL_S_G2, MAX_K,
    PARAMS_FORMAT_VERSION,
};
pub use transcript::TranscriptKind;

/// Re-exports of the halo2 types that appear in this crate's API.
pub mod halo2 {
    pub use halo2_base::gates::circuit::BaseCircuitParams;
    pub use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
    pub use halo2_base::halo2_proofs::plonk::VerifyingKey;
    pub use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
}
