//! Data-movement ops: Flatten, Reshape, Transpose, Concat, Slice, Squeeze, Unsqueeze, Gather,
//! Identity, Dropout, Pad, Expand, Tile, Split, DepthToSpace, SpaceToDepth, Trilu,
//! GatherElements, GatherND, ScatterElements (and Scatter), ScatterND; OneHot folds.
//!
//! Every operator here reads its parameters with the semantics of the model's opset
//! (attributes in old opsets, constant inputs in new ones) and lowers to a pure
//! data-movement IR op whose output shape comes from the same source map the evaluators use
//! ([`crate::eval::shape_op_sources`]).

mod gather;
mod layout;
mod pad;

use super::unary;
use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::Op;
use crate::registry::{Family, OpDef};
use crate::shapes::{checked_numel, fmt_shape};
use gather::{gather, gather_elements, gather_nd, one_hot, scatter_elements, scatter_nd};
use layout::{concat, flatten, reshape, slice, split, squeeze, transpose, unsqueeze};
use pad::{depth_to_space, expand, pad, space_to_depth, tile, trilu};

/// Data-movement operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("Flatten", Family::Shape, "", |c| flatten(c).map(Into::into)),
    OpDef::runtime(
        "Reshape",
        Family::Shape,
        "opset < 5 `shape` attribute",
        |c| reshape(c).map(Into::into),
    ),
    OpDef::runtime("Transpose", Family::Shape, "", |c| {
        transpose(c).map(Into::into)
    }),
    OpDef::runtime(
        "Concat",
        Family::Shape,
        "opset < 4: axis defaults to 1",
        |c| concat(c).map(Into::into),
    ),
    OpDef::runtime(
        "Slice",
        Family::Shape,
        "constant starts/ends/axes/steps (attributes before opset 10)",
        |c| slice(c).map(Into::into),
    ),
    OpDef::runtime(
        "Squeeze",
        Family::Shape,
        "axes attribute before opset 13",
        |c| squeeze(c).map(Into::into),
    ),
    OpDef::runtime(
        "Unsqueeze",
        Family::Shape,
        "axes attribute before opset 13",
        |c| unsqueeze(c).map(Into::into),
    ),
    OpDef::runtime(
        "Gather",
        Family::Shape,
        "constant indices (wiring) or runtime indices (O(table rows) comparisons per index)",
        |c| gather(c).map(Into::into),
    ),
    OpDef::runtime("Identity", Family::Shape, "", |c| {
        unary(c, Op::Identity).map(Into::into)
    }),
    OpDef::runtime(
        "Dropout",
        Family::Shape,
        "inference (identity), a mask output or training_mode=1 is refused",
        |c| dropout(c).map(Into::into),
    ),
    OpDef::runtime(
        "Pad",
        Family::Shape,
        "constant, reflect, edge, wrap (opset ≥ 19), negative pads crop, pads and value \
         attributes before opset 11, opset 18 axes",
        |c| pad(c).map(Into::into),
    ),
    OpDef::runtime("Expand", Family::Shape, "constant shape", |c| {
        expand(c).map(Into::into)
    })
    .opsets(8, 21),
    OpDef::runtime(
        "Tile",
        Family::Shape,
        "constant repeats (tiles/axis inputs before opset 6)",
        |c| tile(c).map(Into::into),
    ),
    OpDef::runtime(
        "Split",
        Family::Shape,
        "split attribute (< 13) or constant input, num_outputs (≥ 18), one Slice per output",
        split,
    ),
    OpDef::runtime("DepthToSpace", Family::Shape, "DCR and CRD", |c| {
        depth_to_space(c).map(Into::into)
    }),
    OpDef::runtime("SpaceToDepth", Family::Shape, "", |c| {
        space_to_depth(c).map(Into::into)
    }),
    OpDef::runtime("Trilu", Family::Shape, "constant k", |c| {
        trilu(c).map(Into::into)
    })
    .opsets(14, 21),
    OpDef::runtime(
        "GatherElements",
        Family::Shape,
        "constant or runtime indices",
        |c| gather_elements(c).map(Into::into),
    )
    .opsets(11, 21),
    OpDef::runtime(
        "GatherND",
        Family::Shape,
        "constant indices, batch_dims",
        |c| gather_nd(c).map(Into::into),
    )
    .opsets(11, 21),
    OpDef::runtime("Scatter", Family::Shape, "as ScatterElements", |c| {
        scatter_elements(c).map(Into::into)
    })
    .opsets(9, 10),
    OpDef::runtime(
        "ScatterElements",
        Family::Shape,
        "constant indices, runtime data and updates, reduction none",
        |c| scatter_elements(c).map(Into::into),
    )
    .opsets(11, 21),
    OpDef::runtime(
        "ScatterND",
        Family::Shape,
        "constant indices, runtime data and updates, reduction none",
        |c| scatter_nd(c).map(Into::into),
    )
    .opsets(11, 21),
    OpDef::fold_only("OneHot", Family::Shape, "constant inputs (folded)", one_hot).opsets(9, 21),
];

pub(super) fn numel(ctx: &NodeCtx<'_>, shape: &[usize]) -> Result<usize, ImportError> {
    checked_numel(shape).ok_or_else(|| ctx.err(format!("shape {} is too large", fmt_shape(shape))))
}

/// The output shape of a data-movement `op` on input 0 (and `extra` further input shapes),
/// from the evaluators' own source map; a misfit is a shape error naming the node.
pub(super) fn mapped(ctx: &NodeCtx<'_>, op: Op, inputs: Vec<usize>) -> Result<Mapped, ImportError> {
    let shapes = inputs
        .iter()
        .map(|&i| ctx.shape(i).map(<[usize]>::to_vec))
        .collect::<Result<Vec<_>, _>>()?;
    let elems: Option<usize> = shapes.iter().map(|s| checked_numel(s)).sum();
    if elems.is_none() {
        return Err(ctx.err("input too large"));
    }
    let out = crate::eval::shape_op_output(&op, &shapes).map_err(|m| ctx.shape_err(m))?;
    Ok(Mapped::new(op, inputs, out))
}

/// `Dropout` in inference: the identity. Opset < 7 has `is_test` (ignored: inference
/// runtimes never drop), opset < 12 a `ratio` attribute, opset ≥ 12 optional `ratio` and
/// `training_mode` inputs; `training_mode` must be a constant false.
pub(super) fn dropout(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    if ctx.n_outputs > 1 {
        return Err(ctx.err(
            "its mask output is used; only the data output of Dropout is supported (remove \
             the mask output, or export the model in inference mode)",
        ));
    }
    if ctx.opset < 12 {
        let ratio = ctx.float_or("ratio", 0.5)?;
        if !(0.0..1.0).contains(&ratio) {
            return Err(ctx.err(format!("ratio={ratio} must be in [0, 1)")));
        }
        if ctx.opset < 7 {
            ctx.int_or("is_test", 0)?;
        }
    } else if ctx.opt(2).is_some() {
        let t = ctx.constant(2, "training_mode")?;
        if t.tensor.data.iter().any(|&v| v != 0.0) {
            return Err(ctx.err(
                "training_mode is true: training-mode dropout is random and cannot be \
                 proven; export the model in inference mode",
            ));
        }
    }
    unary(ctx, Op::Identity)
}
