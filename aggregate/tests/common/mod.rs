//! Shared by the aggregation tests: three tiny chained segment circuits (halo2-base, k = 10)
//! with keys and Poseidon-transcript SHPLONK proofs made with the insecure local SRS.
#![allow(clippy::unwrap_used, missing_docs, dead_code)]

use std::path::PathBuf;

use aggregate::{InstanceRef, SegmentKey, SegmentProof, Wiring};
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::{GateChip, GateInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::{keygen_pk, keygen_vk, ProvingKey, VerifyingKey};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::QuantumCell::Constant;
use snark_verifier_sdk::halo2::gen_proof_shplonk;

/// Rows of each segment circuit: 2^SEGMENT_K.
pub const SEGMENT_K: u32 = 10;
/// Segments in the chain.
pub const SEGMENTS: usize = 3;
/// The chain's input.
pub const X0: u64 = 3;

pub fn srs_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-srs-cache")
}

/// The insecure local SRS for `k` (cached).
pub fn srs(k: u32) -> ParamsKZG<Bn256> {
    prover::local_srs(k, &srs_cache()).unwrap().0
}

/// Segment `i`: instances `[x, y]` with `y = x·x + (i + 1)` (the constant makes every
/// segment's key different).
fn circuit(
    i: usize,
    x: Fr,
    shape: Option<(
        &halo2_base::gates::circuit::BaseCircuitParams,
        &[Vec<usize>],
    )>,
) -> BaseCircuitBuilder<Fr> {
    let mut b = match shape {
        Some((config, bp)) => BaseCircuitBuilder::prover(config.clone(), bp.to_vec()),
        None => {
            BaseCircuitBuilder::from_stage(CircuitBuilderStage::Keygen).use_k(SEGMENT_K as usize)
        }
    };
    b.set_instance_columns(1);
    let gate = GateChip::<Fr>::default();
    let ctx = b.main(0);
    let xa = ctx.load_witness(x);
    let sq = gate.mul(ctx, xa, xa);
    // y = x·x + (i + 1)
    let y = gate.add(ctx, sq, Constant(Fr::from(i as u64 + 1)));
    b.assigned_instances = vec![vec![xa, y]];
    b
}

/// The chain's values: x_0 = X0, x_{i+1} = x_i² + (i + 1).
pub fn chain() -> Vec<Fr> {
    let mut xs = vec![Fr::from(X0)];
    for i in 0..SEGMENTS {
        let x = xs[i];
        xs.push(x * x + Fr::from(i as u64 + 1));
    }
    xs
}

/// The segments' keys and proofs.
pub struct Segments {
    pub vks: Vec<VerifyingKey<G1Affine>>,
    pub pks: Vec<ProvingKey<G1Affine>>,
    pub proofs: Vec<SegmentProof>,
}

impl Segments {
    pub fn keys(&self) -> Vec<SegmentKey<'_>> {
        self.vks
            .iter()
            .map(|vk| SegmentKey {
                vk,
                num_instances: 2,
            })
            .collect()
    }
}

/// Keys for the three segments and their proofs of the chain from X0.
pub fn segments() -> Segments {
    let params = srs(SEGMENT_K);
    let xs = chain();
    let (mut vks, mut pks, mut proofs) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..SEGMENTS {
        let mut kg = circuit(i, Fr::from(0), None);
        let config = kg.calculate_params(Some(20));
        let vk = keygen_vk(&params, &kg).unwrap();
        let pk = keygen_pk(&params, vk.clone(), &kg).unwrap();
        let bp = kg.break_points();
        let prover = circuit(i, xs[i], Some((&config, &bp)));
        let instances = vec![xs[i], xs[i + 1]];
        let proof = gen_proof_shplonk(&params, &pk, prover, vec![instances.clone()], None);
        vks.push(vk);
        pks.push(pk);
        proofs.push(SegmentProof { proof, instances });
    }
    Segments { vks, pks, proofs }
}

/// Segment i's output (instance 1) is segment i+1's input (instance 0); the chain's input
/// and output are public.
pub fn wiring() -> Wiring {
    let r = |segment, index| InstanceRef { segment, index };
    Wiring {
        links: (0..SEGMENTS - 1).map(|i| (r(i, 1), r(i + 1, 0))).collect(),
        public: vec![r(0, 0), r(SEGMENTS - 1, 1)],
    }
}
