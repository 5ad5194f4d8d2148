//! Bytes → the input-file readers (`parse_inputs`, `parse_samples`, `read_outputs`) against
//! a fixed two-input graph (`tests/fixtures/op_add`, inputs `a` and `b` of shape [2, 3, 4]).
//! Any panic is a finding; so is an accepted input whose tensors do not have the graph's
//! shapes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onnx_import::input_file::{parse_inputs, parse_samples, read_outputs};
use onnx_import::ir::{Graph, Tensor};

fn graph() -> &'static Graph {
    static GRAPH: OnceLock<Graph> = OnceLock::new();
    GRAPH.get_or_init(|| {
        let bytes = include_bytes!("../../tests/fixtures/op_add/network.onnx");
        onnx_import::import_bytes(bytes, "op_add").expect("the op_add fixture imports")
    })
}

fn check_shapes(graph: &Graph, tensors: &[Tensor]) {
    assert_eq!(
        tensors.len(),
        graph.inputs.len(),
        "wrong number of inputs accepted"
    );
    for (t, &id) in tensors.iter().zip(&graph.inputs) {
        assert_eq!(
            t.shape,
            graph.shape(id),
            "input of the wrong shape accepted"
        );
        assert_eq!(Some(t.data.len()), zkinfer_fuzz::elements(&t.shape));
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let graph = graph();
    if let Ok(inputs) = parse_inputs(&text, graph) {
        check_shapes(graph, &inputs);
    }
    if let Ok(samples) = parse_samples(&text, graph) {
        for s in &samples {
            check_shapes(graph, s);
        }
    }
    if let Ok(outputs) = read_outputs(&text) {
        for t in outputs.values() {
            assert_eq!(Some(t.data.len()), zkinfer_fuzz::elements(&t.shape));
        }
    }
});
