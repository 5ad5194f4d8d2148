//! Index maps of the layout ops (Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Expand,
//! Tile, Trilu, Gather, ...), Concat and Slice.

use super::{dot, one_input, same_order, unravel, IndexMap};
use crate::eval::strides;
use crate::ir::{Op, SliceAxis};

pub(super) fn index_map(op: &Op, in_shapes: &[Vec<usize>]) -> Result<IndexMap, String> {
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
