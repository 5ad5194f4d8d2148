//! What each [`Op`] is called and which family it belongs to: the one op-to-family map
//! (checked against the registry by a test there).

use super::{ArgKind, CompareOp, LogicOp, Op, ReduceKind, VariadicOp};

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
            Op::Function(_) | Op::Pow { .. } => Family::Nonlinear,
            Op::Softmax { .. }
            | Op::LayerNormalization { .. }
            | Op::InstanceNormalization { .. }
            | Op::Lrn { .. } => Family::Norm,
            Op::Compare(_) | Op::Not | Op::Logic(_) | Op::Where => Family::Logic,
            Op::ClipDynamic { .. } => Family::Activation,
            Op::GatherElementsDynamic { .. } => Family::Shape,
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
                ReduceKind::L2 => "ReduceL2",
                ReduceKind::LogSumExp => "ReduceLogSumExp",
            },
            Op::Arg {
                kind: ArgKind::Max, ..
            } => "ArgMax",
            Op::Arg {
                kind: ArgKind::Min, ..
            } => "ArgMin",
            Op::TopK { .. } => "TopK",
            Op::Einsum(_) => "Einsum",
            Op::Function(f) => f.name(),
            Op::Pow { .. } => "Pow",
            Op::Softmax { log: false, .. } => "Softmax",
            Op::Softmax { log: true, .. } => "LogSoftmax",
            Op::LayerNormalization { .. } => "LayerNormalization",
            Op::InstanceNormalization { .. } => "InstanceNormalization",
            Op::Lrn { .. } => "LRN",
            Op::Compare(CompareOp::Less) => "Less",
            Op::Compare(CompareOp::LessOrEqual) => "LessOrEqual",
            Op::Compare(CompareOp::Greater) => "Greater",
            Op::Compare(CompareOp::GreaterOrEqual) => "GreaterOrEqual",
            Op::Compare(CompareOp::Equal) => "Equal",
            Op::Not => "Not",
            Op::Logic(LogicOp::And) => "And",
            Op::Logic(LogicOp::Or) => "Or",
            Op::Logic(LogicOp::Xor) => "Xor",
            Op::Where => "Where",
            Op::ClipDynamic { .. } => "Clip",
            Op::GatherElementsDynamic { .. } => "GatherElements",
        }
    }
}
