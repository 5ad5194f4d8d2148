//! Per-op circuit checks of the normalization family and the norm-like reductions (see
//! `op_harness`): Softmax / LogSoftmax over several axes (and the pre-opset-13 2-D
//! coercion), LayerNormalization (axis −1 / −2, constant and runtime parameters, constant
//! rows), InstanceNormalization, LRN, ReduceL2 and ReduceLogSumExp; plus exact rounding checks
//! and large-`B` runs on the native backend.
//!
//! Stated bounds (rel-L2 against float on inputs in [−2, 2], at the calibrated scale):
//! Softmax / LogSoftmax / LogSumExp 1e-2, LayerNorm / InstanceNorm 1e-2, ReduceL2 1e-2,
//! LRN 1e-2 (the calibrator itself aims for 1e-3 and raises the scale until it gets there).
#![allow(clippy::unwrap_used, missing_docs)]

mod op_harness;

use circuits::fixed::eval_fixed;
use circuits::quant::QuantParams;
use onnx_import::eval::eval_graph;
use onnx_import::ir::{Op, ReduceKind};
use op_harness::{check_op, op_graph, random_inputs, t, Check, In};

fn check_with(op: Op, inputs: Vec<In>, c: Check) -> op_harness::Checked {
    let g = op_graph(op, inputs);
    let r = check_op(&g, &c);
    assert!(r.tampered >= 3, "{r:?}");
    r
}

fn check(op: Op, inputs: Vec<In>) -> op_harness::Checked {
    check_with(
        op,
        inputs,
        Check {
            samples: 2,
            ..Check::default()
        },
    )
}

fn softmax(axis: usize, log: bool, coerce_2d: bool) -> Op {
    Op::Softmax {
        axis,
        log,
        coerce_2d,
    }
}

fn ln(axis: usize) -> Op {
    Op::LayerNormalization {
        axis,
        epsilon: 1e-5,
    }
}

fn seq(n: usize, a: f64, step: f64) -> Vec<f64> {
    (0..n).map(|i| a + step * i as f64).collect()
}

/// Largest rel-L2 of fixed point against float on `samples` random inputs at `params`.
fn native_error(op: Op, inputs: Vec<In>, params: &QuantParams, c: &Check) -> f64 {
    let g = op_graph(op, inputs);
    let mut worst = 0f64;
    for s in 0..c.samples {
        let input = random_inputs(&g, c, c.seed + s as u64);
        let fx = eval_fixed(&g, params, &input).unwrap();
        let fl = eval_graph(&g, &input).unwrap();
        let (a, b) = (&fx.outputs_float[0].data, &fl[0].data);
        let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
        let den: f64 = b.iter().map(|y| y * y).sum();
        worst = worst.max((num / den.max(1e-30)).sqrt());
    }
    worst
}

#[test]
fn softmax_over_each_axis() {
    for (shape, axis) in [(vec![3, 4], 0), (vec![3, 4], 1), (vec![2, 3, 4], 1)] {
        let r = check(softmax(axis, false, false), vec![In::Runtime(shape)]);
        assert!(r.rel_l2 <= 1e-2, "{r:?}");
    }
}

#[test]
fn softmax_3d_last_axis_and_coerced_2d() {
    check(softmax(2, false, false), vec![In::Runtime(vec![2, 2, 3])]);
    check(softmax(0, false, false), vec![In::Runtime(vec![2, 2, 3])]);
    // Opset < 13: normalized jointly over axes 1 and 2.
    check(softmax(1, false, true), vec![In::Runtime(vec![2, 2, 3])]);
}

#[test]
fn log_softmax_axes() {
    check(softmax(1, true, false), vec![In::Runtime(vec![3, 4])]);
    check(softmax(0, true, false), vec![In::Runtime(vec![3, 4])]);
    check(softmax(1, true, true), vec![In::Runtime(vec![2, 2, 3])]);
}

#[test]
fn layer_norm_last_axis_constant_params() {
    let r = check(
        ln(2),
        vec![
            In::Runtime(vec![2, 3, 4]),
            In::Const(t(&[4], vec![1.0, 0.8, 1.2, -0.5])),
            In::Const(t(&[4], vec![0.1, -0.2, 0.0, 0.3])),
        ],
    );
    assert!(r.rel_l2 <= 1e-2, "{r:?}");
}

#[test]
fn layer_norm_axis_minus_two_and_no_bias() {
    // Normalized over [3, 4]; a scale broadcast from [1, 4].
    check(
        ln(1),
        vec![
            In::Runtime(vec![2, 3, 4]),
            In::Const(t(&[1, 4], vec![1.0, 0.8, 1.2, 0.9])),
            In::Const(t(&[3, 4], seq(12, -0.3, 0.05))),
        ],
    );
    check(
        ln(1),
        vec![
            In::Runtime(vec![3, 5]),
            In::Const(t(&[5], seq(5, 0.5, 0.2))),
        ],
    );
}

#[test]
fn layer_norm_runtime_scale_and_bias() {
    check_with(
        ln(1),
        vec![
            In::Runtime(vec![3, 4]),
            In::Runtime(vec![4]),
            In::Runtime(vec![4]),
        ],
        Check {
            samples: 2,
            range: (-1.5, 1.5),
            max_rel_l2: 2e-2,
            ..Check::default()
        },
    );
}

#[test]
fn layer_norm_constant_rows_use_epsilon() {
    // Every input equal: variance 0, so y = bias exactly (eps keeps the divisor positive).
    let op = ln(1);
    let g = op_graph(
        op,
        vec![
            In::Runtime(vec![2, 4]),
            In::Const(t(&[4], vec![1.0; 4])),
            In::Const(t(&[4], vec![0.25, -0.5, 0.0, 1.0])),
        ],
    );
    for s in [7u32, 8, 12] {
        let p = QuantParams::new(s, s, s + 8);
        let x = t(&[2, 4], vec![0.75; 8]);
        let fx = eval_fixed(&g, &p, &[x]).unwrap();
        assert_eq!(
            fx.outputs_float[0].data,
            vec![0.25, -0.5, 0.0, 1.0, 0.25, -0.5, 0.0, 1.0],
            "s={s}"
        );
    }
    // And through the whole harness (MockProver, tamper) with constant rows.
    check_with(
        ln(1),
        vec![
            In::Runtime(vec![2, 4]),
            In::Const(t(&[4], vec![1.0; 4])),
            In::Const(t(&[4], vec![0.25, -0.5, 0.0, 1.0])),
        ],
        Check {
            samples: 1,
            range: (0.5, 0.5),
            ..Check::default()
        },
    );
}

#[test]
fn layer_norm_large_bits_and_scale_stay_field_safe() {
    // Large B (and the largest scale): no overflow of the 120-bit bound, still accurate.
    let c = Check {
        samples: 3,
        range: (-100.0, 100.0),
        ..Check::default()
    };
    for (s, bits) in [(12u32, 48u32), (18, 40), (24, 40)] {
        let p = QuantParams::new(s, s, bits);
        let e = native_error(
            ln(1),
            vec![
                In::Runtime(vec![2, 64]),
                In::Const(t(&[64], seq(64, 0.5, 0.02))),
            ],
            &p,
            &c,
        );
        assert!(e < 1e-3, "s={s} B={bits}: rel-L2 {e}");
    }
}

#[test]
fn instance_norm() {
    let r = check(
        Op::InstanceNormalization { epsilon: 1e-5 },
        vec![
            In::Runtime(vec![2, 3, 4]),
            In::Const(t(&[3], vec![1.0, 0.5, -1.2])),
            In::Const(t(&[3], vec![0.0, 0.3, -0.1])),
        ],
    );
    assert!(r.rel_l2 <= 1e-2, "{r:?}");
    check(
        Op::InstanceNormalization { epsilon: 1e-3 },
        vec![
            In::Runtime(vec![1, 2, 2, 3]),
            In::Const(t(&[2], vec![0.7, 1.3])),
            In::Const(t(&[2], vec![0.2, -0.2])),
        ],
    );
}

#[test]
fn lrn_odd_and_even_windows() {
    for size in [3usize, 4] {
        check_with(
            Op::Lrn {
                size,
                alpha: 0.5,
                beta: 0.75,
                bias: 1.0,
            },
            vec![In::Runtime(vec![1, 5, 2, 2])],
            Check {
                samples: 2,
                ..Check::default()
            },
        );
    }
}

#[test]
fn reduce_l2() {
    for (axes, keepdims) in [(vec![1], true), (vec![0, 2], false)] {
        let r = check(
            Op::Reduce {
                kind: ReduceKind::L2,
                axes,
                keepdims,
            },
            vec![In::Runtime(vec![2, 3, 2])],
        );
        assert!(r.rel_l2 <= 1e-2, "{r:?}");
    }
}

#[test]
fn reduce_log_sum_exp() {
    for axes in [vec![1], vec![0, 2]] {
        check(
            Op::Reduce {
                kind: ReduceKind::LogSumExp,
                axes,
                keepdims: true,
            },
            vec![In::Runtime(vec![2, 3, 2])],
        );
    }
}

#[test]
fn softmax_rounding_is_half_up_of_e_d_over_s() {
    // Equal inputs: every e = D, S = n·D, so y = floor((2·D·D + n·D) / (2·n·D)) =
    // floor(D/n + 1/2): D/3 rounds, D/2 is exact.
    for n in [2usize, 3, 5] {
        let g = op_graph(softmax(1, false, false), vec![In::Runtime(vec![1, n])]);
        for s in [7u32, 10] {
            let p = QuantParams::new(s, s, s + 8);
            let fx = eval_fixed(&g, &p, &[t(&[1, n], vec![0.3; n])]).unwrap();
            let d = 1i128 << s;
            let want = (2 * d * d + n as i128 * d).div_euclid(2 * n as i128 * d);
            assert!(fx.outputs[0].data.iter().all(|&y| y == want), "n={n} s={s}");
        }
    }
}

#[test]
fn reduce_l2_is_correctly_rounded() {
    // ||(3, 4)|| = 5 exactly; ||(1, 1)|| = sqrt 2 rounded at s.
    let g = op_graph(
        Op::Reduce {
            kind: ReduceKind::L2,
            axes: vec![1],
            keepdims: false,
        },
        vec![In::Runtime(vec![2, 2])],
    );
    for s in [7u32, 12] {
        let p = QuantParams::new(s, s, s + 6);
        let fx = eval_fixed(&g, &p, &[t(&[2, 2], vec![3.0, 4.0, 1.0, 1.0])]).unwrap();
        let d = f64::from(s).exp2();
        assert_eq!(fx.outputs[0].data[0], 5 * (1i128 << s));
        assert_eq!(fx.outputs[0].data[1], (2f64.sqrt() * d).round() as i128);
    }
}
