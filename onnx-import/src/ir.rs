//! The typed graph IR that every later stage consumes.
//!
//! A [`Graph`] is a list of [`Node`]s in topological order over numbered values
//! ([`ValueId`]). Every value has a static shape. Constants (initializers, `Constant` nodes and
//! folded shape arithmetic) are stored as [`Tensor`]s in the value table; operator parameters
//! that ONNX passes as constant inputs (Reshape's shape, Slice's starts/ends, Squeeze axes,
//! Gather indices, Clip bounds, ...) are resolved into the [`Op`] itself, so no later stage ever
//! looks at an ONNX op-type string or attribute map. (Gather indices that are computed at
//! runtime stay an input: [`Op::GatherDynamic`].)

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

/// How [`Op::Pad`] fills the cells outside the input.
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

/// Channel order of [`Op::DepthToSpace`].
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

/// Interpolation of [`Op::Resize`].
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
    /// N-D convolution. Inputs: X `[N,C,D..]`, W `[M,C/group,k..]`, optional B `[M]`.
    Conv(ConvAttrs),
    /// N-D transposed convolution. Inputs: X `[N,C,D..]`, constant W `[C,M/group,k..]`,
    /// optional constant B `[M]`.
    ConvTranspose(ConvTransposeAttrs),
    /// Inference BatchNormalization. Inputs: X, scale, bias, mean, var (all per channel).
    BatchNormalization {
        /// Added to the variance (default 1e-5).
        epsilon: f64,
    },
    /// N-D max pooling (padding never wins: padded cells are ignored).
    MaxPool(PoolAttrs),
    /// N-D average pooling.
    AveragePool(PoolAttrs),
    /// Mean over all spatial axes, keeping them as size 1.
    GlobalAveragePool,
    /// Maximum over all spatial axes, keeping them as size 1.
    GlobalMaxPool,
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
    /// Gather along `axis` with runtime indices (input 1; data is input 0, constant or
    /// runtime). The output shape is `data[..axis] ++ indices.shape ++ data[axis+1..]`. Each
    /// index must be an integer in `[-n, n)` for `n = data.shape[axis]`; negatives wrap
    /// (`i + n`), per ONNX. A fractional or out-of-range index is an evaluation error (and
    /// makes the circuit unsatisfiable). Costs `O(n)` comparisons per index cell.
    GatherDynamic {
        /// Resolved (non-negative) axis.
        axis: usize,
    },
    /// Pass-through.
    Identity,
    /// Padding per axis: `pads[i] = [begin, end]` cells added (negative: cropped). Only
    /// input 0 remains; a constant pad value is quantized at the activation scale.
    Pad {
        /// `[begin, end]` per input axis.
        pads: Vec<[i64; 2]>,
        /// How padded cells are filled.
        mode: PadMode,
        /// The fill value of [`PadMode::Constant`].
        value: f64,
    },
    /// Broadcast to `shape` (already the bidirectional broadcast of input and target shape).
    /// Only input 0 remains.
    Expand {
        /// The output shape.
        shape: Vec<usize>,
    },
    /// Repeat the input `repeats[i]` times along axis `i`. Only input 0 remains.
    Tile {
        /// Repeats per axis (same rank as the input).
        repeats: Vec<usize>,
    },
    /// `[N, C, H, W]` → `[N, C/b², H·b, W·b]`.
    DepthToSpace {
        /// Block size `b`.
        blocksize: usize,
        /// Channel order.
        mode: DepthToSpaceMode,
    },
    /// `[N, C, H, W]` → `[N, C·b², H/b, W/b]` (output channel `(bh·b + bw)·C + c`).
    SpaceToDepth {
        /// Block size `b`.
        blocksize: usize,
    },
    /// Keep the upper (`j - i >= k`) or lower (`j - i <= k`) triangle of the last two axes;
    /// the other cells are 0. Only input 0 remains.
    Trilu {
        /// Upper (default) or lower triangle.
        upper: bool,
        /// Diagonal offset (default 0).
        k: i64,
    },
    /// `out[i] = data[i with axis coordinate replaced by indices[i]]`; the output has the
    /// indices' shape. Only input 0 remains.
    GatherElements {
        /// Resolved axis.
        axis: usize,
        /// Indices (non-negative, in range), row-major over `indices_shape`.
        indices: Vec<usize>,
        /// Shape of the index tensor (the output shape).
        indices_shape: Vec<usize>,
    },
    /// Gather slices addressed by the last axis of `indices` (`k = indices_shape.last()`
    /// coordinates after `batch_dims` batch axes). Only input 0 remains; the output shape
    /// is `indices_shape[..-1] ++ data[batch_dims + k..]`.
    GatherND {
        /// Leading axes shared by data and indices (default 0).
        batch_dims: usize,
        /// Coordinates (non-negative, in range), row-major over `indices_shape`.
        indices: Vec<usize>,
        /// Shape of the index tensor.
        indices_shape: Vec<usize>,
    },
    /// A copy of `data` (input 0) with `data[i with axis coordinate indices[i]] =
    /// updates[i]` (input 1; reduction `none`, a later duplicate wins).
    ScatterElements {
        /// Resolved axis.
        axis: usize,
        /// Indices (non-negative, in range), row-major over `indices_shape`.
        indices: Vec<usize>,
        /// Shape of the index tensor (= the updates' shape).
        indices_shape: Vec<usize>,
    },
    /// A copy of `data` (input 0) with the slices addressed by the last axis of `indices`
    /// replaced by `updates` (input 1; reduction `none`, a later duplicate wins).
    ScatterND {
        /// Coordinates (non-negative, in range), row-major over `indices_shape`.
        indices: Vec<usize>,
        /// Shape of the index tensor.
        indices_shape: Vec<usize>,
    },
    /// Resize / Upsample with constant scales or sizes: nearest (wiring) or linear (a
    /// weighted sum with constant weights). Only input 0 remains.
    Resize(ResizeAttrs),
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
    /// `x` if `x >= 0` else `slope * x`; `slope` is the constant slope, already reshaped so
    /// that it broadcasts (numpy rules) to the input's shape. Only input 0 remains.
    PRelu {
        /// The slope tensor.
        slope: Tensor,
    },
    /// `|x|`.
    Abs,
    /// `-1`, `0` or `1` by the sign of `x`.
    Sign,
    /// Largest integer `<= x`.
    Floor,
    /// Smallest integer `>= x`.
    Ceil,
    /// Nearest integer, ties to even (ONNX `Round`).
    Round,
    /// `x + bias` if `x < -lambd`, `x - bias` if `x > lambd`, else 0.
    Shrink {
        /// Half-width of the zeroed band (default 0.5).
        lambd: f64,
        /// Shift applied outside the band (default 0).
        bias: f64,
    },
    /// Elementwise over 1..N inputs with multidirectional broadcasting (the importer
    /// requires equal shapes before opset 8).
    Variadic(VariadicOp),
    /// Element type conversion of a runtime tensor.
    Cast {
        /// What the values become.
        to: CastTarget,
    },
    /// Reduction other than sum and mean over axes (sorted, non-negative, never empty:
    /// "all axes" is resolved by the importer).
    Reduce {
        /// Which reduction.
        kind: ReduceKind,
        /// Reduced axes, resolved.
        axes: Vec<usize>,
        /// Keep reduced axes as size 1 (default true).
        keepdims: bool,
    },
    /// Index of the largest (ArgMax) or smallest (ArgMin) element along `axis`, as a value.
    Arg {
        /// ArgMax or ArgMin.
        kind: ArgKind,
        /// Resolved axis.
        axis: usize,
        /// Keep the axis as size 1 (default true).
        keepdims: bool,
        /// On ties, the last index instead of the first (default false).
        select_last_index: bool,
    },
    /// One output of TopK along `axis`: the `k` values or their indices. A TopK node with two
    /// outputs becomes two IR nodes sharing the input.
    TopK {
        /// Resolved axis.
        axis: usize,
        /// Number of elements kept (constant, `1 <= k <= dim`).
        k: usize,
        /// Largest (default) or smallest elements.
        largest: bool,
        /// Whether the output must be sorted (it always is here; ties by lower index).
        sorted: bool,
        /// Which output this node computes.
        output: TopKOutput,
    },
    /// Einstein summation; all inputs remain, in ONNX order.
    Einsum(EinsumSpec),
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

impl Op {
    /// The op family the variant belongs to: the same family as the registry's
    /// [`OpDef`](crate::registry::OpDef) of [`Op::name`], and the file of every layer that
    /// implements it. The match is exhaustive, so a new variant must be given a family.
    pub fn family(&self) -> crate::registry::Family {
        use crate::registry::Family;
        match self {
            Op::Gemm { .. } | Op::MatMul | Op::Conv(_) | Op::ConvTranspose(_) | Op::Einsum(_) => {
                Family::Linear
            }
            Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Neg
            | Op::Abs
            | Op::Sign
            | Op::Floor
            | Op::Ceil
            | Op::Round
            | Op::Variadic(_)
            | Op::Cast { .. } => Family::Elementwise,
            Op::Relu
            | Op::LeakyRelu { .. }
            | Op::Clip { .. }
            | Op::PRelu { .. }
            | Op::Shrink { .. } => Family::Activation,
            Op::BatchNormalization { .. } => Family::Norm,
            Op::MaxPool(_) | Op::AveragePool(_) | Op::GlobalAveragePool | Op::GlobalMaxPool => {
                Family::Pool
            }
            Op::ReduceSum { .. } | Op::ReduceMean { .. } | Op::Reduce { .. } => Family::Reduce,
            Op::Arg { .. } | Op::TopK { .. } => Family::Arg,
            Op::Flatten { .. }
            | Op::Reshape { .. }
            | Op::Transpose { .. }
            | Op::Concat { .. }
            | Op::Slice { .. }
            | Op::Squeeze { .. }
            | Op::Unsqueeze { .. }
            | Op::Gather { .. }
            | Op::GatherDynamic { .. }
            | Op::Identity
            | Op::Pad { .. }
            | Op::Expand { .. }
            | Op::Tile { .. }
            | Op::DepthToSpace { .. }
            | Op::SpaceToDepth { .. }
            | Op::Trilu { .. }
            | Op::GatherElements { .. }
            | Op::GatherND { .. }
            | Op::ScatterElements { .. }
            | Op::ScatterND { .. } => Family::Shape,
            Op::Resize(_) => Family::Resize,
        }
    }

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
            Op::ConvTranspose(_) => "ConvTranspose",
            Op::BatchNormalization { .. } => "BatchNormalization",
            Op::MaxPool(_) => "MaxPool",
            Op::AveragePool(_) => "AveragePool",
            Op::GlobalAveragePool => "GlobalAveragePool",
            Op::GlobalMaxPool => "GlobalMaxPool",
            Op::Flatten { .. } => "Flatten",
            Op::Reshape { .. } => "Reshape",
            Op::Transpose { .. } => "Transpose",
            Op::Concat { .. } => "Concat",
            Op::Slice { .. } => "Slice",
            Op::Squeeze { .. } => "Squeeze",
            Op::Unsqueeze { .. } => "Unsqueeze",
            Op::Gather { .. } | Op::GatherDynamic { .. } => "Gather",
            Op::Identity => "Identity",
            Op::Pad { .. } => "Pad",
            Op::Expand { .. } => "Expand",
            Op::Tile { .. } => "Tile",
            Op::DepthToSpace { .. } => "DepthToSpace",
            Op::SpaceToDepth { .. } => "SpaceToDepth",
            Op::Trilu { .. } => "Trilu",
            Op::GatherElements { .. } => "GatherElements",
            Op::GatherND { .. } => "GatherND",
            Op::ScatterElements { .. } => "ScatterElements",
            Op::ScatterND { .. } => "ScatterND",
            Op::Resize(_) => "Resize",
            Op::ReduceSum { .. } => "ReduceSum",
            Op::ReduceMean { .. } => "ReduceMean",
            Op::PRelu { .. } => "PRelu",
            Op::Abs => "Abs",
            Op::Sign => "Sign",
            Op::Floor => "Floor",
            Op::Ceil => "Ceil",
            Op::Round => "Round",
            Op::Shrink { .. } => "Shrink",
            Op::Variadic(VariadicOp::Sum) => "Sum",
            Op::Variadic(VariadicOp::Mean) => "Mean",
            Op::Variadic(VariadicOp::Max) => "Max",
            Op::Variadic(VariadicOp::Min) => "Min",
            Op::Cast { .. } => "Cast",
            Op::Reduce { kind, .. } => match kind {
                ReduceKind::Max => "ReduceMax",
                ReduceKind::Min => "ReduceMin",
                ReduceKind::L1 => "ReduceL1",
                ReduceKind::SumSquare => "ReduceSumSquare",
                ReduceKind::Prod => "ReduceProd",
            },
            Op::Arg {
                kind: ArgKind::Max, ..
            } => "ArgMax",
            Op::Arg {
                kind: ArgKind::Min, ..
            } => "ArgMin",
            Op::TopK { .. } => "TopK",
            Op::Einsum(_) => "Einsum",
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
    /// Element types of the graph inputs and how their free dimensions were bound.
    #[serde(default)]
    pub input_info: InputInfo,
}

/// What the importer resolved about a graph's inputs beyond their shapes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InputInfo {
    /// Element type of each graph input, parallel to [`Graph::inputs`]; a missing entry
    /// means [`DType::Float`] (see [`Graph::input_dtype`]).
    pub dtypes: Vec<DType>,
    /// How each free (symbolic or unknown) input dimension was bound, in order of first
    /// appearance; empty for a model with static input shapes.
    pub dims: Vec<crate::dims::DimBinding>,
}

/// Element type of a graph input. Every value is held as `f64`: floating-point inputs are
/// rounded to `float32` when read, integer and boolean ones are exact (booleans are 0 and 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// float32, float64, float16 or bfloat16.
    #[default]
    Float,
    /// int8.
    Int8,
    /// int16.
    Int16,
    /// int32.
    Int32,
    /// int64.
    Int64,
    /// uint8.
    Uint8,
    /// uint16.
    Uint16,
    /// uint32.
    Uint32,
    /// uint64.
    Uint64,
    /// bool (0 or 1).
    Bool,
}

impl DType {
    /// True for [`DType::Float`].
    pub fn is_float(self) -> bool {
        self == DType::Float
    }

    /// The smallest and largest value of an integer or boolean type; `None` for floats.
    pub fn int_range(self) -> Option<(i128, i128)> {
        let r = |bits: u32, signed: bool| {
            if signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            }
        };
        match self {
            DType::Float => None,
            DType::Int8 => Some(r(8, true)),
            DType::Int16 => Some(r(16, true)),
            DType::Int32 => Some(r(32, true)),
            DType::Int64 => Some(r(64, true)),
            DType::Uint8 => Some(r(8, false)),
            DType::Uint16 => Some(r(16, false)),
            DType::Uint32 => Some(r(32, false)),
            DType::Uint64 => Some(r(64, false)),
            DType::Bool => Some((0, 1)),
        }
    }

    /// Lower-case name (`"float"`, `"int64"`, `"bool"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::Float => "float",
            DType::Int8 => "int8",
            DType::Int16 => "int16",
            DType::Int32 => "int32",
            DType::Int64 => "int64",
            DType::Uint8 => "uint8",
            DType::Uint16 => "uint16",
            DType::Uint32 => "uint32",
            DType::Uint64 => "uint64",
            DType::Bool => "bool",
        }
    }
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

    /// Element type of graph input number `i` (an index into [`Graph::inputs`]).
    pub fn input_dtype(&self, i: usize) -> DType {
        self.input_info.dtypes.get(i).copied().unwrap_or_default()
    }
}
