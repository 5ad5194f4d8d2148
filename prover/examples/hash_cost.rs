//! Cost of hashing a bare list of values: a halo2-base circuit that loads `N` witness values
//! of width `w`, range-checks each to `[-2^(w-1), 2^(w-1))`, hashes them with
//! `circuits::hash::hash_cells` and exposes the hash as its one public instance. Prints the
//! layout at `k`, the smallest `k` with at most 16 advice columns, key generation and proving
//! time, and whether the proof verifies (run it under `/usr/bin/time -v` for the peak memory).
//!
//! ```sh
//! cargo run --release -p zkinfer-prover --example hash_cost -- [N=4096] [W=21] [K=14|min]
//! ```
//!
//! `K = min` proves at the smallest fitting `k`. The SRS is the insecure local one, cached in
//! `$ZKINFER_CACHE_DIR` (default `/root/.cache/zkinfer`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::time::Instant;

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_base::gates::{GateInstructions, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk};
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_base::halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_base::halo2_proofs::transcript::{Blake2bWrite, Challenge255, TranscriptWriterBuffer};
use halo2_base::QuantumCell::Constant;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use circuits::halo2::circuit::UNUSABLE_ROWS;
use circuits::halo2::field::i128_to_fe;
use circuits::hash::{hash_cells, hash_values};
use prover::{local_srs, TranscriptKind};

/// At most this many advice columns count as fitting.
const MAX_ADVICE: usize = 16;

/// The hash circuit at `k` (lookup bits `k - 1`) over `values` of width `w`: a Keygen-stage
/// builder with its parameters calculated when `break_points` is `None`, otherwise a
/// Prover-stage builder pinned to `params` and `break_points`.
fn build(
    k: u32,
    values: &[i128],
    w: u32,
    pinned: Option<(BaseCircuitParams, MultiPhaseThreadBreakPoints)>,
) -> (BaseCircuitBuilder<Fr>, BaseCircuitParams) {
    let mut builder = match pinned {
        Some((params, bp)) => BaseCircuitBuilder::<Fr>::prover(params, bp),
        None => {
            let mut b = BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Keygen)
                .use_k(k as usize)
                .use_lookup_bits(k as usize - 1);
            b.set_instance_columns(1);
            b
        }
    };
    let range = builder.range_chip();
    let gate = range.gate();
    let hash = {
        let ctx = builder.main(0);
        let cells = ctx.assign_witnesses(values.iter().map(|v| i128_to_fe(*v)));
        let half = Fr::from(1u64 << (w - 1));
        for c in &cells {
            // shifted = v + 2^(w-1), and shifted in [0, 2^w) (lookup-based decomposition),
            // so v in [-2^(w-1), 2^(w-1)).
            let shifted = gate.add(ctx, *c, Constant(half));
            range.range_check(ctx, shifted, w as usize);
        }
        hash_cells(ctx, gate, &cells, w)
    };
    builder.assigned_instances[0].push(hash);
    let params = if builder.witness_gen_only() {
        builder.config_params.clone()
    } else {
        builder.calculate_params(Some(UNUSABLE_ROWS))
    };
    (builder, params)
}

/// Smallest `k` in `10..=22` at which the circuit takes at most [`MAX_ADVICE`] advice columns.
fn smallest_fitting_k(values: &[i128], w: u32) -> Option<(u32, BaseCircuitParams)> {
    (10..=22).find_map(|k| {
        let (_, p) = build(k, values, w, None);
        (p.num_advice_per_phase.iter().sum::<usize>() <= MAX_ADVICE).then_some((k, p))
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(4096, |s| s.parse().unwrap());
    let w: u32 = args.get(2).map_or(21, |s| s.parse().unwrap());
    let k_arg = args.get(3).map_or("14", String::as_str);
    assert!((1..=63).contains(&w), "w must be in 1..=63");

    let half = 1i128 << (w - 1);
    let mut rng = StdRng::seed_from_u64(1);
    let mut values: Vec<i128> = (0..n).map(|_| rng.gen_range(-half..half)).collect();
    if n >= 2 {
        values[0] = -half;
        values[n - 1] = half - 1;
    }

    let t = Instant::now();
    let fit = smallest_fitting_k(&values, w);
    let search_s = t.elapsed().as_secs_f64();
    match &fit {
        Some((k, p)) => println!(
            "smallest k with <= {MAX_ADVICE} advice columns: k={k} advice={} lookup_advice={} (search {search_s:.2}s)",
            p.num_advice_per_phase.iter().sum::<usize>(),
            p.num_lookup_advice_per_phase.iter().sum::<usize>(),
        ),
        None => println!("no k in 10..=22 fits in {MAX_ADVICE} advice columns"),
    }
    let k: u32 = match k_arg {
        "min" => fit.as_ref().expect("no fitting k").0,
        s => s.parse().unwrap(),
    };

    let cache =
        std::env::var("ZKINFER_CACHE_DIR").unwrap_or_else(|_| "/root/.cache/zkinfer".into());
    let (srs, _, _) = local_srs(k, Path::new(&cache)).unwrap();

    // Keygen on a different witness (all zeros): the keys do not depend on it.
    let t = Instant::now();
    let (kbuilder, params) = build(k, &vec![0; n], w, None);
    let stats = kbuilder.statistics();
    let vk = keygen_vk(&srs, &kbuilder).unwrap();
    let pk = keygen_pk(&srs, vk, &kbuilder).unwrap();
    let keygen_s = t.elapsed().as_secs_f64();
    let break_points = kbuilder.break_points();
    drop(kbuilder);

    let t = Instant::now();
    let (pbuilder, _) = build(k, &values, w, Some((params.clone(), break_points)));
    let instances: Vec<Fr> = pbuilder.assigned_instances[0]
        .iter()
        .map(|c| *c.value())
        .collect();
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        &srs,
        &pk,
        &[pbuilder],
        &[&[&instances]],
        rand::rngs::OsRng,
        &mut transcript,
    )
    .unwrap();
    let proof = transcript.finalize();
    let prove_s = t.elapsed().as_secs_f64();

    let ok = verifier::verify_halo2_proof(
        srs.verifier_params(),
        pk.get_vk(),
        TranscriptKind::Blake2b,
        &proof,
        &instances,
    )
    .is_ok();
    let native_ok = instances == [hash_values(&values, w)];
    println!(
        "N={n} w={w} k={k} lookup_bits={} advice={} lookup_advice={} fixed={} advice_cells={} lookup_cells={} keygen={keygen_s:.2}s prove={prove_s:.2}s proof={}B verifies={ok} instance_matches_native={native_ok}",
        k - 1,
        params.num_advice_per_phase.iter().sum::<usize>(),
        params.num_lookup_advice_per_phase.iter().sum::<usize>(),
        params.num_fixed,
        stats.gate.total_advice_per_phase.iter().sum::<usize>(),
        stats.total_lookup_advice_per_phase.iter().sum::<usize>(),
        proof.len(),
    );
}
