//! Data-movement ops (Flatten, Reshape, Transpose, Concat, Slice, Squeeze, Unsqueeze, Gather,
//! Identity, Pad, Expand, Tile, DepthToSpace, SpaceToDepth, Trilu, GatherElements, GatherND,
//! ScatterElements, ScatterND): pure wiring. Every output cell *is* an input cell (the same
//! assigned cell, so later uses are tied to it by copy constraints) or a constant cell:
//! `out[i] = in[k][map[i]]` or `out[i] = q(c, s_a)` (Pad's fill value, Trilu's zeros,
//! quantized at the activation scale). No gate or range check is added. Constant inputs (e.g.
//! a Concat with a constant block) become constant cells too.
//!
//! The one op here that is not wiring is **Gather with runtime indices**
//! ([`Op::GatherDynamic`], e.g. an embedding lookup `table[token_ids]`), built only from
//! comparisons, without a lookup table. With `n` = the size of the gathered axis, `s` the
//! activation scale (index `i` is the cell `x = i·2^s`) and `B` the range bound, for each
//! index cell `x`:
//!
//! 1. `w = is_negative(x)` and `x' = x + w·n·2^s` (ONNX's wrap of a negative index);
//! 2. for each `j < n`: `d_j = x' - j·2^s`, `lt_j = is_negative(d_j)`,
//!    `gt_j = is_negative(-d_j)` and `e_j = 1 - lt_j - gt_j`;
//! 3. `Σ_j e_j - 1 = 0` (`assert_zero`);
//! 4. every output element `out = Σ_j e_j·data_j` over the lane of the gathered axis
//!    (`dot_const` with the table column quantized at the activation scale when the data is
//!    a constant, `dot` with its cells when it is computed at runtime): no rescale, the
//!    output is exactly the selected cell.
//!
//! Soundness: `is_negative` forces its bit to be the sign of a value in `[-2^B, 2^B)` (a
//! value outside makes the circuit unsatisfiable), so `lt_j = [d_j < 0]` and
//! `gt_j = [d_j > 0]`; they are never both 1, hence `e_j = [x' = j·2^s] ∈ {0, 1}` and at most
//! one `e_j` is 1 (the `j·2^s` are distinct). `Σ_j e_j = 1` then says exactly one `e_j` is 1,
//! i.e. `x = j·2^s` (`x ≥ 0`) or `x = (j - n)·2^s` (`x < 0`) for some `j < n`, so the index
//! is an integer in `[-n, n)`, and the output is the selected element. A fractional or
//! out-of-range index therefore leaves no satisfying witness; natively it is an error naming
//! the index element. Cost per index cell: `2n + 1` comparisons (`O(table rows)`), plus one
//! length-`n` dot product per output element.
//!
//! **GatherElements with runtime indices** ([`Op::GatherElementsDynamic`]) is built the same
//! way: each index cell at position `p` (multi-index `at`) gets its selector `e_j` (steps
//! 1-3, exactly one 1), and `out[p] = Σ_j e_j·data[at with at[axis] = j]` (step 4 over the
//! lane of `data` through `at` along `axis`). Same soundness argument, same cost per index
//! cell; the output has the indices' shape.

use onnx_import::eval::{shape_op_sources, Source};
use onnx_import::ir::Op;

use super::{arity, cells, materialize, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::{pow2, quantize, quantize_all};

/// Evaluates a data-movement op by its source map (Gather with runtime indices by
/// comparisons, see the module docs).
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    if let Op::GatherDynamic { axis } = cx.node.op {
        return gather_dynamic(b, cx, axis, inputs);
    }
    if let Op::GatherElementsDynamic { axis } = cx.node.op {
        return gather_elements_dynamic(b, cx, axis, inputs);
    }
    let shapes: Vec<Vec<usize>> = inputs.iter().map(|o| o.shape().to_vec()).collect();
    let (shape, map) = shape_op_sources(&cx.node.op, &shapes).ok_or_else(|| {
        CircuitError::unsupported(format!(
            "{} cannot be applied to input shapes {shapes:?}",
            cx.node.op.name()
        ))
    })?;
    let tensors = inputs
        .iter()
        .map(|o| materialize(b, cx.params, *o))
        .collect::<Result<Vec<_>>>()?;
    // One constant cell per distinct constant (a padded border shares its cell).
    let mut consts: Vec<(f64, B::Cell)> = Vec::new();
    let mut data = Vec::with_capacity(map.len());
    for src in map {
        let cell = match src {
            Source::Input { input, index } => tensors
                .get(input)
                .and_then(|t| t.data.get(index))
                .cloned()
                .ok_or_else(|| {
                    CircuitError::unsupported("index out of range in a data-movement op")
                })?,
            Source::Const(v) => match consts.iter().find(|(c, _)| c.to_bits() == v.to_bits()) {
                Some((_, cell)) => cell.clone(),
                None => {
                    let q = quantize(v, cx.params.input_scale, "padding constant")?;
                    let cell = b.constant(q)?;
                    consts.push((v, cell.clone()));
                    cell
                }
            },
        };
        data.push(cell);
    }
    Ok(CellTensor { shape, data })
}

/// The selector bits `e_j = [x = j·2^s]` (after wrapping a negative `x` by `n`) of one index
/// cell `x`, constrained to hold exactly one 1 (steps 1-3 of the module docs). `position` is
/// the index element's flat position, for the error.
fn selector<B: Backend>(
    b: &mut B,
    x: &B::Cell,
    n: usize,
    one: i128,
    position: usize,
) -> Result<Vec<B::Cell>> {
    let too_large =
        || CircuitError::unsupported(format!("a gathered axis of size {n} is too large"));
    let span = i128::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(one))
        .ok_or_else(too_large)?;
    // w = [x < 0]; x' = x + w·n·2^s.
    let w = b.is_negative(x)?;
    let shift = b.mul_const(&w, span)?;
    let xw = b.add(x, &shift)?;
    let mut e = Vec::with_capacity(n);
    let mut at = 0i128;
    for _ in 0..n {
        // d_j = x' - j·2^s; lt_j = [d_j < 0]; gt_j = [d_j > 0].
        let d = b.add_const(&xw, -at)?;
        let lt = b.is_negative(&d)?;
        let nd = b.neg(&d)?;
        let gt = b.is_negative(&nd)?;
        // e_j = 1 - lt_j - gt_j = [d_j = 0].
        e.push(b.dot_const(&[lt, gt], &[-1, -1], 1)?);
        at += one;
    }
    // Σ_j e_j - 1 = 0: exactly one row matches.
    let total = b.sum(&e)?;
    let t = b.add_const(&total, -1)?;
    b.assert_zero(&t).map_err(|_| {
        CircuitError::unsupported(format!(
            "index element {position} is not an integer in [-{n}, {n})"
        ))
    })?;
    Ok(e)
}

/// `Gather` along `axis` of input 0 (constant table or runtime cells) at the runtime indices
/// of input 1: one selector per index cell, then one selector-weighted sum per output
/// element (see the module docs).
fn gather_dynamic<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    axis: usize,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 2)?;
    let idx = cells(&inputs[1], "indices")?;
    let s = inputs[0].shape().to_vec();
    let dim = *s.get(axis).ok_or_else(|| {
        CircuitError::unsupported(format!("axis {axis} is out of range for data {s:?}"))
    })?;
    let one = i128::from(pow2(cx.params.input_scale));
    let selectors = idx
        .data
        .iter()
        .enumerate()
        .map(|(p, x)| selector(b, x, dim, one, p))
        .collect::<Result<Vec<_>>>()?;
    let outer: usize = s[..axis].iter().product();
    let inner: usize = s[axis + 1..].iter().product();
    let mut shape = s[..axis].to_vec();
    shape.extend_from_slice(&idx.shape);
    shape.extend_from_slice(&s[axis + 1..]);
    let lane = |o: usize, k: usize| (0..dim).map(move |j| (o * dim + j) * inner + k);
    let mut data = Vec::with_capacity(outer * selectors.len() * inner);
    match inputs[0] {
        Operand::Const(t) => {
            // The table at the activation scale, as a constant Gather would materialize it.
            let q = quantize_all(&t.data, cx.params.input_scale, "Gather table")?;
            for o in 0..outer {
                for e in &selectors {
                    for k in 0..inner {
                        let ws = lane(o, k)
                            .map(|i| q.get(i).copied())
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| CircuitError::unsupported("Gather table too small"))?;
                        // out = Σ_j e_j·q(table_j)
                        data.push(b.dot_const(e, &ws, 0)?);
                    }
                }
            }
        }
        Operand::Cells(t) => {
            for o in 0..outer {
                for e in &selectors {
                    for k in 0..inner {
                        let ys = lane(o, k)
                            .map(|i| t.data.get(i).cloned())
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| CircuitError::unsupported("Gather data too small"))?;
                        // out = Σ_j e_j·data_j
                        data.push(b.dot(e, &ys)?);
                    }
                }
            }
        }
    }
    Ok(CellTensor { shape, data })
}

/// `GatherElements` along `axis` of input 0 (constant or runtime) at the runtime indices of
/// input 1 (same rank, no larger than the data off `axis`): one selector per index cell and
/// one selector-weighted sum over the addressed lane (see the module docs).
fn gather_elements_dynamic<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    axis: usize,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 2)?;
    let idx = cells(&inputs[1], "indices")?;
    let s = inputs[0].shape().to_vec();
    let fits = idx.shape.len() == s.len()
        && axis < s.len()
        && idx
            .shape
            .iter()
            .zip(&s)
            .enumerate()
            .all(|(ax, (&i, &d))| ax == axis || i <= d);
    if !fits {
        return Err(CircuitError::unsupported(format!(
            "indices of shape {:?} do not fit data {s:?} along axis {axis}",
            idx.shape
        )));
    }
    let dim = s[axis];
    let one = i128::from(pow2(cx.params.input_scale));
    let data = materialize(b, cx.params, inputs[0])?;
    let st = onnx_import::eval::strides(&s);
    let ist = onnx_import::eval::strides(&idx.shape);
    let mut out = Vec::with_capacity(idx.data.len());
    for (p, x) in idx.data.iter().enumerate() {
        let e = selector(b, x, dim, one, p)?;
        // Flat data offset of `at` with the axis coordinate set to 0.
        let mut base = 0;
        for ax in 0..s.len() {
            let c = (p / ist[ax]) % idx.shape[ax];
            if ax != axis {
                base += c * st[ax];
            }
        }
        let ys = (0..dim)
            .map(|j| data.data.get(base + j * st[axis]).cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| CircuitError::unsupported("GatherElements data too small"))?;
        // out = Σ_j e_j·data_j
        out.push(b.dot(&e, &ys)?);
    }
    Ok(CellTensor {
        shape: idx.shape.clone(),
        data: out,
    })
}
