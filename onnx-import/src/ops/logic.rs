//! Comparisons (Less, LessOrEqual, Greater, GreaterOrEqual, Equal), Not, And, Or, Xor and
//! Where.
//!
//! Booleans are values like any other: `false` is 0.0 and `true` is 1.0 (the float evaluator,
//! constant folding and Cast agree on this), so a comparison's output can be Cast to float,
//! multiplied or selected on without conversion. The binary ops broadcast like Add: numpy
//! rules from opset 7, the legacy `broadcast`/`axis` attributes before.

use super::elementwise::binary;
use super::{unary, Lowering, Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{CompareOp, LogicOp, Op};
use crate::registry::{Family, OpDef};
use crate::shapes;

const CMP: &str = "numpy broadcasting; opset < 7 `broadcast`/`axis`";

/// Comparison and logic operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("Less", Family::Logic, CMP, |c| compare(c, CompareOp::Less)),
    OpDef::runtime("LessOrEqual", Family::Logic, "numpy broadcasting", |c| {
        compare(c, CompareOp::LessOrEqual)
    })
    .opsets(12, 21),
    OpDef::runtime("Greater", Family::Logic, CMP, |c| {
        compare(c, CompareOp::Greater)
    }),
    OpDef::runtime("GreaterOrEqual", Family::Logic, "numpy broadcasting", |c| {
        compare(c, CompareOp::GreaterOrEqual)
    })
    .opsets(12, 21),
    OpDef::runtime("Equal", Family::Logic, CMP, |c| {
        compare(c, CompareOp::Equal)
    }),
    OpDef::runtime("Not", Family::Logic, "", |c| {
        unary(c, Op::Not).map(Into::into)
    }),
    OpDef::runtime("And", Family::Logic, CMP, |c| logic(c, LogicOp::And)),
    OpDef::runtime("Or", Family::Logic, CMP, |c| logic(c, LogicOp::Or)),
    OpDef::runtime("Xor", Family::Logic, CMP, |c| logic(c, LogicOp::Xor)),
    OpDef::runtime(
        "Where",
        Family::Logic,
        "numpy broadcasting of all three inputs",
        |c| where_op(c).map(Into::into),
    )
    .opsets(9, 21),
];

fn compare(ctx: &NodeCtx<'_>, op: CompareOp) -> Result<Lowering, ImportError> {
    binary(ctx, Op::Compare(op)).map(Into::into)
}

fn logic(ctx: &NodeCtx<'_>, op: LogicOp) -> Result<Lowering, ImportError> {
    binary(ctx, Op::Logic(op)).map(Into::into)
}

/// `Where(cond, x, y)`: the output shape is the broadcast of all three shapes.
fn where_op(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let mut out = ctx.shape(0)?.to_vec();
    for i in 1..3 {
        out = shapes::broadcast(&out, ctx.shape(i)?).map_err(|m| ctx.shape_err(m))?;
    }
    Ok(Mapped::new(Op::Where, vec![0, 1, 2], out))
}
