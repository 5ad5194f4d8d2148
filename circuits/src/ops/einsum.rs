//! Einsum (linear family) as dot products with the rescale of MatMul.
//!
//! The inputs are contracted left to right, two at a time: after each step only the labels
//! that the output or a later input still needs are kept, the others are summed. One
//! contraction of activation × constant is `div_round(Σ x·q(w, s_p), 2^s_p)` (`dot_const`),
//! of activation × activation `div_round(Σ x·z, 2^s_a)` (`dot`), exactly as MatMul; two
//! constants are contracted in float and quantized when used. A single input is summed over
//! its dropped labels (no rescale). `"bn,anm,bm->ba"` is thus `T = x·W` then `T·z`.

use onnx_import::ir::EinsumSpec;

use super::{CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::{pow2, quantize_all};

enum Data<C> {
    Cells(Vec<C>),
    Float(Vec<f64>),
}

/// An operand or intermediate: its labels (axis order) and row-major data.
struct Term<C> {
    labels: Vec<usize>,
    data: Data<C>,
}

/// Row-major flat index of the element of `labels` under the label assignment `assign`.
fn flat(labels: &[usize], dims: &[usize], assign: &[usize]) -> usize {
    labels.iter().fold(0, |acc, &l| acc * dims[l] + assign[l])
}

/// Every assignment of `labels` (mixed radix, last fastest), written into `assign`.
fn for_each_assign(
    labels: &[usize],
    dims: &[usize],
    assign: &mut [usize],
    mut f: impl FnMut(&[usize]) -> Result<()>,
) -> Result<()> {
    let n: usize = labels.iter().map(|&l| dims[l]).product();
    for t in 0..n {
        let mut rem = t;
        for &l in labels.iter().rev() {
            assign[l] = rem % dims[l];
            rem /= dims[l];
        }
        f(assign)?;
    }
    Ok(())
}

/// Evaluates `spec` on its inputs.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    spec: &EinsumSpec,
) -> Result<CellTensor<B::Cell>> {
    if inputs.len() != spec.inputs.len() || inputs.is_empty() {
        return Err(CircuitError::unsupported(format!(
            "einsum \"{}\" expects {} inputs, found {}",
            spec.equation,
            spec.inputs.len(),
            inputs.len()
        )));
    }
    let mut terms: Vec<Term<B::Cell>> = Vec::with_capacity(inputs.len());
    for (labels, op) in spec.inputs.iter().zip(inputs) {
        let want: Vec<usize> = labels.iter().map(|&l| spec.dims[l]).collect();
        if op.shape() != want.as_slice() {
            return Err(CircuitError::unsupported(format!(
                "einsum input of shape {:?}, the equation gives {want:?}",
                op.shape()
            )));
        }
        let data = match op {
            Operand::Cells(t) => Data::Cells(t.data.clone()),
            Operand::Const(t) => Data::Float(t.data.clone()),
        };
        terms.push(Term {
            labels: labels.clone(),
            data,
        });
    }
    let mut rest = terms.into_iter();
    let mut acc = rest
        .next()
        .ok_or_else(|| CircuitError::unsupported("einsum without inputs"))?;
    let later: Vec<Term<B::Cell>> = rest.collect();
    if later.is_empty() {
        acc = contract(b, cx, spec, &acc, None, &spec.output)?;
    }
    let n_later = later.len();
    for (t, next) in later.iter().enumerate() {
        let keep: Vec<usize> = if t + 1 == n_later {
            spec.output.clone()
        } else {
            (0..spec.dims.len())
                .filter(|l| acc.labels.contains(l) || next.labels.contains(l))
                .filter(|l| {
                    spec.output.contains(l) || later[t + 1..].iter().any(|u| u.labels.contains(l))
                })
                .collect()
        };
        acc = contract(b, cx, spec, &acc, Some(next), &keep)?;
    }
    match acc.data {
        Data::Cells(data) => Ok(CellTensor {
            shape: spec.output.iter().map(|&l| spec.dims[l]).collect(),
            data,
        }),
        Data::Float(_) => Err(CircuitError::unsupported(
            "einsum of constants only should have been constant-folded at import",
        )),
    }
}

/// Contracts `a` (with `c`, if given) down to the labels `keep`, in that order.
fn contract<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    spec: &EinsumSpec,
    a: &Term<B::Cell>,
    c: Option<&Term<B::Cell>>,
    keep: &[usize],
) -> Result<Term<B::Cell>> {
    let dims = &spec.dims;
    let used = |l: &usize| a.labels.contains(l) || c.is_some_and(|t| t.labels.contains(l));
    let summed: Vec<usize> = (0..dims.len())
        .filter(|l| used(l) && !keep.contains(l))
        .collect();
    let p = cx.params;
    // Constants are quantized once per contraction, at the scale of their role.
    let quant = |t: &Term<B::Cell>| -> Result<Option<Vec<i128>>> {
        match &t.data {
            Data::Float(v) => Ok(Some(quantize_all(v, p.param_scale, "einsum constant")?)),
            Data::Cells(_) => Ok(None),
        }
    };
    let (qa, qc) = (quant(a)?, c.map(quant).transpose()?.flatten());
    let mut assign = vec![0usize; dims.len()];
    let mut cells_out = Vec::new();
    let mut float_out = Vec::new();
    let mut outer = assign.clone();
    for_each_assign(keep, dims, &mut outer, |o| {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        let mut ws = Vec::new();
        let mut fsum = 0.0;
        assign.copy_from_slice(o);
        for_each_assign(&summed, dims, &mut assign, |s| {
            let ia = flat(&a.labels, dims, s);
            match c {
                None => {
                    if let Data::Cells(x) = &a.data {
                        xs.push(x[ia].clone());
                    }
                }
                Some(ct) => {
                    let ic = flat(&ct.labels, dims, s);
                    match (&a.data, &ct.data) {
                        (Data::Cells(x), Data::Cells(z)) => {
                            xs.push(x[ia].clone());
                            ys.push(z[ic].clone());
                        }
                        (Data::Cells(x), Data::Float(_)) => {
                            xs.push(x[ia].clone());
                            ws.push(qc.as_ref().map_or(0, |q| q[ic]));
                        }
                        (Data::Float(_), Data::Cells(z)) => {
                            xs.push(z[ic].clone());
                            ws.push(qa.as_ref().map_or(0, |q| q[ia]));
                        }
                        (Data::Float(u), Data::Float(v)) => fsum += u[ia] * v[ic],
                    }
                }
            }
            Ok(())
        })?;
        match (c, &a.data) {
            (None, Data::Cells(_)) => cells_out.push(b.sum(&xs)?),
            (None, Data::Float(_)) => {
                return Err(CircuitError::unsupported(
                    "einsum of one constant should have been constant-folded",
                ))
            }
            (Some(ct), _) => match (&a.data, &ct.data) {
                // Σ x·z at scale 2·s_a, rescaled to s_a
                (Data::Cells(_), Data::Cells(_)) => {
                    let d = b.dot(&xs, &ys)?;
                    cells_out.push(b.div_round(&d, pow2(p.input_scale))?);
                }
                (Data::Float(_), Data::Float(_)) => float_out.push(fsum),
                // Σ x·q(w, s_p) at scale s_a + s_p, rescaled to s_a
                _ => {
                    let d = b.dot_const(&xs, &ws, 0)?;
                    cells_out.push(b.div_round(&d, pow2(p.param_scale))?);
                }
            },
        }
        Ok(())
    })?;
    let all_float =
        matches!(a.data, Data::Float(_)) && c.is_some_and(|t| matches!(t.data, Data::Float(_)));
    Ok(Term {
        labels: keep.to_vec(),
        data: if all_float {
            Data::Float(float_out)
        } else {
            Data::Cells(cells_out)
        },
    })
}
