//! Per-op circuit checks of the lookup-free elementwise and activation ops (see
//! `op_harness`): MockProver satisfied, circuit == fixed-point evaluator, fixed point close
//! to float, tampered witnesses rejected. Plus exact checks of the rounding helpers on the
//! native backend (ties and negatives).
#![allow(clippy::unwrap_used, missing_docs)]

mod op_harness;

use circuits::native::NativeBackend;
use circuits::ops::elementwise::{ceil_fx, floor_fx, round_fx, sign_fx, trunc_fx};
use onnx_import::ir::{CastTarget, EinsumSpec, Op, VariadicOp};
use op_harness::{check_op, op_graph, t, Check, In};

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

/// Inputs with one decimal, so that halves (ties of Round) and integers occur.
fn coarse() -> Check {
    Check {
        samples: 2,
        range: (-3.0, 3.0),
        decimals: Some(1),
        ..Check::default()
    }
}

#[test]
fn rounding_helpers_are_exact_at_ties_and_negatives() {
    let mut b = NativeBackend::new(30);
    for s in [1u32, 2, 4, 8] {
        let d = 1i128 << s;
        // Every multiple of a quarter (of d) in [-6, 6], so ties and integers included.
        for k in -24 * d..=24 * d {
            if k % (d / 2).max(1) != 0 && k % 3 != 0 {
                continue;
            }
            let x = k as f64 / d as f64;
            let at = |v: f64| (v * d as f64) as i128;
            assert_eq!(
                round_fx(&mut b, &k, s).unwrap(),
                at(x.round_ties_even()),
                "round {x} s={s}"
            );
            assert_eq!(floor_fx(&mut b, &k, s).unwrap(), at(x.floor()), "floor {x}");
            assert_eq!(ceil_fx(&mut b, &k, s).unwrap(), at(x.ceil()), "ceil {x}");
            assert_eq!(trunc_fx(&mut b, &k, s).unwrap(), at(x.trunc()), "trunc {x}");
            assert_eq!(
                sign_fx(&mut b, &k, s).unwrap(),
                at(x.signum() * f64::from(u8::from(x != 0.0))),
                "sign {x}"
            );
        }
    }
}

#[test]
fn abs_sign_floor_ceil_round() {
    for op in [Op::Abs, Op::Sign, Op::Floor, Op::Ceil, Op::Round] {
        check_with(op, vec![In::Runtime(vec![2, 5])], coarse());
    }
}

#[test]
fn cast_truncates_to_integers_and_keeps_floats() {
    check_with(
        Op::Cast {
            to: CastTarget::Integer,
        },
        vec![In::Runtime(vec![8])],
        coarse(),
    );
    check(
        Op::Cast {
            to: CastTarget::Float32,
        },
        vec![In::Runtime(vec![4])],
    );
}

#[test]
fn variadic_sum_mean_max_min_broadcast() {
    for v in [
        VariadicOp::Sum,
        VariadicOp::Mean,
        VariadicOp::Max,
        VariadicOp::Min,
    ] {
        check(
            Op::Variadic(v),
            vec![
                In::Runtime(vec![2, 3]),
                In::Runtime(vec![3]),
                In::Const(t(&[2, 1], vec![0.5, -0.25])),
            ],
        );
    }
    check(Op::Variadic(VariadicOp::Max), vec![In::Runtime(vec![4])]);
}

#[test]
fn prelu_and_shrink() {
    check(
        Op::PRelu {
            slope: t(&[3, 1], vec![0.25, -0.5, 2.0]),
        },
        vec![In::Runtime(vec![2, 3, 2])],
    );
    check(
        Op::Shrink {
            lambd: 0.5,
            bias: 0.25,
        },
        vec![In::Runtime(vec![10])],
    );
}

#[test]
fn einsum_matmul_batched_and_bilinear() {
    // ij,jk->ik against a constant.
    check(
        Op::Einsum(EinsumSpec {
            equation: "ij,jk->ik".into(),
            inputs: vec![vec![0, 1], vec![1, 2]],
            output: vec![0, 2],
            dims: vec![2, 3, 2],
        }),
        vec![
            In::Runtime(vec![2, 3]),
            In::Const(t(&[3, 2], vec![0.5, -1.0, 0.25, 0.75, -0.5, 1.5])),
        ],
    );
    // bij,bjk->bik, two activations.
    check(
        Op::Einsum(EinsumSpec {
            equation: "bij,bjk->bik".into(),
            inputs: vec![vec![0, 1, 2], vec![0, 2, 3]],
            output: vec![0, 1, 3],
            dims: vec![2, 2, 3, 2],
        }),
        vec![In::Runtime(vec![2, 2, 3]), In::Runtime(vec![2, 3, 2])],
    );
    // bn,anm,bm->ba: activation × constant × activation.
    let w: Vec<f64> = (0..12).map(|i| (f64::from(i) * 0.7).sin()).collect();
    check(
        Op::Einsum(EinsumSpec {
            equation: "bn,anm,bm->ba".into(),
            inputs: vec![vec![0, 1], vec![2, 1, 3], vec![0, 3]],
            output: vec![0, 2],
            dims: vec![2, 3, 2, 2],
        }),
        vec![
            In::Runtime(vec![2, 3]),
            In::Const(t(&[2, 3, 2], w)),
            In::Runtime(vec![2, 2]),
        ],
    );
    // ii->i (diagonal) and a plain sum.
    check(
        Op::Einsum(EinsumSpec {
            equation: "ii->i".into(),
            inputs: vec![vec![0, 0]],
            output: vec![0],
            dims: vec![3],
        }),
        vec![In::Runtime(vec![3, 3])],
    );
}

#[test]
fn gemm_with_a_runtime_bias() {
    // C is the output of an earlier node at runtime (as PyTorch's opset-6 addmm exports).
    check(
        Op::Gemm {
            alpha: 1.0,
            beta: 0.5,
            trans_a: false,
            trans_b: true,
        },
        vec![
            In::Runtime(vec![2, 3]),
            In::Const(t(
                &[4, 3],
                (0..12).map(|i| f64::from(i) * 0.1 - 0.5).collect(),
            )),
            In::Runtime(vec![4]),
        ],
    );
    check(
        Op::Gemm {
            alpha: 1.0,
            beta: 1.0,
            trans_a: false,
            trans_b: false,
        },
        vec![
            In::Runtime(vec![2, 3]),
            In::Runtime(vec![3, 2]),
            In::Runtime(vec![2, 2]),
        ],
    );
}
