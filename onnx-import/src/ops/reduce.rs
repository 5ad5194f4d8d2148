//! Reductions over axes: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceL1,
//! ReduceSumSquare, ReduceProd, ReduceL2, ReduceLogSumExp.

use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{Op, ReduceKind};
use crate::registry::{Family, OpDef};
use crate::shapes;

/// Reductions.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("ReduceSum", Family::Reduce, AXES_13, |c| {
        reduce(c, true).map(Into::into)
    }),
    OpDef::runtime("ReduceMean", Family::Reduce, AXES_18, |c| {
        reduce(c, false).map(Into::into)
    }),
    OpDef::runtime("ReduceMax", Family::Reduce, AXES_18, |c| {
        reduce_kind(c, ReduceKind::Max).map(Into::into)
    }),
    OpDef::runtime("ReduceMin", Family::Reduce, AXES_18, |c| {
        reduce_kind(c, ReduceKind::Min).map(Into::into)
    }),
    OpDef::runtime("ReduceL1", Family::Reduce, AXES_18, |c| {
        reduce_kind(c, ReduceKind::L1).map(Into::into)
    }),
    OpDef::runtime("ReduceSumSquare", Family::Reduce, AXES_18, |c| {
        reduce_kind(c, ReduceKind::SumSquare).map(Into::into)
    }),
    OpDef::runtime("ReduceProd", Family::Reduce, AXES_18, |c| {
        reduce_kind(c, ReduceKind::Prod).map(Into::into)
    }),
    OpDef::runtime("ReduceL2", Family::Reduce, AXES_18, |c| {
        reduce_kind(c, ReduceKind::L2).map(Into::into)
    }),
    OpDef::runtime("ReduceLogSumExp", Family::Reduce, AXES_18, |c| {
        reduce_kind(c, ReduceKind::LogSumExp).map(Into::into)
    }),
];

const AXES_13: &str =
    "axes: attribute, a constant input from opset 13; keepdims, noop_with_empty_axes";
const AXES_18: &str =
    "axes: attribute, a constant input from opset 18; keepdims, noop_with_empty_axes";

/// Resolved reduced axes, keepdims and the output shape.
type Resolved = (Vec<usize>, bool, Vec<usize>);

/// Axes, keepdims and the output shape of a reduction whose axes are an input from
/// `axes_input_since`; `None` when empty axes with `noop_with_empty_axes=1` make it an
/// identity.
fn resolve(ctx: &NodeCtx<'_>, axes_input_since: i64) -> Result<Option<Resolved>, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let axes = if ctx.opset >= axes_input_since {
        ctx.opt_const_ints(1, "axes")?
    } else {
        ctx.attr(ctx.attrs.ints("axes"))?
    };
    let keepdims = ctx.flag("keepdims", true)?;
    let noop = ctx.flag("noop_with_empty_axes", false)?;
    let axes = axes.unwrap_or_default();
    if axes.is_empty() && noop {
        return Ok(None);
    }
    let axes = if axes.is_empty() {
        (0..s.len()).collect()
    } else {
        ctx.attr(shapes::normalize_axes(&axes, s.len()))?
    };
    let out = s
        .iter()
        .enumerate()
        .filter_map(|(i, &d)| match (axes.contains(&i), keepdims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    Ok(Some((axes, keepdims, out)))
}

/// ReduceMax, ReduceMin, ReduceL1, ReduceSumSquare, ReduceProd, ReduceL2, ReduceLogSumExp
/// (axes an input from opset 18).
fn reduce_kind(ctx: &NodeCtx<'_>, kind: ReduceKind) -> Result<Mapped, ImportError> {
    let Some((axes, keepdims, out)) = resolve(ctx, 18)? else {
        return Ok(Mapped::new(Op::Identity, vec![0], ctx.shape(0)?.to_vec()));
    };
    let s = ctx.shape(0)?;
    let needs_element = matches!(
        kind,
        ReduceKind::Max | ReduceKind::Min | ReduceKind::LogSumExp
    );
    if needs_element && axes.iter().any(|&a| s[a] == 0) {
        return Err(ctx.shape_err(format!(
            "{} over an empty axis of {} has no value",
            ctx.op_type,
            shapes::fmt_shape(s)
        )));
    }
    Ok(Mapped::new(
        Op::Reduce {
            kind,
            axes,
            keepdims,
        },
        vec![0],
        out,
    ))
}

/// `ReduceSum` (`is_sum`) or `ReduceMean`.
///
/// Axes come from input 1 for ReduceSum at opset >= 13 and ReduceMean at opset >= 18, from the
/// `axes` attribute before. Empty axes mean "all axes" (resolved explicitly) unless
/// `noop_with_empty_axes=1`, in which case the node becomes an `Identity`.
pub(super) fn reduce(ctx: &NodeCtx<'_>, is_sum: bool) -> Result<Mapped, ImportError> {
    let Some((axes, keepdims, out)) = resolve(ctx, if is_sum { 13 } else { 18 })? else {
        return Ok(Mapped::new(Op::Identity, vec![0], ctx.shape(0)?.to_vec()));
    };
    let op = if is_sum {
        Op::ReduceSum { axes, keepdims }
    } else {
        Op::ReduceMean { axes, keepdims }
    };
    Ok(Mapped::new(op, vec![0], out))
}
