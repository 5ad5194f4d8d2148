//! ONNX bytes → the importer (`import_bytes`, `inspect_bytes`), then, for small graphs, the
//! float evaluator on zero inputs: what `zkinfer compile` does with a model file.
//! Any panic, or an allocation past `-rss_limit_mb`, is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onnx_import::ir::Tensor;

/// Graphs holding more elements than this (all values together) are not evaluated, so a
/// run stays within libFuzzer's timeout.
const EVAL_ELEMENT_LIMIT: usize = 1 << 14;

fuzz_target!(|data: &[u8]| {
    let _ = onnx_import::inspect_bytes(data, "fuzz.onnx");
    let Ok(graph) = onnx_import::import_bytes(data, "fuzz.onnx") else {
        return;
    };
    for id in graph.inputs.iter().chain(&graph.outputs) {
        assert!(*id < graph.values.len(), "graph refers to value #{id}");
    }
    let total = graph.values.iter().try_fold(0usize, |acc, v| {
        acc.checked_add(zkinfer_fuzz::elements(&v.shape)?)
    });
    if !total.is_some_and(|t| t <= EVAL_ELEMENT_LIMIT) {
        return;
    }
    let inputs: Vec<Tensor> = graph
        .inputs
        .iter()
        .map(|&id| {
            let shape = graph.shape(id).to_vec();
            let len = shape.iter().product();
            Tensor {
                shape,
                data: vec![0.0; len],
            }
        })
        .collect();
    if let Ok(outputs) = onnx_import::eval::eval_graph(&graph, &inputs) {
        assert_eq!(outputs.len(), graph.outputs.len());
        for (t, &id) in outputs.iter().zip(&graph.outputs) {
            assert_eq!(
                t.shape,
                graph.shape(id),
                "output shape differs from the inferred one"
            );
            assert_eq!(Some(t.data.len()), zkinfer_fuzz::elements(&t.shape));
        }
    }
});
