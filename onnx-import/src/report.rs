//! A per-node description of a model that does not stop at unsupported operators.

use std::fmt;

use crate::convert;
use crate::dims::{DimBinding, ImportOptions};
use crate::error::{display_domain, ImportError};
use crate::ir::ValueKind;
use crate::proto;
use crate::registry::Registry;

/// What the importer can do with one ONNX node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeStatus {
    /// Imported as an IR node.
    Supported,
    /// Evaluated at import time into a constant (no IR node).
    Folded,
    /// Cannot be imported; `reason` says why (unsupported operator, bad attribute, ...).
    Unsupported {
        /// Human-readable explanation.
        reason: String,
    },
    /// No graph output depends on it, so it is skipped (neither mapped nor evaluated).
    Unused,
}

/// One ONNX node as seen by the importer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeReport {
    /// Node name (or `"<op_type>_<index>"` when the model left it empty).
    pub name: String,
    /// ONNX op type.
    pub op_type: String,
    /// Operator domain as written in the model (`""` is the default domain).
    pub domain: String,
    /// Shapes of the node's present inputs; `None` where unknown (after an unsupported node).
    pub input_shapes: Vec<Option<Vec<usize>>>,
    /// Shapes of its outputs; `None` where unknown, unless the model's value_info declares
    /// them.
    pub output_shapes: Vec<Option<Vec<usize>>>,
    /// Whether it imports.
    pub status: NodeStatus,
}

/// The result of [`inspect_bytes`]: every node with its status, plus model totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelReport {
    /// Label of the inspected bytes (usually the file name).
    pub source_name: String,
    /// Default-domain opset the model declares (clamped into the supported range).
    pub opset: i64,
    /// One entry per ONNX node, in the model's order.
    pub nodes: Vec<NodeReport>,
    /// Graph-level problems that would make the import fail even with supported ops
    /// (dynamic input shapes, unsupported opset, cycles, missing outputs, ...).
    pub model_problems: Vec<String>,
    /// How the free (symbolic or unknown) graph-input dimensions were bound.
    pub dims: Vec<DimBinding>,
    /// Elements of all constant tensors used as weights by importable nodes.
    pub parameters: u64,
    /// Multiply-accumulates of the importable Gemm / MatMul / Conv nodes (one inference).
    pub macs: u64,
}

impl ModelReport {
    /// True when every node is supported or folded and there is no graph-level problem, i.e.
    /// when [`crate::import_bytes`] would succeed.
    pub fn all_supported(&self) -> bool {
        self.model_problems.is_empty()
            && self
                .nodes
                .iter()
                .all(|n| !matches!(n.status, NodeStatus::Unsupported { .. }))
    }

    /// The nodes that are not supported.
    pub fn unsupported(&self) -> impl Iterator<Item = &NodeReport> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.status, NodeStatus::Unsupported { .. }))
    }
}

fn fmt_opt(s: &Option<Vec<usize>>) -> String {
    match s {
        Some(s) => crate::shapes::fmt_shape(s),
        None => "?".into(),
    }
}

fn fmt_list(v: &[Option<Vec<usize>>]) -> String {
    v.iter().map(fmt_opt).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for ModelReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} (opset {}), {} nodes:",
            self.source_name,
            self.opset,
            self.nodes.len()
        )?;
        for d in &self.dims {
            writeln!(f, "  dim {d}")?;
        }
        for n in &self.nodes {
            let op = if n.domain.is_empty() || n.domain == "ai.onnx" {
                n.op_type.clone()
            } else {
                format!("{}::{}", display_domain(&n.domain), n.op_type)
            };
            let status = match &n.status {
                NodeStatus::Supported => "ok".to_string(),
                NodeStatus::Folded => "ok (folded to a constant)".to_string(),
                NodeStatus::Unsupported { reason } => format!("NOT SUPPORTED: {reason}"),
                NodeStatus::Unused => "unused (no graph output depends on it; skipped)".into(),
            };
            writeln!(
                f,
                "  {} {}: {} -> {}  {}",
                n.name,
                op,
                fmt_list(&n.input_shapes),
                fmt_list(&n.output_shapes),
                status
            )?;
        }
        for p in &self.model_problems {
            writeln!(f, "  model problem: {p}")?;
        }
        let bad = self.unsupported().count();
        write!(
            f,
            "totals: {} parameters, {} MACs, {} of {} nodes supported{}",
            self.parameters,
            self.macs,
            self.nodes.len() - bad,
            self.nodes.len(),
            if self.all_supported() {
                ""
            } else {
                " (model cannot be imported as is)"
            }
        )
    }
}

/// Describes every node of a model, without failing on unsupported operators or shapes.
///
/// Fails only when `bytes` cannot be decoded as an ONNX model (an [`ImportError::Decode`]).
pub fn inspect_bytes(bytes: &[u8], source_name: &str) -> Result<ModelReport, ImportError> {
    inspect_bytes_registry(bytes, source_name, &Registry::standard())
}

/// [`inspect_bytes`] with free input dimensions bound from `opts` (see
/// [`crate::import_bytes_with`]); [`ModelReport::dims`] lists the bindings used.
pub fn inspect_bytes_with(
    bytes: &[u8],
    source_name: &str,
    opts: &ImportOptions,
) -> Result<ModelReport, ImportError> {
    inspect(bytes, source_name, &Registry::standard(), opts)
}

/// [`inspect_bytes`] with the operators of `registry` instead of the standard ones.
pub fn inspect_bytes_registry(
    bytes: &[u8],
    source_name: &str,
    registry: &Registry,
) -> Result<ModelReport, ImportError> {
    inspect(bytes, source_name, registry, &ImportOptions::default())
}

fn inspect(
    bytes: &[u8],
    source_name: &str,
    registry: &Registry,
    opts: &ImportOptions,
) -> Result<ModelReport, ImportError> {
    let model = proto::decode(bytes, source_name)?;
    let conv = convert::convert(&model, registry, opts);
    let g = &conv.graph;
    let mut used = vec![false; g.values.len()];
    for id in g.nodes.iter().flat_map(|n| &n.inputs) {
        if let Some(u) = used.get_mut(*id) {
            *u = true;
        }
    }
    let parameters = g
        .values
        .iter()
        .zip(&used)
        .filter(|(_, &u)| u)
        .map(|(v, _)| match &v.kind {
            ValueKind::Constant(t) => t.len() as u64,
            _ => 0,
        })
        .sum();
    Ok(ModelReport {
        source_name: source_name.to_string(),
        opset: g.opset,
        parameters,
        macs: conv.macs,
        model_problems: conv.model_errors.iter().map(ToString::to_string).collect(),
        dims: g.input_info.dims.clone(),
        nodes: conv.reports,
    })
}
