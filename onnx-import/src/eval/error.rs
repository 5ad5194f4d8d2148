//! Errors of the float reference evaluator.

use thiserror::Error;

/// Why [`eval_graph`](super::eval_graph) or [`eval_all`](super::eval_all) could not evaluate a
/// graph.
///
/// Wrong runtime inputs (count, shape, inconsistent tensors) and inconsistent IR (an operator
/// whose input shapes do not fit it, an output shape that disagrees with the declared one) are
/// reported here; the evaluator never panics on them.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    /// The number of runtime tensors differs from the number of graph inputs.
    #[error("expected {expected} input tensor(s) ({names}), got {got}", names = .names.join(", "))]
    InputCount {
        /// Number of graph inputs.
        expected: usize,
        /// Number of tensors supplied.
        got: usize,
        /// Names of the graph inputs, in order.
        names: Vec<String>,
    },
    /// A runtime tensor's shape differs from its graph input's static shape.
    #[error("input '{input}': expected shape {expected:?}, got {got:?}")]
    InputShape {
        /// Name of the graph input.
        input: String,
        /// The graph input's static shape.
        expected: Vec<usize>,
        /// The shape supplied.
        got: Vec<usize>,
    },
    /// A runtime tensor's data length does not match its own shape.
    #[error("input '{input}': shape {shape:?} needs {expected} element(s), data holds {got}")]
    InputData {
        /// Name of the graph input.
        input: String,
        /// The tensor's shape.
        shape: Vec<usize>,
        /// `product(shape)`.
        expected: usize,
        /// `data.len()`.
        got: usize,
    },
    /// A node could not be evaluated (bad input shapes, missing operand, shape disagreement).
    #[error("node '{node}' ({op}): {message}")]
    Node {
        /// The node's name.
        node: String,
        /// The node's ONNX op type.
        op: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The graph itself is inconsistent (dangling value id, output never computed, ...).
    #[error("invalid graph: {message}")]
    Graph {
        /// What went wrong.
        message: String,
    },
}
