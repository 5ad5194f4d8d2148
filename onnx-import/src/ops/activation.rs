//! Piecewise-linear activations: Relu, LeakyRelu, Clip.

use super::{unary, Lowering, Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::Op;
use crate::shapes::fmt_shape;
use crate::registry::{Family, OpDef};

/// Activation operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("Relu", Family::Activation, "", |c| {
        unary(c, Op::Relu).map(Into::into)
    }),
    OpDef::runtime("LeakyRelu", Family::Activation, "", leaky_relu),
    OpDef::runtime(
        "Clip",
        Family::Activation,
        "constant bounds (inputs, or attributes before opset 11)",
        |c| clip(c).map(Into::into),
    ),
];

fn leaky_relu(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    let alpha = ctx.float_or("alpha", 0.01)?;
    unary(ctx, Op::LeakyRelu { alpha }).map(Into::into)
}

/// `Clip`: bounds from constant inputs 1, 2 (opset >= 11) or attributes (older opsets).
pub(super) fn clip(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    let (min, max) = if ctx.opset >= 11 {
        (clip_bound(ctx, 1, "min")?, clip_bound(ctx, 2, "max")?)
    } else {
        (
            ctx.attr(ctx.attrs.float("min"))?,
            ctx.attr(ctx.attrs.float("max"))?,
        )
    };
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo.is_nan() || hi.is_nan() {
            return Err(ctx.err("Clip bounds must not be NaN"));
        }
    }
    unary(ctx, Op::Clip { min, max })
}

fn clip_bound(ctx: &NodeCtx<'_>, i: usize, what: &str) -> Result<Option<f64>, ImportError> {
    if ctx.opt(i).is_none() {
        return Ok(None);
    }
    let c = ctx.constant(i, what)?;
    match c.tensor.data.as_slice() {
        [v] => Ok(Some(*v)),
        _ => Err(ctx.err(format!(
            "{what} must be a single value (a scalar), got shape {}",
            fmt_shape(&c.tensor.shape)
        ))),
    }
}
