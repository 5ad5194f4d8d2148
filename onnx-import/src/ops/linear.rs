//! Linear ops: Gemm, MatMul and Conv.

use super::window::{auto_pad, per_axis, per_axis_nonneg, spatial_input, window_common};
use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{ConvAttrs, ConvTransposeAttrs, Op, Pads};
use crate::registry::{Family, OpDef};
use crate::shapes::{self, fmt_shape, AutoPad};

/// Linear operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime(
        "Gemm",
        Family::Linear,
        "alpha, beta, transA/transB; constant or runtime C (required before opset 11); opset < 7 `broadcast`",
        |c| gemm(c).map(Into::into),
    ),
    OpDef::runtime("MatMul", Family::Linear, "batch broadcasting", |c| {
        matmul(c).map(Into::into)
    }),
    OpDef::runtime(
        "Conv",
        Family::Linear,
        "1-D, 2-D, 3-D: strides, pads / auto_pad, dilations, groups; constant weight",
        |c| conv(c).map(Into::into),
    ),
    OpDef::runtime(
        "ConvTranspose",
        Family::Linear,
        "1-D, 2-D, 3-D: strides, pads / auto_pad, dilations, group, output_padding, \
         output_shape; constant weight",
        |c| conv_transpose(c).map(Into::into),
    ),
];

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
    if ctx.opt(2).is_none() && ctx.opset < 11 {
        return Err(ctx.err(format!(
            "input C is required before opset 11 (the model declares opset {}); add a zero \
             bias or re-export at opset >= 11",
            ctx.opset
        )));
    }
    if let Some(c) = ctx.opt(2) {
        // Before opset 7, C broadcasts only with broadcast=1; otherwise it must be [M, N].
        if ctx.opset < 7 && !ctx.flag("broadcast", false)? && c.shape != out.as_slice() {
            return Err(ctx.shape_err(format!(
                "C {} must be {} when broadcast=0 (before opset 7 Gemm broadcasts C only with \
                 broadcast=1)",
                fmt_shape(c.shape),
                fmt_shape(&out)
            )));
        }
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

/// `group` as a positive integer dividing `channels` input channels.
fn read_group(ctx: &NodeCtx<'_>, channels: usize) -> Result<usize, ImportError> {
    let group = ctx.int_or("group", 1)?;
    let group = usize::try_from(group)
        .ok()
        .filter(|g| *g >= 1)
        .ok_or_else(|| ctx.err(format!("group={group} must be >= 1")))?;
    if !channels.is_multiple_of(group) {
        return Err(ctx.err(format!(
            "group={group} does not divide {channels} input channels"
        )));
    }
    Ok(group)
}

/// The constant weight of a Conv / ConvTranspose, with `2 + rank` dims.
fn weight<'a>(
    ctx: &NodeCtx<'a>,
    rank: usize,
    layout: &str,
) -> Result<&'a crate::ir::Tensor, ImportError> {
    let w = &ctx.constant(1, "weight W")?.tensor;
    if w.shape.len() != rank + 2 {
        return Err(ctx.shape_err(format!(
            "weight W has shape {}; a {rank}-D {} needs {layout} (rank {})",
            fmt_shape(&w.shape),
            ctx.op_type,
            rank + 2
        )));
    }
    Ok(w)
}

/// Checks `kernel_shape` (when given) against the weight's spatial dims.
fn kernel_of(ctx: &NodeCtx<'_>, w_spatial: &[usize]) -> Result<Vec<usize>, ImportError> {
    let kernel = per_axis(ctx, "kernel_shape", w_spatial.len(), Some(1))?;
    if ctx.attrs.has("kernel_shape") && kernel != w_spatial {
        return Err(ctx.shape_err(format!(
            "kernel_shape {kernel:?} disagrees with the weight's spatial dims {w_spatial:?}"
        )));
    }
    Ok(w_spatial.to_vec())
}

/// The optional constant bias at input 2, which must have shape `[m]`.
fn bias_input(ctx: &NodeCtx<'_>, m: usize, inputs: &mut Vec<usize>) -> Result<(), ImportError> {
    if let Some(b) = ctx.opt(2) {
        let bias = ctx.constant(2, "bias B")?;
        if bias.tensor.shape != [m] {
            return Err(ctx.shape_err(format!(
                "bias B \"{}\" has shape {}, expected [{m}] (one per output channel)",
                b.name,
                fmt_shape(&bias.tensor.shape)
            )));
        }
        inputs.push(2);
    }
    Ok(())
}

/// `Conv` (1-D, 2-D, 3-D, any N-D), with ONNX defaults applied. Conv has the same
/// attributes in every opset.
pub(super) fn conv(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let (n, c, spatial) = spatial_input(ctx)?;
    let rank = spatial.len();
    let w = weight(ctx, rank, "[M, C/group, k1, ...]")?;
    let (m, cg) = (w.shape[0], w.shape[1]);
    let group = read_group(ctx, c)?;
    if m % group != 0 {
        return Err(ctx.err(format!("group={group} does not divide {m} output channels")));
    }
    if cg != c / group {
        return Err(ctx.shape_err(format!(
            "weight W {} expects {cg} channels per group, but the input {} has {c} channels \
             in {group} group(s) ({} per group)",
            fmt_shape(&w.shape),
            fmt_shape(ctx.shape(0)?),
            c / group
        )));
    }
    let kernel = kernel_of(ctx, &w.shape[2..])?;
    let win = window_common(ctx, spatial, &kernel)?;
    let out = shapes::window_output(
        spatial,
        &kernel,
        &win.strides,
        &win.pads,
        &win.dilations,
        false,
    )
    .map_err(|e| ctx.shape_err(e))?;
    let mut inputs = vec![0, 1];
    bias_input(ctx, m, &mut inputs)?;
    let attrs = ConvAttrs {
        kernel,
        strides: win.strides,
        pads: win.pads,
        dilations: win.dilations,
        group,
    };
    let mut shape = vec![n, m];
    shape.extend(out);
    Ok(Mapped::new(Op::Conv(attrs), inputs, shape))
}

/// `ConvTranspose` (any N-D). `output_shape` and `auto_pad` are resolved into pads as the
/// ONNX spec defines: `total = stride·(in-1) + output_padding + dilation·(k-1) + 1 - out`;
/// SAME_UPPER puts `total/2` at the beginning, NOTSET and SAME_LOWER put `total - total/2`
/// there. A negative total (an output larger than the natural size) becomes extra
/// `output_padding` at the end. Without `output_shape`, SAME_* aims at `out = in·stride`.
pub(super) fn conv_transpose(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let (n, c, spatial) = spatial_input(ctx)?;
    let rank = spatial.len();
    let w = weight(ctx, rank, "[C, M/group, k1, ...]")?;
    let group = read_group(ctx, c)?;
    if w.shape[0] != c {
        return Err(ctx.shape_err(format!(
            "weight W {} has {} input channels, but the input {} has {c}",
            fmt_shape(&w.shape),
            w.shape[0],
            fmt_shape(ctx.shape(0)?)
        )));
    }
    let m = w.shape[1]
        .checked_mul(group)
        .ok_or_else(|| ctx.err("output channel count overflows"))?;
    let kernel = kernel_of(ctx, &w.shape[2..])?;
    let strides = per_axis(ctx, "strides", rank, Some(1))?;
    let dilations = per_axis(ctx, "dilations", rank, Some(1))?;
    let mut output_padding = per_axis_nonneg(ctx, "output_padding", rank)?;
    for (i, (&op, (&s, &d))) in output_padding
        .iter()
        .zip(strides.iter().zip(&dilations))
        .enumerate()
    {
        if op >= s && op >= d {
            return Err(ctx.err(format!(
                "output_padding {op} along spatial axis {i} must be smaller than the stride \
                 ({s}) or the dilation ({d})"
            )));
        }
    }
    let mode = auto_pad(ctx)?;
    let explicit = ctx.attr(ctx.attrs.ints("pads"))?;
    let output_shape = ctx.attr(ctx.attrs.ints("output_shape"))?;
    let full = (0..rank)
        .map(|i| {
            shapes::transpose_full_len(
                spatial[i],
                kernel[i],
                strides[i],
                dilations[i],
                output_padding[i],
            )
            .map_err(|e| ctx.shape_err(e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The requested output spatial size, when output_shape or SAME_* fixes it.
    let target: Option<Vec<usize>> = match &output_shape {
        Some(os) => {
            // Spatial dims only; some exporters write the full [N, C, ...] shape.
            let os = if os.len() == rank + 2 {
                &os[2..]
            } else {
                &os[..]
            };
            if os.len() != rank {
                return Err(ctx.err(format!(
                    "output_shape={os:?} must have {rank} values (the output's spatial dims)"
                )));
            }
            Some(
                os.iter()
                    .map(|&v| {
                        usize::try_from(v)
                            .ok()
                            .filter(|&v| v >= 1)
                            .ok_or_else(|| ctx.err(format!("output_shape={os:?} must be positive")))
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        None if matches!(mode, AutoPad::SameUpper | AutoPad::SameLower) => Some(
            spatial
                .iter()
                .zip(&strides)
                .map(|(&i, &s)| i.saturating_mul(s))
                .collect(),
        ),
        None => None,
    };
    let pads = match target {
        Some(target) => {
            let mut pads = Pads::zeros(rank);
            for i in 0..rank {
                if full[i] >= target[i] {
                    let total = full[i] - target[i];
                    let (small, big) = (total / 2, total - total / 2);
                    (pads.begin[i], pads.end[i]) = if mode == AutoPad::SameUpper {
                        (small, big)
                    } else {
                        (big, small)
                    };
                } else {
                    output_padding[i] += target[i] - full[i];
                }
            }
            if let Some(p) = explicit.as_deref() {
                let given = shapes::explicit_pads(Some(p), rank).map_err(|e| ctx.err(e))?;
                if given != pads && p.iter().any(|&v| v != 0) {
                    return Err(ctx.err(format!(
                        "pads {p:?} disagree with the pads {:?} / {:?} that output_shape (or \
                         auto_pad) implies; give only one of them",
                        pads.begin, pads.end
                    )));
                }
            }
            pads
        }
        None if mode == AutoPad::Valid => Pads::zeros(rank),
        None => shapes::explicit_pads(explicit.as_deref(), rank).map_err(|e| ctx.err(e))?,
    };
    let geo = shapes::TransposeGeometry::new(
        spatial,
        &kernel,
        &strides,
        &pads,
        &dilations,
        &output_padding,
    )
    .map_err(|e| ctx.shape_err(e))?;
    let mut inputs = vec![0, 1];
    bias_input(ctx, m, &mut inputs)?;
    let attrs = ConvTransposeAttrs {
        kernel,
        strides,
        pads,
        dilations,
        group,
        output_padding,
    };
    let mut shape = vec![n, m];
    shape.extend(geo.output);
    Ok(Mapped::new(Op::ConvTranspose(attrs), inputs, shape))
}
