//! Einsum (linear family): the equation is parsed at import into numbered labels with sizes.

use super::{Lowering, Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{EinsumSpec, Op};
use crate::registry::{Family, OpDef};
use crate::shapes::fmt_shape;

/// Einsum, part of the linear family.
pub(super) const OPS: &[OpDef] = &[OpDef::runtime(
    "Einsum",
    Family::Linear,
    "explicit or implicit output, repeated labels, `...` without size-1 broadcasting",
    einsum,
)
.opsets(12, 21)];

/// One axis of a term: a letter, or the `i`-th axis of the ellipsis counted from its end.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Axis {
    Letter(u8),
    Ellipsis(usize),
}

/// Parses one term (`"b...ij"`) against the rank of its input; ellipsis axes are numbered
/// from the right so that the ellipses of inputs with different ranks align.
fn term(t: &str, rank: Option<usize>) -> Result<Vec<Axis>, String> {
    let (before, after, has_ellipsis) = match t.find("...") {
        Some(p) => (&t[..p], &t[p + 3..], true),
        None => (t, "", false),
    };
    let letters = |s: &str| -> Result<Vec<Axis>, String> {
        s.bytes()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    Ok(Axis::Letter(c))
                } else {
                    Err(format!(
                        "'{}' is not a label (labels are letters)",
                        c as char
                    ))
                }
            })
            .collect()
    };
    let (b, a) = (letters(before)?, letters(after)?);
    if !has_ellipsis {
        if let Some(r) = rank {
            if b.len() != r {
                return Err(format!("term \"{t}\" has {} labels for rank {r}", b.len()));
            }
        }
        return Ok(b);
    }
    let n = match rank {
        Some(r) => r
            .checked_sub(b.len() + a.len())
            .ok_or_else(|| format!("term \"{t}\" has more labels than the rank {r}"))?,
        None => 0,
    };
    let mut out = b;
    out.extend((0..n).rev().map(Axis::Ellipsis));
    out.extend(a);
    Ok(out)
}

/// `Einsum`: every input must be a known shape; labels of equal name must have equal size.
fn einsum(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    ctx.single_output()?;
    let equation = ctx
        .attr(ctx.attrs.string("equation"))?
        .ok_or_else(|| ctx.err("attribute equation is required"))?;
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let bad = |m: String| ctx.err(format!("equation \"{equation}\": {m}"));
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != ctx.inputs.len() {
        return Err(bad(format!(
            "{} terms for {} inputs",
            terms.len(),
            ctx.inputs.len()
        )));
    }
    let mut axes = Vec::with_capacity(terms.len());
    let mut shapes = Vec::with_capacity(terms.len());
    for (i, t) in terms.iter().enumerate() {
        let s = ctx.shape(i)?;
        axes.push(term(t, Some(s.len())).map_err(bad)?);
        shapes.push(s);
    }
    // Number the labels in order of appearance and record their sizes.
    let mut labels: Vec<Axis> = vec![];
    let mut dims: Vec<usize> = vec![];
    let mut inputs = Vec::with_capacity(axes.len());
    for (i, (ax, s)) in axes.iter().zip(&shapes).enumerate() {
        let mut ids = Vec::with_capacity(ax.len());
        for (&a, &d) in ax.iter().zip(s.iter()) {
            let id = match labels.iter().position(|&l| l == a) {
                Some(id) => id,
                None => {
                    labels.push(a);
                    dims.push(d);
                    labels.len() - 1
                }
            };
            if dims[id] != d {
                return Err(ctx.shape_err(format!(
                    "equation \"{equation}\": {} has size {} elsewhere but {d} in input #{i} {} \
                     (broadcasting a size-1 axis is not supported)",
                    describe(a),
                    dims[id],
                    fmt_shape(s)
                )));
            }
            ids.push(id);
        }
        inputs.push(ids);
    }
    let out_axes: Vec<Axis> = match rhs {
        Some(r) => {
            let n_ellipsis = labels
                .iter()
                .filter(|l| matches!(l, Axis::Ellipsis(_)))
                .count();
            let t = term(r, None).map_err(bad)?;
            if r.contains("...") {
                let p = t.len() - r.split("...").nth(1).map_or(0, str::len);
                let mut t2 = t[..p].to_vec();
                t2.extend((0..n_ellipsis).rev().map(Axis::Ellipsis));
                t2.extend_from_slice(&t[p..]);
                t2
            } else {
                t
            }
        }
        None => {
            // Implicit output: the ellipsis axes, then the letters used once, sorted.
            let mut ell: Vec<Axis> = labels
                .iter()
                .copied()
                .filter(|l| matches!(l, Axis::Ellipsis(_)))
                .collect();
            ell.sort_by_key(|l| match l {
                Axis::Ellipsis(k) => usize::MAX - k,
                Axis::Letter(_) => 0,
            });
            let mut once: Vec<u8> = labels
                .iter()
                .filter_map(|&l| match l {
                    Axis::Letter(c) => Some(c),
                    Axis::Ellipsis(_) => None,
                })
                .filter(|&c| {
                    axes.iter()
                        .flatten()
                        .filter(|&&a| a == Axis::Letter(c))
                        .count()
                        == 1
                })
                .collect();
            once.sort_unstable();
            ell.extend(once.into_iter().map(Axis::Letter));
            ell
        }
    };
    let mut output = Vec::with_capacity(out_axes.len());
    for a in &out_axes {
        let id = labels.iter().position(|l| l == a).ok_or_else(|| {
            bad(format!(
                "output {} does not appear in any input",
                describe(*a)
            ))
        })?;
        if output.contains(&id) {
            return Err(bad(format!("output {} appears twice", describe(*a))));
        }
        output.push(id);
    }
    let shape = output.iter().map(|&l| dims[l]).collect();
    let spec = EinsumSpec {
        equation,
        inputs,
        output,
        dims,
    };
    let kept = (0..ctx.inputs.len()).collect();
    Ok(Mapped::new(Op::Einsum(spec), kept, shape).into())
}

fn describe(a: Axis) -> String {
    match a {
        Axis::Letter(c) => format!("label '{}'", c as char),
        Axis::Ellipsis(k) => format!("ellipsis axis {k} (from the right)"),
    }
}
