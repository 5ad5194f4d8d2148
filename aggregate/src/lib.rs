//! zkinfer's aggregation: one proof that `N` segment proofs verify and chain.
//!
//! A model split into segments is proved segment by segment (each a normal model circuit
//! whose boundary tensors are hashed: the hash a segment outputs is the one the next takes
//! in), each proof SHPLONK/KZG with snark-verifier-sdk's Poseidon transcript. The
//! aggregation circuit (snark-verifier-sdk's `AggregationCircuit`, SHPLONK) verifies every
//! segment proof up to the final pairing, constrains the [`Wiring`]'s links equal and exposes
//! its public instances. Its proof uses the Keccak transcript, so one proof serves the
//! native verifier (`verifier::VerifierKey::verify` with `TranscriptKind::Keccak`) and the
//! generated Solidity verifier.
//!
//! The aggregation proof's instances are [`ACCUMULATOR_LIMBS`] limbs of a KZG accumulator
//! (`lhs.x, lhs.y, rhs.x, rhs.y`, each 3 little-endian limbs of 88 bits), then the values of
//! [`Wiring::public`]. A verifier accepts only if the proof verifies **and** the accumulator
//! passes the pairing check `e(lhs, g2) = e(rhs, s·g2)` (`verifier::accumulator::decide`):
//! the segment proofs' own pairings are deferred into it.
//!
//! Steps: [`plan`] chooses `k` from the segment keys (no SRS needed), [`keygen`] makes the
//! proving key and [`AggregationConfig`] (saved as JSON) from the segment keys alone, so
//! setup runs before any segment is proved; [`prove`] checks every input natively
//! ([`check_inputs`]: counts, wiring, links, each segment proof) before the expensive
//! proving, so bad inputs fail fast with a named [`AggregateError`]. [`circuit_params`] is
//! the configuration to store in the aggregation's `vk.bin`.
//!
//! Cost (measured on 2 cores): about 29 s and 0.55 GiB per million aggregation cells, each
//! segment costing about `1.6M + 0.42M × (its advice + lookup-advice columns)` cells
//! ([`cost::predict`]).

mod circuit;
pub mod config;
pub mod cost;
pub mod error;
pub mod keygen;
pub mod pk;
pub mod prove;

pub use config::{
    circuit_params, vk_fingerprint, AggregationConfig, InstanceRef, SegmentKey, SegmentProof,
    Statement, Wiring,
};
pub use cost::{predict, AggregationCost};
pub use error::{AggregateError, Result};
pub use keygen::{keygen, plan, Plan, MAX_ADVICE_COLUMNS, MAX_K, MIN_K, TARGET_ADVICE_COLUMNS};
pub use pk::{read_proving_key, write_proving_key, PK_FORMAT_VERSION};
pub use prove::{check_inputs, prove};

/// Instances the accumulator takes at the start of the aggregation proof's instance column:
/// 4 coordinates × 3 limbs of 88 bits.
pub const ACCUMULATOR_LIMBS: usize = 12;

/// Where the accumulator lives, as snark-verifier's `accumulator_indices`: instance column
/// 0, rows `0..ACCUMULATOR_LIMBS` (what `AggregationCircuit::accumulator_indices` returns).
pub fn accumulator_indices() -> Vec<(usize, usize)> {
    (0..ACCUMULATOR_LIMBS).map(|row| (0, row)).collect()
}
