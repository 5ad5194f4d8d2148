//! ReduceSum and ReduceMean.

use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::Op;
use crate::shapes;
use crate::registry::{Family, OpDef};

/// Reductions.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("ReduceSum", Family::Reduce, "", |c| {
        reduce(c, true).map(Into::into)
    }),
    OpDef::runtime("ReduceMean", Family::Reduce, "", |c| {
        reduce(c, false).map(Into::into)
    }),
];

/// `ReduceSum` (`is_sum`) or `ReduceMean`.
///
/// Axes come from input 1 for ReduceSum at opset >= 13 and ReduceMean at opset >= 18, from the
/// `axes` attribute before. Empty axes mean "all axes" (resolved explicitly) unless
/// `noop_with_empty_axes=1`, in which case the node becomes an `Identity`.
pub(super) fn reduce(ctx: &NodeCtx<'_>, is_sum: bool) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let axes_from_input = if is_sum {
        ctx.opset >= 13
    } else {
        ctx.opset >= 18
    };
    let axes = if axes_from_input {
        ctx.opt_const_ints(1, "axes")?
    } else {
        ctx.attr(ctx.attrs.ints("axes"))?
    };
    let keepdims = ctx.flag("keepdims", true)?;
    let noop = ctx.flag("noop_with_empty_axes", false)?;
    let axes = axes.unwrap_or_default();
    if axes.is_empty() && noop {
        return Ok(Mapped::new(Op::Identity, vec![0], s.to_vec()));
    }
    let axes = if axes.is_empty() {
        (0..s.len()).collect()
    } else {
        ctx.attr(shapes::normalize_axes(&axes, s.len()))?
    };
    let out = if keepdims {
        s.iter()
            .enumerate()
            .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
            .collect()
    } else {
        s.iter()
            .enumerate()
            .filter(|(i, _)| !axes.contains(i))
            .map(|(_, &d)| d)
            .collect()
    };
    let op = if is_sum {
        Op::ReduceSum { axes, keepdims }
    } else {
        Op::ReduceMean { axes, keepdims }
    };
    Ok(Mapped::new(op, vec![0], out))
}
