//! Gemm, MatMul and Conv: dot products followed by one rescale.
//!
//! Fixed-point function (activation scale `s_a`, parameter scale `s_p`):
//! - activation × constant: `y = div_round(Σ x·q(w, s_p) + q(bias, s_a + s_p), 2^s_p)`;
//! - activation × activation: `y = div_round(Σ x·z + q(bias, 2·s_a), 2^s_a)`.
//!
//! Padded Conv taps contribute nothing and are skipped (no cells).

use onnx_import::eval::{broadcast_index, broadcast_shape};
use onnx_import::ir::{ConvAttrs, Op};

use super::{arity, cells, CellTensor, OpCtx, Operand};
use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::{pow2, quantize, quantize_all};

/// Dispatches Gemm, MatMul and Conv.
pub fn eval<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    match &cx.node.op {
        Op::Gemm {
            alpha,
            beta,
            trans_a,
            trans_b,
        } => gemm(b, cx, inputs, *alpha, *beta, *trans_a, *trans_b),
        Op::MatMul => matmul(b, cx, inputs),
        Op::Conv(attrs) => conv(b, cx, inputs, attrs),
        other => Err(CircuitError::unsupported(format!(
            "{} is not a linear op",
            other.name()
        ))),
    }
}

/// One factor of a product, ready for dot products.
enum Factor<'a, C> {
    Cells(&'a [C]),
    Const(Vec<i128>),
}

/// How a product of two factors is scaled.
struct Mode {
    /// Divisor of the final rescale.
    divisor: u64,
    /// Scale exponent of the accumulator (for the bias).
    acc_scale: u32,
}

fn factors<'a, C>(
    cx: &OpCtx<'_>,
    a: &Operand<'a, C>,
    bm: &Operand<'a, C>,
    alpha: f64,
) -> Result<(Factor<'a, C>, Factor<'a, C>, Mode)> {
    let p = cx.params;
    let const_mode = Mode {
        divisor: pow2(p.param_scale),
        acc_scale: p.input_scale + p.param_scale,
    };
    match (a, bm) {
        (Operand::Cells(x), Operand::Const(w)) => {
            let ws: Vec<f64> = w.data.iter().map(|v| v * alpha).collect();
            Ok((
                Factor::Cells(&x.data),
                Factor::Const(quantize_all(&ws, p.param_scale, "weight")?),
                const_mode,
            ))
        }
        (Operand::Const(w), Operand::Cells(x)) => {
            let ws: Vec<f64> = w.data.iter().map(|v| v * alpha).collect();
            Ok((
                Factor::Const(quantize_all(&ws, p.param_scale, "weight")?),
                Factor::Cells(&x.data),
                const_mode,
            ))
        }
        (Operand::Cells(x), Operand::Cells(z)) => {
            if alpha != 1.0 {
                return Err(CircuitError::unsupported(
                    "alpha != 1 with two runtime factors is not supported; fold alpha into a Mul",
                ));
            }
            Ok((
                Factor::Cells(&x.data),
                Factor::Cells(&z.data),
                Mode {
                    divisor: pow2(p.input_scale),
                    acc_scale: 2 * p.input_scale,
                },
            ))
        }
        (Operand::Const(_), Operand::Const(_)) => Err(CircuitError::unsupported(
            "product of two constants should have been constant-folded at import",
        )),
    }
}

/// `div_round(Σ_k lhs[ia(k)]·rhs[ib(k)] + bias, divisor)`.
#[allow(clippy::too_many_arguments)]
fn dot_rescale<B: Backend>(
    b: &mut B,
    lhs: &Factor<'_, B::Cell>,
    rhs: &Factor<'_, B::Cell>,
    ia: impl Fn(usize) -> usize,
    ib: impl Fn(usize) -> usize,
    len: usize,
    bias: i128,
    divisor: u64,
) -> Result<B::Cell> {
    let acc = match (lhs, rhs) {
        (Factor::Cells(x), Factor::Const(w)) => {
            let xs: Vec<_> = (0..len).map(|k| x[ia(k)].clone()).collect();
            let ws: Vec<_> = (0..len).map(|k| w[ib(k)]).collect();
            b.dot_const(&xs, &ws, bias)?
        }
        (Factor::Const(w), Factor::Cells(x)) => {
            let xs: Vec<_> = (0..len).map(|k| x[ib(k)].clone()).collect();
            let ws: Vec<_> = (0..len).map(|k| w[ia(k)]).collect();
            b.dot_const(&xs, &ws, bias)?
        }
        (Factor::Cells(x), Factor::Cells(z)) => {
            let xs: Vec<_> = (0..len).map(|k| x[ia(k)].clone()).collect();
            let zs: Vec<_> = (0..len).map(|k| z[ib(k)].clone()).collect();
            let d = b.dot(&xs, &zs)?;
            if bias != 0 {
                b.add_const(&d, bias)?
            } else {
                d
            }
        }
        (Factor::Const(_), Factor::Const(_)) => {
            return Err(CircuitError::unsupported("product of two constants"))
        }
    };
    b.div_round(&acc, divisor)
}

#[allow(clippy::too_many_arguments)]
fn gemm<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    alpha: f64,
    beta: f64,
    trans_a: bool,
    trans_b: bool,
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 2)?;
    let (sa, sb) = (inputs[0].shape(), inputs[1].shape());
    if sa.len() != 2 || sb.len() != 2 {
        return Err(CircuitError::unsupported("Gemm operands must be 2-D"));
    }
    let (m, k) = if trans_a {
        (sa[1], sa[0])
    } else {
        (sa[0], sa[1])
    };
    let (k2, n) = if trans_b {
        (sb[1], sb[0])
    } else {
        (sb[0], sb[1])
    };
    if k != k2 {
        return Err(CircuitError::unsupported(format!(
            "Gemm inner dims {k} and {k2} differ"
        )));
    }
    let (lhs, rhs, mode) = factors(cx, &inputs[0], &inputs[1], alpha)?;
    let bias: Vec<i128> = match inputs.get(2) {
        None => vec![0; m * n],
        Some(Operand::Const(c)) => {
            let mut out = Vec::with_capacity(m * n);
            for i in 0..m * n {
                let j = broadcast_index(i, &[m, n], &c.shape);
                let v = c.data.get(j).copied().unwrap_or(0.0) * beta;
                out.push(quantize(v, mode.acc_scale, "Gemm bias")?);
            }
            out
        }
        Some(Operand::Cells(_)) => {
            return Err(CircuitError::unsupported(
                "Gemm with a runtime bias C is not supported; use Gemm + Add",
            ))
        }
    };
    let mut data = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            let ia = |kk: usize| if trans_a { kk * m + i } else { i * k + kk };
            let ib = |kk: usize| if trans_b { j * k + kk } else { kk * n + j };
            data.push(dot_rescale(
                b,
                &lhs,
                &rhs,
                ia,
                ib,
                k,
                bias[i * n + j],
                mode.divisor,
            )?);
        }
    }
    Ok(CellTensor {
        shape: vec![m, n],
        data,
    })
}

fn matmul<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 2)?;
    let (sa, sb) = (inputs[0].shape().to_vec(), inputs[1].shape().to_vec());
    if sa.is_empty() || sb.is_empty() {
        return Err(CircuitError::unsupported("MatMul of a scalar"));
    }
    // 1-D promotion: a [K] -> [1, K]; b [K] -> [K, 1]; the promoted dims are dropped after.
    let a2 = if sa.len() == 1 {
        vec![1, sa[0]]
    } else {
        sa.clone()
    };
    let b2 = if sb.len() == 1 {
        vec![sb[0], 1]
    } else {
        sb.clone()
    };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != k2 {
        return Err(CircuitError::unsupported(format!(
            "MatMul inner dims {k} and {k2} differ"
        )));
    }
    let (ba, bb) = (&a2[..a2.len() - 2], &b2[..b2.len() - 2]);
    let batch = broadcast_shape(ba, bb).ok_or_else(|| {
        CircuitError::unsupported(format!(
            "MatMul batch dims {ba:?} and {bb:?} do not broadcast"
        ))
    })?;
    let nbatch: usize = batch.iter().product();
    let (lhs, rhs, mode) = factors(cx, &inputs[0], &inputs[1], 1.0)?;
    let mut data = Vec::with_capacity(nbatch * m * n);
    for bi in 0..nbatch {
        let oa = broadcast_index(bi, &batch, ba) * m * k;
        let ob = broadcast_index(bi, &batch, bb) * k * n;
        for i in 0..m {
            for j in 0..n {
                let ia = |kk: usize| oa + i * k + kk;
                let ib = |kk: usize| ob + kk * n + j;
                data.push(dot_rescale(b, &lhs, &rhs, ia, ib, k, 0, mode.divisor)?);
            }
        }
    }
    let mut shape = batch;
    if sa.len() > 1 {
        shape.push(m);
    }
    if sb.len() > 1 {
        shape.push(n);
    }
    Ok(CellTensor { shape, data })
}

fn conv<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    at: &ConvAttrs,
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 2)?;
    let p = cx.params;
    let x = cells(&inputs[0], "Conv input X")?;
    let Operand::Const(w) = &inputs[1] else {
        return Err(CircuitError::unsupported(
            "Conv with a runtime weight is not supported",
        ));
    };
    let [nb, c, h, wd] = dims4(&x.shape, "Conv input")?;
    let [m, cg, kh, kw] = dims4(&w.shape, "Conv weight")?;
    let g = at.group.max(1);
    if cg * g != c || m % g != 0 {
        return Err(CircuitError::unsupported(format!(
            "group={g} does not match {c} input channels and weight {:?}",
            w.shape
        )));
    }
    let qw = quantize_all(&w.data, p.param_scale, "Conv weight")?;
    let acc_scale = p.input_scale + p.param_scale;
    let qb: Vec<i128> = match inputs.get(2) {
        None => vec![0; m],
        Some(Operand::Const(t)) if t.data.len() == m => {
            quantize_all(&t.data, acc_scale, "Conv bias")?
        }
        Some(_) => {
            return Err(CircuitError::unsupported(
                "Conv bias must be a constant of shape [M]",
            ))
        }
    };
    let (oh, ow) = (out_dim(h, kh, at, 0)?, out_dim(wd, kw, at, 1)?);
    let mpg = m / g;
    let mut data = Vec::with_capacity(nb * m * oh * ow);
    for n in 0..nb {
        for oc in 0..m {
            let grp = oc / mpg;
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut xs = Vec::with_capacity(cg * kh * kw);
                    let mut ws = Vec::with_capacity(cg * kh * kw);
                    for ic in 0..cg {
                        let cin = grp * cg + ic;
                        for ky in 0..kh {
                            let iy = (oy * at.strides[0] + ky * at.dilations[0]) as isize
                                - at.pads[0] as isize;
                            if iy < 0 || iy >= h as isize {
                                continue;
                            }
                            for kx in 0..kw {
                                let ix = (ox * at.strides[1] + kx * at.dilations[1]) as isize
                                    - at.pads[1] as isize;
                                if ix < 0 || ix >= wd as isize {
                                    continue;
                                }
                                let xi = ((n * c + cin) * h + iy as usize) * wd + ix as usize;
                                xs.push(x.data[xi].clone());
                                ws.push(qw[((oc * cg + ic) * kh + ky) * kw + kx]);
                            }
                        }
                    }
                    let acc = b.dot_const(&xs, &ws, qb[oc])?;
                    data.push(b.div_round(&acc, pow2(p.param_scale))?);
                }
            }
        }
    }
    Ok(CellTensor {
        shape: vec![nb, m, oh, ow],
        data,
    })
}

/// The four dims of an NCHW / OIHW shape.
pub(crate) fn dims4(s: &[usize], what: &str) -> Result<[usize; 4]> {
    match s {
        [a, b, c, d] => Ok([*a, *b, *c, *d]),
        _ => Err(CircuitError::unsupported(format!(
            "{what} must be 4-D (NCHW), got {s:?}"
        ))),
    }
}

fn out_dim(size: usize, k: usize, at: &ConvAttrs, axis: usize) -> Result<usize> {
    let padded = size + at.pads[axis] + at.pads[axis + 2];
    let span = at.dilations[axis] * (k.max(1) - 1) + 1;
    if padded < span || at.strides[axis] == 0 {
        return Err(CircuitError::unsupported(
            "Conv kernel larger than the padded input",
        ));
    }
    Ok((padded - span) / at.strides[axis] + 1)
}
