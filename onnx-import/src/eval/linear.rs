//! Linear operators: Gemm, MatMul (numpy semantics) and 2-D Conv.

use super::{broadcast_index, broadcast_shape, check_arity};
use crate::ir::{ConvAttrs, Tensor};

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

/// Output size of a strided, padded, dilated window along one axis (floor mode), or `None`
/// when the dilated window does not fit into the padded input.
pub(crate) fn window_out_len(
    len: usize,
    pad_lo: usize,
    pad_hi: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
) -> Option<usize> {
    if kernel == 0 || stride == 0 || dilation == 0 {
        return None;
    }
    let span = dilation * (kernel - 1) + 1;
    let padded = len + pad_lo + pad_hi;
    (padded >= span).then(|| (padded - span) / stride + 1)
}

/// 2-D convolution: X `[N, C, H, W]`, W `[M, C / group, kh, kw]`, optional bias `[M]`.
pub(super) fn conv(attrs: &ConvAttrs, inputs: &[&Tensor]) -> Result<Tensor, String> {
    check_arity(inputs, 2, 3)?;
    let (x, w) = (inputs[0], inputs[1]);
    let [n, c, h, wd] = x.shape[..] else {
        return Err(format!("X must be 4-D NCHW, got shape {:?}", x.shape));
    };
    let [m, cg, kh, kw] = w.shape[..] else {
        return Err(format!("W must be 4-D OIHW, got shape {:?}", w.shape));
    };
    let g = attrs.group;
    if g == 0 || c % g != 0 || m % g != 0 || cg != c / g {
        return Err(format!(
            "group {g} does not fit X channels {c} and W shape {:?}",
            w.shape
        ));
    }
    if attrs.kernel != [kh, kw] {
        return Err(format!(
            "kernel_shape {:?} differs from the weight's spatial dims [{kh}, {kw}]",
            attrs.kernel
        ));
    }
    if let Some(bias) = inputs.get(2) {
        if bias.shape != [m] {
            return Err(format!("bias must have shape [{m}], got {:?}", bias.shape));
        }
    }
    let [pt, pl, pb, pr] = attrs.pads;
    let [sh, sw] = attrs.strides;
    let [dh, dw] = attrs.dilations;
    let (Some(oh), Some(ow)) = (
        window_out_len(h, pt, pb, kh, sh, dh),
        window_out_len(wd, pl, pr, kw, sw, dw),
    ) else {
        return Err(format!(
            "window (kernel {:?}, dilations {:?}, strides {:?}) does not fit input {:?} with pads {:?}",
            attrs.kernel, attrs.dilations, attrs.strides, x.shape, attrs.pads
        ));
    };
    let m_per_group = m / g;
    let mut data = vec![0.0f64; n * m * oh * ow];
    for b in 0..n {
        for oc in 0..m {
            let grp = oc / m_per_group;
            let bias = inputs.get(2).map_or(0.0, |t| t.data[oc]);
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = 0.0f64;
                    for icg in 0..cg {
                        let ic = grp * cg + icg;
                        for ky in 0..kh {
                            // Padded coordinate minus the top pad; negative means padding.
                            let Some(iy) = (oy * sh + ky * dh).checked_sub(pt) else {
                                continue;
                            };
                            if iy >= h {
                                continue;
                            }
                            for kx in 0..kw {
                                let Some(ix) = (ox * sw + kx * dw).checked_sub(pl) else {
                                    continue;
                                };
                                if ix >= wd {
                                    continue;
                                }
                                let xv = x.data[((b * c + ic) * h + iy) * wd + ix];
                                let wv = w.data[((oc * cg + icg) * kh + ky) * kw + kx];
                                acc += xv * wv;
                            }
                        }
                    }
                    data[((b * m + oc) * oh + oy) * ow + ox] = acc + bias;
                }
            }
        }
    }
    Ok(Tensor {
        shape: vec![n, m, oh, ow],
        data,
    })
}
