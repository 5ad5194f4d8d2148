//! The typed graph IR that every later stage consumes.
//!
//! A [`Graph`] is a list of [`Node`]s in topological order over numbered values
//! ([`ValueId`]). Every value has a static shape. Constants (initializers, `Constant` nodes and
//! folded shape arithmetic) are stored as [`Tensor`]s in the value table; operator parameters
//! that ONNX passes as constant inputs (Reshape's shape, Slice's starts/ends, Squeeze axes,
//! Gather indices, Clip bounds, ...) are resolved into the [`Op`] itself, so no later stage ever
//! looks at an ONNX op-type string or attribute map. (Gather indices that are computed at
//! runtime stay an input: [`Op::GatherDynamic`].)

mod attrs;
mod dtype;
mod op_info;

pub use attrs::{
    ArgKind, CastTarget, CompareOp, ConvAttrs, ConvTransposeAttrs, CoordMode, DepthToSpaceMode,
    EinsumSpec, LogicOp, NearestMode, PadMode, Pads, PoolAttrs, ReduceKind, ResizeAttrs,
    ResizeMode, ScalarFn, SliceAxis, TopKOutput, VariadicOp,
};
pub use dtype::DType;

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
    /// Builds a tensor, returning `None` when `data` does not hold `product(shape)` elements
    /// (also when that product overflows `usize`: it is never wrapped around).
    pub fn new(shape: Vec<usize>, data: Vec<f64>) -> Option<Self> {
        (crate::shapes::checked_numel(&shape) == Some(data.len())).then_some(Self { shape, data })
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
    /// Elementwise `a / b` with broadcasting; a constant `b` must have no zero element, a
    /// runtime `b` is divided by in the circuit (rounded half up; a zero is an error then).
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
    /// A smooth scalar function, elementwise.
    Function(ScalarFn),
    /// `x ^ exponent` for a constant exponent (input 0 only).
    Pow {
        /// The exponent.
        exponent: f64,
    },
    /// Softmax (or LogSoftmax) along one axis, max-subtracted.
    Softmax {
        /// The axis normalized over.
        axis: usize,
        /// LogSoftmax.
        log: bool,
        /// Opset < 13 semantics: normalize jointly over *all* axes `>= axis` (the input
        /// coerced to 2-D `[prod(dims < axis), prod(dims >= axis)]`); `false`: over `axis`
        /// alone. The importer sets it only when `axis` is not the last axis.
        #[serde(default)]
        coerce_2d: bool,
    },
    /// LayerNormalization over axes `axis..`; inputs `x`, `scale`, optional `bias`.
    LayerNormalization {
        /// First normalized axis.
        axis: usize,
        /// Added to the variance.
        epsilon: f64,
    },
    /// InstanceNormalization over the spatial axes of `[N, C, ...]`; inputs `x`, `scale`,
    /// `bias`.
    InstanceNormalization {
        /// Added to the variance.
        epsilon: f64,
    },
    /// Local response normalization across channels of `[N, C, ...]`.
    Lrn {
        /// Channels in the window.
        size: usize,
        /// Scale of the sum of squares.
        alpha: f64,
        /// Exponent.
        beta: f64,
        /// Offset.
        bias: f64,
    },
    /// Elementwise comparison of two broadcast inputs, giving 0/1.
    Compare(CompareOp),
    /// Boolean negation of a 0/1 tensor.
    Not,
    /// And / Or / Xor of two broadcast 0/1 tensors.
    Logic(LogicOp),
    /// `cond ? x : y` with broadcasting; inputs `cond` (0/1), `x`, `y`.
    Where,
    /// Clip with runtime bounds; inputs `x`, then `min` if `has_min`, then `max` if `has_max`.
    ClipDynamic {
        /// A runtime lower bound is present.
        has_min: bool,
        /// A runtime upper bound is present.
        has_max: bool,
    },
    /// GatherElements with runtime indices; inputs `data`, `indices`.
    GatherElementsDynamic {
        /// The gathered axis.
        axis: usize,
    },
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
