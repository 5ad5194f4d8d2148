//! Einsum (linear family): the sum over every summed label of the product of the inputs.

use super::check_arity;
use crate::ir::{EinsumSpec, Tensor};

/// Largest number of label assignments (multiply-adds) the float evaluator will visit.
const MAX_TERMS: usize = 1 << 28;

/// Evaluates `spec` on its inputs (one per input term).
pub(super) fn einsum(spec: &EinsumSpec, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, spec.inputs.len(), spec.inputs.len())?;
    for (n, (labels, t)) in spec.inputs.iter().zip(inputs).enumerate() {
        let want: Vec<usize> = labels.iter().map(|&l| spec.dims[l]).collect();
        if want != t.shape {
            return Err(format!(
                "input {n} has shape {:?}, but equation \"{}\" gives it {want:?}",
                t.shape, spec.equation
            ));
        }
    }
    let terms = spec
        .dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_TERMS)
        .ok_or_else(|| {
            format!(
                "einsum \"{}\" has too many terms to evaluate",
                spec.equation
            )
        })?;
    let out_shape: Vec<usize> = spec.output.iter().map(|&l| spec.dims[l]).collect();
    let mut out = vec![0.0; out_shape.iter().product()];
    let flat = |labels: &[usize], assign: &[usize]| {
        labels
            .iter()
            .fold(0usize, |acc, &l| acc * spec.dims[l] + assign[l])
    };
    let mut assign = vec![0usize; spec.dims.len()];
    for t in 0..terms {
        // Mixed-radix decomposition of `t` over the labels (the last label fastest).
        let mut rem = t;
        for l in (0..spec.dims.len()).rev() {
            assign[l] = rem % spec.dims[l];
            rem /= spec.dims[l];
        }
        let mut prod = 1.0;
        for (labels, x) in spec.inputs.iter().zip(inputs) {
            prod *= x.data[flat(labels, &assign)];
        }
        out[flat(&spec.output, &assign)] += prod;
    }
    Ok(Tensor {
        shape: out_shape,
        data: out,
    })
}
