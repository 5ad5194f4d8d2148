//! Import-and-evaluate helpers shared by the elementwise, reduction and arg op tests.

use onnx_import::eval::eval_graph;
use onnx_import::import_bytes;
use onnx_import::ir::{Graph, Tensor};
use onnx_import::ImportError;
use onnx_protobuf::{AttributeProto, NodeProto, TensorProto, ValueInfoProto};

use super::{model, node, out, vi};

pub fn t(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::new(shape.to_vec(), data.to_vec()).unwrap()
}

/// Evaluates `g` on `inputs`.
pub fn run(g: &Graph, inputs: &[Tensor]) -> Vec<Tensor> {
    eval_graph(g, inputs).unwrap()
}

/// Imports a model of `nodes` whose graph outputs are `outputs`.
pub fn import(
    nodes: Vec<NodeProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: &[&str],
    inits: Vec<TensorProto>,
    opset: i64,
) -> Result<Graph, ImportError> {
    let outs = outputs.iter().map(|o| out(o)).collect();
    import_bytes(&model(nodes, inputs, outs, inits, opset), "m")
}

/// Imports the one node `op(inputs...) -> y` named `name`, every input a runtime float input
/// of the given shape.
pub fn import_op(
    op: &str,
    name: &str,
    inputs: &[(&str, &[i64])],
    attrs: Vec<AttributeProto>,
    opset: i64,
) -> Result<Graph, ImportError> {
    let ins: Vec<&str> = inputs.iter().map(|(n, _)| *n).collect();
    let vis = inputs.iter().map(|(n, s)| vi(n, s)).collect();
    import(
        vec![node(op, name, &ins, &["y"], attrs)],
        vis,
        &["y"],
        vec![],
        opset,
    )
}

/// `sin(i·k)` for `i = 0, 1, ...` of `shape`.
pub fn seq(shape: &[usize], k: f64) -> Tensor {
    let n: usize = shape.iter().product();
    t(
        shape,
        &(0..n).map(|i| (i as f64 * k).sin()).collect::<Vec<_>>(),
    )
}
