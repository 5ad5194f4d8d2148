//! Gemm, MatMul and Conv against naive reference computations.

use super::{assert_close, rand_tensor, run, t, Arg};
use crate::ir::{ConvAttrs, Op, Tensor};

/// Direct convolution over an explicitly zero-padded copy of the input.
fn naive_conv(x: &Tensor, w: &Tensor, b: Option<&Tensor>, a: &ConvAttrs) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
    let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3]);
    let [pt, pl, pb, pr] = a.pads;
    let (ph, pw) = (h + pt + pb, wd + pl + pr);
    let mut padded = vec![0.0; n * c * ph * pw];
    for i in 0..n * c {
        for y in 0..h {
            for xx in 0..wd {
                padded[(i * ph + y + pt) * pw + xx + pl] = x.data[(i * h + y) * wd + xx];
            }
        }
    }
    let eh = a.dilations[0] * (kh - 1) + 1;
    let ew = a.dilations[1] * (kw - 1) + 1;
    let oh = (ph - eh) / a.strides[0] + 1;
    let ow = (pw - ew) / a.strides[1] + 1;
    let mpg = m / a.group;
    let mut out = Vec::new();
    for bn in 0..n {
        for o in 0..m {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut s = b.map_or(0.0, |b| b.data[o]);
                    for i in 0..cg {
                        let ic = (o / mpg) * cg + i;
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let py = oy * a.strides[0] + ky * a.dilations[0];
                                let px = ox * a.strides[1] + kx * a.dilations[1];
                                s += padded[((bn * c + ic) * ph + py) * pw + px]
                                    * w.data[((o * cg + i) * kh + ky) * kw + kx];
                            }
                        }
                    }
                    out.push(s);
                }
            }
        }
    }
    t(&[n, m, oh, ow], &out)
}

#[test]
fn conv_matches_naive_reference() {
    let cases = [
        // (x shape, w shape, strides, pads, dilations, group, bias)
        (
            [1, 2, 6, 6],
            [3, 2, 3, 3],
            [1, 1],
            [1, 1, 1, 1],
            [1, 1],
            1,
            true,
        ),
        (
            [2, 2, 8, 7],
            [4, 2, 3, 3],
            [2, 2],
            [1, 1, 1, 1],
            [1, 1],
            1,
            true,
        ),
        (
            [1, 4, 6, 6],
            [4, 2, 3, 3],
            [1, 1],
            [1, 1, 1, 1],
            [1, 1],
            2,
            true,
        ),
        (
            [1, 1, 6, 6],
            [2, 1, 3, 3],
            [1, 1],
            [0, 0, 0, 0],
            [1, 1],
            1,
            false,
        ),
        (
            [1, 3, 9, 8],
            [6, 1, 3, 2],
            [2, 1],
            [2, 0, 1, 3],
            [2, 3],
            3,
            true,
        ),
        (
            [1, 2, 5, 5],
            [2, 2, 1, 1],
            [3, 2],
            [0, 1, 0, 1],
            [1, 1],
            1,
            false,
        ),
    ];
    for (seed, (xs, ws, strides, pads, dilations, group, bias)) in cases.into_iter().enumerate() {
        let seed = seed as u64 * 3;
        let x = rand_tensor(&xs, seed);
        let w = rand_tensor(&ws, seed + 1);
        let b = bias.then(|| rand_tensor(&[ws[0]], seed + 2));
        let attrs = ConvAttrs {
            kernel: [ws[2], ws[3]],
            strides,
            pads,
            dilations,
            group,
        };
        let want = naive_conv(&x, &w, b.as_ref(), &attrs);
        let mut args = vec![Arg::In(x), Arg::Const(w)];
        if let Some(b) = b {
            args.push(Arg::Const(b));
        }
        let got = run(Op::Conv(attrs), args, &want.shape).unwrap();
        assert_close(&got, &want);
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
