//! Which Fiat–Shamir transcript a proof was made with.

use serde::{Deserialize, Serialize};

/// The hash a proof's Fiat–Shamir transcript uses. Prover and verifier must agree; proof
/// artifacts record it by [`TranscriptKind::name`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TranscriptKind {
    /// Blake2b with 255-bit challenges: halo2's default, fastest for native verification.
    /// (Matches on this enum are exhaustive on purpose, so that every prover/verifier path
    /// must handle each variant.)
    #[default]
    Blake2b,
    /// Keccak256, as snark-verifier's `EvmTranscript`: what the generated Solidity verifier
    /// recomputes on chain. Proof items are big-endian: 32-byte scalars and 64-byte
    /// uncompressed points (`x || y`), so EVM proofs are longer than Blake2b ones.
    /// Named `"keccak"`; `"evm"` is accepted as an alias.
    #[serde(alias = "evm")]
    Keccak,
    /// Poseidon over BN254's scalar field, as snark-verifier's `PoseidonTranscript` with
    /// snark-verifier-sdk's sponge ([`crate::poseidon`]): what an aggregation circuit
    /// recomputes in-circuit, so split proving's segment proofs use it. Items are encoded
    /// as with Blake2b. Slower to verify natively than Blake2b; not for the EVM.
    Poseidon,
}

impl TranscriptKind {
    /// Every supported transcript.
    pub const ALL: &'static [TranscriptKind] = &[
        TranscriptKind::Blake2b,
        TranscriptKind::Keccak,
        TranscriptKind::Poseidon,
    ];

    /// The name stored in artifacts (`"blake2b"`, `"keccak"` or `"poseidon"`).
    pub fn name(self) -> &'static str {
        match self {
            TranscriptKind::Blake2b => "blake2b",
            TranscriptKind::Keccak => "keccak",
            TranscriptKind::Poseidon => "poseidon",
        }
    }

    /// The transcript called `name` (or `"evm"`, an alias of `"keccak"`), if supported.
    pub fn from_name(name: &str) -> Option<Self> {
        if name == "evm" {
            return Some(TranscriptKind::Keccak);
        }
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }
}

impl std::fmt::Display for TranscriptKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
