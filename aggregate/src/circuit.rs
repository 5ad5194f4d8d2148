//! Building the aggregation circuit: snark-verifier-sdk's `AggregationCircuit` over the
//! segment snarks, plus the wiring (copy constraints between segment instances, and the
//! segment instances it exposes after the accumulator).

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_base::halo2_proofs::plonk::VerifyingKey;
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand::rngs::StdRng;
use rand::SeedableRng;
use snark_verifier_sdk::halo2::aggregation::{
    AggregationCircuit, AggregationConfigParams, VerifierUniversality,
};
use snark_verifier_sdk::halo2::gen_dummy_snark_from_vk;
use snark_verifier_sdk::snark_verifier::system::halo2::{compile, Config};
use snark_verifier_sdk::{Snark, SHPLONK};

use crate::config::{SegmentKey, SegmentProof, Wiring};
use crate::error::catch;

/// Rows at the bottom of the aggregation circuit left to halo2's blinding factors.
pub(crate) const MINIMUM_ROWS: usize = 20;

/// The parameters that describe a `2^k`-row circuit to snark-verifier and halo2's KZG
/// verifier for the same SRS as `params`: only `g[0]`, `g2` and `s·g2` (no other powers, no
/// Lagrange bases; neither `compile` nor SHPLONK verification reads them).
pub(crate) fn light_params(params: &ParamsKZG<Bn256>, k: u32) -> Result<ParamsKZG<Bn256>, String> {
    let g0 = *params
        .get_g()
        .first()
        .ok_or_else(|| "the parameters hold no G1 point".to_string())?;
    Ok(params.from_parts(k, vec![g0], Some(Vec::new()), params.g2(), params.s_g2()))
}

/// Tiny parameters whose `g[0]` is the G1 generator, as in every KZG SRS: all that building
/// the aggregation circuit reads from an SRS (planning needs no real one).
pub(crate) fn planning_params() -> ParamsKZG<Bn256> {
    ParamsKZG::<Bn256>::setup(1, StdRng::seed_from_u64(0))
}

/// The segment's `k` (its circuit has `2^k` rows).
fn segment_k(vk: &VerifyingKey<G1Affine>) -> u32 {
    vk.get_domain().k()
}

/// Placeholder snarks of the segments' shapes (their proofs do not verify): key generation
/// lays the circuit out from them, before any segment is proved.
pub(crate) fn dummy_snarks(
    params: &ParamsKZG<Bn256>,
    segments: &[SegmentKey<'_>],
) -> Result<Vec<Snark>, String> {
    segments
        .iter()
        .map(|s| {
            let light = light_params(params, segment_k(s.vk))?;
            catch("shaping a placeholder segment proof", || {
                gen_dummy_snark_from_vk::<SHPLONK>(&light, s.vk, vec![s.num_instances], None)
            })
        })
        .collect()
}

/// The segment proofs as snark-verifier snarks (their protocols compiled from the keys).
pub(crate) fn snarks(
    params: &ParamsKZG<Bn256>,
    segments: &[SegmentKey<'_>],
    proofs: &[SegmentProof],
) -> Result<Vec<Snark>, String> {
    segments
        .iter()
        .zip(proofs)
        .map(|(s, p)| {
            let light = light_params(params, segment_k(s.vk))?;
            let protocol = catch("compiling a segment key", || {
                compile(
                    &light,
                    s.vk,
                    Config::kzg().with_num_instance(vec![s.num_instances]),
                )
            })?;
            Ok(Snark::new(
                protocol,
                vec![p.instances.clone()],
                p.proof.clone(),
            ))
        })
        .collect()
}

/// The aggregation circuit over `snarks` (SHPLONK, segment keys as constants) with the
/// wiring: for each link `(a, b)` the copy constraint
///
/// ```text
///   instance[a.segment][a.index] = instance[b.segment][b.index]
/// ```
///
/// between the segment instances the circuit loads as witnesses, and each public reference
/// appended to the instance column after the accumulator limbs (copy constraints to the
/// instance column). The wiring must have been checked against the segments
/// ([`crate::config::Statement::new`]); an out-of-range reference is an error, not a panic.
pub(crate) fn build(
    stage: CircuitBuilderStage,
    sdk_params: AggregationConfigParams,
    params: &ParamsKZG<Bn256>,
    snarks: Vec<Snark>,
    wiring: &Wiring,
) -> Result<AggregationCircuit, String> {
    let mut agg = catch("building the aggregation circuit", || {
        AggregationCircuit::new::<SHPLONK>(
            stage,
            sdk_params,
            params,
            snarks,
            VerifierUniversality::None,
        )
    })?;
    let prev = agg.previous_instances().clone();
    let cell = |segment: usize, index: usize| {
        prev.get(segment)
            .and_then(|s| s.get(index))
            .copied()
            .ok_or_else(|| format!("no instance {index} of segment {segment} in the circuit"))
    };
    for (a, b) in &wiring.links {
        let (x, y) = (cell(a.segment, a.index)?, cell(b.segment, b.index)?);
        // x = y (copy constraint).
        agg.builder.main(0).constrain_equal(&x, &y);
    }
    let mut public = Vec::with_capacity(wiring.public.len());
    for r in &wiring.public {
        public.push(cell(r.segment, r.index)?);
    }
    // instance[12 + i] = public[i] (copy constraints to the instance column).
    agg.builder
        .assigned_instances
        .first_mut()
        .ok_or_else(|| "the aggregation circuit has no instance column".to_string())?
        .extend(public);
    Ok(agg)
}
