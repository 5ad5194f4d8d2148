//! Window geometry shared by Conv, ConvTranspose and pooling: the spatial rank, kernel,
//! strides, dilations and pads of an N-D window (1-D `[N, C, L]`, 2-D NCHW, 3-D NCDHW).

use super::NodeCtx;
use crate::error::ImportError;
use crate::ir::Pads;
use crate::shapes::{self, fmt_shape, AutoPad};

/// Reads an INTS attribute with one positive value per spatial axis (`strides`,
/// `dilations`, `kernel_shape`); `default` applies when the attribute is absent.
pub(super) fn per_axis(
    ctx: &NodeCtx<'_>,
    name: &str,
    rank: usize,
    default: Option<usize>,
) -> Result<Vec<usize>, ImportError> {
    let Some(v) = ctx.attr(ctx.attrs.ints(name))? else {
        return default
            .map(|d| vec![d; rank])
            .ok_or_else(|| ctx.err(format!("attribute {name} is required")));
    };
    if v.len() != rank {
        return Err(ctx.err(format!(
            "{name}={v:?} must have {rank} values, one per spatial axis of the input"
        )));
    }
    v.iter()
        .map(|&x| {
            usize::try_from(x)
                .ok()
                .filter(|&x| x >= 1)
                .ok_or_else(|| ctx.err(format!("{name}={v:?} must be positive (each value >= 1)")))
        })
        .collect()
}

/// Reads an INTS attribute with one non-negative value per spatial axis (default 0), e.g.
/// ConvTranspose's `output_padding`.
pub(super) fn per_axis_nonneg(
    ctx: &NodeCtx<'_>,
    name: &str,
    rank: usize,
) -> Result<Vec<usize>, ImportError> {
    let Some(v) = ctx.attr(ctx.attrs.ints(name))? else {
        return Ok(vec![0; rank]);
    };
    if v.len() != rank {
        return Err(ctx.err(format!(
            "{name}={v:?} must have {rank} values, one per spatial axis of the input"
        )));
    }
    v.iter()
        .map(|&x| {
            usize::try_from(x).map_err(|_| ctx.err(format!("{name}={v:?} must be non-negative")))
        })
        .collect()
}

/// The `auto_pad` attribute.
pub(super) fn auto_pad(ctx: &NodeCtx<'_>) -> Result<AutoPad, ImportError> {
    ctx.attr(AutoPad::parse(
        ctx.attr(ctx.attrs.string("auto_pad"))?.as_deref(),
    ))
}

/// Strides, dilations and resolved pads of a window over `input` (the spatial dims).
pub(super) struct Window {
    /// Strides (default 1).
    pub strides: Vec<usize>,
    /// Dilations (default 1).
    pub dilations: Vec<usize>,
    /// Explicit or automatic pads.
    pub pads: Pads,
}

/// Reads strides, dilations and pads for a window of size `kernel` over `input` (an op
/// whose opset has no `dilations` refuses it beforehand with [`require_since`]).
pub(super) fn window_common(
    ctx: &NodeCtx<'_>,
    input: &[usize],
    kernel: &[usize],
) -> Result<Window, ImportError> {
    let rank = input.len();
    let strides = per_axis(ctx, "strides", rank, Some(1))?;
    let dilations = per_axis(ctx, "dilations", rank, Some(1))?;
    let auto_pad = auto_pad(ctx)?;
    let pads = ctx.attr(ctx.attrs.ints("pads"))?;
    if auto_pad != AutoPad::NotSet && pads.as_deref().is_some_and(|p| p.iter().any(|&v| v != 0)) {
        return Err(ctx.err(format!(
            "both auto_pad={auto_pad:?} and non-zero pads are set; ONNX allows only one: \
             remove pads or set auto_pad=NOTSET"
        )));
    }
    let pads = ctx.attr(shapes::resolve_pads(
        auto_pad,
        pads.as_deref(),
        input,
        kernel,
        &strides,
        &dilations,
    ))?;
    Ok(Window {
        strides,
        dilations,
        pads,
    })
}

/// Requires an input X of rank >= 3 (`[N, C, spatial...]`) and returns `(N, C, spatial)`.
pub(super) fn spatial_input<'a>(
    ctx: &NodeCtx<'a>,
) -> Result<(usize, usize, &'a [usize]), ImportError> {
    let s = ctx.shape(0)?;
    match s {
        [n, c, spatial @ ..] if !spatial.is_empty() => Ok((*n, *c, spatial)),
        _ => Err(ctx.shape_err(format!(
            "input X has shape {}; {} needs [N, C, D1, ...] with at least one spatial axis \
             (rank 3 for 1-D, 4 for 2-D NCHW, 5 for 3-D NCDHW)",
            fmt_shape(s),
            ctx.op_type
        ))),
    }
}

/// Refuses attribute `name` when the model's opset predates it (`since`): its semantics
/// are not defined there, so the model is not valid for the opset it declares.
pub(super) fn require_since(ctx: &NodeCtx<'_>, name: &str, since: i64) -> Result<(), ImportError> {
    if ctx.opset < since && ctx.attrs.has(name) {
        return Err(ctx.err(format!(
            "attribute {name} is not part of {} before opset {since} (the model declares \
             opset {}); remove it or declare opset {since} or later",
            ctx.op_type, ctx.opset
        )));
    }
    Ok(())
}

/// Refuses attribute `name` when the model's opset no longer has it (`removed_in`).
pub(super) fn require_before(
    ctx: &NodeCtx<'_>,
    name: &str,
    removed_in: i64,
) -> Result<(), ImportError> {
    if ctx.opset >= removed_in && ctx.attrs.has(name) {
        return Err(ctx.err(format!(
            "attribute {name} was removed from {} in opset {removed_in} (the model declares \
             opset {}); remove it",
            ctx.op_type, ctx.opset
        )));
    }
    Ok(())
}
