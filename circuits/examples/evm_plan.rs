//! Prints the EVM planner's candidates for a fixture: what each layout would cost in
//! predicted gas and prove time, and which one `--evm` picks.
//!
//! `cargo run --release -p zkinfer-circuits --example evm_plan -- tests/fixtures/lenet5 [hashed|public] [GAS_PER_SECOND]`
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Instant;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::halo2::{plan_evm, EvmOptions, DEFAULT_GAS_PER_SECOND};
use circuits::visibility::{Visibilities, Visibility};
use onnx_import::input_file::parse_inputs;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).expect("fixture directory"));
    let input = match args.get(2).map(String::as_str) {
        Some("public") => Visibility::Public,
        _ => Visibility::Hashed,
    };
    let gps = args
        .get(3)
        .map(|s| s.parse().unwrap())
        .unwrap_or(DEFAULT_GAS_PER_SECOND);
    let graph = onnx_import::import_file(&dir.join("network.onnx")).unwrap();
    let x = parse_inputs(
        &std::fs::read_to_string(dir.join("input.json")).unwrap(),
        &graph,
    )
    .unwrap();
    let q = calibrate(&graph, &[x], &CalibrationOptions::default())
        .unwrap()
        .params;
    let vis = Visibilities {
        input,
        ..Visibilities::default()
    };
    let t = Instant::now();
    let plan = plan_evm(
        &graph,
        &q,
        &vis,
        &EvmOptions {
            gas_per_second: gps,
        },
    )
    .unwrap();
    println!(
        "{}: input {input}, {} candidates planned in {:.2?}; weight {gps} gas/s",
        dir.display(),
        plan.candidates.len(),
        t.elapsed()
    );
    println!("| layout | columns | predicted gas | predicted prove s | score |");
    println!("| --- | --- | --- | --- | --- |");
    for c in plan.candidates.iter().take(12) {
        println!(
            "| {} | {} | {} | {:.2} | {:.0} |",
            c.label, c.columns, c.predicted_gas, c.predicted_prove_s, c.score
        );
    }
    let min_gas = plan
        .candidates
        .iter()
        .map(|c| c.predicted_gas)
        .min()
        .unwrap();
    println!("cheapest gas of any candidate: {min_gas}");
}
