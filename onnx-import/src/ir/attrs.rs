//! Operator attribute types carried by [`Op`](super::Op) variants: convolution, pooling,
//! padding, slicing, resize and einsum parameters, and the small enums that select an
//! operator variant.

use serde::{Deserialize, Serialize};

/// Padding of an N-D window op along its spatial axes, resolved from `pads` / `auto_pad`
/// (ONNX writes `pads` as all beginnings, then all ends).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pads {
    /// Padding before the first element of each spatial axis.
    pub begin: Vec<usize>,
    /// Padding after the last element of each spatial axis.
    pub end: Vec<usize>,
}

impl Pads {
    /// No padding on `n` spatial axes.
    pub fn zeros(n: usize) -> Self {
        Self {
            begin: vec![0; n],
            end: vec![0; n],
        }
    }

    /// The same padding `p` before and after each of `n` spatial axes.
    pub fn uniform(n: usize, p: usize) -> Self {
        Self {
            begin: vec![p; n],
            end: vec![p; n],
        }
    }

    /// From ONNX order `[x1_begin, x2_begin, ..., x1_end, x2_end, ...]` (even length).
    pub fn from_onnx(pads: &[usize]) -> Self {
        let (begin, end) = pads.split_at(pads.len() / 2);
        Self {
            begin: begin.to_vec(),
            end: end.to_vec(),
        }
    }
}

/// Attributes of an N-D convolution (input `[N, C, D1, ..., Dn]`, weight
/// `[M, C/group, k1, ..., kn]`), with ONNX defaults applied. Every vector has one entry per
/// spatial axis (1 for Conv1d, 2 for NCHW, 3 for NCDHW).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvAttrs {
    /// Kernel size per spatial axis (from the weight's shape when `kernel_shape` is absent).
    pub kernel: Vec<usize>,
    /// Strides (default 1).
    pub strides: Vec<usize>,
    /// Resolved padding (explicit `pads` or `auto_pad`).
    pub pads: Pads,
    /// Dilations (default 1).
    pub dilations: Vec<usize>,
    /// Number of groups (default 1); divides both input and output channels.
    pub group: usize,
}

/// Attributes of an N-D transposed convolution (input `[N, C, D1, ..., Dn]`, weight
/// `[C, M/group, k1, ..., kn]`), with ONNX defaults applied and `output_shape` / `auto_pad`
/// already resolved into `pads` and `output_padding`. Output size per axis:
/// `stride·(in-1) + output_padding + dilation·(k-1) + 1 - pad_begin - pad_end`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvTransposeAttrs {
    /// Kernel size per spatial axis.
    pub kernel: Vec<usize>,
    /// Strides (default 1): input element `i` lands at output `i·stride + k·dilation - pad`.
    pub strides: Vec<usize>,
    /// Resolved padding, cropped from the full output.
    pub pads: Pads,
    /// Dilations (default 1).
    pub dilations: Vec<usize>,
    /// Number of groups (default 1).
    pub group: usize,
    /// Extra output elements at the end of each axis (default 0); an `output_shape` larger
    /// than the natural size is also expressed here.
    pub output_padding: Vec<usize>,
}

/// Attributes of an N-D pooling op (input `[N, C, D1, ..., Dn]`), with ONNX defaults applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolAttrs {
    /// Window size per spatial axis.
    pub kernel: Vec<usize>,
    /// Strides (default 1).
    pub strides: Vec<usize>,
    /// Resolved padding.
    pub pads: Pads,
    /// Dilations (default 1; MaxPool from opset 10, AveragePool from opset 19).
    pub dilations: Vec<usize>,
    /// AveragePool only: whether padded cells count in the divisor (default false).
    pub count_include_pad: bool,
    /// Output size rounds up (`ceil_mode=1`, opset >= 10): the last window may run past the
    /// padded input; the cells it has there take no part (not even in the divisor), and a
    /// window starting in the end padding is dropped.
    #[serde(default)]
    pub ceil_mode: bool,
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

/// How [`Op::Pad`](super::Op::Pad) fills the cells outside the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PadMode {
    /// A constant value (ONNX `constant`, the default).
    Constant,
    /// Mirror without repeating the edge element (`reflect`: `[a b c]` → `c b | a b c | b a`).
    Reflect,
    /// Repeat the edge element (`edge`).
    Edge,
    /// Wrap around (`wrap`, opset ≥ 19).
    Wrap,
}

/// Channel order of [`Op::DepthToSpace`](super::Op::DepthToSpace).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DepthToSpaceMode {
    /// Depth-column-row (the default): input channel `(bh·b + bw)·C' + c`.
    Dcr,
    /// Column-row-depth (PyTorch's PixelShuffle): input channel `c·b² + bh·b + bw`.
    Crd,
}

/// How Resize maps an output coordinate `y` to an input coordinate `x` along one axis
/// (`scale` = the axis' scale factor, `in`/`out` its input and output lengths).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoordMode {
    /// `x = (y + 0.5) / scale - 0.5` (ONNX's default from opset 11).
    HalfPixel,
    /// Like half-pixel, but `x = -0.5` when `out == 1` (PyTorch's convention).
    PytorchHalfPixel,
    /// `x = y · (in - 1) / (out - 1)` (`0` when `out == 1`).
    AlignCorners,
    /// `x = y / scale` (Upsample and Resize-10).
    Asymmetric,
    /// Half-pixel around the centre of the truncated output (opset ≥ 19).
    HalfPixelSymmetric,
}

/// How nearest-neighbour Resize rounds the input coordinate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NearestMode {
    /// Round, ties down (ONNX's default from opset 11).
    RoundPreferFloor,
    /// Round, ties up.
    RoundPreferCeil,
    /// Round down (Upsample and Resize-10).
    Floor,
    /// Round up.
    Ceil,
}

/// Interpolation of [`Op::Resize`](super::Op::Resize).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResizeMode {
    /// Copy the nearest input element (pure wiring).
    Nearest(NearestMode),
    /// (Multi-)linear interpolation of the 2 nearest elements per resized axis (edge-clamped),
    /// a weighted sum with constant weights.
    Linear,
}

/// Resolved Resize / Upsample parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResizeAttrs {
    /// Output shape (same rank as the input).
    pub out_shape: Vec<usize>,
    /// Per-axis scale factor used by the coordinate mapping (`out / in` when sizes were
    /// given).
    pub scales: Vec<f64>,
    /// Interpolation.
    pub mode: ResizeMode,
    /// Coordinate mapping.
    pub coord: CoordMode,
}

/// A variadic elementwise operator (`Sum`, `Mean`, `Max`, `Min`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VariadicOp {
    /// Sum of the inputs.
    Sum,
    /// Mean of the inputs.
    Mean,
    /// Elementwise maximum.
    Max,
    /// Elementwise minimum.
    Min,
}

/// Target of a runtime `Cast` (every value is held as `f64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CastTarget {
    /// `float`: values are rounded to float32.
    Float32,
    /// `double`, `float16`, `bfloat16`: values are kept (held in `f64`).
    FloatWide,
    /// Any integer type: truncation toward zero.
    Integer,
    /// `bool`: 1 for non-zero, 0 for zero (folded constants only).
    Bool,
}

impl CastTarget {
    /// True when the result has an integer (or boolean) element type.
    pub fn is_integer(self) -> bool {
        matches!(self, CastTarget::Integer | CastTarget::Bool)
    }
}

/// Reductions beyond sum and mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReduceKind {
    /// Maximum.
    Max,
    /// Minimum.
    Min,
    /// Sum of absolute values.
    L1,
    /// Sum of squares.
    SumSquare,
    /// Product.
    Prod,
    /// `sqrt(Σ x²)`.
    L2,
    /// `log(Σ exp(x))`.
    LogSumExp,
}

/// ArgMax or ArgMin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArgKind {
    /// Index of the maximum.
    Max,
    /// Index of the minimum.
    Min,
}

/// Which output of TopK an IR node computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TopKOutput {
    /// The selected values.
    Values,
    /// Their indices along the axis (as values).
    Indices,
}

/// A parsed Einsum equation with the ellipsis expanded: every label is a number `0..dims.len()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EinsumSpec {
    /// The equation as written in the model (for messages).
    pub equation: String,
    /// Labels of each input's axes, in axis order.
    pub inputs: Vec<Vec<usize>>,
    /// Labels of the output's axes; every other label is summed over.
    pub output: Vec<usize>,
    /// Size of each label.
    pub dims: Vec<usize>,
}

/// A smooth scalar function applied elementwise; in the circuit a table lookup (or a
/// range-checked witness for `Sqrt` and `Reciprocal`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ScalarFn {
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `e^x`.
    Exp,
    /// `ln(x)`.
    Log,
    /// `sqrt(x)`.
    Sqrt,
    /// `1 / x`.
    Reciprocal,
    /// The error function.
    Erf,
    /// GELU: `x·Φ(x)` (exact) or `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))` (`tanh`).
    Gelu {
        /// The tanh approximation.
        tanh: bool,
    },
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `x` for `x ≥ 0`, else `alpha·(e^x − 1)`.
    Elu {
        /// Negative-side scale.
        alpha: f64,
    },
    /// `gamma·x` for `x > 0`, else `gamma·alpha·(e^x − 1)`.
    Selu {
        /// Negative-side scale.
        alpha: f64,
        /// Overall scale.
        gamma: f64,
    },
    /// `max(0, x) + min(0, alpha·(e^(x/alpha) − 1))`.
    Celu {
        /// Scale.
        alpha: f64,
    },
    /// `max(0, min(1, alpha·x + beta))`.
    HardSigmoid {
        /// Slope.
        alpha: f64,
        /// Offset.
        beta: f64,
    },
    /// `x · max(0, min(1, x/6 + 1/2))`.
    HardSwish,
    /// `x · tanh(softplus(x))`.
    Mish,
    /// `sin(x)`.
    Sin,
    /// `cos(x)`.
    Cos,
}

impl ScalarFn {
    /// The ONNX op type.
    pub fn name(self) -> &'static str {
        match self {
            ScalarFn::Sigmoid => "Sigmoid",
            ScalarFn::Tanh => "Tanh",
            ScalarFn::Exp => "Exp",
            ScalarFn::Log => "Log",
            ScalarFn::Sqrt => "Sqrt",
            ScalarFn::Reciprocal => "Reciprocal",
            ScalarFn::Erf => "Erf",
            ScalarFn::Gelu { .. } => "Gelu",
            ScalarFn::Softplus => "Softplus",
            ScalarFn::Softsign => "Softsign",
            ScalarFn::Elu { .. } => "Elu",
            ScalarFn::Selu { .. } => "Selu",
            ScalarFn::Celu { .. } => "Celu",
            ScalarFn::HardSigmoid { .. } => "HardSigmoid",
            ScalarFn::HardSwish => "HardSwish",
            ScalarFn::Mish => "Mish",
            ScalarFn::Sin => "Sin",
            ScalarFn::Cos => "Cos",
        }
    }
}

/// An elementwise comparison; the result is 1.0 (true) or 0.0 (false).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareOp {
    /// `a < b`.
    Less,
    /// `a <= b`.
    LessOrEqual,
    /// `a > b`.
    Greater,
    /// `a >= b`.
    GreaterOrEqual,
    /// `a == b`.
    Equal,
}

/// A binary boolean operator on 0/1 tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogicOp {
    /// Both.
    And,
    /// Either.
    Or,
    /// Exactly one.
    Xor,
}
