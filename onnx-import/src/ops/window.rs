//! Window geometry shared by Conv and pooling: kernel, strides, dilations, pads.

use super::NodeCtx;
use crate::error::ImportError;
use crate::ir::Pads2d;
use crate::shapes::{self, fmt_shape, AutoPad};

/// Reads a 2-element positive INTS attribute (`strides`, `dilations`, `kernel_shape`).
pub(super) fn pair(
    ctx: &NodeCtx<'_>,
    name: &str,
    default: Option<[usize; 2]>,
) -> Result<[usize; 2], ImportError> {
    let Some(v) = ctx.attr(ctx.attrs.ints(name))? else {
        return default.ok_or_else(|| ctx.err(format!("attribute {name} is required")));
    };
    match v.as_slice() {
        [a, b] if *a >= 1 && *b >= 1 => Ok([
            usize::try_from(*a).map_err(|_| ctx.err(format!("{name} too large")))?,
            usize::try_from(*b).map_err(|_| ctx.err(format!("{name} too large")))?,
        ]),
        [_, _] => Err(ctx.err(format!("{name}={v:?} must be positive (each value >= 1)"))),
        _ => Err(ctx.err(format!(
            "{name}={v:?} must have 2 values; only 2-D (NCHW) windows are supported"
        ))),
    }
}

/// Strides, dilations and resolved pads of a 2-D window.
type Window = ([usize; 2], [usize; 2], Pads2d);

/// Strides, dilations and resolved pads shared by Conv and pooling.
pub(super) fn window_common(
    ctx: &NodeCtx<'_>,
    input_hw: [usize; 2],
    kernel: [usize; 2],
) -> Result<Window, ImportError> {
    let strides = pair(ctx, "strides", Some([1, 1]))?;
    let dilations = pair(ctx, "dilations", Some([1, 1]))?;
    let auto_pad = ctx.attr(AutoPad::parse(
        ctx.attr(ctx.attrs.string("auto_pad"))?.as_deref(),
    ))?;
    let pads = ctx.attr(ctx.attrs.ints("pads"))?;
    let pads = ctx.attr(shapes::resolve_pads(
        auto_pad,
        pads.as_deref(),
        input_hw,
        kernel,
        strides,
        dilations,
    ))?;
    Ok((strides, dilations, pads))
}

/// Requires a rank-4 NCHW input and returns `[N, C, H, W]`.
pub(super) fn nchw(ctx: &NodeCtx<'_>) -> Result<[usize; 4], ImportError> {
    let s = ctx.shape(0)?;
    match *s {
        [n, c, h, w] => Ok([n, c, h, w]),
        _ => Err(ctx.err(format!(
            "input X has shape {}; only 2-D {} on rank-4 NCHW inputs is supported",
            fmt_shape(s),
            ctx.op_type
        ))),
    }
}
