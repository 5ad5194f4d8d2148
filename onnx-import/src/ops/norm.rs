//! Normalization: inference-mode BatchNormalization.

use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::Op;
use crate::shapes::fmt_shape;
use crate::registry::{Family, OpDef};

/// Normalization operators.
pub(super) const OPS: &[OpDef] = &[OpDef::runtime(
    "BatchNormalization",
    Family::Norm,
    "inference mode; folded into a preceding Conv/Gemm where possible",
    |c| batch_norm(c).map(Into::into),
)];

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
