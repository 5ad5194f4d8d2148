//! Mapping of one ONNX node to an [`Op`] with resolved parameters and its output shape.
//!
//! One file per op family; [`map_node`] dispatches on the op type.

mod arith;
mod layout;
mod reduce;
mod window;

use crate::error::{ImportError, FOLD_ONLY_OPS, SUPPORTED_OPS};
use crate::fold::ConstVal;
use crate::ir::Op;
use crate::proto::Attrs;
use crate::shapes::fmt_shape;

/// Whether `(domain, op_type)` is an operator the importer knows (runtime or fold-only).
pub(crate) fn is_known_op(domain: &str, op_type: &str) -> bool {
    (domain.is_empty() || domain == "ai.onnx")
        && (SUPPORTED_OPS.contains(&op_type) || FOLD_ONLY_OPS.contains(&op_type))
}

/// One present input of the node being mapped.
pub(crate) struct InputRef<'a> {
    /// Tensor name.
    pub name: &'a str,
    /// Static shape.
    pub shape: &'a [usize],
    /// The value, when it is known at import time.
    pub constant: Option<&'a ConstVal>,
}

/// Everything a mapper needs to know about a node.
pub(crate) struct NodeCtx<'a> {
    /// Node name (resolved).
    pub name: &'a str,
    /// ONNX op type.
    pub op_type: &'a str,
    /// Default-domain opset of the model.
    pub opset: i64,
    /// Attributes.
    pub attrs: Attrs<'a>,
    /// Inputs by position; `None` for an absent optional input (empty name).
    pub inputs: Vec<Option<InputRef<'a>>>,
    /// Number of (non-empty) outputs the node declares.
    pub n_outputs: usize,
}

/// The result of mapping a node.
pub(crate) struct Mapped {
    /// The resolved operator.
    pub op: Op,
    /// Positions (in the ONNX input list) of the inputs the IR node keeps.
    pub inputs: Vec<usize>,
    /// Output shape.
    pub shape: Vec<usize>,
}

impl Mapped {
    /// A mapping keeping the given ONNX input positions.
    pub fn new(op: Op, inputs: Vec<usize>, shape: Vec<usize>) -> Self {
        Self { op, inputs, shape }
    }
}

impl<'a> NodeCtx<'a> {
    /// A `Node` error naming this node.
    pub fn err(&self, message: impl Into<String>) -> ImportError {
        ImportError::Node {
            node: self.name.to_string(),
            op_type: self.op_type.to_string(),
            message: message.into(),
        }
    }

    /// A `ShapeMismatch` error naming this node.
    pub fn shape_err(&self, message: impl Into<String>) -> ImportError {
        ImportError::ShapeMismatch {
            node: self.name.to_string(),
            op_type: self.op_type.to_string(),
            message: message.into(),
        }
    }

    /// Lifts an attribute-reading error.
    pub fn attr<T>(&self, r: Result<T, String>) -> Result<T, ImportError> {
        r.map_err(|m| self.err(m))
    }

    /// The input at `i`, if present.
    pub fn opt(&self, i: usize) -> Option<&InputRef<'a>> {
        self.inputs.get(i).and_then(Option::as_ref)
    }

    /// The required input at `i`.
    pub fn input(&self, i: usize) -> Result<&InputRef<'a>, ImportError> {
        self.opt(i).ok_or_else(|| {
            self.err(format!(
                "required input #{i} is missing (the node has {} inputs)",
                self.inputs.len()
            ))
        })
    }

    /// Shape of the required input at `i`.
    pub fn shape(&self, i: usize) -> Result<&'a [usize], ImportError> {
        self.input(i).map(|x| x.shape)
    }

    /// The required input at `i`, which must be a constant.
    pub fn constant(&self, i: usize, what: &str) -> Result<&'a ConstVal, ImportError> {
        let inp = self.input(i)?;
        inp.constant.ok_or_else(|| {
            self.err(format!(
                "{what} (input #{i}, \"{}\") is computed at runtime; only a constant {what} \
                 (an initializer or a value computable at import time) is supported",
                inp.name
            ))
        })
    }

    /// A constant input read as integers (each must be integral).
    pub fn const_ints(&self, i: usize, what: &str) -> Result<Vec<i64>, ImportError> {
        let c = self.constant(i, what)?;
        to_ints(&c.tensor.data).map_err(|m| self.err(format!("{what}: {m}")))
    }

    /// Optional integer-list input `i` (absent or empty name gives `None`).
    pub fn opt_const_ints(&self, i: usize, what: &str) -> Result<Option<Vec<i64>>, ImportError> {
        if self.opt(i).is_none() {
            return Ok(None);
        }
        self.const_ints(i, what).map(Some)
    }

    /// An INT attribute with a default.
    pub fn int_or(&self, name: &str, default: i64) -> Result<i64, ImportError> {
        Ok(self.attr(self.attrs.int(name))?.unwrap_or(default))
    }

    /// A FLOAT attribute with a default.
    pub fn float_or(&self, name: &str, default: f64) -> Result<f64, ImportError> {
        Ok(self.attr(self.attrs.float(name))?.unwrap_or(default))
    }

    /// A 0/1 INT attribute with a default, as a bool.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ImportError> {
        match self.int_or(name, i64::from(default))? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(self.err(format!("attribute {name}={v} must be 0 or 1"))),
        }
    }

    /// Requires the node to have exactly one output.
    pub fn single_output(&self) -> Result<(), ImportError> {
        if self.n_outputs == 1 {
            Ok(())
        } else {
            Err(self.err(format!(
                "has {} outputs; only the single-output form of {} is supported",
                self.n_outputs, self.op_type
            )))
        }
    }

    /// Requires the input at `i` to have the given rank.
    pub fn rank(&self, i: usize, rank: usize, what: &str) -> Result<&'a [usize], ImportError> {
        let s = self.shape(i)?;
        if s.len() == rank {
            Ok(s)
        } else {
            Err(self.shape_err(format!(
                "{what} must have rank {rank}, got shape {}",
                fmt_shape(s)
            )))
        }
    }
}

/// Converts floats holding integers to `i64` (saturating at the `i64` range).
pub(crate) fn to_ints(data: &[f64]) -> Result<Vec<i64>, String> {
    data.iter()
        .map(|&x| {
            if (x.is_finite() && x.fract() == 0.0) || x.is_infinite() {
                // `as` saturates, which is the intended behaviour for INT64_MAX / INT64_MIN.
                Ok(x as i64)
            } else {
                Err(format!("value {x} is not an integer"))
            }
        })
        .collect()
}

/// Maps a runtime (non-fold-only) node. The caller has already checked the domain.
pub(crate) fn map_node(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    match ctx.op_type {
        "Gemm" => arith::gemm(ctx),
        "MatMul" => arith::matmul(ctx),
        "Add" => arith::binary(ctx, Op::Add),
        "Sub" => arith::binary(ctx, Op::Sub),
        "Mul" => arith::binary(ctx, Op::Mul),
        "Div" => arith::div(ctx),
        "Neg" => arith::unary(ctx, Op::Neg),
        "Relu" => arith::unary(ctx, Op::Relu),
        "LeakyRelu" => {
            let alpha = ctx.float_or("alpha", 0.01)?;
            arith::unary(ctx, Op::LeakyRelu { alpha })
        }
        "Clip" => arith::clip(ctx),
        "Identity" => arith::unary(ctx, Op::Identity),
        "Conv" => window::conv(ctx),
        "BatchNormalization" => window::batch_norm(ctx),
        "MaxPool" => window::pool(ctx, true),
        "AveragePool" => window::pool(ctx, false),
        "GlobalAveragePool" => window::global_average_pool(ctx),
        "Flatten" => layout::flatten(ctx),
        "Reshape" => layout::reshape(ctx),
        "Transpose" => layout::transpose(ctx),
        "Concat" => layout::concat(ctx),
        "Slice" => layout::slice(ctx),
        "Squeeze" => layout::squeeze(ctx),
        "Unsqueeze" => layout::unsqueeze(ctx),
        "Gather" => layout::gather(ctx),
        "ReduceSum" => reduce::reduce(ctx, true),
        "ReduceMean" => reduce::reduce(ctx, false),
        other => Err(ctx.err(format!("operator {other} is not supported"))),
    }
}
