//! Elementwise arithmetic with broadcasting: Add, Sub, Mul, Div (by a constant), Neg.

use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::Op;
use crate::shapes;
use crate::registry::{Family, OpDef};
use super::unary;

/// Elementwise operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("Add", Family::Elementwise, "", |c| {
        binary(c, Op::Add).map(Into::into)
    }),
    OpDef::runtime("Sub", Family::Elementwise, "", |c| {
        binary(c, Op::Sub).map(Into::into)
    }),
    OpDef::runtime("Mul", Family::Elementwise, "", |c| {
        binary(c, Op::Mul).map(Into::into)
    }),
    OpDef::runtime("Div", Family::Elementwise, "by a constant", |c| {
        div(c).map(Into::into)
    }),
    OpDef::runtime("Neg", Family::Elementwise, "", |c| {
        unary(c, Op::Neg).map(Into::into)
    }),
];

/// Broadcasting binary ops (Add, Sub, Mul).
pub(super) fn binary(ctx: &NodeCtx<'_>, op: Op) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let out = shapes::broadcast(ctx.shape(0)?, ctx.shape(1)?).map_err(|m| ctx.shape_err(m))?;
    Ok(Mapped::new(op, vec![0, 1], out))
}

/// `Div`: only a constant divisor with no zero element is supported.
pub(super) fn div(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    let b = ctx.input(1)?;
    let Some(c) = b.constant else {
        return Err(ctx.err(format!(
            "division by a runtime tensor (\"{}\") is not supported yet; only division by a \
             constant (initializer) divisor is supported",
            b.name
        )));
    };
    if c.tensor.data.contains(&0.0) {
        return Err(ctx.err(format!(
            "the constant divisor \"{}\" contains a zero element; division by zero is undefined",
            b.name
        )));
    }
    binary(ctx, Op::Div)
}
