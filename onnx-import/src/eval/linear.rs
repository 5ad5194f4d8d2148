//! Linear operators: Gemm, MatMul (numpy semantics), and N-D Conv and ConvTranspose
//! (1-D, 2-D, 3-D, ...), both walking the window taps of [`crate::shapes`].

use super::{broadcast_index, broadcast_shape, check_arity};
use crate::ir::{ConvAttrs, ConvTransposeAttrs, Tensor};
use crate::shapes::{ConvTerms, TransposeGeometry, WindowGeometry};

/// `Y = alpha * A' * B' + beta * C`, with `A'`/`B'` optionally transposed 2-D matrices and
/// `C` unidirectionally broadcast to `[M, N]`.
pub(super) fn gemm(
    alpha: f64,
    beta: f64,
    trans_a: bool,
    trans_b: bool,
    inputs: &[&Tensor],
) -> Result<Tensor, String> {
    check_arity(inputs, 2, 3)?;
    let (a, b) = (inputs[0], inputs[1]);
    let [ar, ac] = a.shape[..] else {
        return Err(format!("A must be 2-D, got shape {:?}", a.shape));
    };
    let [br, bc] = b.shape[..] else {
        return Err(format!("B must be 2-D, got shape {:?}", b.shape));
    };
    let (m, k) = if trans_a { (ac, ar) } else { (ar, ac) };
    let (kb, n) = if trans_b { (bc, br) } else { (br, bc) };
    if k != kb {
        return Err(format!(
            "inner dimensions differ: A' is [{m}, {k}], B' is [{kb}, {n}]"
        ));
    }
    let a_at = |i: usize, p: usize| {
        if trans_a {
            a.data[p * ac + i]
        } else {
            a.data[i * ac + p]
        }
    };
    let b_at = |p: usize, j: usize| {
        if trans_b {
            b.data[j * bc + p]
        } else {
            b.data[p * bc + j]
        }
    };
    let out_shape = vec![m, n];
    let c = inputs.get(2).copied();
    if let Some(c) = c {
        if broadcast_shape(&c.shape, &out_shape).as_deref() != Some(&out_shape[..]) {
            return Err(format!(
                "C of shape {:?} does not broadcast to [{m}, {n}]",
                c.shape
            ));
        }
    }
    let mut data = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            let acc: f64 = (0..k).map(|p| a_at(i, p) * b_at(p, j)).sum();
            let mut y = alpha * acc;
            if let Some(c) = c {
                y += beta * c.data[broadcast_index(i * n + j, &out_shape, &c.shape)];
            }
            data.push(y);
        }
    }
    Ok(Tensor {
        shape: out_shape,
        data,
    })
}

/// Numpy `matmul`: 1-D operands are promoted (a leading / trailing 1 that is removed again),
/// and the batch dimensions broadcast.
pub(super) fn matmul(inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 2, 2)?;
    let (a, b) = (inputs[0], inputs[1]);
    if a.shape.is_empty() || b.shape.is_empty() {
        return Err("MatMul operands must have rank >= 1".to_string());
    }
    let a_shape: Vec<usize> = if a.shape.len() == 1 {
        vec![1, a.shape[0]]
    } else {
        a.shape.clone()
    };
    let b_shape: Vec<usize> = if b.shape.len() == 1 {
        vec![b.shape[0], 1]
    } else {
        b.shape.clone()
    };
    let (ra, rb) = (a_shape.len(), b_shape.len());
    let (m, k) = (a_shape[ra - 2], a_shape[ra - 1]);
    let (kb, n) = (b_shape[rb - 2], b_shape[rb - 1]);
    if k != kb {
        return Err(format!(
            "inner dimensions differ: {:?} x {:?}",
            a.shape, b.shape
        ));
    }
    let a_batch = &a_shape[..ra - 2];
    let b_batch = &b_shape[..rb - 2];
    let batch = broadcast_shape(a_batch, b_batch).ok_or_else(|| {
        format!(
            "batch dimensions of {:?} and {:?} do not broadcast",
            a.shape, b.shape
        )
    })?;
    let nbatch: usize = batch.iter().product();
    let mut data = Vec::with_capacity(nbatch * m * n);
    for bi in 0..nbatch {
        let a_off = broadcast_index(bi, &batch, a_batch) * m * k;
        let b_off = broadcast_index(bi, &batch, b_batch) * k * n;
        for i in 0..m {
            for j in 0..n {
                data.push(
                    (0..k)
                        .map(|p| a.data[a_off + i * k + p] * b.data[b_off + p * n + j])
                        .sum(),
                );
            }
        }
    }
    let mut shape = batch;
    if a.shape.len() > 1 {
        shape.push(m);
    }
    if b.shape.len() > 1 {
        shape.push(n);
    }
    Ok(Tensor { shape, data })
}

/// Splits an `[N, C, spatial...]` shape (rank >= 3).
pub(super) fn batch_channels_spatial<'a>(
    shape: &'a [usize],
    what: &str,
) -> Result<(usize, usize, &'a [usize]), String> {
    match shape {
        [n, c, spatial @ ..] if !spatial.is_empty() => Ok((*n, *c, spatial)),
        _ => Err(format!(
            "{what} must be [N, C, D1, ...] with at least one spatial axis, got shape {shape:?}"
        )),
    }
}

/// N-D convolution: X `[N, C, D...]`, W `[M, C / group, k...]`, optional bias `[M]`.
/// `y[n, m, o] = b[m] + Σ_{c in m's group, k} x[n, c, o·stride + k·dilation - pad_begin] ·
/// w[m, c, k]`, padded taps contributing zero.
pub(super) fn conv(attrs: &ConvAttrs, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 2, 3)?;
    let (x, w) = (inputs[0], inputs[1]);
    let (n, c, spatial) = batch_channels_spatial(&x.shape, "X")?;
    let (m, cg, kshape) = batch_channels_spatial(&w.shape, "W")?;
    let g = attrs.group;
    if g == 0 || c % g != 0 || m % g != 0 || cg != c / g {
        return Err(format!(
            "group {g} does not fit X channels {c} and W shape {:?}",
            w.shape
        ));
    }
    if attrs.kernel != kshape {
        return Err(format!(
            "kernel_shape {:?} differs from the weight's spatial dims {kshape:?}",
            attrs.kernel
        ));
    }
    if let Some(bias) = inputs.get(2) {
        if bias.shape != [m] {
            return Err(format!("bias must have shape [{m}], got {:?}", bias.shape));
        }
    }
    let geo = WindowGeometry::new(
        spatial,
        &attrs.kernel,
        &attrs.strides,
        &attrs.pads,
        &attrs.dilations,
        false,
    )?;
    let terms = ConvTerms::conv(&geo, c, cg, m / g);
    let data = conv_sum(&terms, x, w, inputs.get(2).copied(), n, m);
    let mut shape = vec![n, m];
    shape.extend(&geo.output);
    Ok(Tensor { shape, data })
}

/// The row-major data `[n, m, out..]` of a (transposed) convolution: each output is the float
/// sum of its [`ConvTerms::terms`] plus the bias of its channel (zero without one).
fn conv_sum(
    terms: &ConvTerms,
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    n: usize,
    m: usize,
) -> Vec<f64> {
    let mut data = Vec::with_capacity(n * m * terms.output_len());
    for b in 0..n {
        for oc in 0..m {
            let bias = bias.map_or(0.0, |t| t.data[oc]);
            for o in 0..terms.output_len() {
                let acc = terms
                    .terms(b, oc, o)
                    .fold(0.0f64, |acc, (xi, wi)| acc + x.data[xi] * w.data[wi]);
                data.push(acc + bias);
            }
        }
    }
    data
}

/// N-D transposed convolution: X `[N, C, D...]`, W `[C, M / group, k...]`, optional bias
/// `[M]`. Input element `i` of channel `c` adds `x·w[c, m, k]` to output
/// `i·stride + k·dilation - pad_begin` of every output channel `m` of its group.
pub(super) fn conv_transpose(
    attrs: &ConvTransposeAttrs,
    inputs: &[&Tensor],
) -> Result<Tensor, String> {
    check_arity(inputs, 2, 3)?;
    let (x, w) = (inputs[0], inputs[1]);
    let (n, c, spatial) = batch_channels_spatial(&x.shape, "X")?;
    let (wc, mg, kshape) = batch_channels_spatial(&w.shape, "W")?;
    let g = attrs.group;
    if g == 0 || wc != c || c % g != 0 {
        return Err(format!(
            "group {g} does not fit X channels {c} and W shape {:?}",
            w.shape
        ));
    }
    if attrs.kernel != kshape {
        return Err(format!(
            "kernel_shape {:?} differs from the weight's spatial dims {kshape:?}",
            attrs.kernel
        ));
    }
    let m = mg * g;
    if let Some(bias) = inputs.get(2) {
        if bias.shape != [m] {
            return Err(format!("bias must have shape [{m}], got {:?}", bias.shape));
        }
    }
    let geo = TransposeGeometry::new(
        spatial,
        &attrs.kernel,
        &attrs.strides,
        &attrs.pads,
        &attrs.dilations,
        &attrs.output_padding,
    )?;
    let terms = ConvTerms::transpose(&geo, c, c / g, mg);
    let data = conv_sum(&terms, x, w, inputs.get(2).copied(), n, m);
    let mut shape = vec![n, m];
    shape.extend(&geo.output);
    Ok(Tensor { shape, data })
}
