//! Pooling: MaxPool, AveragePool, GlobalAveragePool.

use super::window::{nchw, pair, window_common};
use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{Op, PoolAttrs};
use crate::shapes;
use crate::registry::{Family, OpDef};

/// Pooling operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("MaxPool", Family::Pool, "2-D", |c| {
        pool(c, true).map(Into::into)
    }),
    OpDef::runtime(
        "AveragePool",
        Family::Pool,
        "2-D, count_include_pad both ways",
        |c| pool(c, false).map(Into::into),
    ),
    OpDef::runtime("GlobalAveragePool", Family::Pool, "", |c| {
        global_average_pool(c).map(Into::into)
    }),
];

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
