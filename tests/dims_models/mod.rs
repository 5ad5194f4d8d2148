//! PyTorch-style models with symbolic input dimensions, shared by `tests/dims.rs` and
//! `tests/cli_dims.rs`.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

#[path = "../../onnx-import/tests/common/mod.rs"]
pub mod models;

use models::{init_f32, init_i64, model, node};
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::{dimension, Dimension};
use onnx_protobuf::type_proto::{self, Value as TypeValue};
use onnx_protobuf::{TensorProto, TensorShapeProto, TypeProto, ValueInfoProto};

/// A value info of element type `elem`; each dim is a number, a dim_param name, or `"?"`
/// (neither value nor name).
pub fn vi_t(name: &str, elem: DataType, dims: &[&str]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: match d.parse::<i64>() {
                Ok(v) => Some(dimension::Value::DimValue(v)),
                Err(_) if *d == "?" => None,
                Err(_) => Some(dimension::Value::DimParam(d.to_string())),
            },
            ..Default::default()
        })
        .collect();
    let tensor = type_proto::Tensor {
        elem_type: elem as i32,
        shape: Some(TensorShapeProto {
            dim,
            ..Default::default()
        })
        .into(),
        ..Default::default()
    };
    ValueInfoProto {
        name: name.into(),
        type_: Some(TypeProto {
            value: Some(TypeValue::TensorType(tensor)),
            ..Default::default()
        })
        .into(),
        ..Default::default()
    }
}

/// A float32 value info; see [`vi_t`].
pub fn vi_p(name: &str, dims: &[&str]) -> ValueInfoProto {
    vi_t(name, DataType::FLOAT, dims)
}

fn scalar_i64(name: &str, v: i64) -> TensorProto {
    init_i64(name, &[], &[v])
}

/// What `torch.onnx.export(..., dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})` writes
/// for `Linear(4, 3) -> ReLU -> Linear(3, 2)` after `x.reshape(x.shape[0], -1)` on a
/// `[batch, 1, 2, 2]` input: Shape -> Gather -> Unsqueeze -> Concat -> Reshape, then the MLP;
/// the intermediate and output value_info carry the dim_param too.
pub fn batch_mlp() -> Vec<u8> {
    let w1: Vec<f32> = (0..12).map(|i| ((i * 7 % 11) as f32 - 5.0) / 8.0).collect();
    let w2: Vec<f32> = (0..6).map(|i| ((i * 5 % 7) as f32 - 3.0) / 4.0).collect();
    let nodes = vec![
        node("Shape", "shape", &["x"], &["s"], vec![]),
        node(
            "Gather",
            "gather",
            &["s", "zero"],
            &["n"],
            vec![models::a_int("axis", 0)],
        ),
        node("Unsqueeze", "unsq", &["n", "axes0"], &["n1"], vec![]),
        node(
            "Concat",
            "concat",
            &["n1", "minus1"],
            &["target"],
            vec![models::a_int("axis", 0)],
        ),
        node("Reshape", "flatten", &["x", "target"], &["flat"], vec![]),
        node(
            "Gemm",
            "fc1",
            &["flat", "w1", "b1"],
            &["h"],
            vec![models::a_int("transB", 1)],
        ),
        node("Relu", "relu", &["h"], &["r"], vec![]),
        node(
            "Gemm",
            "fc2",
            &["r", "w2", "b2"],
            &["y"],
            vec![models::a_int("transB", 1)],
        ),
    ];
    let mut m = models::model_proto(
        nodes,
        vec![vi_p("x", &["batch", "1", "2", "2"])],
        vec![vi_p("y", &["batch", "2"])],
        vec![
            scalar_i64("zero", 0),
            init_i64("axes0", &[1], &[0]),
            init_i64("minus1", &[1], &[-1]),
            init_f32("w1", &[3, 4], &w1),
            init_f32("b1", &[3], &[0.1, -0.2, 0.05]),
            init_f32("w2", &[2, 3], &w2),
            init_f32("b2", &[2], &[0.0, 0.25]),
        ],
        13,
    );
    let g = m.graph.as_mut().unwrap();
    g.value_info = vec![
        vi_p("flat", &["batch", "4"]),
        vi_p("h", &["batch", "3"]),
        vi_p("r", &["batch", "3"]),
    ];
    use onnx_protobuf::Message;
    m.write_to_bytes().unwrap()
}

/// Two inputs sharing the dim_param `batch`: `y = a + b`.
pub fn shared_batch() -> Vec<u8> {
    model(
        vec![node("Add", "add", &["a", "b"], &["y"], vec![])],
        vec![vi_p("a", &["batch", "3"]), vi_p("b", &["batch", "3"])],
        vec![vi_p("y", &["batch", "3"])],
        vec![],
        13,
    )
}

/// A non-batch symbolic dimension: `x: [1, seq]`, `y = relu(x)`.
pub fn seq_model() -> Vec<u8> {
    model(
        vec![node("Relu", "relu", &["x"], &["y"], vec![])],
        vec![vi_p("x", &["1", "seq"])],
        vec![vi_p("y", &["1", "seq"])],
        vec![],
        13,
    )
}

/// ONNX's `pytorch-operator/test_operator_non_float_params`: an int64 input `x [2, 2]`,
/// `y = x * (x + p)` with the int64 parameter `p = [[1, 2], [3, 4]]` (which old exporters
/// also list as a graph input).
pub fn int_params() -> Vec<u8> {
    model(
        vec![
            node("Add", "add", &["x", "p"], &["s"], vec![]),
            node("Mul", "mul", &["x", "s"], &["y"], vec![]),
        ],
        vec![
            vi_t("x", DataType::INT64, &["2", "2"]),
            vi_t("p", DataType::INT64, &["2", "2"]),
        ],
        vec![vi_t("y", DataType::INT64, &["2", "2"])],
        vec![init_i64("p", &[2, 2], &[1, 2, 3, 4])],
        13,
    )
}

/// `{"inputs": {"x": {"shape": [...], "data": [...]}}}` for a `[batch, 1, 2, 2]` input.
pub fn mlp_input(batch: usize) -> String {
    let data: Vec<String> = (0..batch * 4)
        .map(|i| format!("{:.3}", ((i * 3 % 7) as f64 - 3.0) / 4.0))
        .collect();
    format!(
        "{{\"inputs\": {{\"x\": {{\"shape\": [{batch}, 1, 2, 2], \"data\": [{}]}}}}}}",
        data.join(", ")
    )
}
