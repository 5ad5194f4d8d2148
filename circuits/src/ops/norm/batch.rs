//! BatchNormalization (inference) left standing when it could not be folded into a Conv/Gemm.
//!
//! Fixed-point function, per channel `c` (axis 1) with `a_c = scale_c / sqrt(var_c + eps)` and
//! `b_c = bias_c - mean_c · a_c`: `y = div_round(x·q(a_c, s_p) + q(b_c, s_a + s_p), 2^s_p)`.

use onnx_import::ir::Op;

use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::ops::{arity, cells, CellTensor, OpCtx, Operand};
use crate::quant::{pow2, quantize};

/// Evaluates BatchNormalization.
pub(super) fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    let Op::BatchNormalization { epsilon } = cx.node.op else {
        return Err(CircuitError::unsupported("not a BatchNormalization"));
    };
    arity(inputs, 5)?;
    let x = cells(&inputs[0], "BatchNormalization input")?;
    let mut params = Vec::with_capacity(4);
    for (i, what) in ["scale", "B", "mean", "var"].iter().enumerate() {
        match &inputs[i + 1] {
            Operand::Const(t) => params.push(&t.data),
            Operand::Cells(_) => {
                return Err(CircuitError::unsupported(format!(
                    "BatchNormalization {what} must be a constant"
                )))
            }
        }
    }
    let channels = x.shape.get(1).copied().unwrap_or(1);
    if params.iter().any(|p| p.len() != channels) {
        return Err(CircuitError::unsupported(
            "BatchNormalization parameters must have C elements",
        ));
    }
    let inner: usize = x.shape.iter().skip(2).product();
    let p = cx.params;
    let mut coef = Vec::with_capacity(channels);
    let [scale, shift, mean, var] = [params[0], params[1], params[2], params[3]];
    for (((s, sh), m), v) in scale.iter().zip(shift).zip(mean).zip(var) {
        let a = s / (v + epsilon).sqrt();
        let bias = sh - m * a;
        coef.push((
            quantize(a, p.param_scale, "BatchNormalization factor")?,
            quantize(
                bias,
                p.input_scale + p.param_scale,
                "BatchNormalization bias",
            )?,
        ));
    }
    let mut data = Vec::with_capacity(x.data.len());
    for (i, v) in x.data.iter().enumerate() {
        let (qa, qb) = coef[(i / inner.max(1)) % channels];
        let acc = b.dot_const(std::slice::from_ref(v), &[qa], qb)?;
        data.push(b.div_round(&acc, pow2(p.param_scale))?);
    }
    Ok(CellTensor {
        shape: x.shape.clone(),
        data,
    })
}
