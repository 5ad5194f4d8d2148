//! Single-node model builders and runners shared by the shape, gather and resize op tests.

use onnx_import::eval::eval_graph;
use onnx_import::ir::{Graph, Tensor};
use onnx_import::{import_bytes, ImportError};
use onnx_protobuf::{AttributeProto, TensorProto};

use super::{init_i64, model, node, out, vi};

/// One node `op(x, extra...) -> outs` with float input `x` of `shape`.
pub fn one(
    op: &str,
    shape: &[i64],
    extra: &[&str],
    inits: Vec<TensorProto>,
    attrs: Vec<AttributeProto>,
    opset: i64,
    outs: &[&str],
) -> Result<Graph, ImportError> {
    let mut ins = vec!["x"];
    ins.extend_from_slice(extra);
    let bytes = model(
        vec![node(op, "n0", &ins, outs, attrs)],
        vec![vi("x", shape)],
        outs.iter().map(|o| out(o)).collect(),
        inits,
        opset,
    );
    import_bytes(&bytes, "m")
}

pub fn one_out(
    op: &str,
    shape: &[i64],
    extra: &[&str],
    inits: Vec<TensorProto>,
    attrs: Vec<AttributeProto>,
    opset: i64,
) -> Result<Graph, ImportError> {
    one(op, shape, extra, inits, attrs, opset, &["y"])
}

pub fn a_floats(name: &str, v: &[f32]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: onnx_protobuf::attribute_proto::AttributeType::FLOATS.into(),
        floats: v.to_vec(),
        ..Default::default()
    }
}

/// `0, 1, 2, ...` of `shape`.
pub fn seq(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::new(shape.to_vec(), (0..n).map(|v| v as f64).collect()).unwrap()
}

/// [`one_out`] with one extra input: the 1-D int64 initializer `name` holding `vals`, and
/// no attributes.
pub fn one_out_ints(
    op: &str,
    shape: &[i64],
    name: &str,
    vals: &[i64],
    opset: i64,
) -> Result<Graph, ImportError> {
    let dims = [i64::try_from(vals.len()).unwrap()];
    one_out(
        op,
        shape,
        &[name],
        vec![init_i64(name, &dims, vals)],
        vec![],
        opset,
    )
}

/// Runs `g` on `seq(input shape)` and returns the first output's data and shape.
pub fn run(g: &Graph) -> (Vec<usize>, Vec<f64>) {
    let x = seq(g.shape(g.inputs[0]));
    let out = eval_graph(g, &[x]).unwrap();
    (out[0].shape.clone(), out[0].data.clone())
}

pub fn err_text(r: Result<Graph, ImportError>) -> String {
    r.unwrap_err().to_string()
}
