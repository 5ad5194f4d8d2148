//! Verification with the Keccak256 transcript (snark-verifier's `EvmTranscript`), the one
//! the generated Solidity verifier recomputes on chain.

use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;

/// The Keccak transcript reading a proof from a byte slice.
///
/// Every item is read canonically: scalars must be below the scalar modulus, point
/// coordinates below the base modulus and on the curve (the identity is rejected), so
/// each proof has exactly one byte encoding.
pub(crate) type KeccakReader<'a, 'b> =
    EvmTranscript<G1Affine, NativeLoader, &'a mut &'b [u8], Vec<u8>>;
