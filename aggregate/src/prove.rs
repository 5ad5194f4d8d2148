//! The aggregation proof: every input checked natively first (cheap), then the
//! `AggregationCircuit` witness and one SHPLONK proof with the Keccak transcript, which the
//! native verifier and the generated Solidity verifier both check.

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::{create_proof, verify_proof, ProvingKey, VerifyingKey};
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_base::halo2_proofs::transcript::TranscriptWriterBuffer;
use rand::RngCore;
use snark_verifier_sdk::halo2::{PoseidonTranscript, POSEIDON_SPEC};
use snark_verifier_sdk::snark_verifier::loader::native::NativeLoader;
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::evm::{
    ChallengeEvm, EvmTranscript,
};
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::halo2::ChallengeScalar;
use verifier::TranscriptKind;

use crate::circuit::{build, light_params, snarks};
use crate::config::{vk_fingerprint, AggregationConfig, SegmentKey, SegmentProof, Wiring};
use crate::error::{catch, AggregateError, Result};
use crate::ACCUMULATOR_LIMBS;

/// The Keccak (EVM) transcript writing the aggregation proof.
type EvmWriter = EvmTranscript<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>;

/// The checks [`prove`] runs before any proving, in this order, each failing with its named
/// error: `params` has the key's `k` ([`AggregateError::Params`]); as many segment keys and
/// proofs as the key was made for ([`AggregateError::SegmentCount`]); the key's wiring
/// ([`AggregateError::WiringMismatch`]); the key's segment keys and instance counts
/// ([`AggregateError::SegmentKeyMismatch`]); each proof's instance count
/// ([`AggregateError::InstanceCount`]); every link's two values equal
/// ([`AggregateError::LinkMismatch`]); every segment proof valid (halo2's SHPLONK verifier
/// with the Poseidon transcript, against its key and the SRS of `params`, no trailing bytes;
/// [`AggregateError::SegmentProofInvalid`]). Milliseconds per segment.
pub fn check_inputs(
    params: &ParamsKZG<Bn256>,
    config: &AggregationConfig,
    segments: &[SegmentKey<'_>],
    wiring: &Wiring,
    proofs: &[SegmentProof],
) -> Result<()> {
    if params.k() != config.k {
        return Err(AggregateError::Params {
            detail: format!(
                "the parameters have k = {} but the aggregation key k = {}",
                params.k(),
                config.k
            ),
        });
    }
    let st = &config.statement;
    let expected = st.segment_instances.len();
    for found in [segments.len(), proofs.len()] {
        if found != expected {
            return Err(AggregateError::SegmentCount { expected, found });
        }
    }
    if *wiring != st.wiring {
        return Err(AggregateError::WiringMismatch);
    }
    for (segment, ((key, proof), (&n, fingerprint))) in segments
        .iter()
        .zip(proofs)
        .zip(st.segment_instances.iter().zip(&st.segment_vks))
        .enumerate()
    {
        if key.num_instances != n || vk_fingerprint(key.vk) != *fingerprint {
            return Err(AggregateError::SegmentKeyMismatch { segment });
        }
        if proof.instances.len() != n {
            return Err(AggregateError::InstanceCount {
                segment,
                expected: n,
                found: proof.instances.len(),
            });
        }
    }
    let value = |r: &crate::InstanceRef| proofs.get(r.segment)?.instances.get(r.index).copied();
    for (a, b) in &wiring.links {
        match (value(a), value(b)) {
            (Some(x), Some(y)) if x == y => {}
            _ => {
                return Err(AggregateError::LinkMismatch {
                    from: a.pair(),
                    to: b.pair(),
                })
            }
        }
    }
    for (segment, (key, proof)) in segments.iter().zip(proofs).enumerate() {
        verify_segment(params, key.vk, proof)
            .map_err(|reason| AggregateError::SegmentProofInvalid { segment, reason })?;
    }
    Ok(())
}

/// Checks one segment proof natively: SHPLONK, the SDK's Poseidon transcript, against `vk`
/// and the `g2`, `s·g2` of `params` (the aggregation's SRS), with no trailing bytes.
fn verify_segment(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &SegmentProof,
) -> std::result::Result<(), String> {
    let light = light_params(params, vk.get_domain().k())?;
    let outcome = catch("verifying the segment proof", || {
        let mut rest = proof.proof.as_slice();
        let res = {
            let mut t = PoseidonTranscript::<NativeLoader, &mut &[u8]>::from_spec(
                &mut rest,
                POSEIDON_SPEC.clone(),
            );
            verify_proof::<
                KZGCommitmentScheme<Bn256>,
                VerifierSHPLONK<'_, Bn256>,
                ChallengeScalar<G1Affine>,
                _,
                SingleStrategy<'_, Bn256>,
            >(
                &light,
                vk,
                SingleStrategy::new(&light),
                &[&[proof.instances.as_slice()]],
                &mut t,
            )
        };
        res.map(|()| rest.len())
    })?;
    match outcome {
        Ok(0) => Ok(()),
        Ok(left) => Err(format!("{left} trailing bytes after the proof")),
        Err(e) => Err(format!("halo2: {e}")),
    }
}

/// Proves that every segment proof verifies against its key and that the wiring's links
/// hold, exposing the wiring's public instances. Returns the proof (SHPLONK, Keccak
/// transcript: the native verifier with `TranscriptKind::Keccak` and the Solidity verifier
/// both check it) and its instances: the [`ACCUMULATOR_LIMBS`] accumulator limbs, then the
/// values of `wiring.public`.
///
/// `params` is the aggregation SRS of `config.k`, `pk` and `config` come from
/// [`crate::keygen`] with the same segments and wiring. [`check_inputs`] runs first, so bad
/// inputs fail fast with a named error; the fresh proof is verified (and its accumulator
/// decided) before it is returned. The blinding comes from `rng`.
#[allow(clippy::too_many_arguments)]
pub fn prove(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    config: &AggregationConfig,
    segments: &[SegmentKey<'_>],
    wiring: &Wiring,
    proofs: &[SegmentProof],
    rng: impl RngCore,
) -> Result<(Vec<u8>, Vec<Fr>)> {
    check_inputs(params, config, segments, wiring, proofs)?;
    let fail = |detail: String| AggregateError::Prove { detail };
    let snarks = snarks(params, segments, proofs).map_err(fail)?;
    let mut agg = build(
        CircuitBuilderStage::Prover,
        config.sdk_params(),
        params,
        snarks,
        wiring,
    )
    .map_err(fail)?;
    agg.set_break_points(config.break_points.clone());
    let instances: Vec<Fr> = agg
        .builder
        .assigned_instances
        .first()
        .map(|col| col.iter().map(|v| *v.value()).collect())
        .unwrap_or_default();
    if instances.len() != config.num_instances() {
        return Err(fail(format!(
            "the circuit exposes {} instances, the key expects {}",
            instances.len(),
            config.num_instances()
        )));
    }
    let proof = catch("proving", || {
        let mut transcript = EvmWriter::init(Vec::new());
        create_proof::<
            KZGCommitmentScheme<Bn256>,
            ProverSHPLONK<'_, Bn256>,
            ChallengeEvm<G1Affine>,
            _,
            _,
            _,
        >(
            params,
            pk,
            &[agg],
            &[&[instances.as_slice()]],
            rng,
            &mut transcript,
        )
        .map(|()| transcript.finalize())
    })
    .map_err(fail)?
    .map_err(|e| fail(format!("halo2: {e}")))?;
    let light = light_params(params, config.k).map_err(fail)?;
    verifier::verify_halo2_proof(
        &light,
        pk.get_vk(),
        TranscriptKind::Keccak,
        &proof,
        &instances,
    )
    .map_err(|e| fail(format!("the fresh proof does not verify: {e}")))?;
    verifier::accumulator::decide(&light, &instances[..ACCUMULATOR_LIMBS])
        .map_err(|e| fail(format!("the fresh proof's accumulator: {e}")))?;
    Ok((proof, instances))
}
