//! Resize (opset ≥ 10) and Upsample (opsets 7–9) with constant scales or sizes.
//!
//! Input layouts: Resize-10 `(X, scales)`; Resize-11/13 `(X, roi, scales, sizes)` (one of
//! scales and sizes; an empty tensor counts as absent); Resize-18 adds the `axes`,
//! `keep_aspect_ratio_policy` and `antialias` attributes. Upsample-7 has a `scales`
//! attribute, Upsample-9 a `scales` input. Resize-10 and Upsample use the asymmetric
//! coordinate mapping and round down for nearest, as their specs say.

use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{CoordMode, NearestMode, Op, ResizeAttrs, ResizeMode};
use crate::registry::{Family, OpDef};
use crate::shapes::{self, fmt_shape};

/// Resize operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime(
        "Resize",
        Family::Resize,
        "constant scales/sizes; nearest (any nearest_mode) or linear (a constant-weight sum); \
         coordinate modes half_pixel, pytorch_half_pixel, align_corners, asymmetric, \
         half_pixel_symmetric; opset 18 axes and keep_aspect_ratio_policy",
        |c| resize(c).map(Into::into),
    )
    .opsets(10, 21),
    OpDef::runtime(
        "Upsample",
        Family::Resize,
        "nearest or linear; scales attribute (opset 7–8) or constant input (opset 9)",
        |c| upsample(c).map(Into::into),
    )
    .opsets(7, 9),
];

fn interpolation(ctx: &NodeCtx<'_>, nearest: NearestMode) -> Result<ResizeMode, ImportError> {
    let mode = ctx
        .attr(ctx.attrs.string("mode"))?
        .unwrap_or_else(|| "nearest".into());
    match mode.as_str() {
        "nearest" => Ok(ResizeMode::Nearest(nearest)),
        "linear" | "bilinear" | "trilinear" => Ok(ResizeMode::Linear),
        other => Err(ctx.err(format!(
            "mode \"{other}\" is not supported; use \"nearest\" or \"linear\""
        ))),
    }
}

/// Output shape from per-axis scales (`floor(in · scale)`).
fn shape_from_scales(
    ctx: &NodeCtx<'_>,
    s: &[usize],
    scales: &[f64],
) -> Result<Vec<usize>, ImportError> {
    s.iter()
        .zip(scales)
        .map(|(&d, &sc)| {
            let v = (d as f64 * sc).floor();
            if sc.is_finite() && sc > 0.0 && v < 1e15 {
                Ok(v as usize)
            } else {
                Err(ctx.err(format!("scales {scales:?} must be positive and finite")))
            }
        })
        .collect()
}

/// A non-empty constant float input, if present (Resize treats an empty tensor as absent).
fn nonempty_floats(
    ctx: &NodeCtx<'_>,
    i: usize,
    what: &str,
) -> Result<Option<Vec<f64>>, ImportError> {
    if ctx.opt(i).is_none() {
        return Ok(None);
    }
    let c = ctx.constant(i, what)?;
    Ok((!c.tensor.data.is_empty()).then(|| c.tensor.data.clone()))
}

/// `Resize`.
pub(super) fn resize(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let r = s.len();
    if ctx.opset < 11 {
        let scales = nonempty_floats(ctx, 1, "scales")?
            .ok_or_else(|| ctx.err("the scales input is required before opset 11"))?;
        let mode = interpolation(ctx, NearestMode::Floor)?;
        return finish(ctx, s, scales, None, mode, CoordMode::Asymmetric);
    }
    let coord_name = ctx
        .attr(ctx.attrs.string("coordinate_transformation_mode"))?
        .unwrap_or_else(|| "half_pixel".into());
    let coord = match coord_name.as_str() {
        "half_pixel" => CoordMode::HalfPixel,
        "pytorch_half_pixel" => CoordMode::PytorchHalfPixel,
        "align_corners" => CoordMode::AlignCorners,
        "asymmetric" => CoordMode::Asymmetric,
        "half_pixel_symmetric" if ctx.opset >= 19 => CoordMode::HalfPixelSymmetric,
        other => {
            return Err(ctx.err(format!(
                "coordinate_transformation_mode \"{other}\" is not supported; use half_pixel, \
                 pytorch_half_pixel, align_corners or asymmetric"
            )))
        }
    };
    let nearest_name = ctx
        .attr(ctx.attrs.string("nearest_mode"))?
        .unwrap_or_else(|| "round_prefer_floor".into());
    let nearest = match nearest_name.as_str() {
        "round_prefer_floor" => NearestMode::RoundPreferFloor,
        "round_prefer_ceil" => NearestMode::RoundPreferCeil,
        "floor" => NearestMode::Floor,
        "ceil" => NearestMode::Ceil,
        other => {
            return Err(ctx.err(format!(
                "nearest_mode \"{other}\" is not one of round_prefer_floor, round_prefer_ceil, \
                 floor, ceil"
            )))
        }
    };
    let mode = interpolation(ctx, nearest)?;
    // Axes the scales / sizes refer to (opset 18; default all).
    let axes = match ctx.attr(ctx.attrs.ints("axes"))? {
        Some(a) if ctx.opset >= 18 => {
            // In the given order: scales / sizes follow it.
            let mut out = Vec::with_capacity(a.len());
            for &x in &a {
                let x = ctx.attr(shapes::normalize_axis(x, r))?;
                if out.contains(&x) {
                    return Err(ctx.err(format!("axes {a:?} repeat axis {x}")));
                }
                out.push(x);
            }
            out
        }
        _ => (0..r).collect(),
    };
    let scales = nonempty_floats(ctx, 2, "scales")?;
    let sizes = if ctx.opt(3).is_some() {
        let v = ctx.const_ints(3, "sizes")?;
        (!v.is_empty()).then_some(v)
    } else {
        None
    };
    let full = |part: &[f64], fill: f64| -> Result<Vec<f64>, ImportError> {
        if part.len() != axes.len() {
            return Err(ctx.err(format!(
                "{} values given for {} axes (input shape {})",
                part.len(),
                axes.len(),
                fmt_shape(s)
            )));
        }
        let mut v = vec![fill; r];
        for (&a, &x) in axes.iter().zip(part) {
            v[a] = x;
        }
        Ok(v)
    };
    let (scales, out) = match (scales, sizes) {
        (Some(sc), None) => (full(&sc, 1.0)?, None),
        (None, Some(sz)) => {
            let mut out = s.to_vec();
            let sz: Vec<f64> = sz.iter().map(|&v| v as f64).collect();
            let given = full(&sz, 0.0)?;
            for &a in &axes {
                out[a] = usize::try_from(given[a] as i64)
                    .map_err(|_| ctx.err(format!("sizes {sz:?} must be non-negative")))?;
            }
            let mut scales: Vec<f64> = (0..r)
                .map(|a| {
                    if s[a] == 0 {
                        1.0
                    } else {
                        out[a] as f64 / s[a] as f64
                    }
                })
                .collect();
            let policy = ctx
                .attr(ctx.attrs.string("keep_aspect_ratio_policy"))?
                .unwrap_or_else(|| "stretch".into());
            if ctx.opset >= 18 && policy != "stretch" {
                let picked = axes.iter().map(|&a| scales[a]);
                let scale = match policy.as_str() {
                    "not_larger" => picked.fold(f64::INFINITY, f64::min),
                    "not_smaller" => picked.fold(0.0, f64::max),
                    other => {
                        return Err(ctx.err(format!(
                            "keep_aspect_ratio_policy \"{other}\" is not one of stretch, \
                             not_larger, not_smaller"
                        )))
                    }
                };
                for &a in &axes {
                    scales[a] = scale;
                    out[a] = (scale * s[a] as f64 + 0.5).floor() as usize;
                }
            }
            (scales, Some(out))
        }
        (Some(_), Some(_)) => return Err(ctx.err("only one of scales and sizes may be given")),
        (None, None) => return Err(ctx.err("one of scales and sizes is required")),
    };
    let antialias = ctx.opset >= 18 && ctx.flag("antialias", false)?;
    if antialias && mode == ResizeMode::Linear && scales.iter().any(|&v| v < 1.0) {
        return Err(
            ctx.err("antialias=1 when downsampling is not supported; export without antialiasing")
        );
    }
    finish(ctx, s, scales, out, mode, coord)
}

fn finish(
    ctx: &NodeCtx<'_>,
    s: &[usize],
    scales: Vec<f64>,
    out: Option<Vec<usize>>,
    mode: ResizeMode,
    coord: CoordMode,
) -> Result<Mapped, ImportError> {
    if scales.len() != s.len() {
        return Err(ctx.err(format!(
            "{} scales for an input of rank {} ({})",
            scales.len(),
            s.len(),
            fmt_shape(s)
        )));
    }
    if let Some(bad) = scales.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(ctx.err(format!("scale {bad} must be positive (scales {scales:?})")));
    }
    let out_shape = match out {
        Some(o) => o,
        None => shape_from_scales(ctx, s, &scales)?,
    };
    let attrs = ResizeAttrs {
        out_shape: out_shape.clone(),
        scales,
        mode,
        coord,
    };
    Ok(Mapped::new(Op::Resize(attrs), vec![0], out_shape))
}

/// `Upsample` (opsets 7–9): asymmetric coordinates, nearest rounds down.
pub(super) fn upsample(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let scales = if ctx.opset >= 9 {
        ctx.constant(1, "scales")?.tensor.data.clone()
    } else {
        ctx.attr(ctx.attrs.floats("scales"))?
            .ok_or_else(|| ctx.err("attribute scales is required"))?
    };
    let mode = interpolation(ctx, NearestMode::Floor)?;
    finish(ctx, s, scales, None, mode, CoordMode::Asymmetric)
}
