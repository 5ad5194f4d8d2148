//! Assembling the `ModelProto` of one segment.

use std::collections::HashSet;

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::{dimension, Dimension};
use onnx_protobuf::type_proto::{self, Value as TypeValue};
use onnx_protobuf::{
    GraphProto, ModelProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

use crate::ir::Graph;
use crate::proto;

use super::analysis::{ir_value, Analysis};
use super::CutPoint;

/// A segment to build: ONNX nodes `[start, end)` between the cut before it (`None` when it
/// starts at the model's inputs) and the cut after it (`None` when it ends at the outputs).
pub(super) struct Segment<'c> {
    /// First node.
    pub start: usize,
    /// One past the last node.
    pub end: usize,
    /// The cut whose tensor is the segment's input.
    pub input: Option<&'c CutPoint>,
    /// The cut whose tensor is the segment's output.
    pub output: Option<&'c CutPoint>,
}

/// The element type the model declares for `name` (value_info, input or output), or FLOAT.
fn elem_type(g: &GraphProto, name: &str) -> i32 {
    g.value_info
        .iter()
        .chain(&g.input)
        .chain(&g.output)
        .filter(|vi| vi.name == name)
        .map(|vi| proto::declared(vi).elem_type)
        .find(|&t| t != 0)
        .unwrap_or(DataType::FLOAT as i32)
}

/// A tensor value info with a static shape.
fn tensor_vi(name: &str, elem_type: i32, shape: &[usize]) -> ValueInfoProto {
    let dim = shape
        .iter()
        .map(|&d| Dimension {
            value: Some(dimension::Value::DimValue(
                i64::try_from(d).unwrap_or(i64::MAX),
            )),
            ..Default::default()
        })
        .collect();
    let tensor = type_proto::Tensor {
        elem_type,
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

/// `vi` with the static shape of its IR value when the IR has one (its element type kept).
fn static_vi(g: &GraphProto, graph: &Graph, vi: &ValueInfoProto) -> ValueInfoProto {
    match ir_value(graph, &vi.name) {
        Some(v) => tensor_vi(&vi.name, elem_type(g, &vi.name), &v.shape),
        None => vi.clone(),
    }
}

/// The nodes of the segment plus the constant-only nodes before it that they need, in
/// file order, and the `Shape` nodes before it to replace by initializers.
fn included(an: &Analysis<'_>, seg: &Segment<'_>) -> (Vec<bool>, Vec<usize>) {
    let nodes = &an.g.node;
    let mut include = vec![false; nodes.len()];
    include[seg.start..seg.end].fill(true);
    let mut shapes = Vec::new();
    let cut_tensor = seg.input.map(|c| c.tensor.as_str());
    let mut stack: Vec<&str> = nodes[seg.start..seg.end]
        .iter()
        .flat_map(|n| n.input.iter().map(String::as_str))
        .collect();
    let mut seen = HashSet::new();
    while let Some(name) = stack.pop() {
        if name.is_empty() || Some(name) == cut_tensor || !seen.insert(name) {
            continue;
        }
        let Some(&p) = an.producer.get(name) else {
            continue; // an initializer or graph input
        };
        if p >= seg.start || include[p] {
            continue;
        }
        if an.shape_consts.contains_key(&p) {
            shapes.push(p);
        } else {
            include[p] = true;
            stack.extend(nodes[p].input.iter().map(String::as_str));
        }
    }
    shapes.sort_unstable();
    shapes.dedup();
    (include, shapes)
}

/// The INT64 initializer replacing `Shape` node `i`.
fn shape_initializer(an: &Analysis<'_>, i: usize) -> Option<TensorProto> {
    let dims = an.shape_consts.get(&i)?;
    let name = an.g.node[i].output.first()?;
    Some(TensorProto {
        name: name.clone(),
        dims: vec![i64::try_from(dims.len()).unwrap_or(i64::MAX)],
        data_type: DataType::INT64 as i32,
        int64_data: dims.clone(),
        ..Default::default()
    })
}

/// The sub-model of `seg`: the model's metadata, opsets and functions with a new graph
/// (training info and quantization annotations are dropped).
pub(super) fn build(
    model: &ModelProto,
    an: &Analysis<'_>,
    graph: &Graph,
    seg: &Segment<'_>,
) -> ModelProto {
    let g = an.g;
    let (include, shapes) = included(an, seg);
    let node: Vec<_> = g
        .node
        .iter()
        .zip(&include)
        .filter(|(_, &inc)| inc)
        .map(|(n, _)| n.clone())
        .collect();
    let read: HashSet<&str> = node
        .iter()
        .flat_map(|n| n.input.iter().map(String::as_str))
        .collect();
    let produced: HashSet<&str> = node
        .iter()
        .flat_map(|n| n.output.iter().map(String::as_str))
        .collect();
    let mut initializer: Vec<TensorProto> = g
        .initializer
        .iter()
        .filter(|t| read.contains(t.name.as_str()))
        .cloned()
        .collect();
    let sparse_initializer = g
        .sparse_initializer
        .iter()
        .filter(|t| {
            t.values
                .as_ref()
                .is_some_and(|v| read.contains(v.name.as_str()))
        })
        .cloned()
        .collect();
    initializer.extend(shapes.iter().filter_map(|&i| shape_initializer(an, i)));
    // Initializers that old exporters also list as graph inputs stay listed.
    let mut input: Vec<ValueInfoProto> = match seg.input {
        None => g
            .input
            .iter()
            .filter(|vi| !an.inits.contains(vi.name.as_str()))
            .map(|vi| static_vi(g, graph, vi))
            .collect(),
        Some(c) => vec![tensor_vi(&c.tensor, elem_type(g, &c.tensor), &c.shape)],
    };
    input.extend(
        g.input
            .iter()
            .filter(|vi| an.inits.contains(vi.name.as_str()) && read.contains(vi.name.as_str()))
            .cloned(),
    );
    let output: Vec<ValueInfoProto> = match seg.output {
        None => g.output.iter().map(|vi| static_vi(g, graph, vi)).collect(),
        Some(c) => vec![tensor_vi(&c.tensor, elem_type(g, &c.tensor), &c.shape)],
    };
    let boundary: HashSet<&str> = input
        .iter()
        .chain(&output)
        .map(|vi| vi.name.as_str())
        .collect();
    let value_info = g
        .value_info
        .iter()
        .filter(|vi| produced.contains(vi.name.as_str()) && !boundary.contains(vi.name.as_str()))
        .cloned()
        .collect();
    let sub = GraphProto {
        node,
        name: format!("{}_nodes_{}_{}", g.name, seg.start, seg.end),
        initializer,
        sparse_initializer,
        doc_string: g.doc_string.clone(),
        input,
        output,
        value_info,
        metadata_props: g.metadata_props.clone(),
        ..Default::default()
    };
    ModelProto {
        ir_version: model.ir_version,
        opset_import: model.opset_import.clone(),
        producer_name: model.producer_name.clone(),
        producer_version: model.producer_version.clone(),
        domain: model.domain.clone(),
        model_version: model.model_version,
        doc_string: model.doc_string.clone(),
        graph: Some(sub).into(),
        metadata_props: model.metadata_props.clone(),
        functions: model.functions.clone(),
        ..Default::default()
    }
}
