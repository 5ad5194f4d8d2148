//! Data-movement ops (Flatten, Reshape, Transpose, Concat, Slice, Squeeze, Unsqueeze, Gather,
//! Identity, Pad, Expand, Tile, DepthToSpace, SpaceToDepth, Trilu, GatherElements, GatherND,
//! ScatterElements, ScatterND): pure wiring. Every output cell *is* an input cell (the same
//! assigned cell, so later uses are tied to it by copy constraints) or a constant cell:
//! `out[i] = in[k][map[i]]` or `out[i] = q(c, s_a)` (Pad's fill value, Trilu's zeros,
//! quantized at the activation scale). No gate or range check is added. Constant inputs (e.g.
//! a Concat with a constant block) become constant cells too.

use onnx_import::eval::{shape_op_sources, Source};

use super::{materialize, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::quantize;

/// Evaluates a data-movement op by its source map.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
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
