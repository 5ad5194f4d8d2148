//! MaxPool, AveragePool and GlobalAveragePool.

use super::{assert_close, rand_tensor, run, t, Arg};
use crate::ir::{Op, PoolAttrs};

fn attrs(kernel: usize, stride: usize, pad: usize, include: bool) -> PoolAttrs {
    PoolAttrs {
        kernel: [kernel, kernel],
        strides: [stride, stride],
        pads: [pad; 4],
        dilations: [1, 1],
        count_include_pad: include,
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
    a.dilations = [2, 2];
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
