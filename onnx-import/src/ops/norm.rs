//! Normalization: inference-mode BatchNormalization, with the attributes of each opset:
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

use super::window::{require_before, require_since};
use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::Op;
use crate::registry::{Family, OpDef};
use crate::shapes::fmt_shape;

/// Normalization operators.
pub(super) const OPS: &[OpDef] = &[OpDef::runtime(
    "BatchNormalization",
    Family::Norm,
    "inference mode (is_test=1 before opset 7, training_mode=0 from 14; spatial=1 before 9), \
     any rank >= 2; folded into a preceding Conv/Gemm where possible",
    |c| batch_norm(c).map(Into::into),
)];

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
