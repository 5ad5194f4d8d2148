//! Resize / Upsample with constant scales or sizes.
//!
//! The taps come from [`onnx_import::eval::resize_taps`], the float evaluator's own
//! definition. An output element with a single tap of weight 1 (every nearest-neighbour
//! element, and linear elements that land on an input element) is that input cell: pure
//! wiring, no constraint. Any other element is a weighted sum with constant weights, laid
//! out like a linear layer with no bias:
//!
//! `acc = Σ_j q(w_j, s_p) · x_j` (one `dot_const`), `out = floor((acc + 2^(s_p-1)) / 2^s_p)`
//! (one `div_round`, whose quotient and remainder are range-checked).

use onnx_import::eval::resize_taps;
use onnx_import::ir::Op;

use super::{arity, materialize, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::{pow2, quantize};

/// Evaluates Resize.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    let Op::Resize(attrs) = &cx.node.op else {
        return Err(CircuitError::unsupported(format!(
            "{} is not Resize",
            cx.node.op.name()
        )));
    };
    arity(inputs, 1)?;
    let x = materialize(b, cx.params, inputs[0])?;
    let (shape, taps) = resize_taps(attrs, &x.shape).map_err(CircuitError::unsupported)?;
    let sp = cx.params.param_scale;
    let mut data = Vec::with_capacity(taps.len());
    for t in &taps {
        let cell = match t.as_slice() {
            [(i, w)] if *w == 1.0 => x.data[*i].clone(),
            _ => {
                let xs: Vec<B::Cell> = t.iter().map(|&(i, _)| x.data[i].clone()).collect();
                let ws = t
                    .iter()
                    .map(|&(_, w)| quantize(w, sp, "Resize weight"))
                    .collect::<Result<Vec<_>>>()?;
                let acc = b.dot_const(&xs, &ws, 0)?;
                b.div_round(&acc, pow2(sp))?
            }
        };
        data.push(cell);
    }
    Ok(CellTensor { shape, data })
}
