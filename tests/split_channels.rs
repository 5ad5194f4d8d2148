//! Split proving inside a layer: a `--max-memory` budget that no cut between nodes meets
//! splits the convolutions into channel groups; the segments cut from the rewritten model
//! chain, in fixed point, to exactly the whole model's output, and every segment's circuit
//! is satisfied (MockProver) on the boundary values of that chain.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use circuits::fixed::{eval_fixed, quantize_inputs};
use circuits::halo2::build;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use onnx_import::input_file::parse_inputs;
use zkinfer::split::{files, split, SplitBudget, SplitManifest, SplitOptions};
use zkinfer::{CompileOptions, Compiled, Error, Layout, Samples};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn options(budget: SplitBudget) -> SplitOptions {
    SplitOptions {
        budget,
        compile: CompileOptions {
            layout: Layout::Memory,
            ..CompileOptions::default()
        },
    }
}

/// cnn_chain's smallest split between nodes has a 47 MiB segment (its first convolution);
/// 44 MiB needs the convolutions in channel groups.
#[test]
fn a_budget_below_any_cut_between_nodes_splits_the_convolutions() {
    let dir = fixture("cnn_chain");
    let (model, input) = (dir.join("network.onnx"), dir.join("input.json"));
    let samples = Samples::Files(vec![input.clone()]);
    let tmp = tempfile::tempdir().unwrap();
    let budget = 44u64 << 20;

    let m = split(
        &model,
        &samples,
        &options(SplitBudget::MaxMemory(budget)),
        tmp.path(),
    )
    .unwrap();
    assert!(m.channel_groups >= 2, "{m:?}");
    assert!(m.segments.len() >= 2);
    for s in &m.segments {
        assert!(s.predicted_prove_bytes <= budget, "{s:?}");
    }
    assert!(
        m.segments.iter().any(|s| s.output.name.contains("carry")),
        "no segment ends inside a convolution: {m:?}"
    );
    assert!(tmp.path().join(files::CHANNELS_MODEL).is_file());
    // The manifest reads back with its channel groups.
    assert_eq!(SplitManifest::read(tmp.path()).unwrap(), m);

    // The whole model in fixed point, with the split's quantization.
    let original = onnx_import::import_file(&model).unwrap();
    let inputs = parse_inputs(&std::fs::read_to_string(&input).unwrap(), &original).unwrap();
    let whole = eval_fixed(&original, &m.quant, &inputs).unwrap();

    // Segment after segment: each circuit satisfied, the chain ends at the whole output.
    let mut current = inputs;
    for s in &m.segments {
        let c = Compiled::load(&tmp.path().join(&s.dir)).unwrap();
        let st = &c.settings;
        let run = eval_fixed(&c.graph, &st.quant, &current).unwrap();
        let q = quantize_inputs(&c.graph, &st.quant, &current).unwrap();
        let built = build(
            CircuitBuilderStage::Mock,
            &c.graph,
            &st.quant,
            &st.circuit,
            Some(&q),
        )
        .unwrap();
        assert_eq!(built.outputs, run.outputs, "segment {}", s.index);
        MockProver::run(st.circuit.k, &built.circuit, vec![built.instances.clone()])
            .unwrap()
            .assert_satisfied();
        current = run.outputs_float;
    }
    assert_eq!(current, whole.outputs_float);
}

/// A budget below what any channel grouping reaches is a named error that says which
/// model its node range indexes.
#[test]
fn an_unreachable_budget_names_the_closest_split_with_its_channel_groups() {
    let dir = fixture("cnn_chain");
    let samples = Samples::Files(vec![dir.join("input.json")]);
    let tmp = tempfile::tempdir().unwrap();
    let err = split(
        &dir.join("network.onnx"),
        &samples,
        &options(SplitBudget::MaxMemory(30 << 20)),
        tmp.path(),
    )
    .unwrap_err();
    match &err {
        Error::SplitOverBudget {
            channel_groups,
            bytes,
            ..
        } => {
            assert!(*channel_groups >= 2, "{err}");
            assert!(*bytes > 30 << 20);
            assert!(
                err.to_string().contains("groups of output channels"),
                "{err}"
            );
        }
        other => panic!("{other}"),
    }
    assert!(!tmp.path().join(files::MANIFEST).exists());
}
