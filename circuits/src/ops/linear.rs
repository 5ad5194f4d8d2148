//! Gemm, MatMul, Conv and ConvTranspose (N-D): dot products followed by one rescale.
//!
//! Fixed-point function (activation scale `s_a`, parameter scale `s_p`):
//! - activation × constant: `y = div_round(Σ x·q(w, s_p) + q(bias, s_a + s_p), 2^s_p)`;
//! - activation × activation: `y = div_round(Σ x·z + q(bias, 2·s_a), 2^s_a)`;
//! - Gemm with a runtime C adds `C·q(beta, acc_scale - s_a)` to the accumulator before the
//!   rescale (`acc_scale` is `s_a + s_p` or `2·s_a` as above).
//!
//! Padded Conv taps contribute nothing and are skipped (no cells); ConvTranspose gathers,
//! for each output element, the input activations that land on it.

use onnx_import::eval::{broadcast_index, broadcast_shape};
use onnx_import::ir::{ConvAttrs, ConvTransposeAttrs, Op};
use onnx_import::shapes::{ConvTerms, TransposeGeometry, WindowGeometry};

use super::{arity, cells, CellTensor, OpCtx, Operand};
use crate::backend::{Backend, ParamRole};
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
        Op::ConvTranspose(attrs) => conv_transpose(b, cx, inputs, attrs),
        other => Err(CircuitError::unsupported(format!(
            "{} is not a linear op",
            other.name()
        ))),
    }
}

/// One factor of a product, ready for dot products.
enum Factor<'a, C> {
    Cells(&'a [C]),
    /// Quantized model parameters, loaded with [`Backend::load_params`] from this index on.
    Param(usize),
}

/// How a product of two factors is scaled.
struct Mode {
    /// Divisor of the final rescale.
    divisor: u64,
    /// Scale exponent of the accumulator (for the bias).
    acc_scale: u32,
}

/// Both factors of a product and how it is scaled.
type Factors<'a, C> = (Factor<'a, C>, Factor<'a, C>, Mode);

fn factors<'a, B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    a: &Operand<'a, B::Cell>,
    bm: &Operand<'a, B::Cell>,
    alpha: f64,
) -> Result<Factors<'a, B::Cell>> {
    let p = cx.params;
    let const_mode = Mode {
        divisor: pow2(p.param_scale),
        acc_scale: p.input_scale + p.param_scale,
    };
    match (a, bm) {
        (Operand::Cells(x), Operand::Const(w)) => {
            let ws: Vec<f64> = w.data.iter().map(|v| v * alpha).collect();
            let q = quantize_all(&ws, p.param_scale, "weight")?;
            Ok((
                Factor::Cells(&x.data),
                Factor::Param(b.load_params(&q, ParamRole::Weight)?),
                const_mode,
            ))
        }
        (Operand::Const(w), Operand::Cells(x)) => {
            let ws: Vec<f64> = w.data.iter().map(|v| v * alpha).collect();
            let q = quantize_all(&ws, p.param_scale, "weight")?;
            Ok((
                Factor::Param(b.load_params(&q, ParamRole::Weight)?),
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
    bias: Option<usize>,
    divisor: u64,
) -> Result<B::Cell> {
    let acc = dot_acc(b, lhs, rhs, ia, ib, len, bias)?;
    b.div_round(&acc, divisor)
}

/// `Σ_k lhs[ia(k)]·rhs[ib(k)] + p[bias]`, before the rescale (`bias` indexes a loaded
/// parameter).
fn dot_acc<B: Backend>(
    b: &mut B,
    lhs: &Factor<'_, B::Cell>,
    rhs: &Factor<'_, B::Cell>,
    ia: impl Fn(usize) -> usize,
    ib: impl Fn(usize) -> usize,
    len: usize,
    bias: Option<usize>,
) -> Result<B::Cell> {
    let acc = match (lhs, rhs) {
        (Factor::Cells(x), Factor::Param(w)) => {
            let xs: Vec<_> = (0..len).map(|k| x[ia(k)].clone()).collect();
            let ws: Vec<_> = (0..len).map(|k| w + ib(k)).collect();
            b.dot_params(&xs, &ws, bias)?
        }
        (Factor::Param(w), Factor::Cells(x)) => {
            let xs: Vec<_> = (0..len).map(|k| x[ib(k)].clone()).collect();
            let ws: Vec<_> = (0..len).map(|k| w + ia(k)).collect();
            b.dot_params(&xs, &ws, bias)?
        }
        (Factor::Cells(x), Factor::Cells(z)) => {
            let xs: Vec<_> = (0..len).map(|k| x[ia(k)].clone()).collect();
            let zs: Vec<_> = (0..len).map(|k| z[ib(k)].clone()).collect();
            let d = b.dot(&xs, &zs)?;
            match bias {
                None => d,
                Some(i) if b.fixed_params() => match b.param_value(i)? {
                    0 => d,
                    v => b.add_const(&d, v)?,
                },
                Some(i) => {
                    // acc = Σ x·z + p[bias]
                    let pc = b.param_cell(i)?;
                    b.add(&d, &pc)?
                }
            }
        }
        (Factor::Param(_), Factor::Param(_)) => {
            return Err(CircuitError::unsupported("product of two constants"))
        }
    };
    Ok(acc)
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
    let (lhs, rhs, mode) = factors(b, cx, &inputs[0], &inputs[1], alpha)?;
    // Parameter index of each output's bias: C broadcast to [m, n], times beta.
    type BiasAt<'s> = Option<(usize, &'s [usize])>;
    let bias: BiasAt<'_> = match inputs.get(2) {
        Some(Operand::Const(c)) => {
            let q = c
                .data
                .iter()
                .map(|v| quantize(v * beta, mode.acc_scale, "Gemm bias"))
                .collect::<Result<Vec<_>>>()?;
            Some((b.load_params(&q, ParamRole::Bias)?, &c.shape))
        }
        // A runtime C is added to the accumulator below.
        None | Some(Operand::Cells(_)) => None,
    };
    let bias_of = |i: usize| -> Result<Option<usize>> {
        let Some((base, cshape)) = bias else {
            return Ok(None);
        };
        let j = broadcast_index(i, &[m, n], cshape);
        match inputs.get(2) {
            Some(Operand::Const(c)) if j < c.data.len() => Ok(Some(base + j)),
            _ => Err(CircuitError::unsupported(format!(
                "Gemm bias of shape {cshape:?} does not broadcast to [{m}, {n}]"
            ))),
        }
    };
    // Runtime C (scale s_a) enters the accumulator (scale acc_scale) as C·q(beta, acc - s_a).
    let runtime_c = match inputs.get(2) {
        Some(Operand::Cells(c)) => {
            let qbeta = quantize(beta, mode.acc_scale - cx.params.input_scale, "Gemm beta")?;
            Some((c, qbeta))
        }
        _ => None,
    };
    let mut data = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            let ia = |kk: usize| if trans_a { kk * m + i } else { i * k + kk };
            let ib = |kk: usize| if trans_b { j * k + kk } else { kk * n + j };
            let mut acc = dot_acc(b, &lhs, &rhs, ia, ib, k, bias_of(i * n + j)?)?;
            if let Some((c, qbeta)) = runtime_c {
                // acc += C[bcast(i, j)]·q(beta)
                let cij = &c.data[broadcast_index(i * n + j, &[m, n], &c.shape)];
                let t = b.mul_const(cij, qbeta)?;
                acc = b.add(&acc, &t)?;
            }
            data.push(b.div_round(&acc, mode.divisor)?);
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
    let (lhs, rhs, mode) = factors(b, cx, &inputs[0], &inputs[1], 1.0)?;
    let mut data = Vec::with_capacity(nbatch * m * n);
    for bi in 0..nbatch {
        let oa = broadcast_index(bi, &batch, ba) * m * k;
        let ob = broadcast_index(bi, &batch, bb) * k * n;
        for i in 0..m {
            for j in 0..n {
                let ia = |kk: usize| oa + i * k + kk;
                let ib = |kk: usize| ob + kk * n + j;
                data.push(dot_rescale(b, &lhs, &rhs, ia, ib, k, None, mode.divisor)?);
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

/// Splits an `[N, C, spatial...]` shape (rank >= 3).
pub(crate) fn batch_channels_spatial<'a>(
    s: &'a [usize],
    what: &str,
) -> Result<(usize, usize, &'a [usize])> {
    match s {
        [n, c, spatial @ ..] if !spatial.is_empty() => Ok((*n, *c, spatial)),
        _ => Err(CircuitError::unsupported(format!(
            "{what} must be [N, C, D1, ...] with at least one spatial axis, got {s:?}"
        ))),
    }
}

/// The constant weight (input 1) of a Conv / ConvTranspose; a runtime weight is refused.
fn const_weight<'a, C>(inputs: &[Operand<'a, C>], op: &str) -> Result<&'a onnx_import::ir::Tensor> {
    match inputs.get(1) {
        Some(Operand::Const(w)) => Ok(w),
        _ => Err(CircuitError::unsupported(format!(
            "{op} with a runtime weight W is not supported: the weight must be a model \
             constant (an initializer)"
        ))),
    }
}

/// The optional constant bias (input 2), quantized at the accumulator scale `s_a + s_p` and
/// loaded as parameters: the index of its first value.
fn const_bias<B: Backend>(
    b: &mut B,
    inputs: &[Operand<'_, B::Cell>],
    m: usize,
    acc_scale: u32,
    op: &str,
) -> Result<Option<usize>> {
    match inputs.get(2) {
        None => Ok(None),
        Some(Operand::Const(t)) if t.data.len() == m => {
            let q = quantize_all(&t.data, acc_scale, "bias")?;
            Ok(Some(b.load_params(&q, ParamRole::Bias)?))
        }
        Some(_) => Err(CircuitError::unsupported(format!(
            "{op} bias must be a constant of shape [{m}]"
        ))),
    }
}

/// The cells `[nb, m, out..]` of a (transposed) convolution: per output, one dot
/// product of its [`ConvTerms::terms`] (activations `xs` against the quantized weights loaded
/// from parameter `qw` on) with the channel's quantized bias (parameter `qb + channel`), then
/// `div_round` by `2^param_scale`.
#[allow(clippy::too_many_arguments)]
fn conv_dots<B: Backend>(
    b: &mut B,
    param_scale: u32,
    terms: &ConvTerms,
    xs: &[B::Cell],
    qw: usize,
    qb: Option<usize>,
    m: usize,
    nb: usize,
) -> Result<Vec<B::Cell>> {
    let mut data = Vec::with_capacity(nb * m * terms.output_len());
    for n in 0..nb {
        for oc in 0..m {
            for o in 0..terms.output_len() {
                let (x, w): (Vec<B::Cell>, Vec<usize>) = terms
                    .terms(n, oc, o)
                    .map(|(xi, wi)| (xs[xi].clone(), qw + wi))
                    .unzip();
                // acc = q(b) + Σ x·q(w)  (one dot product with the weights; just q(b) when no
                // input lands on this output)
                let acc = b.dot_params(&x, &w, qb.map(|q| q + oc))?;
                // y = floor((acc + 2^(s_p-1)) / 2^s_p), quotient and remainder range-checked
                data.push(b.div_round(&acc, pow2(param_scale))?);
            }
        }
    }
    Ok(data)
}

/// N-D Conv. Per output element:
/// `y = div_round(Σ_{c, k: tap on the input} x·q(w, s_p) + q(b, s_a + s_p), 2^s_p)`;
/// padded taps contribute nothing and get no cells.
fn conv<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    at: &ConvAttrs,
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 2)?;
    let p = cx.params;
    let x = cells(&inputs[0], "Conv input X")?;
    let w = const_weight(inputs, "Conv")?;
    let (nb, c, spatial) = batch_channels_spatial(&x.shape, "Conv input")?;
    let (m, cg, kshape) = batch_channels_spatial(&w.shape, "Conv weight")?;
    let g = at.group.max(1);
    if cg * g != c || m % g != 0 || kshape != at.kernel {
        return Err(CircuitError::unsupported(format!(
            "group={g} / kernel {:?} do not match {c} input channels and weight {:?}",
            at.kernel, w.shape
        )));
    }
    let geo = WindowGeometry::new(
        spatial,
        &at.kernel,
        &at.strides,
        &at.pads,
        &at.dilations,
        false,
    )
    .map_err(CircuitError::unsupported)?;
    let qw = b.load_params(
        &quantize_all(&w.data, p.param_scale, "Conv weight")?,
        ParamRole::Weight,
    )?;
    let qb = const_bias(b, inputs, m, p.input_scale + p.param_scale, "Conv")?;
    let terms = ConvTerms::conv(&geo, c, cg, m / g);
    let data = conv_dots(b, p.param_scale, &terms, &x.data, qw, qb, m, nb)?;
    let mut shape = vec![nb, m];
    shape.extend(&geo.output);
    Ok(CellTensor { shape, data })
}

/// N-D ConvTranspose. Each output element is a dot product of the input activations that
/// land on it with constant weights, then the same rescale as Conv:
/// `y[m, o] = div_round(Σ_{c, (i, k): i·stride + k·dilation - pad = o} x[c, i]·q(w[c, m, k], s_p)
/// + q(b[m], s_a + s_p), 2^s_p)`. An output no input reaches is `div_round(q(b), 2^s_p)`.
fn conv_transpose<B: Backend>(
    b: &mut B,
    cx: &OpCtx<'_>,
    inputs: &[Operand<'_, B::Cell>],
    at: &ConvTransposeAttrs,
) -> Result<CellTensor<B::Cell>> {
    arity(inputs, 2)?;
    let p = cx.params;
    let x = cells(&inputs[0], "ConvTranspose input X")?;
    let w = const_weight(inputs, "ConvTranspose")?;
    let (nb, c, spatial) = batch_channels_spatial(&x.shape, "ConvTranspose input")?;
    let (wc, mg, kshape) = batch_channels_spatial(&w.shape, "ConvTranspose weight")?;
    let g = at.group.max(1);
    if wc != c || c % g != 0 || kshape != at.kernel {
        return Err(CircuitError::unsupported(format!(
            "group={g} / kernel {:?} do not match {c} input channels and weight {:?}",
            at.kernel, w.shape
        )));
    }
    let m = mg * g;
    let geo = TransposeGeometry::new(
        spatial,
        &at.kernel,
        &at.strides,
        &at.pads,
        &at.dilations,
        &at.output_padding,
    )
    .map_err(CircuitError::unsupported)?;
    let qw = b.load_params(
        &quantize_all(&w.data, p.param_scale, "ConvTranspose weight")?,
        ParamRole::Weight,
    )?;
    let qb = const_bias(b, inputs, m, p.input_scale + p.param_scale, "ConvTranspose")?;
    let terms = ConvTerms::transpose(&geo, c, c / g, mg);
    let data = conv_dots(b, p.param_scale, &terms, &x.data, qw, qb, m, nb)?;
    let mut shape = vec![nb, m];
    shape.extend(&geo.output);
    Ok(CellTensor { shape, data })
}
