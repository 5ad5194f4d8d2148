//! Gemm, MatMul, elementwise arithmetic and activations.

use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::Op;
use crate::shapes::{self, fmt_shape};

/// `Gemm`: `alpha * A' * B' + beta * C`.
pub(super) fn gemm(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let alpha = ctx.float_or("alpha", 1.0)?;
    let beta = ctx.float_or("beta", 1.0)?;
    let trans_a = ctx.flag("transA", false)?;
    let trans_b = ctx.flag("transB", false)?;
    let a = ctx.rank(0, 2, "A")?;
    let b = ctx.rank(1, 2, "B")?;
    let (m, k) = if trans_a { (a[1], a[0]) } else { (a[0], a[1]) };
    let (k2, n) = if trans_b { (b[1], b[0]) } else { (b[0], b[1]) };
    if k != k2 {
        return Err(ctx.shape_err(format!(
            "inner dimensions differ: A {} (transA={}) has K={k}, B {} (transB={}) has K={k2}",
            fmt_shape(a),
            u8::from(trans_a),
            fmt_shape(b),
            u8::from(trans_b)
        )));
    }
    let out = vec![m, n];
    let mut inputs = vec![0, 1];
    if let Some(c) = ctx.opt(2) {
        if !shapes::broadcasts_to(c.shape, &out) {
            return Err(ctx.shape_err(format!(
                "C {} does not broadcast to the output shape {}",
                fmt_shape(c.shape),
                fmt_shape(&out)
            )));
        }
        inputs.push(2);
    }
    Ok(Mapped::new(
        Op::Gemm {
            alpha,
            beta,
            trans_a,
            trans_b,
        },
        inputs,
        out,
    ))
}

/// `MatMul` with numpy semantics.
pub(super) fn matmul(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let out = shapes::matmul(ctx.shape(0)?, ctx.shape(1)?).map_err(|m| ctx.shape_err(m))?;
    Ok(Mapped::new(Op::MatMul, vec![0, 1], out))
}

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

/// Shape-preserving single-input ops.
pub(super) fn unary(ctx: &NodeCtx<'_>, op: Op) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?.to_vec();
    Ok(Mapped::new(op, vec![0], s))
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
