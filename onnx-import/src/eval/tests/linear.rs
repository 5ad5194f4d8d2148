//! Gemm, MatMul, Conv and ConvTranspose against naive reference computations.

use super::{assert_close, rand_tensor, run, t, Arg};
use crate::ir::{ConvAttrs, ConvTransposeAttrs, Op, Pads, Tensor};

/// Every multi-index of `dims`, row-major.
pub(super) fn indices(dims: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for &d in dims {
        out = out
            .into_iter()
            .flat_map(|p| {
                (0..d).map(move |i| {
                    let mut q = p.clone();
                    q.push(i);
                    q
                })
            })
            .collect();
    }
    out
}

/// Row-major flat index of `idx` in `dims`.
pub(super) fn flat(idx: &[usize], dims: &[usize]) -> usize {
    idx.iter().zip(dims).fold(0, |acc, (&i, &d)| acc * d + i)
}

/// Direct N-D convolution over an explicitly zero-padded copy of the input.
fn naive_conv(x: &Tensor, w: &Tensor, b: Option<&Tensor>, a: &ConvAttrs) -> Tensor {
    let (n, c, sp) = (x.shape[0], x.shape[1], &x.shape[2..]);
    let (m, cg, ks) = (w.shape[0], w.shape[1], &w.shape[2..]);
    let padded_dims: Vec<usize> = (0..sp.len())
        .map(|i| sp[i] + a.pads.begin[i] + a.pads.end[i])
        .collect();
    let plane: usize = padded_dims.iter().product();
    let mut padded = vec![0.0; n * c * plane];
    for p in 0..n * c {
        for idx in indices(sp) {
            let q: Vec<usize> = idx.iter().zip(&a.pads.begin).map(|(i, b)| i + b).collect();
            padded[p * plane + flat(&q, &padded_dims)] =
                x.data[p * sp.iter().product::<usize>() + flat(&idx, sp)];
        }
    }
    let out_dims: Vec<usize> = (0..sp.len())
        .map(|i| (padded_dims[i] - (a.dilations[i] * (ks[i] - 1) + 1)) / a.strides[i] + 1)
        .collect();
    let mpg = m / a.group;
    let mut out = Vec::new();
    for bn in 0..n {
        for o in 0..m {
            for oi in indices(&out_dims) {
                let mut s = b.map_or(0.0, |b| b.data[o]);
                for i in 0..cg {
                    let ic = (o / mpg) * cg + i;
                    for ki in indices(ks) {
                        let q: Vec<usize> = (0..sp.len())
                            .map(|d| oi[d] * a.strides[d] + ki[d] * a.dilations[d])
                            .collect();
                        s += padded[(bn * c + ic) * plane + flat(&q, &padded_dims)]
                            * w.data[(o * cg + i) * ks.iter().product::<usize>() + flat(&ki, ks)];
                    }
                }
                out.push(s);
            }
        }
    }
    let mut shape = vec![n, m];
    shape.extend(out_dims);
    t(&shape, &out)
}

/// N-D transposed convolution by scattering every input element into the uncropped output,
/// then cropping the pads.
fn naive_conv_transpose(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    a: &ConvTransposeAttrs,
) -> Tensor {
    let (n, c, sp) = (x.shape[0], x.shape[1], &x.shape[2..]);
    let (mg, ks) = (w.shape[1], &w.shape[2..]);
    let m = mg * a.group;
    let cg = c / a.group;
    let full: Vec<usize> = (0..sp.len())
        .map(|i| {
            a.strides[i] * (sp[i] - 1) + a.output_padding[i] + a.dilations[i] * (ks[i] - 1) + 1
        })
        .collect();
    let fplane: usize = full.iter().product();
    let mut acc = vec![0.0; n * m * fplane];
    for bn in 0..n {
        for ic in 0..c {
            let grp = ic / cg;
            for ii in indices(sp) {
                let xv = x.data[(bn * c + ic) * sp.iter().product::<usize>() + flat(&ii, sp)];
                for oc in 0..mg {
                    for ki in indices(ks) {
                        let q: Vec<usize> = (0..sp.len())
                            .map(|d| ii[d] * a.strides[d] + ki[d] * a.dilations[d])
                            .collect();
                        let wv =
                            w.data[(ic * mg + oc) * ks.iter().product::<usize>() + flat(&ki, ks)];
                        acc[(bn * m + grp * mg + oc) * fplane + flat(&q, &full)] += xv * wv;
                    }
                }
            }
        }
    }
    let out_dims: Vec<usize> = (0..sp.len())
        .map(|i| full[i] - a.pads.begin[i] - a.pads.end[i])
        .collect();
    let mut out = Vec::new();
    for bn in 0..n {
        for o in 0..m {
            for oi in indices(&out_dims) {
                let q: Vec<usize> = oi.iter().zip(&a.pads.begin).map(|(i, p)| i + p).collect();
                out.push(
                    acc[(bn * m + o) * fplane + flat(&q, &full)] + b.map_or(0.0, |b| b.data[o]),
                );
            }
        }
    }
    let mut shape = vec![n, m];
    shape.extend(out_dims);
    t(&shape, &out)
}

/// One conv case: x shape, w shape, strides, pads (ONNX order), dilations, group, bias.
type ConvCase = (
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
    usize,
    bool,
);

#[test]
fn conv_matches_naive_reference_1d_2d_3d() {
    let cases: Vec<ConvCase> = vec![
        // 2-D
        (
            vec![1, 2, 6, 6],
            vec![3, 2, 3, 3],
            vec![1, 1],
            vec![1, 1, 1, 1],
            vec![1, 1],
            1,
            true,
        ),
        (
            vec![2, 2, 8, 7],
            vec![4, 2, 3, 3],
            vec![2, 2],
            vec![1, 1, 1, 1],
            vec![1, 1],
            1,
            true,
        ),
        (
            vec![1, 4, 6, 6],
            vec![4, 2, 3, 3],
            vec![1, 1],
            vec![1, 1, 1, 1],
            vec![1, 1],
            2,
            true,
        ),
        (
            vec![1, 1, 6, 6],
            vec![2, 1, 3, 3],
            vec![1, 1],
            vec![0, 0, 0, 0],
            vec![1, 1],
            1,
            false,
        ),
        (
            vec![1, 3, 9, 8],
            vec![6, 1, 3, 2],
            vec![2, 1],
            vec![2, 0, 1, 3],
            vec![2, 3],
            3,
            true,
        ),
        (
            vec![1, 2, 5, 5],
            vec![2, 2, 1, 1],
            vec![3, 2],
            vec![0, 1, 0, 1],
            vec![1, 1],
            1,
            false,
        ),
        // 1-D
        (
            vec![2, 4, 10],
            vec![3, 4, 3],
            vec![1],
            vec![0, 0],
            vec![1],
            1,
            true,
        ),
        (
            vec![1, 4, 10],
            vec![4, 2, 3],
            vec![2],
            vec![1, 2],
            vec![2],
            2,
            true,
        ),
        (
            vec![1, 4, 1],
            vec![2, 4, 5],
            vec![1],
            vec![2, 2],
            vec![1],
            1,
            false,
        ),
        // 3-D
        (
            vec![1, 2, 3, 4, 5],
            vec![2, 2, 2, 3, 2],
            vec![1, 1, 1],
            vec![0; 6],
            vec![1, 1, 1],
            1,
            true,
        ),
        (
            vec![1, 4, 5, 5, 4],
            vec![2, 2, 2, 2, 3],
            vec![2, 1, 2],
            vec![1, 0, 1, 0, 1, 2],
            vec![1, 2, 1],
            2,
            true,
        ),
    ];
    for (seed, (xs, ws, strides, pads, dilations, group, bias)) in cases.into_iter().enumerate() {
        let seed = seed as u64 * 3;
        let x = rand_tensor(&xs, seed);
        let w = rand_tensor(&ws, seed + 1);
        let b = bias.then(|| rand_tensor(&[ws[0]], seed + 2));
        let attrs = ConvAttrs {
            kernel: ws[2..].to_vec(),
            strides,
            pads: Pads::from_onnx(&pads),
            dilations,
            group,
        };
        let want = naive_conv(&x, &w, b.as_ref(), &attrs);
        assert_window_op(Op::Conv(attrs), x, w, b, &want);
    }
}

/// Runs `op` on runtime input `x`, constant weight `w` and optional constant bias `b`, and
/// checks the result against the reference `want`.
fn assert_window_op(op: Op, x: Tensor, w: Tensor, b: Option<Tensor>, want: &Tensor) {
    let mut args = vec![Arg::In(x), Arg::Const(w)];
    args.extend(b.map(Arg::Const));
    let got = run(op, args, &want.shape).unwrap();
    assert_close(&got, want);
}

/// One transposed-conv case: x shape, w shape, strides, pads, dilations, group,
/// output_padding, bias.
type ConvTCase = (
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
    usize,
    Vec<usize>,
    bool,
);

#[test]
fn conv_transpose_matches_scatter_reference_1d_2d_3d() {
    let cases: Vec<ConvTCase> = vec![
        // The pytorch-converted test_ConvTranspose2d geometry (smaller input).
        (
            vec![1, 3, 4, 3],
            vec![3, 2, 3, 3],
            vec![3, 2],
            vec![1, 1, 1, 1],
            vec![1, 1],
            1,
            vec![1, 1],
            true,
        ),
        (
            vec![2, 2, 3, 3],
            vec![2, 3, 2, 2],
            vec![1, 1],
            vec![0; 4],
            vec![1, 1],
            1,
            vec![0, 0],
            false,
        ),
        (
            vec![1, 4, 3, 2],
            vec![4, 1, 3, 2],
            vec![2, 2],
            vec![0, 1, 1, 0],
            vec![2, 1],
            2,
            vec![1, 0],
            true,
        ),
        // Stride larger than the kernel: holes get only the bias.
        (
            vec![1, 1, 3],
            vec![1, 2, 1],
            vec![3],
            vec![0, 0],
            vec![1],
            1,
            vec![2],
            true,
        ),
        (
            vec![1, 2, 5],
            vec![2, 2, 3],
            vec![2],
            vec![1, 2],
            vec![1],
            1,
            vec![1],
            true,
        ),
        (
            vec![1, 2, 2, 3, 2],
            vec![2, 1, 2, 2, 3],
            vec![2, 1, 2],
            vec![0, 1, 0, 1, 0, 1],
            vec![1, 1, 2],
            2,
            vec![1, 0, 0],
            true,
        ),
    ];
    for (seed, (xs, ws, strides, pads, dilations, group, output_padding, bias)) in
        cases.into_iter().enumerate()
    {
        let seed = 100 + seed as u64 * 3;
        let x = rand_tensor(&xs, seed);
        let w = rand_tensor(&ws, seed + 1);
        let b = bias.then(|| rand_tensor(&[ws[1] * group], seed + 2));
        let attrs = ConvTransposeAttrs {
            kernel: ws[2..].to_vec(),
            strides,
            pads: Pads::from_onnx(&pads),
            dilations,
            group,
            output_padding,
        };
        let want = naive_conv_transpose(&x, &w, b.as_ref(), &attrs);
        assert_window_op(Op::ConvTranspose(attrs), x, w, b, &want);
    }
}

#[test]
fn gemm_transposes_and_bias_broadcast() {
    let a = rand_tensor(&[3, 4], 1); // A' = A^T is [4, 3] when trans_a
    let b = rand_tensor(&[5, 3], 2); // B' = B^T is [3, 5] when trans_b
    for (c_shape, alpha, beta) in [
        (vec![5], 1.0, 1.0),
        (vec![4, 1], 0.5, 2.0),
        (vec![], 1.0, -1.0),
    ] {
        let c = rand_tensor(&c_shape, 3);
        let op = Op::Gemm {
            alpha,
            beta,
            trans_a: true,
            trans_b: true,
        };
        let got = run(
            op,
            vec![
                Arg::In(a.clone()),
                Arg::Const(b.clone()),
                Arg::Const(c.clone()),
            ],
            &[4, 5],
        )
        .unwrap();
        for i in 0..4 {
            for j in 0..5 {
                let dot: f64 = (0..3).map(|p| a.data[p * 4 + i] * b.data[j * 3 + p]).sum();
                let cv = match c_shape.len() {
                    0 => c.data[0],
                    1 => c.data[j],
                    _ => c.data[i],
                };
                let want = alpha * dot + beta * cv;
                assert!((got.data[i * 5 + j] - want).abs() < 1e-12);
            }
        }
    }
    // No C, no transposes.
    let a = t(&[1, 2], &[1.0, 2.0]);
    let b = t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let op = Op::Gemm {
        alpha: 1.0,
        beta: 1.0,
        trans_a: false,
        trans_b: false,
    };
    let got = run(op, vec![Arg::In(a), Arg::Const(b)], &[1, 2]).unwrap();
    assert_eq!(got.data, vec![7.0, 10.0]);
}

/// Naive batched matmul of already-promoted, equal-batch 3-D operands.
fn mm(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    out
}

#[test]
fn matmul_numpy_semantics() {
    // 1-D promotions.
    let v = t(&[3], &[1.0, 2.0, 3.0]);
    let m = rand_tensor(&[3, 2], 4);
    let got = run(
        Op::MatMul,
        vec![Arg::In(v.clone()), Arg::Const(m.clone())],
        &[2],
    )
    .unwrap();
    assert_close(&got, &t(&[2], &mm(&v.data, &m.data, 1, 3, 2)));
    let m2 = rand_tensor(&[2, 3], 5);
    let got = run(
        Op::MatMul,
        vec![Arg::In(m2.clone()), Arg::Const(v.clone())],
        &[2],
    )
    .unwrap();
    assert_close(&got, &t(&[2], &mm(&m2.data, &v.data, 2, 3, 1)));
    let got = run(
        Op::MatMul,
        vec![Arg::In(v.clone()), Arg::In(v.clone())],
        &[],
    )
    .unwrap();
    assert_eq!(got.data, vec![14.0]);
    // Batch broadcast: [2,1,3,4] x [5,4,2] -> [2,5,3,2].
    let a = rand_tensor(&[2, 1, 3, 4], 6);
    let b = rand_tensor(&[5, 4, 2], 7);
    let got = run(
        Op::MatMul,
        vec![Arg::In(a.clone()), Arg::In(b.clone())],
        &[2, 5, 3, 2],
    )
    .unwrap();
    let mut want = Vec::new();
    for i in 0..2 {
        for j in 0..5 {
            want.extend(mm(
                &a.data[i * 12..(i + 1) * 12],
                &b.data[j * 8..(j + 1) * 8],
                3,
                4,
                2,
            ));
        }
    }
    assert_close(&got, &t(&[2, 5, 3, 2], &want));
    // 3-D x 2-D constant.
    let a = rand_tensor(&[2, 4, 8], 8);
    let w = rand_tensor(&[8, 4], 9);
    let got = run(
        Op::MatMul,
        vec![Arg::In(a.clone()), Arg::Const(w.clone())],
        &[2, 4, 4],
    )
    .unwrap();
    let mut want = mm(&a.data[..32], &w.data, 4, 8, 4);
    want.extend(mm(&a.data[32..], &w.data, 4, 8, 4));
    assert_close(&got, &t(&[2, 4, 4], &want));
    // Mismatched inner dimension is an error.
    assert!(run(
        Op::MatMul,
        vec![
            Arg::In(rand_tensor(&[2, 3], 1)),
            Arg::In(rand_tensor(&[2, 3], 2))
        ],
        &[2, 3]
    )
    .is_err());
}
