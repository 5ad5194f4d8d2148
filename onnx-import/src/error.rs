//! The importer's error type.
//!
//! Every message says what is wrong, where (file, node, tensor) and, where there is one, what to
//! do about it.

use std::fmt;
use std::path::PathBuf;

/// One node whose operator the importer does not support.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedOp {
    /// The node's name (or `"<op_type>_<index>"` when the model left it empty).
    pub node: String,
    /// The ONNX op type, e.g. `"Sigmoid"`.
    pub op_type: String,
    /// The operator domain as written in the model (`""` is the default ONNX domain).
    pub domain: String,
    /// Why it is unsupported, when it is more than "unknown operator" (for example a
    /// fold-only op whose input is only known at runtime).
    pub detail: Option<String>,
}

impl UnsupportedOp {
    /// The domain as shown to users: `ai.onnx` for the default domain.
    pub fn display_domain(&self) -> &str {
        display_domain(&self.domain)
    }
}

/// `ai.onnx` for the empty (default) domain, the domain itself otherwise.
pub(crate) fn display_domain(domain: &str) -> &str {
    if domain.is_empty() {
        "ai.onnx"
    } else {
        domain
    }
}

impl fmt::Display for UnsupportedOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "node \"{}\" ({}::{})",
            self.node,
            self.display_domain(),
            self.op_type
        )?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

/// Formats the list of unsupported nodes for [`ImportError::UnsupportedOps`].
fn fmt_unsupported(ops: &[UnsupportedOp], supported: &[&str], fold_only: &[&str]) -> String {
    let list: Vec<String> = ops.iter().map(|o| format!("  - {o}")).collect();
    format!(
        "the model uses {} unsupported operator node(s):\n{}\nsupported operators (default \
         ONNX domain only): {}; {} are accepted only when they can be evaluated at import \
         time. Replace the listed operators (or re-export the model without them) and try again",
        ops.len(),
        list.join("\n"),
        supported.join(", "),
        fold_only.join(", "),
    )
}

/// Everything that can go wrong while importing an ONNX model.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The model file could not be read.
    #[error("cannot read ONNX model {}: {source}", path.display())]
    Io {
        /// The file that was being read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a decodable ONNX model (empty, truncated, not protobuf, not ONNX).
    #[error("cannot decode {source_name} as an ONNX model: {message}")]
    Decode {
        /// File name (or other label) of the bytes.
        source_name: String,
        /// What the decoder found.
        message: String,
    },
    /// One or more nodes use operators the importer does not support; all are listed.
    #[error("{}", fmt_unsupported(ops, supported, fold_only))]
    UnsupportedOps {
        /// Every unsupported node, in graph order.
        ops: Vec<UnsupportedOp>,
        /// The runtime operators of the registry the import used.
        supported: Vec<&'static str>,
        /// Its import-time-only operators.
        fold_only: Vec<&'static str>,
    },
    /// A node's attributes or constant inputs are invalid or use an unsupported feature.
    #[error("node \"{node}\" ({op_type}): {message}")]
    Node {
        /// The node's name.
        node: String,
        /// Its op type.
        op_type: String,
        /// What is wrong.
        message: String,
    },
    /// A node reads a tensor that no node, graph input or initializer produces.
    #[error(
        "node \"{node}\" ({op_type}) reads tensor \"{input}\", which is not a graph input, an \
         initializer or the output of any node; the model is malformed (run onnx.checker on it)"
    )]
    DanglingInput {
        /// The node's name.
        node: String,
        /// Its op type.
        op_type: String,
        /// The missing tensor name.
        input: String,
    },
    /// Input shapes are incompatible, or an inferred shape disagrees with a declared one.
    #[error("node \"{node}\" ({op_type}): shape mismatch: {message}")]
    ShapeMismatch {
        /// The node's name.
        node: String,
        /// Its op type.
        op_type: String,
        /// The shapes involved.
        message: String,
    },
    /// A graph-level problem: missing graph or outputs, dynamic shapes, cycles, data types.
    #[error("invalid model: {message}")]
    Model {
        /// What is wrong and what to do.
        message: String,
    },
    /// Folding a node at import time would go over the model's folding budget
    /// ([`crate::budget::MAX_FOLD_ELEMS`] elements in all); checked before allocating.
    #[error(
        "node \"{node}\" ({op_type}): evaluating it at import time would create {} elements, \
         but the model may fold at most {budget} elements in all and {used} are already used; \
         the model asks for more memory than an ONNX file of this kind should (a malformed or \
         hostile file?), or compute the tensor at runtime instead",
        fmt_count(*requested)
    )]
    FoldBudget {
        /// The node's name.
        node: String,
        /// Its op type.
        op_type: String,
        /// Elements the fold needs; `None` when the count overflows `usize`.
        requested: Option<usize>,
        /// Elements already folded by earlier nodes.
        used: usize,
        /// The budget.
        budget: usize,
    },
    /// The graph's runtime tensors hold more elements than any circuit can handle
    /// ([`crate::budget::MAX_RUNTIME_ELEMS`]).
    #[error(
        "the model's runtime tensors (inputs and node outputs) hold {} elements in all, over \
         the budget of {budget}; the largest is \"{largest}\" with {} elements. Use smaller \
         inputs (bind symbolic dimensions to smaller values) or a smaller model",
        fmt_count(*elements),
        fmt_count(*largest_elements)
    )]
    RuntimeBudget {
        /// Total elements; `None` when the count overflows `usize`.
        elements: Option<usize>,
        /// The budget.
        budget: usize,
        /// The largest runtime tensor.
        largest: String,
        /// Its elements; `None` when the count overflows `usize`.
        largest_elements: Option<usize>,
    },
    /// A stored tensor (initializer or `Constant` value) whose dims disagree with the data it
    /// holds, checked before anything is allocated.
    #[error(
        "tensor \"{tensor}\" has dims {dims:?}, which call for {} elements ({} bytes of \
         raw_data), but it holds {found} {unit}; the file is corrupt or truncated: export the \
         model again",
        fmt_count(*elements),
        fmt_count(elements.and_then(|n| n.checked_mul(*elem_bytes)))
    )]
    TensorSize {
        /// The tensor's name.
        tensor: String,
        /// Its dims as written.
        dims: Vec<i64>,
        /// Their product; `None` when it overflows `usize`.
        elements: Option<usize>,
        /// Bytes per element of its data type.
        elem_bytes: usize,
        /// What it holds: a byte count for `raw_data`, an element count for typed data.
        found: usize,
        /// `"bytes of raw_data"` or `"typed elements"`.
        unit: &'static str,
    },
    /// A graph output's declared shape disagrees with the shape the importer infers.
    #[error(
        "graph output \"{tensor}\" is declared with shape {} in the model, but its inputs \
         give {inferred:?}; the model's output declaration is wrong (fix it or re-export)",
        fmt_dims(declared)
    )]
    OutputShape {
        /// The output tensor's name.
        tensor: String,
        /// The declared dims (`None` for a symbolic or missing one).
        declared: Vec<Option<i64>>,
        /// The inferred shape.
        inferred: Vec<usize>,
    },
    /// A serialized `TensorProto` file (ONNX test data such as `input_0.pb`) cannot be read,
    /// decoded or converted; see [`crate::tensor_file`].
    #[error("cannot read tensor file {}: {message}", path.display())]
    TensorFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// [`crate::split::extract`] was asked for a segment that is not a range of the model's
    /// nodes: `start >= end` or `end` past the node count.
    #[error(
        "cannot extract nodes [{start}, {end}) of {model}: the model has {nodes} ONNX node(s), \
         so a segment needs start < end <= {nodes}"
    )]
    SegmentRange {
        /// File name (or other label) of the model.
        model: String,
        /// First node of the segment (0-based ONNX node index).
        start: usize,
        /// One past its last node.
        end: usize,
        /// The model's ONNX node count.
        nodes: usize,
    },
    /// A segment boundary falls where the model cannot be cut: after ONNX node `after_node`
    /// more (or less) than one runtime tensor crosses, the crossing tensor is not in the IR
    /// (folded or fused away) or a graph output is already produced.
    #[error(
        "cannot cut {model} after ONNX node {after_node}: a segment boundary must be a place \
         where exactly one runtime tensor crosses; valid cuts are after nodes {valid:?} (see \
         split::cut_points)"
    )]
    NoCut {
        /// File name (or other label) of the model.
        model: String,
        /// The node after which the cut was asked for (0-based ONNX node index).
        after_node: usize,
        /// Every node after which the model can be cut, in order.
        valid: Vec<usize>,
    },
    /// Splitting needs the ONNX node list in topological order, and node `node` reads
    /// `input` before any earlier node, graph input or initializer provides it.
    #[error(
        "cannot split {model}: ONNX node {index} (\"{node}\") reads tensor \"{input}\", which \
         no earlier node, graph input or initializer provides; the node list must be in \
         topological order (re-export the model, or sort it with onnx.utils)"
    )]
    SplitOrder {
        /// File name (or other label) of the model.
        model: String,
        /// The node's index in the ONNX node list.
        index: usize,
        /// The node's name.
        node: String,
        /// The tensor it reads too early.
        input: String,
    },
    /// Serializing an extracted sub-model failed.
    #[error("cannot serialize nodes [{start}, {end}) of {model} as an ONNX model: {message}")]
    SplitEncode {
        /// File name (or other label) of the model.
        model: String,
        /// First node of the segment.
        start: usize,
        /// One past its last node.
        end: usize,
        /// The protobuf encoder's message.
        message: String,
    },
}

/// An element count, or "more than `usize::MAX`" where it overflowed.
fn fmt_count(n: Option<usize>) -> String {
    n.map_or_else(|| format!("more than {}", usize::MAX), |n| n.to_string())
}

/// Declared dims, `?` for unknown ones.
fn fmt_dims(dims: &[Option<i64>]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| d.map_or_else(|| "?".to_string(), |v| v.to_string()))
        .collect();
    format!("[{}]", parts.join(", "))
}

impl ImportError {
    /// Shorthand for [`ImportError::Model`].
    pub(crate) fn model(message: impl Into<String>) -> Self {
        ImportError::Model {
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_display_lists_every_node_and_the_supported_ops() {
        let e = ImportError::UnsupportedOps {
            ops: vec![
                UnsupportedOp {
                    node: "s".into(),
                    op_type: "Sigmoid".into(),
                    domain: String::new(),
                    detail: None,
                },
                UnsupportedOp {
                    node: "f".into(),
                    op_type: "Foo".into(),
                    domain: "com.example".into(),
                    detail: None,
                },
            ],
            supported: vec!["Gemm", "MatMul"],
            fold_only: vec!["Constant"],
        };
        let s = e.to_string();
        assert!(s.contains("node \"s\" (ai.onnx::Sigmoid)"), "{s}");
        assert!(s.contains("node \"f\" (com.example::Foo)"), "{s}");
        assert!(s.contains("Gemm, MatMul"), "{s}");
    }

    #[test]
    fn node_display() {
        let e = ImportError::Node {
            node: "conv_3".into(),
            op_type: "Conv".into(),
            message: "group=3 does not divide 4 input channels".into(),
        };
        assert_eq!(
            e.to_string(),
            "node \"conv_3\" (Conv): group=3 does not divide 4 input channels"
        );
    }
}
