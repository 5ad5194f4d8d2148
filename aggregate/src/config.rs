//! What an aggregation is over (segments, wiring) and the configuration key generation
//! saves for proving.

use circuits::halo2::ModelCircuitParams;
use halo2_base::gates::circuit::BaseCircuitParams;
use halo2_base::halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use halo2_base::halo2_proofs::plonk::VerifyingKey;
use serde::{Deserialize, Serialize};
use snark_verifier_sdk::halo2::aggregation::AggregationConfigParams;

use crate::error::{AggregateError, Result};
use crate::ACCUMULATOR_LIMBS;

/// One public instance of one segment: `instances[index]` of segment `segment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstanceRef {
    /// The segment (position in the segment list).
    pub segment: usize,
    /// The instance's position in that segment's instance column.
    pub index: usize,
}

impl InstanceRef {
    /// `(segment, index)`.
    pub fn pair(self) -> (usize, usize) {
        (self.segment, self.index)
    }
}

/// How the segments' instances are tied together and what the aggregation makes public.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wiring {
    /// Pairs of instances the aggregation circuit constrains equal (`a = b`): e.g. the hash
    /// of the boundary tensor segment `i` outputs and the one segment `i + 1` takes in.
    pub links: Vec<(InstanceRef, InstanceRef)>,
    /// The segment instances the aggregation proof exposes, in this order, after the
    /// [`ACCUMULATOR_LIMBS`] accumulator limbs.
    pub public: Vec<InstanceRef>,
}

/// A segment's verifying key (SHPLONK, Poseidon transcript, one instance column) and its
/// instance count.
#[derive(Clone, Copy, Debug)]
pub struct SegmentKey<'a> {
    /// The segment circuit's verifying key.
    pub vk: &'a VerifyingKey<G1Affine>,
    /// Public instances of the segment (its single instance column).
    pub num_instances: usize,
}

/// A segment proof: SHPLONK with snark-verifier-sdk's Poseidon transcript
/// (`PoseidonTranscript<NativeLoader, Vec<u8>>`, `ChallengeScalar<G1Affine>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentProof {
    /// The proof bytes.
    pub proof: Vec<u8>,
    /// Its public instances.
    pub instances: Vec<Fr>,
}

/// What an aggregation key is bound to: the segments' keys and instance counts and the
/// wiring. The aggregation circuit has every segment key as a constant and the wiring as copy
/// constraints, so proving must use exactly these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Each segment's public instance count.
    pub segment_instances: Vec<usize>,
    /// Each segment key's fingerprint ([`vk_fingerprint`]).
    pub segment_vks: Vec<String>,
    /// The wiring.
    pub wiring: Wiring,
}

impl Statement {
    /// The statement of an aggregation of `segments` with `wiring`. Cheap: no circuit is
    /// built. [`AggregateError::BadWiring`] when there are no segments, or the wiring names a
    /// segment or instance that does not exist.
    pub fn new(segments: &[SegmentKey<'_>], wiring: &Wiring) -> Result<Self> {
        let segment_instances: Vec<usize> = segments.iter().map(|s| s.num_instances).collect();
        check_wiring(&segment_instances, wiring)?;
        Ok(Self {
            segment_instances,
            segment_vks: segments.iter().map(|s| vk_fingerprint(s.vk)).collect(),
            wiring: wiring.clone(),
        })
    }

    /// Public instances of the aggregation proof: the accumulator limbs, then the wiring's
    /// public instances.
    pub fn num_instances(&self) -> usize {
        ACCUMULATOR_LIMBS + self.wiring.public.len()
    }
}

/// Checks that `wiring` only names existing instances of segments with these instance
/// counts, and that there is at least one segment.
fn check_wiring(segment_instances: &[usize], wiring: &Wiring) -> Result<()> {
    if segment_instances.is_empty() {
        return Err(AggregateError::BadWiring {
            reason: "there are no segments to aggregate".into(),
        });
    }
    let check = |what: &str, r: &InstanceRef| match segment_instances.get(r.segment) {
        None => Err(AggregateError::BadWiring {
            reason: format!(
                "{what} names segment {} of {}",
                r.segment,
                segment_instances.len()
            ),
        }),
        Some(&n) if r.index >= n => Err(AggregateError::BadWiring {
            reason: format!(
                "{what} names instance {} of segment {}, which has {n}",
                r.index, r.segment
            ),
        }),
        Some(_) => Ok(()),
    };
    for (a, b) in &wiring.links {
        check("a link", a)?;
        check("a link", b)?;
    }
    for r in &wiring.public {
        check("a public instance", r)?;
    }
    Ok(())
}

/// A verifying key's fingerprint: halo2's transcript representation of the key (a hash of
/// its constraint system, domain and commitments), as lowercase hex.
pub fn vk_fingerprint(vk: &VerifyingKey<G1Affine>) -> String {
    hex::encode(vk.transcript_repr().to_repr())
}

/// Saved by key generation (as JSON): everything [`crate::prove`] needs besides the proving
/// key and the inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregationConfig {
    /// The aggregation circuit has `2^k` rows.
    pub k: u32,
    /// Flex-gate advice columns.
    pub num_advice: usize,
    /// Range-check lookup advice columns.
    pub num_lookup_advice: usize,
    /// Fixed (constant) columns.
    pub num_fixed: usize,
    /// The range lookup table holds `0..2^lookup_bits`.
    pub lookup_bits: usize,
    /// Where each advice column's region breaks, found at key generation.
    pub break_points: Vec<Vec<usize>>,
    /// The segments and wiring the key is bound to.
    pub statement: Statement,
}

impl AggregationConfig {
    /// snark-verifier-sdk's form of the column configuration.
    pub fn sdk_params(&self) -> AggregationConfigParams {
        AggregationConfigParams {
            degree: self.k,
            num_advice: self.num_advice,
            num_lookup_advice: self.num_lookup_advice,
            num_fixed: self.num_fixed,
            lookup_bits: self.lookup_bits,
        }
    }

    /// halo2-base's form of the column configuration (one instance column).
    pub fn base_params(&self) -> BaseCircuitParams {
        self.sdk_params().into()
    }

    /// Public instances of the aggregation proof (see [`Statement::num_instances`]).
    pub fn num_instances(&self) -> usize {
        self.statement.num_instances()
    }
}

/// The `ModelCircuitParams` to store in `vk.bin` for this aggregation circuit: halo2-base's
/// configuration with one instance column, no packed dot products, no table lookups, public
/// rows = the accumulator limbs plus the wiring's public instances, and
/// [`ModelCircuitParams::kzg_accumulator`] set. `ModelCircuit::configure_with_params` then
/// builds exactly the aggregation circuit's constraint system (halo2-base's), so the
/// verifier crate reads the key like any other.
pub fn circuit_params(config: &AggregationConfig) -> ModelCircuitParams {
    ModelCircuitParams {
        base: config.base_params(),
        dot_columns: 0,
        lookup_groups: 0,
        public_rows: config.num_instances(),
        dot_weights: Default::default(),
        kzg_accumulator: true,
        poseidon_lanes: 0,
    }
}
