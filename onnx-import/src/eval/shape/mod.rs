//! Pure data-movement ops: Flatten, Reshape, Transpose, Concat, Slice, Squeeze, Unsqueeze,
//! Gather, Identity, Pad, Expand, Tile, DepthToSpace, SpaceToDepth, Trilu, GatherElements,
//! GatherND, ScatterElements, ScatterND.
//!
//! Each is described by a source map ([`shape_op_sources`]): for every output element, which
//! input and which flat input index it copies, or which constant it holds (Pad's fill value,
//! Trilu's zeros). The float evaluator applies that map, and the fixed-point evaluator and
//! circuits reuse it, so these ops are pure wiring everywhere (constants become constant
//! cells at the activation scale). The exceptions are Gather and GatherElements with runtime
//! indices ([`Op::GatherDynamic`], [`Op::GatherElementsDynamic`]): their map depends on the
//! index values, so they have no source map.

mod gather;
mod layout;
mod pad;

pub use gather::resolve_runtime_indices;

use super::{broadcast_index, broadcast_shape, strides};
use crate::ir::{Op, Tensor};
use gather::{
    gather_dynamic, gather_elements, gather_elements_dynamic, gather_nd, scatter_elements,
    scatter_nd,
};
use layout::index_map;
use pad::{depth_to_space, pad, space_to_depth};

/// The index map of a data-movement op: the output shape, plus for each output element in
/// row-major order the `(input number, flat row-major input index)` it copies.
pub type IndexMap = (Vec<usize>, Vec<(usize, usize)>);

/// Where one output element of a data-movement op comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// Element `index` (flat, row-major) of the op's input number `input`.
    Input {
        /// Input number (in the node's input order).
        input: usize,
        /// Flat row-major index into that input.
        index: usize,
    },
    /// A constant: Pad's fill value, Trilu's zeros.
    Const(f64),
}

/// The source map of a data-movement op: the output shape and one [`Source`] per output
/// element in row-major order.
pub type SourceMap = (Vec<usize>, Vec<Source>);

/// For a pure data-movement op whose every output element copies an input element
/// (Flatten, Reshape, Transpose, Concat, Slice, Squeeze, Unsqueeze, Gather, Identity,
/// Expand, Tile, DepthToSpace, SpaceToDepth, GatherElements, GatherND, ScatterElements,
/// ScatterND, and Pad / Trilu where no constant is produced) applied to inputs of shapes
/// `in_shapes`, returns the output shape and, for each output element in row-major order,
/// the `(input number, flat row-major input index)` it copies.
///
/// Returns `None` for any other op, when some output element is a constant (use
/// [`shape_op_sources`]), or when the shapes do not fit the op (wrong input count, element
/// count mismatch, axis or index out of range, ...).
pub fn shape_op_indices(op: &Op, in_shapes: &[Vec<usize>]) -> Option<IndexMap> {
    let (shape, src) = sources(op, in_shapes, false).ok()?;
    let map = src
        .into_iter()
        .map(|s| match s {
            Source::Input { input, index } => Some((input, index)),
            Source::Const(_) => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((shape, map))
}

/// Like [`shape_op_indices`], but output elements may also be constants (Pad in constant
/// mode, Trilu). Returns `None` for an op that is not data movement or shapes that do not
/// fit it.
pub fn shape_op_sources(op: &Op, in_shapes: &[Vec<usize>]) -> Option<SourceMap> {
    sources(op, in_shapes, false).ok()
}

/// The output shape of a data-movement op on inputs of shapes `in_shapes`, or why they do
/// not fit it (the importer reports the message with the node's name). Every check of
/// [`shape_op_sources`] is made, but the Pad, Expand, Tile, DepthToSpace, SpaceToDepth,
/// Trilu and scatter maps are not built, so a huge output costs nothing here.
pub fn shape_op_output(op: &Op, in_shapes: &[Vec<usize>]) -> Result<Vec<usize>, String> {
    sources(op, in_shapes, true).map(|(shape, _)| shape)
}

/// Whether `op` is one of this module's data-movement ops: exactly the ops of
/// [`Family::Shape`](crate::registry::Family::Shape).
pub fn is_data_movement(op: &Op) -> bool {
    op.family() == crate::registry::Family::Shape
}

/// Applies the op's source map to the input tensors ([`Op::GatherDynamic`], whose map
/// depends on the index values, is evaluated directly).
pub(super) fn eval(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    if let Op::GatherDynamic { axis } = op {
        return gather_dynamic(*axis, inputs);
    }
    if let Op::GatherElementsDynamic { axis } = op {
        return gather_elements_dynamic(*axis, inputs);
    }
    let shapes: Vec<Vec<usize>> = inputs.iter().map(|t| t.shape.clone()).collect();
    let (shape, map) = sources(op, &shapes, false)?;
    let data = map
        .iter()
        .map(|s| match *s {
            Source::Input { input, index } => inputs[input].data[index],
            Source::Const(v) => v,
        })
        .collect();
    Ok(Tensor { shape, data })
}

/// Source map of every data-movement op: the ops that only copy go through [`index_map`].
/// With `shape_only`, the ops below check their shapes and indices but return an empty map.
fn sources(op: &Op, in_shapes: &[Vec<usize>], shape_only: bool) -> Result<SourceMap, String> {
    let so = shape_only;
    match op {
        Op::Pad { pads, mode, value } => pad(pads, *mode, *value, one_input(in_shapes)?, so),
        Op::Expand { shape } => {
            let s = one_input(in_shapes)?;
            if broadcast_shape(s, shape).as_deref() != Some(shape.as_slice()) {
                return Err(format!("cannot expand {s:?} to {shape:?}"));
            }
            let n = fits(shape)?;
            if so {
                return Ok((shape.clone(), Vec::new()));
            }
            let map = (0..n)
                .map(|i| input0(broadcast_index(i, shape, s)))
                .collect();
            Ok((shape.clone(), map))
        }
        Op::Tile { repeats } => {
            let s = one_input(in_shapes)?;
            if repeats.len() != s.len() {
                return Err(format!(
                    "{} repeats for an input of rank {}",
                    repeats.len(),
                    s.len()
                ));
            }
            let out = s
                .iter()
                .zip(repeats)
                .map(|(d, r)| d.checked_mul(*r))
                .collect::<Option<Vec<usize>>>()
                .ok_or("the output is too large")?;
            let st = strides(s);
            per_output(&out, so, |o| {
                let flat = o.iter().zip(s).zip(&st).map(|((o, d), st)| (o % d) * st);
                Ok(input0(flat.sum()))
            })
        }
        Op::DepthToSpace { blocksize, mode } => depth_to_space(*blocksize, *mode, in_shapes, so),
        Op::SpaceToDepth { blocksize } => space_to_depth(*blocksize, in_shapes, so),
        Op::Trilu { upper, k } => {
            let s = one_input(in_shapes)?;
            if s.len() < 2 {
                return Err(format!("Trilu needs rank >= 2, got {s:?}"));
            }
            let n = fits(s)?;
            if so {
                return Ok((s.to_vec(), Vec::new()));
            }
            let (rows, cols) = (s[s.len() - 2], s[s.len() - 1]);
            let map = (0..n)
                .map(|f| {
                    let (i, j) = ((f / cols.max(1)) % rows.max(1), f % cols.max(1));
                    let diff = j as i64 - i as i64;
                    let keep = if *upper { diff >= *k } else { diff <= *k };
                    if keep {
                        input0(f)
                    } else {
                        Source::Const(0.0)
                    }
                })
                .collect();
            Ok((s.to_vec(), map))
        }
        Op::GatherElements {
            axis,
            indices,
            indices_shape,
        } => gather_elements(*axis, indices, indices_shape, one_input(in_shapes)?),
        Op::GatherND {
            batch_dims,
            indices,
            indices_shape,
        } => gather_nd(
            *batch_dims,
            indices,
            indices_shape,
            one_input(in_shapes)?,
            so,
        ),
        Op::ScatterElements {
            axis,
            indices,
            indices_shape,
        } => scatter_elements(*axis, indices, indices_shape, in_shapes, so),
        Op::ScatterND {
            indices,
            indices_shape,
        } => scatter_nd(indices, indices_shape, in_shapes, so),
        _ => {
            let (shape, map) = index_map(op, in_shapes)?;
            let map = map
                .into_iter()
                .map(|(input, index)| Source::Input { input, index })
                .collect();
            Ok((shape, map))
        }
    }
}

fn input0(index: usize) -> Source {
    Source::Input { input: 0, index }
}

/// The element count of an output shape, refused when it cannot be addressed.
fn fits(out: &[usize]) -> Result<usize, String> {
    out.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n < isize::MAX as usize / std::mem::size_of::<Source>())
        .ok_or_else(|| format!("the output shape {out:?} is too large"))
}

/// Builds a source map by calling `f` with the multi-index of every output element (or,
/// with `shape_only`, checks the output size and returns an empty map).
fn per_output(
    out: &[usize],
    shape_only: bool,
    mut f: impl FnMut(&[usize]) -> Result<Source, String>,
) -> Result<SourceMap, String> {
    let n = fits(out)?;
    if shape_only {
        return Ok((out.to_vec(), Vec::new()));
    }
    let mut map = Vec::with_capacity(n);
    for i in 0..n {
        map.push(f(&unravel(i, out))?);
    }
    Ok((out.to_vec(), map))
}

fn one_input(in_shapes: &[Vec<usize>]) -> Result<&[usize], String> {
    match in_shapes {
        [s] => Ok(s),
        _ => Err(format!("expected 1 input, got {}", in_shapes.len())),
    }
}

/// The identity map from `shape` to an output of `out_shape` with the same element count.
fn same_order(input: &[usize], out_shape: Vec<usize>) -> Result<IndexMap, String> {
    let n: usize = input.iter().product();
    if out_shape.iter().product::<usize>() != n {
        return Err(format!(
            "cannot reshape {input:?} ({n} elements) to {out_shape:?}"
        ));
    }
    Ok((out_shape, (0..n).map(|i| (0, i)).collect()))
}

/// Multi-index of flat index `i` for `shape` (row-major).
pub(super) fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0usize; shape.len()];
    for ax in (0..shape.len()).rev() {
        if shape[ax] > 0 {
            idx[ax] = i % shape[ax];
            i /= shape[ax];
        }
    }
    idx
}

fn dot(idx: &[usize], st: &[usize]) -> usize {
    idx.iter().zip(st).map(|(a, b)| a * b).sum()
}
