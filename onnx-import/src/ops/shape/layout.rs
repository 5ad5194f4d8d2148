//! Layout ops: Flatten, Reshape, Transpose, Concat, Slice, Squeeze, Unsqueeze, Split.

use super::numel;
use crate::error::ImportError;
use crate::ir::{Op, SliceAxis};
use crate::ops::{Lowering, Mapped, NodeCtx};
use crate::shapes::{self, fmt_shape};

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
