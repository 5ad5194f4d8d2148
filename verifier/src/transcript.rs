//! Which Fiat–Shamir transcript a proof was made with.

use serde::{Deserialize, Serialize};

/// The hash a proof's Fiat–Shamir transcript uses. Prover and verifier must agree; proof
/// artifacts record it by [`TranscriptKind::name`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TranscriptKind {
    /// Blake2b with 255-bit challenges: halo2's default, fastest for native verification.
    /// (An EVM verifier will add a Keccak256 variant; matches on this enum are exhaustive
    /// on purpose, so that every prover/verifier path must handle it.)
    #[default]
    Blake2b,
}

impl TranscriptKind {
    /// Every supported transcript.
    pub const ALL: &'static [TranscriptKind] = &[TranscriptKind::Blake2b];

    /// The name stored in artifacts (`"blake2b"`).
    pub fn name(self) -> &'static str {
        match self {
            TranscriptKind::Blake2b => "blake2b",
        }
    }

    /// The transcript called `name`, if supported.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }
}

impl std::fmt::Display for TranscriptKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
