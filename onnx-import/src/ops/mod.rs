//! Mapping of one ONNX node to IR ops with resolved parameters and output shapes.
//!
//! One file per op family (named like the family's float evaluator in `eval/` and its
//! fixed-point op in the circuits crate); each declares its operators in an `OPS` table that
//! [`crate::registry::Registry`] collects. Shared helpers live here and in `window.rs`.

mod activation;
mod arg;
mod constant;
mod einsum;
mod elementwise;
mod linear;
mod logic;
mod nonlinear;
mod norm;
mod pool;
mod reduce;
mod resize;
mod shape;
mod window;

pub(crate) use elementwise::cast_target;

use crate::budget::FoldBudget;
use crate::error::ImportError;
use crate::fold::ConstVal;
use crate::ir::Op;
use crate::proto::Attrs;
use crate::registry::OpDef;
use crate::shapes::fmt_shape;

/// Every family's operator table; [`crate::registry::Registry::standard`] concatenates them.
pub(crate) const FAMILY_TABLES: &[&[OpDef]] = &[
    linear::OPS,
    einsum::OPS,
    elementwise::OPS,
    activation::OPS,
    nonlinear::OPS,
    logic::OPS,
    norm::OPS,
    pool::OPS,
    reduce::OPS,
    arg::OPS,
    shape::OPS,
    resize::OPS,
    constant::OPS,
];

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
    /// The model's folding budget, which every import-time evaluation reserves from
    /// before it allocates.
    pub fold: &'a FoldBudget,
}

/// The result of mapping a node.
pub(crate) struct Mapped {
    /// The resolved operator.
    pub op: Op,
    /// Positions (in the ONNX input list) of the inputs the IR node keeps.
    pub inputs: Vec<usize>,
    /// Output shape.
    pub shape: Vec<usize>,
    /// Kept inputs (by ONNX position) the IR node reads reshaped to the given shape (same
    /// element count): the engine inserts a `Reshape` node, or reshapes a constant. Used by
    /// legacy (opset < 7) broadcasting, whose alignment numpy broadcasting cannot express.
    pub reshapes: Vec<(usize, Vec<usize>)>,
}

/// What a mapper produces: one IR op per declared (non-empty) ONNX output, in output order.
/// Most operators have one output; `Split` lowers to one `Slice` per output.
pub(crate) struct Lowering(pub Vec<Mapped>);

impl From<Mapped> for Lowering {
    fn from(m: Mapped) -> Self {
        Lowering(vec![m])
    }
}

impl Mapped {
    /// A mapping keeping the given ONNX input positions.
    pub fn new(op: Op, inputs: Vec<usize>, shape: Vec<usize>) -> Self {
        Self {
            op,
            inputs,
            shape,
            reshapes: vec![],
        }
    }

    /// The same mapping, reading the input at ONNX position `input` reshaped to `shape`.
    pub fn reshape_input(mut self, input: usize, shape: Vec<usize>) -> Self {
        self.reshapes.push((input, shape));
        self
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

    /// Reserves `elements` (`None`: the count overflowed) from the folding budget before a
    /// fold allocates them; over budget, an [`ImportError::FoldBudget`] naming this node.
    pub fn reserve_fold(&self, elements: Option<usize>) -> Result<usize, ImportError> {
        match elements {
            Some(n) if self.fold.reserve(Some(n)) => Ok(n),
            _ => Err(ImportError::FoldBudget {
                node: self.name.to_string(),
                op_type: self.op_type.to_string(),
                requested: elements,
                used: self.fold.used(),
                budget: self.fold.limit(),
            }),
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

/// Shape-preserving single-input ops.
pub(crate) fn unary(ctx: &NodeCtx<'_>, op: Op) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?.to_vec();
    Ok(Mapped::new(op, vec![0], s))
}
