//! Verification with the Keccak256 transcript (snark-verifier's `EvmTranscript`), the one
//! the generated Solidity verifier recomputes on chain.

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::{verify_proof, Error, VerifyingKey};
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_base::halo2_proofs::transcript::TranscriptReadBuffer;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::evm::{ChallengeEvm, EvmTranscript};

use crate::error::{guard, VerifyError};

/// The Keccak transcript reading a proof from a byte slice.
type Reader<'a, 'b> = EvmTranscript<G1Affine, NativeLoader, &'a mut &'b [u8], Vec<u8>>;

/// Runs halo2's SHPLONK verifier over a Keccak-transcript proof. The outer error is a
/// panic inside halo2; the inner result is halo2's verdict with the number of unread bytes.
///
/// Every item is read canonically: scalars must be below the scalar modulus, point
/// coordinates below the base modulus and on the curve (the identity is rejected), so
/// each proof has exactly one byte encoding.
pub(crate) fn verify_keccak(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    instances: &[Fr],
) -> Result<Result<usize, Error>, VerifyError> {
    guard("verifying the proof", || {
        let mut rest = proof;
        let res = {
            let mut t = Reader::init(&mut rest);
            verify_proof::<
                KZGCommitmentScheme<Bn256>,
                VerifierSHPLONK<'_, Bn256>,
                ChallengeEvm<G1Affine>,
                Reader<'_, '_>,
                SingleStrategy<'_, Bn256>,
            >(
                params,
                vk,
                SingleStrategy::new(params),
                &[&[instances]],
                &mut t,
            )
        };
        res.map(|()| rest.len())
    })
}
