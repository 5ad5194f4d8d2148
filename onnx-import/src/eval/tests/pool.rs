//! MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool, 1-D to 3-D, against a naive
//! reference that pads explicitly (as ONNX's reference implementation does).

use super::linear::{flat, indices};
use super::{assert_close, rand_tensor, run, t, Arg};
use crate::ir::{Op, Pads, PoolAttrs, Tensor};

fn attrs(kernel: usize, stride: usize, pad: usize, include: bool) -> PoolAttrs {
    PoolAttrs {
        kernel: vec![kernel, kernel],
        strides: vec![stride, stride],
        pads: Pads::uniform(2, pad),
        dilations: vec![1, 1],
        count_include_pad: include,
        ceil_mode: false,
    }
}

/// 3x3 plane 1..=9 with a 3x3 window, stride 1, pads 1: corner and centre cells.
#[test]
fn average_pool_both_pad_modes() {
    let x = t(
        &[1, 1, 3, 3],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    );
    let excl = run(
        Op::AveragePool(attrs(3, 1, 1, false)),
        vec![Arg::In(x.clone())],
        &[1, 1, 3, 3],
    )
    .unwrap();
    let incl = run(
        Op::AveragePool(attrs(3, 1, 1, true)),
        vec![Arg::In(x)],
        &[1, 1, 3, 3],
    )
    .unwrap();
    // Top-left window covers 1, 2, 4, 5 (4 real cells of 9).
    assert!((excl.data[0] - 12.0 / 4.0).abs() < 1e-12);
    assert!((incl.data[0] - 12.0 / 9.0).abs() < 1e-12);
    // Top-middle: 1..=6 (6 real cells).
    assert!((excl.data[1] - 21.0 / 6.0).abs() < 1e-12);
    assert!((incl.data[1] - 21.0 / 9.0).abs() < 1e-12);
    // Centre: the full plane in both modes.
    assert!((excl.data[4] - 5.0).abs() < 1e-12);
    assert!((incl.data[4] - 5.0).abs() < 1e-12);
}

#[test]
fn average_pool_no_pad_stride2() {
    let x = rand_tensor(&[1, 2, 4, 4], 3);
    let got = run(
        Op::AveragePool(attrs(2, 2, 0, false)),
        vec![Arg::In(x.clone())],
        &[1, 2, 2, 2],
    )
    .unwrap();
    let at = |c: usize, y: usize, xx: usize| x.data[(c * 4 + y) * 4 + xx];
    for c in 0..2 {
        for oy in 0..2 {
            for ox in 0..2 {
                let s = at(c, 2 * oy, 2 * ox)
                    + at(c, 2 * oy + 1, 2 * ox)
                    + at(c, 2 * oy, 2 * ox + 1)
                    + at(c, 2 * oy + 1, 2 * ox + 1);
                assert!((got.data[(c * 2 + oy) * 2 + ox] - s / 4.0).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn max_pool_ignores_padding() {
    // All negative: if padded zeros took part, the border outputs would be 0.
    let x = t(
        &[1, 1, 3, 3],
        &[-9.0, -8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0],
    );
    let got = run(
        Op::MaxPool(attrs(3, 2, 1, false)),
        vec![Arg::In(x)],
        &[1, 1, 2, 2],
    )
    .unwrap();
    // Windows centred on (0,0), (0,2), (2,0), (2,2).
    assert_eq!(got.data, vec![-5.0, -4.0, -2.0, -1.0]);
}

#[test]
fn max_pool_with_dilation() {
    let x = t(
        &[1, 1, 4, 4],
        &(0..16).map(|v| ((v * 7) % 16) as f64).collect::<Vec<_>>(),
    );
    let mut a = attrs(2, 1, 0, false);
    a.dilations = vec![2, 2];
    let got = run(Op::MaxPool(a), vec![Arg::In(x.clone())], &[1, 1, 2, 2]).unwrap();
    for oy in 0..2 {
        for ox in 0..2 {
            let cells =
                [(0, 0), (0, 2), (2, 0), (2, 2)].map(|(dy, dx)| x.data[(oy + dy) * 4 + ox + dx]);
            let want = cells.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(got.data[oy * 2 + ox], want);
        }
    }
}

#[test]
fn global_average_pool_keeps_unit_dims() {
    let x = rand_tensor(&[2, 3, 4, 5], 11);
    let got = run(
        Op::GlobalAveragePool,
        vec![Arg::In(x.clone())],
        &[2, 3, 1, 1],
    )
    .unwrap();
    let want: Vec<f64> = x
        .data
        .chunks(20)
        .map(|p| p.iter().sum::<f64>() / 20.0)
        .collect();
    assert_close(&got, &t(&[2, 3, 1, 1], &want));
}

#[test]
fn pool_window_larger_than_input_is_an_error() {
    let x = rand_tensor(&[1, 1, 2, 2], 1);
    assert!(run(
        Op::MaxPool(attrs(3, 1, 0, false)),
        vec![Arg::In(x)],
        &[1, 1, 1, 1]
    )
    .is_err());
}

/// Naive N-D pooling in the manner of ONNX's reference implementation: the input is
/// embedded in a padded array whose cells are `Some(x)` on the input and `None` on padding;
/// window `o` reads padded cells `o·stride + k·dilation` that lie inside it (ceil mode's
/// overhang is outside the array). The output size is computed independently here.
fn naive_pool(x: &Tensor, a: &PoolAttrs, is_max: bool) -> Tensor {
    let (n, c, sp) = (x.shape[0], x.shape[1], &x.shape[2..]);
    let r = sp.len();
    let pd: Vec<usize> = (0..r)
        .map(|i| sp[i] + a.pads.begin[i] + a.pads.end[i])
        .collect();
    let out: Vec<usize> = (0..r)
        .map(|i| {
            let span = a.dilations[i] * (a.kernel[i] - 1) + 1;
            let f = (pd[i] - span) as f64 / a.strides[i] as f64 + 1.0;
            if a.ceil_mode {
                let o = f.ceil() as usize;
                if (o - 1) * a.strides[i] >= sp[i] + a.pads.begin[i] {
                    o - 1
                } else {
                    o
                }
            } else {
                f.floor() as usize
            }
        })
        .collect();
    let in_len: usize = sp.iter().product();
    let mut data = Vec::new();
    for p in 0..n * c {
        let mut padded: Vec<Option<f64>> = vec![None; pd.iter().product()];
        for idx in indices(sp) {
            let q: Vec<usize> = idx.iter().zip(&a.pads.begin).map(|(i, b)| i + b).collect();
            padded[flat(&q, &pd)] = Some(x.data[p * in_len + flat(&idx, sp)]);
        }
        for oi in indices(&out) {
            let mut cells = Vec::new();
            for ki in indices(&a.kernel) {
                let q: Vec<usize> = (0..r)
                    .map(|d| oi[d] * a.strides[d] + ki[d] * a.dilations[d])
                    .collect();
                if q.iter().zip(&pd).all(|(q, p)| q < p) {
                    cells.push(padded[flat(&q, &pd)]);
                }
            }
            let real: Vec<f64> = cells.iter().flatten().copied().collect();
            data.push(if is_max {
                real.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            } else if a.count_include_pad {
                real.iter().sum::<f64>() / cells.len() as f64
            } else {
                real.iter().sum::<f64>() / real.len() as f64
            });
        }
    }
    let mut shape = vec![n, c];
    shape.extend(out);
    t(&shape, &data)
}

/// x shape, kernel, strides, pads (ONNX order), dilations, count_include_pad, ceil_mode.
type PoolCase = (
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
    bool,
    bool,
);

#[test]
fn pools_match_naive_reference_1d_2d_3d_and_ceil_mode() {
    let cases: Vec<PoolCase> = vec![
        (
            vec![2, 3, 6],
            vec![2],
            vec![2],
            vec![0, 0],
            vec![1],
            false,
            false,
        ),
        (
            vec![1, 2, 7],
            vec![3],
            vec![2],
            vec![1, 1],
            vec![1],
            true,
            true,
        ),
        (
            vec![1, 2, 8],
            vec![3],
            vec![3],
            vec![1, 0],
            vec![2],
            false,
            true,
        ),
        (
            vec![1, 2, 5, 5],
            vec![2, 2],
            vec![2, 2],
            vec![0; 4],
            vec![1, 1],
            false,
            true,
        ),
        (
            vec![1, 2, 6, 5],
            vec![3, 2],
            vec![2, 2],
            vec![1, 0, 1, 1],
            vec![1, 1],
            true,
            true,
        ),
        (
            vec![1, 1, 7, 7],
            vec![3, 3],
            vec![2, 2],
            vec![1, 1, 1, 1],
            vec![2, 1],
            true,
            false,
        ),
        (
            vec![2, 3, 4, 4, 4],
            vec![2, 2, 2],
            vec![2, 2, 2],
            vec![0; 6],
            vec![1, 1, 1],
            false,
            false,
        ),
        (
            vec![1, 2, 5, 5, 5],
            vec![2, 2, 2],
            vec![2, 2, 2],
            vec![1; 6],
            vec![1, 1, 1],
            true,
            false,
        ),
        (
            vec![1, 2, 5, 4, 5],
            vec![3, 2, 2],
            vec![2, 2, 3],
            vec![1, 0, 0, 1, 1, 1],
            vec![1, 1, 1],
            true,
            true,
        ),
    ];
    for (i, (xs, kernel, strides, pads, dilations, include, ceil)) in cases.into_iter().enumerate()
    {
        let x = rand_tensor(&xs, 40 + i as u64);
        let a = PoolAttrs {
            kernel,
            strides,
            pads: Pads::from_onnx(&pads),
            dilations,
            count_include_pad: include,
            ceil_mode: ceil,
        };
        for is_max in [true, false] {
            let want = naive_pool(&x, &a, is_max);
            let op = if is_max {
                Op::MaxPool(a.clone())
            } else {
                Op::AveragePool(a.clone())
            };
            let got = run(op, vec![Arg::In(x.clone())], &want.shape)
                .unwrap_or_else(|e| panic!("case {i} (max: {is_max}): {e}"));
            assert_close(&got, &want);
        }
    }
}

/// ceil_mode on 1..=5 with kernel 2, stride 2: the last window holds one cell, and with
/// count_include_pad it still divides by 1 (the overhang is not padding).
#[test]
fn ceil_mode_last_window_is_partial() {
    let x = t(&[1, 1, 5], &[1.0, 2.0, 3.0, 4.0, 5.0]);
    let mut a = PoolAttrs {
        kernel: vec![2],
        strides: vec![2],
        pads: Pads::zeros(1),
        dilations: vec![1],
        count_include_pad: true,
        ceil_mode: true,
    };
    let avg = run(
        Op::AveragePool(a.clone()),
        vec![Arg::In(x.clone())],
        &[1, 1, 3],
    )
    .unwrap();
    assert_eq!(avg.data, vec![1.5, 3.5, 5.0]);
    a.ceil_mode = false;
    let max = run(Op::MaxPool(a), vec![Arg::In(x)], &[1, 1, 2]).unwrap();
    assert_eq!(max.data, vec![2.0, 4.0]);
}

#[test]
fn padding_only_windows() {
    let x = t(&[1, 1, 2], &[3.0, 5.0]);
    let mut a = PoolAttrs {
        kernel: vec![1],
        strides: vec![1],
        pads: Pads::uniform(1, 1),
        dilations: vec![1],
        count_include_pad: true,
        ceil_mode: false,
    };
    let avg = run(
        Op::AveragePool(a.clone()),
        vec![Arg::In(x.clone())],
        &[1, 1, 4],
    )
    .unwrap();
    assert_eq!(avg.data, vec![0.0, 3.0, 5.0, 0.0]);
    assert!(run(Op::MaxPool(a.clone()), vec![Arg::In(x.clone())], &[1, 1, 4]).is_err());
    a.count_include_pad = false;
    assert!(run(Op::AveragePool(a), vec![Arg::In(x)], &[1, 1, 4]).is_err());
}

#[test]
fn global_pools_1d_3d() {
    for shape in [vec![2, 3, 7], vec![1, 2, 3, 4, 5]] {
        let x = rand_tensor(&shape, 5);
        let len: usize = shape[2..].iter().product();
        let mut out_shape = shape[..2].to_vec();
        out_shape.extend(std::iter::repeat_n(1, shape.len() - 2));
        let avg = run(Op::GlobalAveragePool, vec![Arg::In(x.clone())], &out_shape).unwrap();
        let max = run(Op::GlobalMaxPool, vec![Arg::In(x.clone())], &out_shape).unwrap();
        let want_avg: Vec<f64> = x
            .data
            .chunks(len)
            .map(|p| p.iter().sum::<f64>() / len as f64)
            .collect();
        let want_max: Vec<f64> = x
            .data
            .chunks(len)
            .map(|p| p.iter().copied().fold(f64::NEG_INFINITY, f64::max))
            .collect();
        assert_close(&avg, &t(&out_shape, &want_avg));
        assert_close(&max, &t(&out_shape, &want_max));
    }
}
