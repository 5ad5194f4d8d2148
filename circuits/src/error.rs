//! The error type of the circuits crate.

use thiserror::Error;

/// Everything that can go wrong while quantizing, evaluating or laying out a model.
#[derive(Debug, Error)]
pub enum CircuitError {
    /// A value that the circuit range-checks fell outside `[-2^bits, 2^bits)`.
    #[error(
        "value {value} is outside the circuit's range [-2^{bits}, 2^{bits}); the input is \
         outside the range seen during calibration: recalibrate with samples that cover it \
         (`--calibration FILE`) or use a smaller scale"
    )]
    OutOfRange {
        /// The offending fixed-point integer.
        value: i128,
        /// The range bound in bits.
        bits: u32,
    },
    /// A table input fell outside the table (sized from calibration).
    #[error(
        "value {value} is outside the range [{lo}, {hi}] of table {table}, which calibration \
         sized from the samples it saw: recalibrate with samples that cover it \
         (`--calibration FILE`)"
    )]
    TableRange {
        /// The table's key.
        table: String,
        /// The offending input.
        value: i128,
        /// Smallest input of the table.
        lo: i128,
        /// Largest input of the table.
        hi: i128,
    },
    /// Division by a runtime value that is zero (or negative where a positive divisor is
    /// required).
    #[error(
        "division by {divisor}: the divisor must be positive here; check the input (a zero \
         variance or a zero denominator) or add an epsilon to the model"
    )]
    DivisionByZero {
        /// The divisor (fixed-point integer).
        divisor: i128,
    },
    /// Square root of a negative value.
    #[error("square root of the negative fixed-point value {value}")]
    NegativeSqrt {
        /// The operand.
        value: i128,
    },
    /// A value the circuit constrains to zero is not zero.
    #[error("value {value} must be 0 here")]
    NotZero {
        /// The offending fixed-point integer.
        value: i128,
    },
    /// An intermediate left the field-safe range; it would wrap in the field.
    #[error(
        "fixed-point overflow: an intermediate reached {value_bits} bits, over the field-safe \
         limit of {limit_bits} bits; use a smaller scale"
    )]
    Overflow {
        /// Bit length of the value that overflowed (approximate for products).
        value_bits: u32,
        /// The limit in bits.
        limit_bits: u32,
    },
    /// A float constant or input could not be quantized (non-finite or too large).
    #[error("cannot quantize {what}: value {value} at scale 2^{scale} is not finite or too large")]
    Quantize {
        /// What was being quantized.
        what: String,
        /// The float value.
        value: f64,
        /// The scale exponent.
        scale: u32,
    },
    /// An error while evaluating a particular node.
    #[error("node \"{node}\" ({op}): {source}")]
    Node {
        /// Node name.
        node: String,
        /// Op type.
        op: &'static str,
        /// What went wrong.
        #[source]
        source: Box<CircuitError>,
    },
    /// The node is valid ONNX but this form of it has no circuit yet.
    #[error("{message}")]
    Unsupported {
        /// What is not supported and what to do instead.
        message: String,
    },
    /// A graph input has the wrong shape or count.
    #[error("input {name:?}: {message}")]
    Input {
        /// Input name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A node computed an output whose shape differs from the one the graph declares for it
    /// (an inconsistent graph: the circuit would not compute what the statement says).
    #[error(
        "node \"{node}\" ({op}): computed output shape {got:?}, but the graph declares \
         {expected:?} for \"{value}\"; the graph is inconsistent (import the model again)"
    )]
    OutputShape {
        /// Node name.
        node: String,
        /// Op type.
        op: &'static str,
        /// The output value's name.
        value: String,
        /// The declared shape (boxed: keeps the error, and every `Result`, small).
        expected: Box<[usize]>,
        /// The computed shape.
        got: Box<[usize]>,
    },
    /// The graph's runtime tensors hold more elements than any circuit can handle; checked
    /// before anything of that size is allocated.
    #[error(
        "the model's runtime tensors hold {} elements in all, over the circuit budget of \
         {budget}; the largest is \"{largest}\"; use smaller inputs or a smaller model",
        elements.map_or_else(|| "more than usize::MAX".to_string(), |n| n.to_string())
    )]
    Budget {
        /// Total elements of the inputs and node outputs; `None` when it overflows `usize`.
        elements: Option<usize>,
        /// The budget.
        budget: usize,
        /// The largest runtime tensor.
        largest: String,
    },
    /// The float reference evaluation failed (calibration).
    #[cfg(feature = "model")]
    #[error("float reference evaluation failed: {0}")]
    Float(#[from] onnx_import::eval::EvalError),
    /// Settings are inconsistent (e.g. scales out of the supported range).
    #[error("invalid settings: {message}")]
    Settings {
        /// What is wrong.
        message: String,
    },
}

impl CircuitError {
    /// Wraps the error with the node it happened in.
    pub fn at_node(self, node: &str, op: &'static str) -> Self {
        match self {
            e @ CircuitError::Node { .. } => e,
            e => CircuitError::Node {
                node: node.to_string(),
                op,
                source: Box::new(e),
            },
        }
    }

    /// Shorthand for [`CircuitError::Unsupported`].
    pub fn unsupported(message: impl Into<String>) -> Self {
        CircuitError::Unsupported {
            message: message.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, CircuitError>;
