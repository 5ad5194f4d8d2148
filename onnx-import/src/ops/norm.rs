//! Normalization: inference-mode BatchNormalization, and the ops that normalize with
//! statistics of the data itself: Softmax / LogSoftmax, LayerNormalization,
//! InstanceNormalization and LRN.
//!
//! BatchNormalization, by opset:
//!
//! | opset | difference |
//! | --- | --- |
//! | 1 | `consumed_inputs` (legacy in-place hint, ignored) |
//! | 1–6 | `is_test` (default 0 = training mode, which is refused; 1 = inference) |
//! | 1–8 | `spatial` (default 1; 0 = per-activation statistics, refused) |
//! | 7–13 | training mode = the optional mean/var/saved outputs are present (refused) |
//! | 14+ | `training_mode` attribute (1 refused); outputs 2 and 3 only in training mode |
//! | 15 | scale/bias and mean/var may have different float types (no difference here) |
//!
//! `momentum` only updates running statistics during training and is ignored.
//!
//! Softmax / LogSoftmax: before opset 13 `axis` defaults to 1 and the input is coerced to
//! 2-D `[prod(dims < axis), prod(dims >= axis)]`, i.e. normalized jointly over every axis
//! `>= axis` (`Op::Softmax { coerce_2d: true }` when that is more than one axis); from 13
//! `axis` defaults to -1 and names the one axis normalized over.

use super::window::{require_before, require_since};
use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::Op;
use crate::registry::{Family, OpDef};
use crate::shapes::{self, fmt_shape};

/// Normalization operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime(
        "BatchNormalization",
        Family::Norm,
        "inference mode (is_test=1 before opset 7, training_mode=0 from 14; spatial=1 before 9), \
         any rank >= 2; folded into a preceding Conv/Gemm where possible",
        |c| batch_norm(c).map(Into::into),
    ),
    OpDef::runtime(
        "Softmax",
        Family::Norm,
        "axis (default 1 and 2-D coercion before opset 13, -1 from 13); max-subtracted",
        |c| softmax(c, false).map(Into::into),
    ),
    OpDef::runtime(
        "LogSoftmax",
        Family::Norm,
        "axis (default 1 and 2-D coercion before opset 13, -1 from 13); max-subtracted",
        |c| softmax(c, true).map(Into::into),
    ),
    OpDef::runtime(
        "LayerNormalization",
        Family::Norm,
        "axis, epsilon; Scale and B broadcast to the normalized shape; output 0 only \
         (Mean / InvStdDev refused); stash_type ignored",
        |c| layer_norm(c).map(Into::into),
    )
    .opsets(17, 21),
    OpDef::runtime(
        "InstanceNormalization",
        Family::Norm,
        "epsilon; scale and B of shape [C]",
        |c| instance_norm(c).map(Into::into),
    ),
    OpDef::runtime(
        "LRN",
        Family::Norm,
        "size, alpha, beta, bias; window across channels (axis 1)",
        |c| lrn(c).map(Into::into),
    ),
];

/// A finite, non-negative `epsilon` attribute (default 1e-5).
fn epsilon(ctx: &NodeCtx<'_>) -> Result<f64, ImportError> {
    let epsilon = ctx.float_or("epsilon", 1e-5)?;
    if !(epsilon.is_finite() && epsilon >= 0.0) {
        return Err(ctx.err(format!(
            "epsilon={epsilon} must be a finite non-negative number"
        )));
    }
    Ok(epsilon)
}

/// `Softmax` (`log = false`) or `LogSoftmax`.
fn softmax(ctx: &NodeCtx<'_>, log: bool) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let x = ctx.shape(0)?;
    let legacy = ctx.opset < 13;
    let axis = ctx.int_or("axis", if legacy { 1 } else { -1 })?;
    let axis = ctx.attr(shapes::normalize_axis(axis, x.len()))?;
    Ok(Mapped::new(
        Op::Softmax {
            axis,
            log,
            coerce_2d: legacy && axis + 1 < x.len(),
        },
        vec![0],
        x.to_vec(),
    ))
}

/// Requires input `i` (if present) to broadcast unidirectionally to `target`.
fn broadcasts_to(
    ctx: &NodeCtx<'_>,
    i: usize,
    what: &str,
    target: &[usize],
) -> Result<(), ImportError> {
    let Some(inp) = ctx.opt(i) else {
        return Ok(());
    };
    let s = inp.shape;
    let ok = s.len() <= target.len()
        && s.iter()
            .rev()
            .zip(target.iter().rev())
            .all(|(&a, &t)| a == 1 || a == t);
    if ok {
        Ok(())
    } else {
        Err(ctx.shape_err(format!(
            "{what} has shape {}, which does not broadcast to the normalized shape {}",
            fmt_shape(s),
            fmt_shape(target)
        )))
    }
}

/// `LayerNormalization` (opset 17): inputs X, Scale, optional B; output 0 only.
fn layer_norm(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    if ctx.n_outputs > 1 {
        return Err(ctx.err(format!(
            "has {} outputs; only output 0 (Y) is supported, not the Mean / InvStdDev \
             outputs (drop them from the node)",
            ctx.n_outputs
        )));
    }
    ctx.single_output()?;
    // stash_type only selects the precision of the float computation.
    ctx.int_or("stash_type", 1)?;
    let epsilon = epsilon(ctx)?;
    let x = ctx.shape(0)?;
    let axis = ctx.attr(shapes::normalize_axis(ctx.int_or("axis", -1)?, x.len()))?;
    let normalized = &x[axis..];
    broadcasts_to(ctx, 1, "Scale", normalized)?;
    ctx.input(1)?;
    broadcasts_to(ctx, 2, "B", normalized)?;
    let inputs = if ctx.opt(2).is_some() {
        vec![0, 1, 2]
    } else {
        vec![0, 1]
    };
    Ok(Mapped::new(
        Op::LayerNormalization { axis, epsilon },
        inputs,
        x.to_vec(),
    ))
}

/// `InstanceNormalization`: inputs X `[N, C, ...]`, scale and B of shape `[C]`.
fn instance_norm(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    require_before(ctx, "consumed_inputs", 6)?;
    ctx.single_output()?;
    let epsilon = epsilon(ctx)?;
    let x = ctx.shape(0)?;
    if x.len() < 3 {
        return Err(ctx.shape_err(format!(
            "input has shape {}; InstanceNormalization needs rank >= 3 (N, C, D1, ...)",
            fmt_shape(x)
        )));
    }
    for (i, what) in [(1, "scale"), (2, "B")] {
        let s = ctx.shape(i)?;
        if s != [x[1]] {
            return Err(ctx.shape_err(format!(
                "{what} has shape {}, expected [{}] (one per channel of {})",
                fmt_shape(s),
                x[1],
                fmt_shape(x)
            )));
        }
    }
    Ok(Mapped::new(
        Op::InstanceNormalization { epsilon },
        vec![0, 1, 2],
        x.to_vec(),
    ))
}

/// `LRN`: `y = x / (bias + alpha / size · Σ_window x²)^beta` across channels.
fn lrn(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let x = ctx.shape(0)?;
    if x.len() < 2 {
        return Err(ctx.shape_err(format!(
            "input has shape {}; LRN needs rank >= 2 (N, C, ...)",
            fmt_shape(x)
        )));
    }
    let Some(size) = ctx.attr(ctx.attrs.int("size"))? else {
        return Err(ctx.err("the required attribute size is missing"));
    };
    let size = usize::try_from(size)
        .ok()
        .filter(|&s| s >= 1)
        .ok_or_else(|| ctx.err(format!("size={size} must be a positive integer")))?;
    let alpha = ctx.float_or("alpha", 1e-4)?;
    let beta = ctx.float_or("beta", 0.75)?;
    let bias = ctx.float_or("bias", 1.0)?;
    for (name, v) in [("alpha", alpha), ("beta", beta), ("bias", bias)] {
        if !v.is_finite() {
            return Err(ctx.err(format!("{name}={v} must be finite")));
        }
    }
    Ok(Mapped::new(
        Op::Lrn {
            size,
            alpha,
            beta,
            bias,
        },
        vec![0],
        x.to_vec(),
    ))
}

/// Inference-mode `BatchNormalization`; all per-channel inputs must be constant.
pub(super) fn batch_norm(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    require_before(ctx, "consumed_inputs", 6)?;
    require_before(ctx, "is_test", 7)?;
    require_before(ctx, "spatial", 9)?;
    require_since(ctx, "training_mode", 14)?;
    const EVAL_MODE: &str = "export the model in eval mode (model.eval())";
    if ctx.opset < 7 && !ctx.flag("is_test", false)? {
        return Err(ctx.err(format!(
            "is_test=0 (the default before opset 7) is training mode, which normalizes with \
             the batch's own statistics; only inference (is_test=1) is supported: {EVAL_MODE}"
        )));
    }
    if ctx.opset < 9 && !ctx.flag("spatial", true)? {
        return Err(ctx.err(
            "spatial=0 (per-activation mean and variance) is not supported; only spatial=1 \
             (one statistic per channel) is",
        ));
    }
    if ctx.flag("training_mode", false)? {
        return Err(ctx.err(format!(
            "training_mode=1 (normalizing with batch statistics) is not supported: {EVAL_MODE}"
        )));
    }
    if ctx.n_outputs > 1 {
        return Err(ctx.err(format!(
            "has {} outputs; the running / saved mean and variance outputs exist only in \
             training mode, which is not supported: {EVAL_MODE}",
            ctx.n_outputs
        )));
    }
    ctx.single_output()?;
    // momentum only matters for the running statistics of training mode.
    ctx.float_or("momentum", 0.9)?;
    let epsilon = epsilon(ctx)?;
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
