//! Data-movement ops: Flatten, Reshape, Transpose, Concat, Slice, Squeeze, Unsqueeze, Gather,
//! Identity, Dropout, Pad, Expand, Tile, Split, DepthToSpace, SpaceToDepth, Trilu,
//! GatherElements, GatherND, ScatterElements (and Scatter), ScatterND; OneHot folds.
//!
//! Every operator here reads its parameters with the semantics of the model's opset
//! (attributes in old opsets, constant inputs in new ones) and lowers to a pure
//! data-movement IR op whose output shape comes from the same source map the evaluators use
//! ([`crate::eval::shape_op_sources`]).

use super::unary;
use super::{Lowering, Mapped, NodeCtx};
use crate::error::ImportError;
use crate::fold::{ConstVal, MAX_FOLD_ELEMS};
use crate::ir::{DepthToSpaceMode, Op, PadMode, SliceAxis};
use crate::registry::{Family, OpDef};
use crate::shapes::{self, checked_numel, fmt_shape};

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
    OpDef::runtime("GatherElements", Family::Shape, "constant indices", |c| {
        gather_elements(c).map(Into::into)
    })
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

fn numel(ctx: &NodeCtx<'_>, shape: &[usize]) -> Result<usize, ImportError> {
    checked_numel(shape).ok_or_else(|| ctx.err(format!("shape {} is too large", fmt_shape(shape))))
}

/// `Flatten` to 2-D around `axis` (default 1).
pub(super) fn flatten(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let axis = ctx.int_or("axis", 1)?;
    // Flatten accepts axis in [-r, r].
    let axis = if axis == i64::try_from(s.len()).unwrap_or(i64::MAX) {
        s.len()
    } else {
        ctx.attr(shapes::normalize_axis(axis, s.len()))?
    };
    let (head, tail) = s.split_at(axis);
    let out = vec![numel(ctx, head)?, numel(ctx, tail)?];
    Ok(Mapped::new(Op::Flatten { axis }, vec![0], out))
}

/// `Reshape` with a constant shape (0 copies a dim unless `allowzero=1`; one -1 is inferred).
pub(super) fn reshape(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let spec = if ctx.opset >= 5 {
        ctx.const_ints(1, "target shape")?
    } else {
        ctx.attr(ctx.attrs.ints("shape"))?
            .ok_or_else(|| ctx.err("attribute shape is required"))?
    };
    let allowzero = ctx.flag("allowzero", false)?;
    let total = numel(ctx, s)?;
    let mut out = Vec::with_capacity(spec.len());
    let mut infer_at = None;
    for (i, &d) in spec.iter().enumerate() {
        let v = match d {
            -1 if infer_at.is_none() => {
                infer_at = Some(i);
                1
            }
            -1 => return Err(ctx.err(format!("target shape {spec:?} has more than one -1"))),
            0 if !allowzero => *s.get(i).ok_or_else(|| {
                ctx.err(format!(
                    "target shape {spec:?} copies dimension {i} (0) but the input {} has rank {}",
                    fmt_shape(s),
                    s.len()
                ))
            })?,
            d => usize::try_from(d)
                .map_err(|_| ctx.err(format!("target shape {spec:?} has invalid value {d}")))?,
        };
        out.push(v);
    }
    let known = numel(ctx, &out)?;
    if let Some(i) = infer_at {
        if known == 0 || total % known != 0 {
            return Err(ctx.shape_err(format!(
                "cannot reshape {} ({total} elements) to {spec:?}",
                fmt_shape(s)
            )));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(ctx.shape_err(format!(
            "cannot reshape {} ({total} elements) to {} ({known} elements)",
            fmt_shape(s),
            fmt_shape(&out)
        )));
    }
    Ok(Mapped::new(
        Op::Reshape { shape: out.clone() },
        vec![0],
        out,
    ))
}

/// `Transpose` (default perm reverses the axes).
pub(super) fn transpose(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let perm: Vec<usize> = match ctx.attr(ctx.attrs.ints("perm"))? {
        None => (0..s.len()).rev().collect(),
        Some(p) => {
            let mut seen = vec![false; s.len()];
            let mut out = Vec::with_capacity(p.len());
            for &a in &p {
                let a = usize::try_from(a).ok().filter(|&a| a < s.len());
                match a {
                    Some(a) if !seen[a] => {
                        seen[a] = true;
                        out.push(a);
                    }
                    _ => {
                        return Err(ctx.err(format!(
                            "perm={p:?} is not a permutation of 0..{} (input shape {})",
                            s.len(),
                            fmt_shape(s)
                        )))
                    }
                }
            }
            if out.len() != s.len() {
                return Err(ctx.err(format!(
                    "perm={p:?} has {} entries but the input {} has rank {}",
                    p.len(),
                    fmt_shape(s),
                    s.len()
                )));
            }
            out
        }
    };
    let out = perm.iter().map(|&p| s[p]).collect();
    Ok(Mapped::new(Op::Transpose { perm }, vec![0], out))
}

/// `Concat` along `axis` (required from opset 4, default 1 before).
pub(super) fn concat(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let first = ctx.shape(0)?;
    // Concat-1 to -3 default the axis to 1; from opset 4 it is required.
    let axis = match ctx.attr(ctx.attrs.int("axis"))? {
        Some(a) => a,
        None if ctx.opset < 4 => 1,
        None => return Err(ctx.err("attribute axis is required")),
    };
    let axis = ctx.attr(shapes::normalize_axis(axis, first.len()))?;
    let mut out = first.to_vec();
    out[axis] = 0;
    let mut inputs = Vec::new();
    for (i, inp) in ctx.inputs.iter().enumerate() {
        let Some(inp) = inp else { continue };
        let s = inp.shape;
        let compatible = s.len() == first.len()
            && s.iter()
                .zip(first)
                .enumerate()
                .all(|(j, (a, b))| j == axis || a == b);
        if !compatible {
            return Err(ctx.shape_err(format!(
                "input #{i} {} does not match input #0 {} outside axis {axis}",
                fmt_shape(s),
                fmt_shape(first)
            )));
        }
        out[axis] = out[axis]
            .checked_add(s[axis])
            .ok_or_else(|| ctx.err("output too large"))?;
        inputs.push(i);
    }
    Ok(Mapped::new(Op::Concat { axis }, inputs, out))
}

/// Clamps one Slice axis per the ONNX rules; returns the axis and its output length.
pub(crate) fn clamp_slice(
    dim: usize,
    axis: usize,
    start: i64,
    end: i64,
    step: i64,
) -> (SliceAxis, usize) {
    let d = i128::try_from(dim).unwrap_or(i128::MAX);
    let (mut s, mut e, st) = (i128::from(start), i128::from(end), i128::from(step));
    if s < 0 {
        s += d;
    }
    if e < 0 {
        e += d;
    }
    let len = if st > 0 {
        s = s.clamp(0, d);
        e = e.clamp(0, d);
        if e > s {
            (e - s + st - 1) / st
        } else {
            0
        }
    } else {
        s = s.clamp(0, (d - 1).max(0));
        e = e.clamp(-1, (d - 1).max(-1));
        if dim == 0 {
            0
        } else if s > e {
            (s - e + (-st) - 1) / (-st)
        } else {
            0
        }
    };
    let to_i64 = |v: i128| i64::try_from(v).unwrap_or(i64::MAX);
    let axis_out = SliceAxis {
        axis,
        start: to_i64(s),
        end: to_i64(e),
        step,
    };
    (axis_out, usize::try_from(len).unwrap_or(usize::MAX))
}

/// `Slice` with constant starts/ends/axes/steps (inputs for opset >= 10, attributes before).
pub(super) fn slice(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let (starts, ends, axes, steps) = if ctx.opset >= 10 {
        (
            ctx.const_ints(1, "starts")?,
            ctx.const_ints(2, "ends")?,
            ctx.opt_const_ints(3, "axes")?,
            ctx.opt_const_ints(4, "steps")?,
        )
    } else {
        let get =
            |n: &str| -> Result<Option<Vec<i64>>, ImportError> { ctx.attr(ctx.attrs.ints(n)) };
        let starts = get("starts")?.ok_or_else(|| ctx.err("attribute starts is required"))?;
        let ends = get("ends")?.ok_or_else(|| ctx.err("attribute ends is required"))?;
        (starts, ends, get("axes")?, None)
    };
    let n = starts.len();
    let axes: Vec<i64> = axes.unwrap_or_else(|| (0..n as i64).collect());
    let steps = steps.unwrap_or_else(|| vec![1; n]);
    if ends.len() != n || axes.len() != n || steps.len() != n {
        return Err(ctx.err(format!(
            "starts ({n}), ends ({}), axes ({}) and steps ({}) must have the same length",
            ends.len(),
            axes.len(),
            steps.len()
        )));
    }
    let mut out = s.to_vec();
    let mut resolved = Vec::with_capacity(n);
    let mut seen = vec![false; s.len()];
    for i in 0..n {
        let axis = ctx.attr(shapes::normalize_axis(axes[i], s.len()))?;
        if std::mem::replace(&mut seen[axis], true) {
            return Err(ctx.err(format!("axes {axes:?} repeat axis {axis}")));
        }
        if steps[i] == 0 {
            return Err(ctx.err(format!(
                "steps {steps:?} contain 0; a slice step must be non-zero"
            )));
        }
        let (sa, len) = clamp_slice(s[axis], axis, starts[i], ends[i], steps[i]);
        out[axis] = len;
        resolved.push(sa);
    }
    resolved.sort_by_key(|a| a.axis);
    Ok(Mapped::new(Op::Slice { axes: resolved }, vec![0], out))
}

/// Axes from input 1 (opset >= 13) or the `axes` attribute (older opsets).
fn axes_arg(ctx: &NodeCtx<'_>) -> Result<Option<Vec<i64>>, ImportError> {
    if ctx.opset >= 13 {
        ctx.opt_const_ints(1, "axes")
    } else {
        ctx.attr(ctx.attrs.ints("axes"))
    }
}

/// `Squeeze` (no axes removes every size-1 dim).
pub(super) fn squeeze(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    // No axes, or an empty axes tensor (as onnxruntime reads it): every size-1 axis.
    let axes = match axes_arg(ctx)? {
        Some(a) if !a.is_empty() => ctx.attr(shapes::normalize_axes(&a, s.len()))?,
        _ => (0..s.len()).filter(|&i| s[i] == 1).collect(),
    };
    for &a in &axes {
        if s[a] != 1 {
            return Err(ctx.shape_err(format!(
                "cannot squeeze axis {a} of {}: its size is {}, not 1",
                fmt_shape(s),
                s[a]
            )));
        }
    }
    let out = (0..s.len())
        .filter(|i| !axes.contains(i))
        .map(|i| s[i])
        .collect();
    Ok(Mapped::new(Op::Squeeze { axes }, vec![0], out))
}

/// `Unsqueeze` (axes refer to the output rank).
pub(super) fn unsqueeze(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let axes = axes_arg(ctx)?.ok_or_else(|| ctx.err("axes are required"))?;
    let rank = s.len() + axes.len();
    let axes = ctx.attr(shapes::normalize_axes(&axes, rank))?;
    let mut rest = s.iter();
    let out = (0..rank)
        .map(|i| {
            if axes.contains(&i) {
                1
            } else {
                rest.next().copied().unwrap_or(1)
            }
        })
        .collect();
    Ok(Mapped::new(Op::Unsqueeze { axes }, vec![0], out))
}

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

/// The output shape of a data-movement `op` on input 0 (and `extra` further input shapes),
/// from the evaluators' own source map; a misfit is a shape error naming the node.
fn mapped(ctx: &NodeCtx<'_>, op: Op, inputs: Vec<usize>) -> Result<Mapped, ImportError> {
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

/// `Pad`: `paddings` (opset 1) or `pads` (opsets 2–10) attributes with `value`; from opset
/// 11 a constant `pads` input with an optional `constant_value` input, and from opset 18 an
/// optional `axes` input. Pads are `[x1_begin, x2_begin, …, x1_end, x2_end]`.
pub(super) fn pad(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let r = s.len();
    let mode_name = ctx
        .attr(ctx.attrs.string("mode"))?
        .unwrap_or_else(|| "constant".into());
    let mode = match mode_name.as_str() {
        "constant" => PadMode::Constant,
        "reflect" => PadMode::Reflect,
        "edge" => PadMode::Edge,
        "wrap" if ctx.opset >= 19 => PadMode::Wrap,
        other => {
            return Err(ctx.err(format!(
                "mode \"{other}\" is not supported; use constant, reflect or edge (wrap from \
                 opset 19)"
            )))
        }
    };
    let (raw, value, axes) = if ctx.opset < 11 {
        let name = if ctx.opset < 2 { "paddings" } else { "pads" };
        let raw = ctx
            .attr(ctx.attrs.ints(name))?
            .ok_or_else(|| ctx.err(format!("attribute {name} is required")))?;
        (raw, ctx.float_or("value", 0.0)?, None)
    } else {
        let raw = ctx.const_ints(1, "pads")?;
        let value = match ctx.opt(2) {
            None => 0.0,
            Some(_) => {
                let c = ctx.constant(2, "constant_value")?;
                match c.tensor.data.as_slice() {
                    [] => 0.0,
                    [v] => *v,
                    d => {
                        return Err(ctx.err(format!(
                            "constant_value must be a scalar, got {} values",
                            d.len()
                        )))
                    }
                }
            }
        };
        let axes = if ctx.opset >= 18 {
            ctx.opt_const_ints(3, "axes")?
        } else {
            None
        };
        (raw, value, axes)
    };
    let axes: Vec<usize> = match axes {
        Some(a) => {
            let mut seen = vec![false; r];
            let mut out = Vec::with_capacity(a.len());
            for &x in &a {
                let x = ctx.attr(shapes::normalize_axis(x, r))?;
                if std::mem::replace(&mut seen[x], true) {
                    return Err(ctx.err(format!("axes {a:?} repeat axis {x}")));
                }
                out.push(x);
            }
            out
        }
        None => (0..r).collect(),
    };
    if raw.len() != 2 * axes.len() {
        return Err(ctx.err(format!(
            "pads {raw:?} must have 2 × {} entries (begin and end per padded axis; input \
             shape {})",
            axes.len(),
            fmt_shape(s)
        )));
    }
    let mut pads = vec![[0i64; 2]; r];
    let n = axes.len();
    for (j, &a) in axes.iter().enumerate() {
        pads[a] = [raw[j], raw[j + n]];
    }
    if mode == PadMode::Reflect {
        for (a, (&d, p)) in s.iter().zip(&pads).enumerate() {
            if p.iter().any(|&v| v >= i64::try_from(d).unwrap_or(i64::MAX)) && d > 1 {
                return Err(ctx.err(format!(
                    "reflect padding {p:?} on axis {a} of size {d} must be smaller than the axis"
                )));
            }
        }
    }
    mapped(ctx, Op::Pad { pads, mode, value }, vec![0])
}

/// Non-negative integers from a constant input.
fn sizes(ctx: &NodeCtx<'_>, i: usize, what: &str) -> Result<Vec<usize>, ImportError> {
    let v = ctx.const_ints(i, what)?;
    v.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| ctx.err(format!("{what} {v:?} must be non-negative")))
        })
        .collect()
}

/// `Expand` to a constant shape (bidirectional broadcast: a target 1 keeps the input dim).
pub(super) fn expand(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let target = sizes(ctx, 1, "shape")?;
    let out = crate::eval::broadcast_shape(s, &target).ok_or_else(|| {
        ctx.shape_err(format!(
            "cannot expand {} to {target:?}: the shapes do not broadcast",
            fmt_shape(s)
        ))
    })?;
    mapped(ctx, Op::Expand { shape: out }, vec![0])
}

/// `Tile` with constant `repeats` (opset ≥ 6), or Tile-1's scalar `tiles` and `axis` inputs.
pub(super) fn tile(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let s = ctx.shape(0)?;
    let repeats = if ctx.opset >= 6 {
        sizes(ctx, 1, "repeats")?
    } else {
        let tiles = sizes(ctx, 1, "tiles")?;
        let axis = ctx.const_ints(2, "axis")?;
        match (tiles.as_slice(), axis.as_slice()) {
            ([t], [a]) => {
                let a = ctx.attr(shapes::normalize_axis(*a, s.len()))?;
                let mut r = vec![1; s.len()];
                r[a] = *t;
                r
            }
            _ => {
                return Err(ctx.err(format!(
                    "Tile-1 needs scalar tiles and axis, got tiles {tiles:?} and axis {axis:?}"
                )))
            }
        }
    };
    if repeats.len() != s.len() {
        return Err(ctx.err(format!(
            "repeats {repeats:?} must have one entry per axis of the input {}",
            fmt_shape(s)
        )));
    }
    mapped(ctx, Op::Tile { repeats }, vec![0])
}

/// `Split` along `axis` (default 0) into one `Slice` per output: sizes from the `split`
/// attribute (opset < 13) or constant input (opset ≥ 13), else `num_outputs` (opset ≥ 18,
/// the last part may be smaller) or equal parts.
pub(super) fn split(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    let s = ctx.shape(0)?;
    let axis = ctx.attr(shapes::normalize_axis(ctx.int_or("axis", 0)?, s.len()))?;
    let d = s[axis];
    let n = ctx.n_outputs;
    let given = if ctx.opset >= 13 {
        ctx.opt_const_ints(1, "split")?
    } else if ctx.opset < 2 && ctx.opt(1).is_some() {
        Some(ctx.const_ints(1, "split")?)
    } else {
        ctx.attr(ctx.attrs.ints("split"))?
    };
    let parts: Vec<usize> = match given {
        Some(v) => v
            .iter()
            .map(|&x| {
                usize::try_from(x).map_err(|_| ctx.err(format!("split {v:?} must be non-negative")))
            })
            .collect::<Result<_, _>>()?,
        None => {
            let num = match ctx.attr(ctx.attrs.int("num_outputs"))? {
                Some(k) if ctx.opset >= 18 => {
                    usize::try_from(k).ok().filter(|&k| k == n).ok_or_else(|| {
                        ctx.err(format!("num_outputs={k} but the node has {n} outputs"))
                    })?
                }
                _ => n,
            };
            if num == 0 {
                return Err(ctx.err("the node has no outputs"));
            }
            if ctx.opset >= 18 && ctx.attrs.has("num_outputs") {
                let chunk = d.div_ceil(num);
                (0..num)
                    .map(|i| chunk.min(d.saturating_sub(i * chunk)))
                    .collect()
            } else if d % num == 0 {
                vec![d / num; num]
            } else {
                return Err(ctx.shape_err(format!(
                    "axis {axis} of {} (size {d}) does not split into {num} equal parts; \
                     give split sizes",
                    fmt_shape(s)
                )));
            }
        }
    };
    if parts.len() != n || parts.iter().sum::<usize>() != d {
        return Err(ctx.shape_err(format!(
            "split sizes {parts:?} must be {n} values (one per output) summing to the size \
             {d} of axis {axis} of {}",
            fmt_shape(s)
        )));
    }
    let mut start = 0usize;
    let mut out = Vec::with_capacity(n);
    for len in parts {
        let mut shape = s.to_vec();
        shape[axis] = len;
        let sa = SliceAxis {
            axis,
            start: start as i64,
            end: (start + len) as i64,
            step: 1,
        };
        out.push(Mapped::new(Op::Slice { axes: vec![sa] }, vec![0], shape));
        start += len;
    }
    Ok(Lowering(out))
}

fn blocksize(ctx: &NodeCtx<'_>) -> Result<usize, ImportError> {
    let b = ctx
        .attr(ctx.attrs.int("blocksize"))?
        .ok_or_else(|| ctx.err("attribute blocksize is required"))?;
    usize::try_from(b)
        .ok()
        .filter(|&b| b > 0)
        .ok_or_else(|| ctx.err(format!("blocksize={b} must be positive")))
}

/// `DepthToSpace` (mode DCR, the default, or CRD from opset 11).
pub(super) fn depth_to_space(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    ctx.rank(0, 4, "the input")?;
    let blocksize = blocksize(ctx)?;
    let mode = match ctx.attr(ctx.attrs.string("mode"))?.as_deref() {
        None | Some("DCR") => DepthToSpaceMode::Dcr,
        Some("CRD") if ctx.opset >= 11 => DepthToSpaceMode::Crd,
        Some(other) => {
            return Err(ctx.err(format!(
                "mode \"{other}\" is not supported; use DCR or CRD (CRD from opset 11)"
            )))
        }
    };
    mapped(ctx, Op::DepthToSpace { blocksize, mode }, vec![0])
}

/// `SpaceToDepth` (DCR order; opsets ≤ 21 have no `mode`).
pub(super) fn space_to_depth(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    if let Some(m) = ctx.attr(ctx.attrs.string("mode"))?.filter(|m| m != "DCR") {
        return Err(ctx.err(format!(
            "mode \"{m}\" is not supported: SpaceToDepth moves blocks in DCR order"
        )));
    }
    ctx.rank(0, 4, "the input")?;
    let blocksize = blocksize(ctx)?;
    mapped(ctx, Op::SpaceToDepth { blocksize }, vec![0])
}

/// `Trilu` with a constant `k` (default 0); `upper` defaults to 1.
pub(super) fn trilu(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let upper = ctx.flag("upper", true)?;
    let k = match ctx.opt_const_ints(1, "k")?.as_deref() {
        None => 0,
        Some([k]) => *k,
        Some(v) => return Err(ctx.err(format!("k must be a scalar, got {v:?}"))),
    };
    mapped(ctx, Op::Trilu { upper, k }, vec![0])
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

/// `GatherElements` with constant indices.
pub(super) fn gather_elements(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let (axis, dim) = element_axis(ctx)?;
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
    let n = checked_numel(&out_shape)
        .filter(|&n| n <= MAX_FOLD_ELEMS)
        .ok_or_else(|| ctx.err(format!("output {} is too large", fmt_shape(&out_shape))))?;
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
