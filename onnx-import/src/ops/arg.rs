//! Index-valued selections along one axis: ArgMax, ArgMin and TopK (constant k).

use super::{Lowering, Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{ArgKind, Op, TopKOutput};
use crate::registry::{Family, OpDef};
use crate::shapes::{self, fmt_shape};

/// Arg operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("ArgMax", Family::Arg, ARG, |c| arg(c, ArgKind::Max)),
    OpDef::runtime("ArgMin", Family::Arg, ARG, |c| arg(c, ArgKind::Min)),
    OpDef::runtime(
        "TopK",
        Family::Arg,
        "constant k (attribute before opset 10); ties by lower index",
        topk,
    ),
];

const ARG: &str = "select_last_index; the index is a value";

/// The `axis` attribute (default `default`) resolved against the rank of input 0.
fn axis(ctx: &NodeCtx<'_>, default: i64) -> Result<usize, ImportError> {
    let s = ctx.shape(0)?;
    let a = ctx.int_or("axis", default)?;
    shapes::normalize_axis(a, s.len()).map_err(|m| ctx.shape_err(m))
}

/// `ArgMax` / `ArgMin`: `axis` (default 0), `keepdims` (default 1), `select_last_index`
/// (opset 12, default 0).
fn arg(ctx: &NodeCtx<'_>, kind: ArgKind) -> Result<Lowering, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let axis = axis(ctx, 0)?;
    if s[axis] == 0 {
        return Err(ctx.shape_err(format!(
            "axis {axis} of {} is empty; {} has no value",
            fmt_shape(s),
            ctx.op_type
        )));
    }
    let keepdims = ctx.flag("keepdims", true)?;
    let select_last_index = ctx.flag("select_last_index", false)?;
    let mut out = s.to_vec();
    if keepdims {
        out[axis] = 1;
    } else {
        out.remove(axis);
    }
    let op = Op::Arg {
        kind,
        axis,
        keepdims,
        select_last_index,
    };
    Ok(Mapped::new(op, vec![0], out).into())
}

/// `TopK`: k from the attribute (opset < 10) or the constant input 1; `axis` (default -1),
/// `largest` and `sorted` (opset 11, default 1). Lowers to one IR node per output.
fn topk(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    if ctx.n_outputs != 2 {
        return Err(ctx.err(format!(
            "has {} named output(s); TopK is supported with both outputs (Values, Indices) \
             named",
            ctx.n_outputs
        )));
    }
    let s = ctx.shape(0)?;
    let axis = axis(ctx, -1)?;
    let k = if ctx.opset < 10 {
        ctx.attr(ctx.attrs.int("k"))?
            .ok_or_else(|| ctx.err("attribute k is required before opset 10"))?
    } else {
        match ctx.const_ints(1, "K")?.as_slice() {
            [k] => *k,
            other => {
                return Err(ctx.err(format!(
                    "K must hold exactly one value, got {} values",
                    other.len()
                )))
            }
        }
    };
    let k = usize::try_from(k)
        .ok()
        .filter(|&k| k <= s[axis])
        .ok_or_else(|| {
            ctx.shape_err(format!(
                "k={k} must be between 0 and the size {} of axis {axis} of {}",
                s[axis],
                fmt_shape(s)
            ))
        })?;
    let largest = ctx.flag("largest", true)?;
    let sorted = ctx.flag("sorted", true)?;
    let mut out = s.to_vec();
    out[axis] = k;
    let node = |output| {
        let op = Op::TopK {
            axis,
            k,
            largest,
            sorted,
            output,
        };
        Mapped::new(op, vec![0], out.clone())
    };
    Ok(Lowering(vec![
        node(TopKOutput::Values),
        node(TopKOutput::Indices),
    ]))
}
