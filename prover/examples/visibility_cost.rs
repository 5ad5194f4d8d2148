//! Cost of each parameter visibility on one model: k, columns, key generation and proving
//! time (run it under `/usr/bin/time -v` for the peak memory).
//!
//! ```sh
//! cargo run --release -p zkinfer-prover --example visibility_cost -- MODEL.onnx INPUT.json fixed|private|hashed|committed
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::time::Instant;

use halo2_base::halo2_proofs::poly::commitment::ParamsProver;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::fixed::quantize_inputs;
use circuits::halo2::{plan_with, Layout};
use circuits::visibility::{ParamVisibility, Visibilities};
use prover::{keys, local_srs, no_progress, ProveOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (model, input, mode) = (&args[1], &args[2], args[3].as_str());
    let params = match mode {
        "fixed" => ParamVisibility::Fixed,
        "private" => ParamVisibility::Private,
        "hashed" => ParamVisibility::Hashed,
        "committed" => ParamVisibility::Committed,
        m => panic!("unknown mode {m}"),
    };
    let vis = Visibilities {
        params,
        ..Visibilities::default()
    };
    let graph = onnx_import::import_file(Path::new(model)).unwrap();
    let sample = onnx_import::input_file::read_inputs(Path::new(input), &graph).unwrap();
    let q = calibrate(
        &graph,
        std::slice::from_ref(&sample),
        &CalibrationOptions::default(),
    )
    .unwrap()
    .params;
    let t = Instant::now();
    let mut shape = plan_with(&graph, &q, Layout::Speed, &vis).unwrap();
    let plan_s = t.elapsed().as_secs_f64();
    let cache =
        std::env::var("ZKINFER_CACHE_DIR").unwrap_or_else(|_| "/root/.cache/zkinfer".into());
    let (srs, _, _) = local_srs(shape.k, Path::new(&cache)).unwrap();
    let t = Instant::now();
    let k = keys::setup(&graph, &q, &shape, &srs, &no_progress).unwrap();
    let keygen_s = t.elapsed().as_secs_f64();
    shape.break_points = k.break_points.clone();
    let qin = quantize_inputs(&graph, &q, &sample).unwrap();
    let t = Instant::now();
    let opts = ProveOptions {
        self_check: false,
        ..ProveOptions::default()
    };
    let proof = prover::prove(&graph, &q, &shape, &srs, &k.pk, &qin, &opts, &no_progress).unwrap();
    let prove_s = t.elapsed().as_secs_f64();
    let ok = verifier::verify_halo2_proof(
        srs.verifier_params(),
        k.pk.get_vk(),
        opts.transcript,
        &proof.bytes,
        &proof.instances,
    )
    .is_ok();
    let c = &shape.config;
    println!(
        "{mode}: k={} advice={} lookup_advice={} dot_columns={} instances={} plan={plan_s:.2}s keygen={keygen_s:.2}s prove={prove_s:.2}s proof={}B verifies={ok}",
        shape.k,
        c.num_advice_per_phase.iter().sum::<usize>(),
        c.num_lookup_advice_per_phase.iter().sum::<usize>(),
        shape.dot_columns,
        proof.instances.len(),
        proof.bytes.len(),
    );
}
