//! Pad, Expand, Tile, DepthToSpace, SpaceToDepth, Trilu.

use super::mapped;
use crate::error::ImportError;
use crate::ir::{DepthToSpaceMode, Op, PadMode};
use crate::ops::{Mapped, NodeCtx};
use crate::shapes::{self, fmt_shape};

/// `Pad`: `paddings` (opset 1) or `pads` (opsets 2–10) attributes with `value`; from opset
/// 11 a constant `pads` input with an optional `constant_value` input, and from opset 18 an
/// optional `axes` input. Pads are `[x1_begin, x2_begin, …, x1_end, x2_end]`.
pub(super) fn pad(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let r = s.len();
    let mode_name = ctx
        .attr(ctx.attrs.string("mode"))?
        .unwrap_or_else(|| "constant".into());
    let mode = match mode_name.as_str() {
        "constant" => PadMode::Constant,
        "reflect" => PadMode::Reflect,
        "edge" => PadMode::Edge,
        "wrap" if ctx.opset >= 19 => PadMode::Wrap,
        other => {
            return Err(ctx.err(format!(
                "mode \"{other}\" is not supported; use constant, reflect or edge (wrap from \
                 opset 19)"
            )))
        }
    };
    let (raw, value, axes) = if ctx.opset < 11 {
        let name = if ctx.opset < 2 { "paddings" } else { "pads" };
        let raw = ctx
            .attr(ctx.attrs.ints(name))?
            .ok_or_else(|| ctx.err(format!("attribute {name} is required")))?;
        (raw, ctx.float_or("value", 0.0)?, None)
    } else {
        let raw = ctx.const_ints(1, "pads")?;
        let value = match ctx.opt(2) {
            None => 0.0,
            Some(_) => {
                let c = ctx.constant(2, "constant_value")?;
                match c.tensor.data.as_slice() {
                    [] => 0.0,
                    [v] => *v,
                    d => {
                        return Err(ctx.err(format!(
                            "constant_value must be a scalar, got {} values",
                            d.len()
                        )))
                    }
                }
            }
        };
        let axes = if ctx.opset >= 18 {
            ctx.opt_const_ints(3, "axes")?
        } else {
            None
        };
        (raw, value, axes)
    };
    let axes: Vec<usize> = match axes {
        Some(a) => {
            let mut seen = vec![false; r];
            let mut out = Vec::with_capacity(a.len());
            for &x in &a {
                let x = ctx.attr(shapes::normalize_axis(x, r))?;
                if std::mem::replace(&mut seen[x], true) {
                    return Err(ctx.err(format!("axes {a:?} repeat axis {x}")));
                }
                out.push(x);
            }
            out
        }
        None => (0..r).collect(),
    };
    if raw.len() != 2 * axes.len() {
        return Err(ctx.err(format!(
            "pads {raw:?} must have 2 × {} entries (begin and end per padded axis; input \
             shape {})",
            axes.len(),
            fmt_shape(s)
        )));
    }
    let mut pads = vec![[0i64; 2]; r];
    let n = axes.len();
    for (j, &a) in axes.iter().enumerate() {
        pads[a] = [raw[j], raw[j + n]];
    }
    if mode == PadMode::Reflect {
        for (a, (&d, p)) in s.iter().zip(&pads).enumerate() {
            if p.iter().any(|&v| v >= i64::try_from(d).unwrap_or(i64::MAX)) && d > 1 {
                return Err(ctx.err(format!(
                    "reflect padding {p:?} on axis {a} of size {d} must be smaller than the axis"
                )));
            }
        }
    }
    mapped(ctx, Op::Pad { pads, mode, value }, vec![0])
}

/// Non-negative integers from a constant input.
fn sizes(ctx: &NodeCtx<'_>, i: usize, what: &str) -> Result<Vec<usize>, ImportError> {
    let v = ctx.const_ints(i, what)?;
    v.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| ctx.err(format!("{what} {v:?} must be non-negative")))
        })
        .collect()
}

/// `Expand` to a constant shape (bidirectional broadcast: a target 1 keeps the input dim).
pub(super) fn expand(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let target = sizes(ctx, 1, "shape")?;
    let out = crate::eval::broadcast_shape(s, &target).ok_or_else(|| {
        ctx.shape_err(format!(
            "cannot expand {} to {target:?}: the shapes do not broadcast",
            fmt_shape(s)
        ))
    })?;
    mapped(ctx, Op::Expand { shape: out }, vec![0])
}

/// `Tile` with constant `repeats` (opset ≥ 6), or Tile-1's scalar `tiles` and `axis` inputs.
pub(super) fn tile(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let repeats = if ctx.opset >= 6 {
        sizes(ctx, 1, "repeats")?
    } else {
        let tiles = sizes(ctx, 1, "tiles")?;
        let axis = ctx.const_ints(2, "axis")?;
        match (tiles.as_slice(), axis.as_slice()) {
            ([t], [a]) => {
                let a = ctx.attr(shapes::normalize_axis(*a, s.len()))?;
                let mut r = vec![1; s.len()];
                r[a] = *t;
                r
            }
            _ => {
                return Err(ctx.err(format!(
                    "Tile-1 needs scalar tiles and axis, got tiles {tiles:?} and axis {axis:?}"
                )))
            }
        }
    };
    if repeats.len() != s.len() {
        return Err(ctx.err(format!(
            "repeats {repeats:?} must have one entry per axis of the input {}",
            fmt_shape(s)
        )));
    }
    mapped(ctx, Op::Tile { repeats }, vec![0])
}

fn blocksize(ctx: &NodeCtx<'_>) -> Result<usize, ImportError> {
    let b = ctx
        .attr(ctx.attrs.int("blocksize"))?
        .ok_or_else(|| ctx.err("attribute blocksize is required"))?;
    usize::try_from(b)
        .ok()
        .filter(|&b| b > 0)
        .ok_or_else(|| ctx.err(format!("blocksize={b} must be positive")))
}

/// `DepthToSpace` (mode DCR, the default, or CRD from opset 11).
pub(super) fn depth_to_space(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    ctx.rank(0, 4, "the input")?;
    let blocksize = blocksize(ctx)?;
    let mode = match ctx.attr(ctx.attrs.string("mode"))?.as_deref() {
        None | Some("DCR") => DepthToSpaceMode::Dcr,
        Some("CRD") if ctx.opset >= 11 => DepthToSpaceMode::Crd,
        Some(other) => {
            return Err(ctx.err(format!(
                "mode \"{other}\" is not supported; use DCR or CRD (CRD from opset 11)"
            )))
        }
    };
    mapped(ctx, Op::DepthToSpace { blocksize, mode }, vec![0])
}

/// `SpaceToDepth` (DCR order; opsets ≤ 21 have no `mode`).
pub(super) fn space_to_depth(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    if let Some(m) = ctx.attr(ctx.attrs.string("mode"))?.filter(|m| m != "DCR") {
        return Err(ctx.err(format!(
            "mode \"{m}\" is not supported: SpaceToDepth moves blocks in DCR order"
        )));
    }
    ctx.rank(0, 4, "the input")?;
    let blocksize = blocksize(ctx)?;
    mapped(ctx, Op::SpaceToDepth { blocksize }, vec![0])
}

/// `Trilu` with a constant `k` (default 0); `upper` defaults to 1.
pub(super) fn trilu(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let upper = ctx.flag("upper", true)?;
    let k = match ctx.opt_const_ints(1, "k")?.as_deref() {
        None => 0,
        Some([k]) => *k,
        Some(v) => return Err(ctx.err(format!("k must be a scalar, got {v:?}"))),
    };
    mapped(ctx, Op::Trilu { upper, k }, vec![0])
}
