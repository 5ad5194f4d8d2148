//! The CPU backend: halo2-axiom's SHPLONK prover on every core (the default).

use circuits::halo2::ModelCircuit;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::{create_proof, ProvingKey};
use halo2_base::halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_base::halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_base::halo2_proofs::transcript::{EncodedChallenge, TranscriptWriterBuffer};
use rand_chacha::rand_core::RngCore;

use crate::error::{guard, ProverError, Result};
use crate::srs::Srs;

/// One SHPLONK proof over the transcript `T` (Blake2b natively, Keccak for the EVM).
pub(crate) fn create<E, T>(
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    circuit: &[ModelCircuit],
    instances: &[Fr],
    rng: Box<dyn RngCore>,
    mut transcript: T,
) -> Result<Vec<u8>>
where
    E: EncodedChallenge<G1Affine>,
    T: TranscriptWriterBuffer<Vec<u8>, G1Affine, E>,
{
    guard("proving", || {
        create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, E, _, T, _>(
            srs,
            pk,
            circuit,
            &[&[instances]],
            rng,
            &mut transcript,
        )
        .map(|()| transcript.finalize())
    })?
    .map_err(|e| ProverError::halo2(format!("proof generation failed: {e}")))
}
