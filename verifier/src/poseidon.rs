//! Verification with the Poseidon transcript (snark-verifier's `PoseidonTranscript`), the one
//! an aggregation circuit recomputes in-circuit: split proving's segment proofs use it so
//! that one aggregation proof can verify them all.
//!
//! The sponge parameters are snark-verifier-sdk 0.2.7's (`T = 3`, `RATE = 2`, 8 full and 57
//! partial rounds), which its `AggregationCircuit` uses; a segment proof made with other
//! parameters could not be aggregated. Proof items are encoded as with Blake2b (32-byte
//! compressed points, 32-byte little-endian scalars).

use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::halo2::ChallengeScalar;

/// Poseidon sponge width (snark-verifier-sdk's `T`).
pub const T: usize = 3;
/// Poseidon sponge rate (snark-verifier-sdk's `RATE`).
pub const RATE: usize = 2;
/// Full rounds (snark-verifier-sdk's `R_F`).
pub const R_F: usize = 8;
/// Partial rounds (snark-verifier-sdk's `R_P`).
pub const R_P: usize = 57;

/// The native Poseidon transcript over stream `S` (a reader to verify, a `Vec<u8>` to
/// prove), with the aggregation circuit's sponge.
pub type PoseidonTranscript<S> =
    snark_verifier::system::halo2::transcript::halo2::PoseidonTranscript<
        G1Affine,
        NativeLoader,
        S,
        T,
        RATE,
        R_F,
        R_P,
    >;

/// The challenge type of [`PoseidonTranscript`].
pub type PoseidonChallenge = ChallengeScalar<G1Affine>;
