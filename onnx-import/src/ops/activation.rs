//! Piecewise-linear activations: Relu, LeakyRelu, Clip, PRelu, Shrink.

use super::{unary, Lowering, Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{Op, Tensor};
use crate::registry::{Family, OpDef};
use crate::shapes::{self, fmt_shape};

/// Activation operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("Relu", Family::Activation, "", |c| {
        unary(c, Op::Relu).map(Into::into)
    }),
    OpDef::runtime("LeakyRelu", Family::Activation, "", leaky_relu),
    OpDef::runtime(
        "Clip",
        Family::Activation,
        "bounds: attributes before opset 11; constant or runtime scalar inputs from 11",
        |c| clip(c).map(Into::into),
    ),
    OpDef::runtime(
        "PRelu",
        Family::Activation,
        "constant slope, broadcast to the input (per channel, axis 1, before opset 7)",
        prelu,
    ),
    OpDef::runtime("Shrink", Family::Activation, "", shrink).opsets(9, 21),
];

/// `PRelu` with a constant slope. From opset 7 the slope broadcasts to X unidirectionally
/// (numpy rules); before, a slope with one element is shared and a 1-D slope of length
/// `X.shape[1]` is per channel, which is stored reshaped to `[C, 1, ..., 1]`.
fn prelu(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    let x = ctx.shape(0)?;
    let c = ctx.constant(1, "slope")?;
    let mut slope = c.tensor.clone();
    if ctx.opset < 7 && slope.shape.len() == 1 && x.len() >= 2 && slope.shape[0] == x[1] {
        slope.shape = std::iter::once(x[1])
            .chain(std::iter::repeat_n(1, x.len() - 2))
            .collect();
    }
    if ctx.opset < 7 && slope.len() == 1 {
        slope.shape = vec![];
    }
    if !shapes::broadcasts_to(&slope.shape, x) {
        let rule = if ctx.opset < 7 {
            "one element, or one per channel (X.shape[1])"
        } else {
            "a shape that broadcasts to X (numpy rules, unidirectional)"
        };
        return Err(ctx.shape_err(format!(
            "slope {} does not fit X {}: it must have {rule}",
            fmt_shape(&c.tensor.shape),
            fmt_shape(x)
        )));
    }
    let slope = Tensor::new(slope.shape, slope.data).ok_or_else(|| ctx.err("malformed slope"))?;
    unary(ctx, Op::PRelu { slope }).map(Into::into)
}

/// `Shrink`: `lambd` (default 0.5) and `bias` (default 0).
fn shrink(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    let lambd = ctx.float_or("lambd", 0.5)?;
    let bias = ctx.float_or("bias", 0.0)?;
    if !lambd.is_finite() || !bias.is_finite() {
        return Err(ctx.err(format!("lambd={lambd} and bias={bias} must be finite")));
    }
    unary(ctx, Op::Shrink { lambd, bias }).map(Into::into)
}

fn leaky_relu(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    let alpha = ctx.float_or("alpha", 0.01)?;
    unary(ctx, Op::LeakyRelu { alpha }).map(Into::into)
}

/// `Clip`: bounds from inputs 1, 2 (opset >= 11) or attributes (older opsets). Constant
/// bounds are resolved into [`Op::Clip`]; when a present bound is computed at runtime the
/// node becomes [`Op::ClipDynamic`], keeping `x` and the present bounds (each a single
/// value) as inputs.
pub(super) fn clip(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    if ctx.opset >= 11 {
        let runtime = |i: usize| ctx.opt(i).is_some_and(|b| b.constant.is_none());
        if runtime(1) || runtime(2) {
            return clip_dynamic(ctx);
        }
    }
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

/// `Clip` with a runtime bound: `ClipDynamic { has_min, has_max }` over `x` and the present
/// bounds (a constant one stays a constant input).
fn clip_dynamic(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let mut inputs = vec![0];
    for (i, what) in [(1, "min"), (2, "max")] {
        if let Some(b) = ctx.opt(i) {
            if b.shape.iter().product::<usize>() != 1 {
                return Err(ctx.shape_err(format!(
                    "{what} (\"{}\") must be a single value (a scalar), got shape {}",
                    b.name,
                    fmt_shape(b.shape)
                )));
            }
            inputs.push(i);
        }
    }
    let op = Op::ClipDynamic {
        has_min: ctx.opt(1).is_some(),
        has_max: ctx.opt(2).is_some(),
    };
    Ok(Mapped::new(op, inputs, ctx.shape(0)?.to_vec()))
}
