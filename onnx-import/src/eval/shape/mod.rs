//! Pure data-movement ops: Flatten, Reshape, Transpose, Concat, Slice, Squeeze, Unsqueeze,
//! Gather, Identity, Pad, Expand, Tile, DepthToSpace, SpaceToDepth, Trilu, GatherElements,
//! GatherND, ScatterElements, ScatterND.
//!
//! Each is described by a source map ([`shape_op_sources`]): for every output element, which
//! input and which flat input index it copies, or which constant it holds (Pad's fill value,
//! Trilu's zeros). The float evaluator applies that map, and the fixed-point evaluator and
//! circuits reuse it, so these ops are pure wiring everywhere (constants become constant
//! cells at the activation scale). The exception is Gather with runtime indices
//! ([`Op::GatherDynamic`]): its map depends on the index values, so it has no source map.

use super::{broadcast_index, broadcast_shape, strides};
use crate::ir::{DepthToSpaceMode, Op, PadMode, SliceAxis, Tensor};

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

/// Pad: output coordinate `o` along an axis of length `d` with `begin` padding reads input
/// coordinate `o - begin` when it is inside `[0, d)`, else the mode's rule.
fn pad(
    pads: &[[i64; 2]],
    mode: PadMode,
    value: f64,
    s: &[usize],
    shape_only: bool,
) -> Result<SourceMap, String> {
    if pads.len() != s.len() {
        return Err(format!(
            "{} pad pairs for an input of rank {}",
            pads.len(),
            s.len()
        ));
    }
    let mut out = Vec::with_capacity(s.len());
    for (&d, &[b, e]) in s.iter().zip(pads) {
        let len = i64::try_from(d)
            .ok()
            .and_then(|d| d.checked_add(b)?.checked_add(e))
            .ok_or("pads overflow")?;
        let len = usize::try_from(len)
            .map_err(|_| format!("pads {pads:?} crop more than the input {s:?} holds"))?;
        if d == 0 && len > 0 && mode != PadMode::Constant {
            return Err(format!("cannot pad an empty axis in {mode:?} mode"));
        }
        out.push(len);
    }
    let st = strides(s);
    per_output(&out, shape_only, |o| {
        let mut flat = 0usize;
        for ax in 0..s.len() {
            let d = s[ax] as i64;
            let i = o[ax] as i64 - pads[ax][0];
            let i = if (0..d).contains(&i) {
                i
            } else {
                match mode {
                    PadMode::Constant => return Ok(Source::Const(value)),
                    PadMode::Edge => i.clamp(0, d - 1),
                    PadMode::Wrap => i.rem_euclid(d),
                    PadMode::Reflect if d == 1 => 0,
                    PadMode::Reflect => {
                        let period = 2 * (d - 1);
                        let m = i.rem_euclid(period);
                        if m >= d {
                            period - m
                        } else {
                            m
                        }
                    }
                }
            };
            flat += i as usize * st[ax];
        }
        Ok(input0(flat))
    })
}

fn nchw(in_shapes: &[Vec<usize>], what: &str) -> Result<[usize; 4], String> {
    match one_input(in_shapes)? {
        &[n, c, h, w] => Ok([n, c, h, w]),
        s => Err(format!(
            "{what} needs a rank-4 [N, C, H, W] input, got {s:?}"
        )),
    }
}

/// DepthToSpace: output `(n, c, y, x)` reads input `(n, ic, y / b, x / b)` with `ic` from
/// the block position `(y % b, x % b)` per [`DepthToSpaceMode`].
fn depth_to_space(
    b: usize,
    mode: DepthToSpaceMode,
    in_shapes: &[Vec<usize>],
    shape_only: bool,
) -> Result<SourceMap, String> {
    let [n, c, h, w] = nchw(in_shapes, "DepthToSpace")?;
    if b == 0 || c % (b * b) != 0 {
        return Err(format!(
            "{c} channels are not divisible by blocksize² = {}",
            b * b
        ));
    }
    let co = c / (b * b);
    let (hb, wb) = h
        .checked_mul(b)
        .zip(w.checked_mul(b))
        .ok_or("the output is too large")?;
    per_output(&[n, co, hb, wb], shape_only, |o| {
        let (bh, bw) = (o[2] % b, o[3] % b);
        let ic = match mode {
            DepthToSpaceMode::Dcr => (bh * b + bw) * co + o[1],
            DepthToSpaceMode::Crd => o[1] * b * b + bh * b + bw,
        };
        Ok(input0(((o[0] * c + ic) * h + o[2] / b) * w + o[3] / b))
    })
}

/// SpaceToDepth: output `(n, (bh·b + bw)·C + c, y, x)` reads input `(n, c, y·b + bh, x·b + bw)`.
fn space_to_depth(
    b: usize,
    in_shapes: &[Vec<usize>],
    shape_only: bool,
) -> Result<SourceMap, String> {
    let [n, c, h, w] = nchw(in_shapes, "SpaceToDepth")?;
    if b == 0 || h % b != 0 || w % b != 0 {
        return Err(format!(
            "spatial size {h}x{w} is not divisible by blocksize {b}"
        ));
    }
    let cb = b
        .checked_mul(b)
        .and_then(|bb| bb.checked_mul(c))
        .ok_or("the output is too large")?;
    per_output(&[n, cb, h / b, w / b], shape_only, |o| {
        let (blk, ci) = (o[1] / c, o[1] % c);
        let (y, x) = (o[2] * b + blk / b, o[3] * b + blk % b);
        Ok(input0(((o[0] * c + ci) * h + y) * w + x))
    })
}

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

fn gather_elements(
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

fn scatter_elements(
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

fn gather_nd(
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

fn scatter_nd(
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

fn index_map(op: &Op, in_shapes: &[Vec<usize>]) -> Result<IndexMap, String> {
    match op {
        Op::Identity => {
            let s = one_input(in_shapes)?;
            same_order(s, s.to_vec())
        }
        Op::Flatten { axis } => {
            let s = one_input(in_shapes)?;
            if *axis > s.len() {
                return Err(format!("axis {axis} is out of range for rank {}", s.len()));
            }
            let outer = s[..*axis].iter().product();
            let inner = s[*axis..].iter().product();
            same_order(s, vec![outer, inner])
        }
        Op::Reshape { shape } => same_order(one_input(in_shapes)?, shape.clone()),
        Op::Squeeze { axes } => {
            let s = one_input(in_shapes)?;
            // An empty list means every size-1 axis (ONNX's default).
            let drop: Vec<usize> = if axes.is_empty() {
                (0..s.len()).filter(|&a| s[a] == 1).collect()
            } else {
                axes.clone()
            };
            for &a in &drop {
                match s.get(a) {
                    Some(1) => {}
                    Some(d) => return Err(format!("axis {a} has size {d}, not 1")),
                    None => return Err(format!("axis {a} is out of range for rank {}", s.len())),
                }
            }
            let out = (0..s.len())
                .filter(|a| !drop.contains(a))
                .map(|a| s[a])
                .collect();
            same_order(s, out)
        }
        Op::Unsqueeze { axes } => {
            let s = one_input(in_shapes)?;
            let rank = s.len() + axes.len();
            let mut out = Vec::with_capacity(rank);
            let mut rest = s.iter();
            for a in 0..rank {
                match axes.iter().filter(|&&x| x == a).count() {
                    0 => out.push(*rest.next().ok_or("axes out of range")?),
                    1 => out.push(1),
                    _ => return Err(format!("axis {a} is listed twice")),
                }
            }
            if out.len() != rank || rest.next().is_some() || axes.iter().any(|&a| a >= rank) {
                return Err(format!(
                    "axes {axes:?} are out of range for output rank {rank}"
                ));
            }
            same_order(s, out)
        }
        Op::Transpose { perm } => {
            let s = one_input(in_shapes)?;
            let mut seen = vec![false; s.len()];
            for &p in perm {
                if p >= s.len() || std::mem::replace(&mut seen[p], true) {
                    return Err(format!(
                        "perm {perm:?} is not a permutation of rank {}",
                        s.len()
                    ));
                }
            }
            if perm.len() != s.len() {
                return Err(format!(
                    "perm {perm:?} is not a permutation of rank {}",
                    s.len()
                ));
            }
            let out: Vec<usize> = perm.iter().map(|&p| s[p]).collect();
            let in_st = strides(s);
            // Output axis i walks input axis perm[i].
            let st: Vec<usize> = perm.iter().map(|&p| in_st[p]).collect();
            let n: usize = out.iter().product();
            let map = (0..n).map(|i| (0, dot(&unravel(i, &out), &st))).collect();
            Ok((out, map))
        }
        Op::Concat { axis } => concat(*axis, in_shapes),
        Op::Slice { axes } => slice(axes, one_input(in_shapes)?),
        Op::Gather {
            axis,
            indices,
            indices_shape,
        } => {
            let s = one_input(in_shapes)?;
            let dim = *s
                .get(*axis)
                .ok_or_else(|| format!("axis {axis} is out of range for rank {}", s.len()))?;
            if indices_shape.iter().product::<usize>() != indices.len() {
                return Err(format!(
                    "{} indices do not fill indices shape {indices_shape:?}",
                    indices.len()
                ));
            }
            if let Some(bad) = indices.iter().find(|&&i| i >= dim) {
                return Err(format!(
                    "index {bad} is out of range for axis {axis} of size {dim}"
                ));
            }
            let outer: usize = s[..*axis].iter().product();
            let inner: usize = s[axis + 1..].iter().product();
            let mut out = s[..*axis].to_vec();
            out.extend_from_slice(indices_shape);
            out.extend_from_slice(&s[axis + 1..]);
            let mut map = Vec::with_capacity(outer * indices.len() * inner);
            for o in 0..outer {
                for &g in indices {
                    map.extend((0..inner).map(|j| (0, (o * dim + g) * inner + j)));
                }
            }
            Ok((out, map))
        }
        other => Err(format!("{} is not a data-movement op", other.name())),
    }
}

fn concat(axis: usize, in_shapes: &[Vec<usize>]) -> Result<IndexMap, String> {
    let first = in_shapes.first().ok_or("Concat needs at least one input")?;
    if axis >= first.len() {
        return Err(format!(
            "axis {axis} is out of range for rank {}",
            first.len()
        ));
    }
    let mut total = 0usize;
    for (k, s) in in_shapes.iter().enumerate() {
        let fits = s.len() == first.len() && (0..s.len()).all(|a| a == axis || s[a] == first[a]);
        if !fits {
            return Err(format!(
                "input {k} of shape {s:?} does not match {first:?} outside axis {axis}"
            ));
        }
        total += s[axis];
    }
    let outer: usize = first[..axis].iter().product();
    let inner: usize = first[axis + 1..].iter().product();
    let mut out = first.clone();
    out[axis] = total;
    let mut map = Vec::with_capacity(outer * total * inner);
    for o in 0..outer {
        for (k, s) in in_shapes.iter().enumerate() {
            let block = s[axis] * inner;
            map.extend((0..block).map(|j| (k, o * block + j)));
        }
    }
    Ok((out, map))
}

/// The indices one slice axis takes: `start, start + step, ...` while before `end`.
fn slice_positions(sa: &SliceAxis, dim: usize) -> Result<Vec<usize>, String> {
    if sa.step == 0 {
        return Err(format!("axis {}: step is 0", sa.axis));
    }
    let mut out = Vec::new();
    let mut i = sa.start;
    while (sa.step > 0 && i < sa.end) || (sa.step < 0 && i > sa.end) {
        let idx = usize::try_from(i)
            .ok()
            .filter(|&u| u < dim)
            .ok_or_else(|| format!("axis {}: index {i} is out of range for size {dim}", sa.axis))?;
        out.push(idx);
        i += sa.step;
    }
    Ok(out)
}

fn slice(axes: &[SliceAxis], s: &[usize]) -> Result<IndexMap, String> {
    // Per input axis, the input positions taken (whole axis unless listed).
    let mut pos: Vec<Vec<usize>> = s.iter().map(|&d| (0..d).collect()).collect();
    let mut seen = vec![false; s.len()];
    for sa in axes {
        if sa.axis >= s.len() || std::mem::replace(&mut seen[sa.axis], true) {
            return Err(format!(
                "axis {} is out of range for rank {} or listed twice",
                sa.axis,
                s.len()
            ));
        }
        pos[sa.axis] = slice_positions(sa, s[sa.axis])?;
    }
    let out: Vec<usize> = pos.iter().map(Vec::len).collect();
    let st = strides(s);
    let n: usize = out.iter().product();
    let map = (0..n)
        .map(|i| {
            let oi = unravel(i, &out);
            let flat = oi
                .iter()
                .enumerate()
                .map(|(ax, &o)| pos[ax][o] * st[ax])
                .sum();
            (0, flat)
        })
        .collect();
    Ok((out, map))
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
fn gather_dynamic(axis: usize, inputs: &[&Tensor]) -> Result<Tensor, String> {
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
