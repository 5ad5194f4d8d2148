//! GatherElements, GatherND, ScatterElements, ScatterND, and Gather with runtime indices.

use super::{dot, fits, input0, unravel, Source, SourceMap};
use crate::eval::strides;
use crate::ir::Tensor;

fn check_indices(indices: &[usize], indices_shape: &[usize]) -> Result<(), String> {
    if indices_shape.iter().product::<usize>() != indices.len() {
        return Err(format!(
            "{} indices do not fill indices shape {indices_shape:?}",
            indices.len()
        ));
    }
    Ok(())
}

/// For an element-indexed op (GatherElements / ScatterElements): the flat data index that
/// index-tensor position `p` addresses (its multi-index with the `axis` coordinate replaced).
fn element_target(
    p: usize,
    axis: usize,
    indices: &[usize],
    indices_shape: &[usize],
    s: &[usize],
) -> Result<usize, String> {
    let mut at = unravel(p, indices_shape);
    at[axis] = indices[p];
    for (ax, (&i, &d)) in at.iter().zip(s).enumerate() {
        if i >= d {
            return Err(format!(
                "index {i} is out of range for axis {ax} of size {d} (data shape {s:?})"
            ));
        }
    }
    Ok(dot(&at, &strides(s)))
}

fn element_indexed(
    axis: usize,
    indices: &[usize],
    indices_shape: &[usize],
    s: &[usize],
) -> Result<(), String> {
    check_indices(indices, indices_shape)?;
    if indices_shape.len() != s.len() || axis >= s.len() {
        return Err(format!(
            "indices of shape {indices_shape:?} and axis {axis} do not fit data of shape {s:?}"
        ));
    }
    Ok(())
}

pub(super) fn gather_elements(
    axis: usize,
    indices: &[usize],
    indices_shape: &[usize],
    s: &[usize],
) -> Result<SourceMap, String> {
    element_indexed(axis, indices, indices_shape, s)?;
    let map = (0..indices.len())
        .map(|p| element_target(p, axis, indices, indices_shape, s).map(input0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((indices_shape.to_vec(), map))
}

fn two_inputs(in_shapes: &[Vec<usize>]) -> Result<(&[usize], &[usize]), String> {
    match in_shapes {
        [a, b] => Ok((a, b)),
        _ => Err(format!(
            "expected 2 inputs (data, updates), got {}",
            in_shapes.len()
        )),
    }
}

pub(super) fn scatter_elements(
    axis: usize,
    indices: &[usize],
    indices_shape: &[usize],
    in_shapes: &[Vec<usize>],
    shape_only: bool,
) -> Result<SourceMap, String> {
    let (s, u) = two_inputs(in_shapes)?;
    element_indexed(axis, indices, indices_shape, s)?;
    if u != indices_shape {
        return Err(format!(
            "updates of shape {u:?} differ from the indices' shape {indices_shape:?}"
        ));
    }
    let n: usize = s.iter().product();
    let mut map: Vec<Source> = if shape_only {
        Vec::new()
    } else {
        (0..n).map(input0).collect()
    };
    for p in 0..indices.len() {
        let at = element_target(p, axis, indices, indices_shape, s)?;
        if let Some(m) = map.get_mut(at) {
            *m = Source::Input { input: 1, index: p };
        }
    }
    Ok((s.to_vec(), map))
}

/// For GatherND / ScatterND: the flat data offset of every index tuple (the start of a
/// contiguous slice of `inner` elements), the tuples' shape and `inner`.
fn nd_offsets(
    batch_dims: usize,
    indices: &[usize],
    indices_shape: &[usize],
    s: &[usize],
) -> Result<(Vec<usize>, Vec<usize>, usize), String> {
    check_indices(indices, indices_shape)?;
    let (&k, tuples) = indices_shape
        .split_last()
        .ok_or("indices must have rank >= 1")?;
    if batch_dims + k > s.len()
        || tuples.len() < batch_dims
        || tuples[..batch_dims] != s[..batch_dims]
    {
        return Err(format!(
            "indices of shape {indices_shape:?} with batch_dims {batch_dims} do not fit data \
             of shape {s:?}"
        ));
    }
    let st = strides(s);
    let inner: usize = s[batch_dims + k..].iter().product();
    let n_tuples: usize = tuples.iter().product();
    let per_batch: usize = tuples[batch_dims..].iter().product();
    let mut offsets = Vec::with_capacity(n_tuples);
    for t in 0..n_tuples {
        let batch = unravel(t / per_batch.max(1), &tuples[..batch_dims]);
        let mut off = dot(&batch, &st[..batch_dims]);
        for (j, &i) in indices[t * k..(t + 1) * k].iter().enumerate() {
            let ax = batch_dims + j;
            if i >= s[ax] {
                return Err(format!(
                    "index {i} is out of range for axis {ax} of size {} (data shape {s:?})",
                    s[ax]
                ));
            }
            off += i * st[ax];
        }
        offsets.push(off);
    }
    Ok((offsets, tuples.to_vec(), inner))
}

pub(super) fn gather_nd(
    batch_dims: usize,
    indices: &[usize],
    indices_shape: &[usize],
    s: &[usize],
    shape_only: bool,
) -> Result<SourceMap, String> {
    let (offsets, tuples, inner) = nd_offsets(batch_dims, indices, indices_shape, s)?;
    let k = indices_shape.last().copied().unwrap_or(0);
    let mut out = tuples;
    out.extend_from_slice(&s[batch_dims + k..]);
    fits(&out)?;
    if shape_only {
        return Ok((out, Vec::new()));
    }
    let map = offsets
        .iter()
        .flat_map(|&off| (0..inner).map(move |j| input0(off + j)))
        .collect();
    Ok((out, map))
}

pub(super) fn scatter_nd(
    indices: &[usize],
    indices_shape: &[usize],
    in_shapes: &[Vec<usize>],
    shape_only: bool,
) -> Result<SourceMap, String> {
    let (s, u) = two_inputs(in_shapes)?;
    let (offsets, tuples, inner) = nd_offsets(0, indices, indices_shape, s)?;
    let k = indices_shape.last().copied().unwrap_or(0);
    let mut want = tuples;
    want.extend_from_slice(&s[k..]);
    if u != want.as_slice() {
        return Err(format!(
            "updates of shape {u:?} do not match indices {indices_shape:?} and data {s:?} \
             (expected {want:?})"
        ));
    }
    if shape_only {
        return Ok((s.to_vec(), Vec::new()));
    }
    let n: usize = s.iter().product();
    let mut map: Vec<Source> = (0..n).map(input0).collect();
    for (t, &off) in offsets.iter().enumerate() {
        for j in 0..inner {
            map[off + j] = Source::Input {
                input: 1,
                index: t * inner + j,
            };
        }
    }
    Ok((s.to_vec(), map))
}

/// Runtime positions of a dynamic Gather: each index value resolved against an axis of size
/// `dim` (`i < 0` wraps to `i + dim`), or why it cannot be used (not an integer, or outside
/// `[-dim, dim)`).
pub fn resolve_runtime_indices(values: &[f64], dim: usize) -> Result<Vec<usize>, String> {
    let n = dim as f64;
    values
        .iter()
        .enumerate()
        .map(|(p, &v)| {
            if v.fract() != 0.0 || !(-n..n).contains(&v) {
                return Err(format!(
                    "index {v} (element {p} of the indices) is not an integer in [-{dim}, {dim})"
                ));
            }
            // Exact: an integer-valued f64 within [-dim, dim).
            let r = if v < 0.0 { v + n } else { v };
            Ok(r as usize)
        })
        .collect()
}

/// `Gather` along `axis` of `inputs[0]` at the runtime indices `inputs[1]`.
pub(super) fn gather_dynamic(axis: usize, inputs: &[&Tensor]) -> Result<Tensor, String> {
    let [data, idx] = inputs else {
        return Err(format!(
            "Gather with runtime indices needs 2 inputs, got {}",
            inputs.len()
        ));
    };
    let s = &data.shape;
    let dim = *s
        .get(axis)
        .ok_or_else(|| format!("axis {axis} is out of range for rank {}", s.len()))?;
    let positions = resolve_runtime_indices(&idx.data, dim)?;
    let outer: usize = s[..axis].iter().product();
    let inner: usize = s[axis + 1..].iter().product();
    let mut shape = s[..axis].to_vec();
    shape.extend_from_slice(&idx.shape);
    shape.extend_from_slice(&s[axis + 1..]);
    let mut out = Vec::with_capacity(outer * positions.len() * inner);
    for o in 0..outer {
        for &g in &positions {
            let start = (o * dim + g) * inner;
            let row = data
                .data
                .get(start..start + inner)
                .ok_or("the data tensor holds fewer elements than its shape")?;
            out.extend_from_slice(row);
        }
    }
    Ok(Tensor { shape, data: out })
}

/// `GatherElements` along `axis` of `inputs[0]` at the runtime indices `inputs[1]` (same
/// rank; the output has the indices' shape; negative indices wrap by the axis size).
pub(super) fn gather_elements_dynamic(axis: usize, inputs: &[&Tensor]) -> Result<Tensor, String> {
    let [data, idx] = inputs else {
        return Err(format!(
            "GatherElements with runtime indices needs 2 inputs, got {}",
            inputs.len()
        ));
    };
    let s = &data.shape;
    let dim = *s
        .get(axis)
        .ok_or_else(|| format!("axis {axis} is out of range for rank {}", s.len()))?;
    if idx.shape.len() != s.len() {
        return Err(format!(
            "indices of shape {:?} do not have the rank of data {s:?}",
            idx.shape
        ));
    }
    let positions = resolve_runtime_indices(&idx.data, dim)?;
    let (_, map) = gather_elements(axis, &positions, &idx.shape, s)?;
    let data = map
        .iter()
        .map(|src| match *src {
            Source::Input { index, .. } => data.data.get(index).copied(),
            Source::Const(v) => Some(v),
        })
        .collect::<Option<Vec<_>>>()
        .ok_or("the data tensor holds fewer elements than its shape")?;
    Ok(Tensor {
        shape: idx.shape.clone(),
        data,
    })
}
