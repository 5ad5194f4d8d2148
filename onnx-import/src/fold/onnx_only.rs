//! Ops that exist only at import time: `Constant`, `Shape`, `Cast`, `ConstantOfShape`, `Range`,
//! `Mod`.
//!
//! Every one but `Constant` (whose value is stored in the file) reserves its output's
//! elements from the model's folding budget ([`NodeCtx::reserve_fold`]) before allocating
//! it, so a tiny file cannot make the importer allocate gigabytes.

use super::ConstVal;
use crate::error::ImportError;
use crate::ir::Op;
use crate::ops::{cast_target, to_ints, NodeCtx};
use crate::proto::{dtype_name, tensor_to_const, ConstError};
use crate::shapes::{checked_numel, fmt_shape};

/// The error for a node's unreadable `value` tensor attribute: dims that disagree with its
/// data are an [`ImportError::TensorSize`] for the tensor `<node>.value`.
fn value_err(ctx: &NodeCtx<'_>, e: ConstError) -> ImportError {
    match e {
        ConstError::Size { .. } => e.into_import_error("", &format!("{}.value", ctx.name)),
        ConstError::Other(m) => ctx.err(format!("attribute value {m}")),
    }
}

/// Evaluates a `Constant` node from its attributes.
pub(crate) fn constant_node(ctx: &NodeCtx<'_>) -> Result<ConstVal, ImportError> {
    let a = &ctx.attrs;
    if let Some(t) = ctx.attr(a.tensor("value"))? {
        return tensor_to_const(t).map_err(|e| value_err(ctx, e));
    }
    let made = if let Some(v) = ctx.attr(a.float("value_float"))? {
        ConstVal::new(vec![], vec![v], false)
    } else if let Some(v) = ctx.attr(a.floats("value_floats"))? {
        ConstVal::new(vec![v.len()], v, false)
    } else if let Some(v) = ctx.attr(a.int("value_int"))? {
        ConstVal::new(vec![], vec![v as f64], true)
    } else if let Some(v) = ctx.attr(a.ints("value_ints"))? {
        ConstVal::new(vec![v.len()], v.iter().map(|&x| x as f64).collect(), true)
    } else {
        let names: Vec<&str> = a.names().collect();
        return Err(ctx.err(format!(
            "unsupported Constant form (attributes {names:?}); only value (float32, float64, \
             int32, int64 tensor), value_float(s) and value_int(s) are supported"
        )));
    };
    made.ok_or_else(|| ctx.err("malformed constant"))
}

/// Evaluates a fold-only op (`Shape`, `Cast`, `ConstantOfShape`, `Range`).
///
/// The caller guarantees every input other than `Shape`'s is a constant.
pub(crate) fn fold_only(ctx: &NodeCtx<'_>) -> Result<ConstVal, ImportError> {
    ctx.single_output()?;
    match ctx.op_type {
        "Shape" => shape(ctx),
        "Cast" => cast(ctx),
        "ConstantOfShape" => constant_of_shape(ctx),
        "Range" => range(ctx),
        "Mod" => modulo(ctx),
        "Constant" => constant_node(ctx),
        other => Err(ctx.err(format!("{other} cannot be evaluated at import time"))),
    }
}

fn clamp_index(v: i64, rank: i64) -> i64 {
    let v = if v < 0 { v.saturating_add(rank) } else { v };
    v.clamp(0, rank)
}

fn shape(ctx: &NodeCtx<'_>) -> Result<ConstVal, ImportError> {
    let s = ctx.shape(0)?;
    let rank = i64::try_from(s.len()).unwrap_or(i64::MAX);
    let start = clamp_index(ctx.int_or("start", 0)?, rank);
    let end = clamp_index(ctx.int_or("end", rank)?, rank);
    let dims: Vec<f64> = s
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let i = *i as i64;
            i >= start && i < end
        })
        .map(|(_, &d)| d as f64)
        .collect();
    ctx.reserve_fold(Some(dims.len()))?;
    ConstVal::new(vec![dims.len()], dims, true).ok_or_else(|| ctx.err("malformed shape"))
}

/// A constant `Cast`: the target type as the runtime mapper reads it, the values through the
/// float evaluator's Cast.
fn cast(ctx: &NodeCtx<'_>) -> Result<ConstVal, ImportError> {
    let x = ctx.constant(0, "input")?;
    let to = ctx.int_or("to", 0)?;
    let to = i32::try_from(to).unwrap_or(-1);
    let Some(target) = cast_target(to) else {
        return Err(ctx.err(format!(
            "Cast to {} is not supported at import time (supported: float, double, \
             integer and bool types)",
            dtype_name(to)
        )));
    };
    ctx.reserve_fold(Some(x.tensor.len()))?;
    let out = crate::eval::eval_op(&Op::Cast { to: target }, &[&x.tensor])
        .map_err(|m| ctx.err(format!("Cast: {m}")))?;
    ConstVal::new(out.shape, out.data, target.is_integer()).ok_or_else(|| ctx.err("malformed cast"))
}

fn constant_of_shape(ctx: &NodeCtx<'_>) -> Result<ConstVal, ImportError> {
    let dims = ctx.const_ints(0, "shape")?;
    let shape = dims
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<Vec<usize>, _>>()
        .map_err(|_| ctx.err(format!("shape {dims:?} has a negative dimension")))?;
    let (value, is_int) = match ctx.attr(ctx.attrs.tensor("value"))? {
        None => (0.0, false),
        Some(t) => {
            let c = tensor_to_const(t).map_err(|e| value_err(ctx, e))?;
            match c.tensor.data.as_slice() {
                [v] => (*v, c.is_int),
                _ => return Err(ctx.err("attribute value must hold exactly one element")),
            }
        }
    };
    // `None` (overflow) is over any budget.
    let count = ctx.reserve_fold(checked_numel(&shape))?;
    ConstVal::new(shape, vec![value; count], is_int).ok_or_else(|| ctx.err("malformed output"))
}

fn scalar(ctx: &NodeCtx<'_>, i: usize, what: &str) -> Result<(f64, bool), ImportError> {
    let c = ctx.constant(i, what)?;
    match c.tensor.data.as_slice() {
        [v] if v.is_finite() => Ok((*v, c.is_int)),
        [v] => Err(ctx.err(format!("{what} is {v}; it must be finite"))),
        _ => Err(ctx.err(format!(
            "{what} must be a scalar, got shape {}",
            fmt_shape(&c.tensor.shape)
        ))),
    }
}

fn range(ctx: &NodeCtx<'_>) -> Result<ConstVal, ImportError> {
    let (start, is_int) = scalar(ctx, 0, "start")?;
    let (limit, _) = scalar(ctx, 1, "limit")?;
    let (delta, _) = scalar(ctx, 2, "delta")?;
    if delta == 0.0 {
        return Err(ctx.err("delta is 0; Range needs a non-zero step"));
    }
    let n = ((limit - start) / delta).ceil().max(0.0);
    if n.is_nan() {
        return Err(ctx.err(format!(
            "the range from {start} to {limit} by {delta} has no defined length"
        )));
    }
    // `n` is a non-negative whole number here; past `usize` it is `None`, over any budget.
    let n = ctx.reserve_fold((n < usize::MAX as f64).then_some(n as usize))?;
    let data: Vec<f64> = (0..n).map(|i| start + i as f64 * delta).collect();
    if is_int {
        to_ints(&data).map_err(|m| ctx.err(m))?;
    }
    ConstVal::new(vec![n], data, is_int).ok_or_else(|| ctx.err("malformed range"))
}

/// `Mod` of two constants with numpy broadcasting: `fmod = 0` (default) takes the sign of
/// the divisor (Python's `%`, integers only per ONNX), `fmod = 1` the sign of the dividend
/// (C's `fmod`). PyTorch exports it in shape arithmetic (head counts), so it folds.
fn modulo(ctx: &NodeCtx<'_>) -> Result<ConstVal, ImportError> {
    use crate::eval::{broadcast_index, broadcast_shape};
    let a = ctx.constant(0, "dividend")?;
    let b = ctx.constant(1, "divisor")?;
    let fmod = ctx.int_or("fmod", 0)?;
    if fmod == 0 && !(a.is_int && b.is_int) {
        return Err(ctx.err("Mod of floats needs fmod=1 (ONNX)"));
    }
    let (sa, sb) = (&a.tensor.shape, &b.tensor.shape);
    let shape = broadcast_shape(sa, sb).ok_or_else(|| {
        ctx.err(format!(
            "shapes {} and {} do not broadcast",
            fmt_shape(sa),
            fmt_shape(sb)
        ))
    })?;
    // The broadcast shape can be far larger than either input ([N, 1] and [1, N]).
    let n = ctx.reserve_fold(checked_numel(&shape))?;
    let mut data = Vec::with_capacity(n);
    for i in 0..n {
        let x = a.tensor.data[broadcast_index(i, &shape, sa)];
        let y = b.tensor.data[broadcast_index(i, &shape, sb)];
        if y == 0.0 {
            return Err(ctx.err("Mod by zero"));
        }
        let r = x % y;
        data.push(if fmod == 0 && r != 0.0 && (r < 0.0) != (y < 0.0) {
            r + y
        } else {
            r
        });
    }
    ConstVal::new(shape, data, a.is_int && b.is_int).ok_or_else(|| ctx.err("malformed Mod"))
}
