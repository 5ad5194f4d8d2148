//! Pooling: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, over 1-D, 2-D and 3-D
//! inputs (any `[N, C, spatial...]`), with the attributes of the opset the model declares:
//!
//! | attribute | MaxPool | AveragePool |
//! | --- | --- | --- |
//! | `count_include_pad` | — | opset >= 7 |
//! | `storage_order`, `Indices` output | opset >= 8 | — |
//! | `ceil_mode` | opset >= 10 | opset >= 10 |
//! | `dilations` | opset >= 10 | opset >= 19 |
//!
//! An attribute the declared opset does not define is refused (its meaning is undefined).

use super::window::{per_axis, require_since, spatial_input, window_common};
use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{Op, PoolAttrs};
use crate::registry::{Family, OpDef};
use crate::shapes;

/// Pooling operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime(
        "MaxPool",
        Family::Pool,
        "1-D, 2-D, 3-D: strides, pads / auto_pad, dilations, ceil_mode; padding never wins",
        |c| pool(c, true).map(Into::into),
    ),
    OpDef::runtime(
        "AveragePool",
        Family::Pool,
        "1-D, 2-D, 3-D: strides, pads / auto_pad, count_include_pad both ways, ceil_mode, \
         dilations",
        |c| pool(c, false).map(Into::into),
    ),
    OpDef::runtime("GlobalAveragePool", Family::Pool, "1-D, 2-D, 3-D", |c| {
        global_pool(c, Op::GlobalAveragePool).map(Into::into)
    }),
    OpDef::runtime("GlobalMaxPool", Family::Pool, "1-D, 2-D, 3-D", |c| {
        global_pool(c, Op::GlobalMaxPool).map(Into::into)
    }),
];

/// `MaxPool` / `AveragePool` (N-D).
pub(super) fn pool(ctx: &NodeCtx<'_>, is_max: bool) -> Result<Mapped, ImportError> {
    if is_max && ctx.n_outputs > 1 {
        return Err(ctx.err(
            "the Indices output of MaxPool is not supported; remove the second output \
             (return_indices=False when exporting)",
        ));
    }
    ctx.single_output()?;
    let (n, c, spatial) = spatial_input(ctx)?;
    let rank = spatial.len();
    require_since(ctx, "ceil_mode", 10)?;
    if is_max {
        require_since(ctx, "storage_order", 8)?;
        require_since(ctx, "dilations", 10)?;
    } else {
        require_since(ctx, "count_include_pad", 7)?;
        require_since(ctx, "dilations", 19)?;
    }
    let kernel = per_axis(ctx, "kernel_shape", rank, None)?;
    let ceil_mode = ctx.flag("ceil_mode", false)?;
    let w = window_common(ctx, spatial, &kernel)?;
    if ceil_mode && super::window::auto_pad(ctx)? != shapes::AutoPad::NotSet {
        return Err(
            ctx.err("ceil_mode=1 together with auto_pad is not defined by ONNX; use explicit pads")
        );
    }
    if is_max {
        // storage_order only orders the Indices output, which is refused above; 0 and 1
        // give the same Y.
        ctx.flag("storage_order", false)?;
    }
    let count_include_pad = !is_max && ctx.flag("count_include_pad", false)?;
    let out = shapes::window_output(
        spatial,
        &kernel,
        &w.strides,
        &w.pads,
        &w.dilations,
        ceil_mode,
    )
    .map_err(|e| ctx.shape_err(e))?;
    let attrs = PoolAttrs {
        kernel,
        strides: w.strides,
        pads: w.pads,
        dilations: w.dilations,
        count_include_pad,
        ceil_mode,
    };
    let op = if is_max {
        Op::MaxPool(attrs)
    } else {
        Op::AveragePool(attrs)
    };
    let mut shape = vec![n, c];
    shape.extend(out);
    Ok(Mapped::new(op, vec![0], shape))
}

/// `GlobalAveragePool` / `GlobalMaxPool`: every spatial axis reduced to size 1.
pub(super) fn global_pool(ctx: &NodeCtx<'_>, op: Op) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let (n, c, spatial) = spatial_input(ctx)?;
    if spatial.contains(&0) {
        return Err(ctx.shape_err(format!(
            "input X has an empty spatial axis ({}); there is nothing to pool",
            shapes::fmt_shape(ctx.shape(0)?)
        )));
    }
    let mut shape = vec![n, c];
    shape.extend(std::iter::repeat_n(1, spatial.len()));
    Ok(Mapped::new(op, vec![0], shape))
}
