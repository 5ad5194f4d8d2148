//! The typed graph IR that every later stage consumes.
//!
//! A [`Graph`] is a list of [`Node`]s in topological order over numbered values
//! ([`ValueId`]). Every value has a static shape. Constants (initializers, `Constant` nodes and
//! folded shape arithmetic) are stored as [`Tensor`]s in the value table; operator parameters
//! that ONNX passes as constant inputs (Reshape's shape, Slice's starts/ends, Squeeze axes,
//! Gather indices, Clip bounds, ...) are resolved into the [`Op`] itself, so no later stage ever
//! looks at an ONNX op-type string or attribute map.

use serde::{Deserialize, Serialize};

/// Index of a value (tensor) in [`Graph::values`].
pub type ValueId = usize;

/// A dense, row-major float tensor (ONNX `float32` data is widened to `f64` losslessly).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    /// Dimensions; empty for a scalar.
    pub shape: Vec<usize>,
    /// Row-major elements; `data.len() == shape.iter().product()`.
    pub data: Vec<f64>,
}

impl Tensor {
    /// Builds a tensor, returning `None` when `data` does not hold `product(shape)` elements.
    pub fn new(shape: Vec<usize>, data: Vec<f64>) -> Option<Self> {
        (shape.iter().product::<usize>() == data.len()).then_some(Self { shape, data })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the tensor holds no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ValueKind {
    /// A graph input, supplied at inference time.
    Input,
    /// A constant known at import time (initializer, `Constant` node, folded subgraph).
    Constant(Tensor),
    /// Produced by a node.
    Intermediate,
}

/// One tensor of the graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Value {
    /// The ONNX name of the tensor.
    pub name: String,
    /// Its static shape.
    pub shape: Vec<usize>,
    /// Input, constant or intermediate.
    pub kind: ValueKind,
}

/// Padding of a 2-D window op, resolved from `pads` / `auto_pad`: `[top, left, bottom, right]`.
pub type Pads2d = [usize; 4];

/// Attributes of a 2-D convolution (NCHW input, OIHW weight), with ONNX defaults applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvAttrs {
    /// Kernel height and width (from the weight's shape when `kernel_shape` is absent).
    pub kernel: [usize; 2],
    /// Strides along H and W (default 1).
    pub strides: [usize; 2],
    /// Resolved padding `[top, left, bottom, right]` (explicit `pads` or `auto_pad`).
    pub pads: Pads2d,
    /// Dilations along H and W (default 1).
    pub dilations: [usize; 2],
    /// Number of groups (default 1); divides both input and output channels.
    pub group: usize,
}

/// Attributes of a 2-D pooling op (NCHW), with ONNX defaults applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolAttrs {
    /// Window height and width.
    pub kernel: [usize; 2],
    /// Strides along H and W (default 1).
    pub strides: [usize; 2],
    /// Resolved padding `[top, left, bottom, right]`.
    pub pads: Pads2d,
    /// Dilations along H and W (default 1; MaxPool only, AveragePool opset >= 19).
    pub dilations: [usize; 2],
    /// AveragePool only: whether padded cells count in the divisor (default false).
    pub count_include_pad: bool,
}

/// One resolved Slice axis: take `start, start + step, ...` while before `end` (exclusive).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceAxis {
    /// The (non-negative) axis.
    pub axis: usize,
    /// First index, already clamped into range.
    pub start: i64,
    /// Exclusive end, already clamped (may be -1 for negative steps).
    pub end: i64,
    /// Non-zero step.
    pub step: i64,
}

/// The supported operators with all parameters resolved. Input order follows ONNX.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// `Y = alpha * A' * B' + beta * C` (A' / B' optionally transposed). Inputs: A, B and optionally C.
    Gemm {
        /// Scalar on the product (default 1).
        alpha: f64,
        /// Scalar on C (default 1).
        beta: f64,
        /// Transpose A (default false).
        trans_a: bool,
        /// Transpose B (default false).
        trans_b: bool,
    },
    /// Numpy-style matrix product with batch broadcasting. Inputs: A, B.
    MatMul,
    /// Elementwise `a + b` with multidirectional broadcasting.
    Add,
    /// Elementwise `a - b` with broadcasting.
    Sub,
    /// Elementwise `a * b` with broadcasting.
    Mul,
    /// Elementwise `a / b` with broadcasting; the importer only accepts a constant `b`
    /// with no zero element.
    Div,
    /// `-x`.
    Neg,
    /// `max(x, 0)`.
    Relu,
    /// `x` if `x >= 0` else `alpha * x`.
    LeakyRelu {
        /// Slope for negative inputs (default 0.01).
        alpha: f64,
    },
    /// `min(max(x, min), max)`; absent bounds are `None`. Only input 0 remains in the node.
    Clip {
        /// Lower bound.
        min: Option<f64>,
        /// Upper bound.
        max: Option<f64>,
    },
    /// 2-D convolution. Inputs: X `[N,C,H,W]`, W `[M,C/group,kh,kw]`, optional B `[M]`.
    Conv(ConvAttrs),
    /// Inference BatchNormalization. Inputs: X, scale, bias, mean, var (all per channel).
    BatchNormalization {
        /// Added to the variance (default 1e-5).
        epsilon: f64,
    },
    /// 2-D max pooling (padding never wins: padded cells are ignored).
    MaxPool(PoolAttrs),
    /// 2-D average pooling.
    AveragePool(PoolAttrs),
    /// Mean over H and W, keeping them as size 1.
    GlobalAveragePool,
    /// Reshape to `[prod(dims[..axis]), prod(dims[axis..])]`; `axis` is non-negative.
    Flatten {
        /// Resolved axis.
        axis: usize,
    },
    /// Reshape to a fully resolved shape (no 0 or -1 left). Only input 0 remains.
    Reshape {
        /// The output shape.
        shape: Vec<usize>,
    },
    /// Axis permutation (default: reverse).
    Transpose {
        /// Output axis `i` is input axis `perm[i]`.
        perm: Vec<usize>,
    },
    /// Concatenation along a non-negative axis.
    Concat {
        /// Resolved axis.
        axis: usize,
    },
    /// Strided slicing; axes not listed are taken whole. Only input 0 remains.
    Slice {
        /// One entry per sliced axis.
        axes: Vec<SliceAxis>,
    },
    /// Remove size-1 axes (sorted, non-negative). Only input 0 remains.
    Squeeze {
        /// Axes removed.
        axes: Vec<usize>,
    },
    /// Insert size-1 axes at these output positions (sorted, non-negative). Only input 0 remains.
    Unsqueeze {
        /// Axes inserted.
        axes: Vec<usize>,
    },
    /// Gather along `axis` with constant indices (negatives already resolved). Only input 0
    /// remains; the output shape is `data[..axis] ++ indices_shape ++ data[axis+1..]`.
    Gather {
        /// Resolved axis.
        axis: usize,
        /// Indices, non-negative and in range.
        indices: Vec<usize>,
        /// Shape of the index tensor (empty for a scalar index, which drops the axis).
        indices_shape: Vec<usize>,
    },
    /// Pass-through.
    Identity,
    /// Sum over axes (sorted, non-negative; empty = all unless `noop_with_empty_axes`).
    ReduceSum {
        /// Reduced axes, resolved.
        axes: Vec<usize>,
        /// Keep reduced axes as size 1 (default true).
        keepdims: bool,
    },
    /// Mean over axes.
    ReduceMean {
        /// Reduced axes, resolved.
        axes: Vec<usize>,
        /// Keep reduced axes as size 1 (default true).
        keepdims: bool,
    },
}

impl Op {
    /// The ONNX op type this variant came from (for display only).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Gemm { .. } => "Gemm",
            Op::MatMul => "MatMul",
            Op::Add => "Add",
            Op::Sub => "Sub",
            Op::Mul => "Mul",
            Op::Div => "Div",
            Op::Neg => "Neg",
            Op::Relu => "Relu",
            Op::LeakyRelu { .. } => "LeakyRelu",
            Op::Clip { .. } => "Clip",
            Op::Conv(_) => "Conv",
            Op::BatchNormalization { .. } => "BatchNormalization",
            Op::MaxPool(_) => "MaxPool",
            Op::AveragePool(_) => "AveragePool",
            Op::GlobalAveragePool => "GlobalAveragePool",
            Op::Flatten { .. } => "Flatten",
            Op::Reshape { .. } => "Reshape",
            Op::Transpose { .. } => "Transpose",
            Op::Concat { .. } => "Concat",
            Op::Slice { .. } => "Slice",
            Op::Squeeze { .. } => "Squeeze",
            Op::Unsqueeze { .. } => "Unsqueeze",
            Op::Gather { .. } => "Gather",
            Op::Identity => "Identity",
            Op::ReduceSum { .. } => "ReduceSum",
            Op::ReduceMean { .. } => "ReduceMean",
        }
    }
}

/// One operator application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The ONNX node name (or `"<op_type>_<index>"` when the model left it empty).
    pub name: String,
    /// The operator with resolved parameters.
    pub op: Op,
    /// Input values (constant inputs that were resolved into `op` are dropped).
    pub inputs: Vec<ValueId>,
    /// Output values (exactly one for every supported op).
    pub outputs: Vec<ValueId>,
}

/// A whole imported model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// All values; inputs, constants and intermediates.
    pub values: Vec<Value>,
    /// Nodes in topological order.
    pub nodes: Vec<Node>,
    /// Graph inputs (runtime only; initializers are not inputs), in ONNX order.
    pub inputs: Vec<ValueId>,
    /// Graph outputs, in ONNX order.
    pub outputs: Vec<ValueId>,
    /// Default-domain opset the model declares.
    pub opset: i64,
}

impl Graph {
    /// The constant tensor of `id`, if that value is a constant.
    pub fn constant(&self, id: ValueId) -> Option<&Tensor> {
        match &self.values.get(id)?.kind {
            ValueKind::Constant(t) => Some(t),
            _ => None,
        }
    }

    /// Shape of a value.
    pub fn shape(&self, id: ValueId) -> &[usize] {
        &self.values[id].shape
    }
}
