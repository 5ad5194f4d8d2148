//! EVM verification for zkinfer proofs. (module docs to come)

pub mod codegen;
pub mod error;

pub use codegen::{generate_verifier, GeneratedVerifier, SOLC_VERSION, VERIFIER_CONTRACT};
pub use error::{Result, SolidityError};
pub mod solc;
