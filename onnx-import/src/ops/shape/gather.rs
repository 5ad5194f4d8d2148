//! Gather (constant and runtime indices), GatherElements, GatherND, ScatterElements
//! (and Scatter), ScatterND; OneHot folds.

use super::{mapped, numel};
use crate::error::ImportError;
use crate::fold::ConstVal;
use crate::ir::Op;
use crate::ops::{Mapped, NodeCtx};
use crate::shapes::{self, checked_numel, fmt_shape};

/// `Gather`: constant indices become pure wiring ([`Op::Gather`]); indices computed at
/// runtime (an embedding lookup's token ids) stay an input ([`Op::GatherDynamic`]).
pub(super) fn gather(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let axis = ctx.attr(shapes::normalize_axis(ctx.int_or("axis", 0)?, s.len()))?;
    let indices = ctx.input(1)?;
    if indices.constant.is_none() {
        let dim = s[axis];
        let ishape = indices.shape;
        if dim == 0 && numel(ctx, ishape)? > 0 {
            return Err(ctx.err(format!(
                "runtime indices \"{}\" index axis {axis} of size 0 (input shape {})",
                indices.name,
                fmt_shape(s)
            )));
        }
        let mut out = s[..axis].to_vec();
        out.extend_from_slice(ishape);
        out.extend_from_slice(&s[axis + 1..]);
        numel(ctx, &out)?;
        return Ok(Mapped::new(Op::GatherDynamic { axis }, vec![0, 1], out));
    }
    let idx = ctx.constant(1, "indices")?;
    let raw = ctx.const_ints(1, "indices")?;
    let dim = s[axis];
    let d = i64::try_from(dim).unwrap_or(i64::MAX);
    let mut indices = Vec::with_capacity(raw.len());
    for &i in &raw {
        let r = if i < 0 { i.saturating_add(d) } else { i };
        match usize::try_from(r).ok().filter(|&r| r < dim) {
            Some(r) => indices.push(r),
            None => {
                return Err(ctx.err(format!(
                    "index {i} is out of range for axis {axis} of size {dim} (input shape {})",
                    fmt_shape(s)
                )))
            }
        }
    }
    let indices_shape = idx.tensor.shape.clone();
    let mut out = s[..axis].to_vec();
    out.extend_from_slice(&indices_shape);
    out.extend_from_slice(&s[axis + 1..]);
    Ok(Mapped::new(
        Op::Gather {
            axis,
            indices,
            indices_shape,
        },
        vec![0],
        out,
    ))
}

/// Constant indices of input `i` with negatives resolved against `dims[position % dims.len()]`
/// (one dim per index for GatherElements / ScatterElements, one per tuple entry for the ND
/// ops), each checked in range.
fn resolved_indices(
    ctx: &NodeCtx<'_>,
    i: usize,
    dims: &[usize],
) -> Result<(Vec<usize>, Vec<usize>), ImportError> {
    let c = ctx.constant(i, "indices")?;
    let raw = ctx.const_ints(i, "indices")?;
    let mut out = Vec::with_capacity(raw.len());
    for (p, &v) in raw.iter().enumerate() {
        let dim = dims.get(p % dims.len().max(1)).copied().unwrap_or(0);
        let d = i64::try_from(dim).unwrap_or(i64::MAX);
        let r = if v < 0 { v.saturating_add(d) } else { v };
        out.push(
            usize::try_from(r)
                .ok()
                .filter(|&r| r < dim)
                .ok_or_else(|| {
                    ctx.err(format!(
                        "index {v} is out of range for an axis of size {dim}"
                    ))
                })?,
        );
    }
    Ok((out, c.tensor.shape.clone()))
}

fn element_axis(ctx: &NodeCtx<'_>) -> Result<(usize, usize), ImportError> {
    let s = ctx.shape(0)?;
    let axis = ctx.attr(shapes::normalize_axis(ctx.int_or("axis", 0)?, s.len()))?;
    Ok((axis, s[axis]))
}

/// `GatherElements`: constant indices become wiring ([`Op::GatherElements`]); runtime
/// indices stay an input ([`Op::GatherElementsDynamic`], one selector per index cell). The
/// output has the indices' shape, which must have the data's rank and, off `axis`,
/// dimensions no larger than the data's.
pub(super) fn gather_elements(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let (axis, dim) = element_axis(ctx)?;
    let indices = ctx.input(1)?;
    if indices.constant.is_none() {
        let s = ctx.shape(0)?;
        let ishape = indices.shape;
        let fits = ishape.len() == s.len()
            && ishape
                .iter()
                .zip(s)
                .enumerate()
                .all(|(ax, (&i, &d))| ax == axis || i <= d);
        if !fits {
            return Err(ctx.shape_err(format!(
                "runtime indices \"{}\" {} do not fit data {} (same rank, and no larger off \
                 axis {axis})",
                indices.name,
                fmt_shape(ishape),
                fmt_shape(s)
            )));
        }
        if dim == 0 && numel(ctx, ishape)? > 0 {
            return Err(ctx.err(format!(
                "runtime indices \"{}\" index axis {axis} of size 0",
                indices.name
            )));
        }
        return Ok(Mapped::new(
            Op::GatherElementsDynamic { axis },
            vec![0, 1],
            ishape.to_vec(),
        ));
    }
    let (indices, indices_shape) = resolved_indices(ctx, 1, &[dim])?;
    let op = Op::GatherElements {
        axis,
        indices,
        indices_shape,
    };
    mapped(ctx, op, vec![0])
}

/// The data dims the entries of each index tuple (the last indices axis) address.
fn tuple_dims(ctx: &NodeCtx<'_>, batch_dims: usize) -> Result<Vec<usize>, ImportError> {
    let s = ctx.shape(0)?;
    let ishape = ctx.shape(1)?;
    let k = *ishape
        .last()
        .ok_or_else(|| ctx.shape_err("indices must have rank >= 1"))?;
    s.get(batch_dims..batch_dims + k)
        .map(<[usize]>::to_vec)
        .filter(|d| !d.is_empty() || k == 0)
        .ok_or_else(|| {
            ctx.shape_err(format!(
                "index tuples of length {k} after {batch_dims} batch axes do not fit data {}",
                fmt_shape(s)
            ))
        })
}

/// `GatherND` with constant indices (`batch_dims` from opset 12).
pub(super) fn gather_nd(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let b = ctx.int_or("batch_dims", 0)?;
    let batch_dims =
        usize::try_from(b).map_err(|_| ctx.err(format!("batch_dims={b} must be >= 0")))?;
    let dims = tuple_dims(ctx, batch_dims)?;
    let (indices, indices_shape) = resolved_indices(ctx, 1, &dims)?;
    let op = Op::GatherND {
        batch_dims,
        indices,
        indices_shape,
    };
    mapped(ctx, op, vec![0])
}

fn reduction_none(ctx: &NodeCtx<'_>) -> Result<(), ImportError> {
    match ctx.attr(ctx.attrs.string("reduction"))?.as_deref() {
        None | Some("none") => Ok(()),
        Some(r) => Err(ctx.err(format!(
            "reduction \"{r}\" is not supported; only reduction \"none\" (plain overwrite) is"
        ))),
    }
}

/// `ScatterElements` (and the older `Scatter`) with constant indices: the output copies
/// data (input 0) except where an update (input 2) lands.
pub(super) fn scatter_elements(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    reduction_none(ctx)?;
    let (axis, dim) = element_axis(ctx)?;
    let (indices, indices_shape) = resolved_indices(ctx, 1, &[dim])?;
    let op = Op::ScatterElements {
        axis,
        indices,
        indices_shape,
    };
    mapped(ctx, op, vec![0, 2])
}

/// `ScatterND` with constant indices.
pub(super) fn scatter_nd(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    reduction_none(ctx)?;
    let dims = tuple_dims(ctx, 0)?;
    let (indices, indices_shape) = resolved_indices(ctx, 1, &dims)?;
    let op = Op::ScatterND {
        indices,
        indices_shape,
    };
    mapped(ctx, op, vec![0, 2])
}

/// `OneHot` of constant inputs (folded): `indices`, scalar `depth`, `values = [off, on]`;
/// the depth axis is inserted at `axis` (default -1). Negative indices count from `depth`;
/// an index out of range gives an all-`off` row.
pub(super) fn one_hot(ctx: &NodeCtx<'_>) -> Result<ConstVal, ImportError> {
    let idx = ctx.constant(0, "indices")?;
    let raw = ctx.const_ints(0, "indices")?;
    let depth = match ctx.const_ints(1, "depth")?.as_slice() {
        [d] if *d > 0 => *d,
        d => return Err(ctx.err(format!("depth must be one positive value, got {d:?}"))),
    };
    let values = ctx.constant(2, "values")?;
    let [off, on] = values.tensor.data[..] else {
        return Err(ctx.err(format!(
            "values must hold [off_value, on_value], got {} values",
            values.tensor.data.len()
        )));
    };
    let s = &idx.tensor.shape;
    let axis = ctx.int_or("axis", -1)?;
    let axis = ctx.attr(shapes::normalize_axis(axis, s.len() + 1))?;
    let depth_us = usize::try_from(depth).map_err(|_| ctx.err("depth too large"))?;
    let mut out_shape = s.clone();
    out_shape.insert(axis, depth_us);
    let n = ctx.reserve_fold(checked_numel(&out_shape))?;
    let outer: usize = s[..axis].iter().product();
    let inner: usize = s[axis..].iter().product();
    let mut data = vec![off; n];
    for o in 0..outer {
        for i in 0..inner {
            let v = raw[o * inner + i];
            let v = if v < 0 { v + depth } else { v };
            if (0..depth).contains(&v) {
                data[(o * depth_us + v as usize) * inner + i] = on;
            }
        }
    }
    ConstVal::new(out_shape, data, values.is_int).ok_or_else(|| ctx.err("malformed output"))
}
