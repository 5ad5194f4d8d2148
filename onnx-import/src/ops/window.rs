//! Conv, pooling and BatchNormalization (NCHW, 2-D).

use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{ConvAttrs, Op, Pads2d, PoolAttrs};
use crate::shapes::{self, fmt_shape, AutoPad};

/// Reads a 2-element positive INTS attribute (`strides`, `dilations`, `kernel_shape`).
fn pair(
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
fn window_common(
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
fn nchw(ctx: &NodeCtx<'_>) -> Result<[usize; 4], ImportError> {
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

/// `Conv` (2-D), with ONNX defaults applied.
pub(super) fn conv(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let [n, c, h, w] = nchw(ctx)?;
    let weight = ctx.constant(1, "weight W")?;
    let [m, cg, kh, kw] = match *weight.tensor.shape {
        [m, cg, kh, kw] => [m, cg, kh, kw],
        _ => {
            return Err(ctx.err(format!(
                "weight W has shape {}; a 2-D convolution needs [M, C/group, kH, kW]",
                fmt_shape(&weight.tensor.shape)
            )))
        }
    };
    let group = ctx.int_or("group", 1)?;
    let group = usize::try_from(group)
        .ok()
        .filter(|g| *g >= 1)
        .ok_or_else(|| ctx.err(format!("group={group} must be >= 1")))?;
    if c % group != 0 {
        return Err(ctx.err(format!("group={group} does not divide {c} input channels")));
    }
    if m % group != 0 {
        return Err(ctx.err(format!("group={group} does not divide {m} output channels")));
    }
    if cg != c / group {
        return Err(ctx.shape_err(format!(
            "weight W {} expects {cg} channels per group, but the input {} has {c} channels \
             in {group} group(s) ({} per group)",
            fmt_shape(&weight.tensor.shape),
            fmt_shape(&[n, c, h, w]),
            c / group
        )));
    }
    let kernel = pair(ctx, "kernel_shape", Some([kh, kw]))?;
    if kernel != [kh, kw] {
        return Err(ctx.shape_err(format!(
            "kernel_shape {kernel:?} disagrees with the weight's spatial dims [{kh}, {kw}]"
        )));
    }
    let (strides, dilations, pads) = window_common(ctx, [h, w], kernel)?;
    let [oh, ow] = shapes::window_output([h, w], kernel, strides, pads, dilations)
        .map_err(|e| ctx.shape_err(e))?;
    let mut inputs = vec![0, 1];
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
    let attrs = ConvAttrs {
        kernel,
        strides,
        pads,
        dilations,
        group,
    };
    Ok(Mapped::new(Op::Conv(attrs), inputs, vec![n, m, oh, ow]))
}

/// `MaxPool` / `AveragePool` (2-D).
pub(super) fn pool(ctx: &NodeCtx<'_>, is_max: bool) -> Result<Mapped, ImportError> {
    if ctx.n_outputs > 1 {
        return Err(ctx.err(
            "the Indices output of MaxPool is not supported; remove the second output \
             (return_indices=False when exporting)",
        ));
    }
    ctx.single_output()?;
    let [n, c, h, w] = nchw(ctx)?;
    if !ctx.attrs.has("kernel_shape") {
        return Err(ctx.err("attribute kernel_shape is required"));
    }
    let kernel = pair(ctx, "kernel_shape", None)?;
    if ctx.flag("ceil_mode", false)? {
        return Err(ctx
            .err("ceil_mode=1 is not supported; export the model with ceil_mode=0 (the default)"));
    }
    let (strides, dilations, pads) = window_common(ctx, [h, w], kernel)?;
    if ctx.int_or("storage_order", 0)? != 0 {
        return Err(ctx.err("storage_order=1 (column major) is not supported"));
    }
    let count_include_pad = if is_max {
        false
    } else {
        ctx.flag("count_include_pad", false)?
    };
    let [oh, ow] = shapes::window_output([h, w], kernel, strides, pads, dilations)
        .map_err(|e| ctx.shape_err(e))?;
    let attrs = PoolAttrs {
        kernel,
        strides,
        pads,
        dilations,
        count_include_pad,
    };
    let op = if is_max {
        Op::MaxPool(attrs)
    } else {
        Op::AveragePool(attrs)
    };
    Ok(Mapped::new(op, vec![0], vec![n, c, oh, ow]))
}

/// `GlobalAveragePool` on NCHW.
pub(super) fn global_average_pool(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let [n, c, _, _] = nchw(ctx)?;
    Ok(Mapped::new(
        Op::GlobalAveragePool,
        vec![0],
        vec![n, c, 1, 1],
    ))
}

/// Inference-mode `BatchNormalization`; all per-channel inputs must be constant.
pub(super) fn batch_norm(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    if ctx.int_or("training_mode", 0)? != 0 || ctx.n_outputs > 1 {
        return Err(ctx.err(
            "training-mode BatchNormalization (training_mode=1 or running mean/var outputs) \
             is not supported; export the model in eval mode (model.eval())",
        ));
    }
    ctx.single_output()?;
    let epsilon = ctx.float_or("epsilon", 1e-5)?;
    if !(epsilon.is_finite() && epsilon >= 0.0) {
        return Err(ctx.err(format!(
            "epsilon={epsilon} must be a finite non-negative number"
        )));
    }
    let x = ctx.shape(0)?;
    let Some(&channels) = x.get(1) else {
        return Err(ctx.shape_err(format!(
            "input X has shape {}; BatchNormalization needs rank >= 2 (N, C, ...)",
            fmt_shape(x)
        )));
    };
    for (i, what) in [
        (1, "scale"),
        (2, "bias B"),
        (3, "input_mean"),
        (4, "input_var"),
    ] {
        let t = ctx.constant(i, what)?;
        if t.tensor.shape != [channels] {
            return Err(ctx.shape_err(format!(
                "{what} has shape {}, expected [{channels}] (one per channel of X {})",
                fmt_shape(&t.tensor.shape),
                fmt_shape(x)
            )));
        }
        if i == 4 && t.tensor.data.iter().any(|v| v + epsilon <= 0.0) {
            return Err(ctx.err("input_var + epsilon must be positive for every channel"));
        }
    }
    Ok(Mapped::new(
        Op::BatchNormalization { epsilon },
        vec![0, 1, 2, 3, 4],
        x.to_vec(),
    ))
}
