//! The nonlinear family: a dense sweep of every function's fixed-point error on the native
//! backend against the float definition (`apply_fn`), asserting the bound its docs state,
//! and the per-op harness (MockProver, circuit == evaluator, accuracy, tamper) for each op.
#![allow(clippy::unwrap_used, missing_docs)]

mod op_harness;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::native::NativeBackend;
use circuits::ops::nonlinear::{apply, exp_nonpositive, pow, rsqrt, table_rows};
use circuits::ops::OpCtx;
use circuits::quant::QuantParams;
use onnx_import::eval::apply_fn;
use onnx_import::ir::{Node, Op, ScalarFn};
use op_harness::{check_op, op_graph, random_inputs, Check, In};

const SELU: ScalarFn = ScalarFn::Selu {
    alpha: 1.673_263_192_176_818_8,
    gamma: 1.050_701_022_148_132_3,
};

fn params(s: u32, bits: u32, range: Option<(f64, f64)>) -> QuantParams {
    let mut p = QuantParams::new(s, 16, bits);
    if let Some((a, b)) = range {
        let k = f64::from(s).exp2();
        p.ranges
            .insert(0, vec![[(a * k).floor() as i128, (b * k).ceil() as i128]]);
    }
    p
}

fn node(op: Op) -> Node {
    Node {
        name: "n".into(),
        op,
        inputs: vec![],
        outputs: vec![],
    }
}

/// Worst error (ulps) of `fx` against `fl` over every 7th fixed-point input of `[a, b]`
/// (skipping 0 when `skip0`), asserting `err ≤ bound(X)`.
fn sweep(
    what: &str,
    s: u32,
    (a, b): (f64, f64),
    skip0: bool,
    mut fx: impl FnMut(i128) -> i128,
    fl: impl Fn(f64) -> f64,
    bound: impl Fn(f64) -> f64,
) -> f64 {
    let k = f64::from(s).exp2();
    let mut worst = 0f64;
    let mut x = (a * k).round() as i128;
    while x <= (b * k).round() as i128 {
        if !(skip0 && x == 0) {
            let xf = x as f64 / k;
            let err = (fx(x) as f64 - fl(xf) * k).abs();
            assert!(
                err <= bound(xf) + 1e-9,
                "{what}: x = {xf}: error {err} ulps"
            );
            worst = worst.max(err);
        }
        x += 7;
    }
    worst
}

/// Sweeps `f` on `[a, b]` at `s_a = 10` and reports the table rows at 10 and 12.
fn sweep_fn(f: ScalarFn, dom: (f64, f64), data_dependent: bool, bound: f64) {
    let n = node(Op::Function(f));
    let range = data_dependent.then_some(dom);
    let mut rows = Vec::new();
    for s in [10, 12] {
        let p = params(s, 40, range);
        let cx = OpCtx {
            params: &p,
            node: &n,
            index: 0,
        };
        rows.push(table_rows(&cx, f, 0).unwrap());
    }
    let p = params(10, 40, range);
    let cx = OpCtx {
        params: &p,
        node: &n,
        index: 0,
    };
    let mut b = NativeBackend::new(40);
    let skip0 = matches!(f, ScalarFn::Reciprocal);
    let w = sweep(
        &format!("{f:?}"),
        10,
        dom,
        skip0,
        |x| apply(&mut b, &cx, f, 0, &x).unwrap(),
        |x| apply_fn(f, x),
        |_| bound,
    );
    eprintln!("{f:?}: rows at s=10/12 {rows:?}, worst {w:.3} ulps (bound {bound})");
}

#[test]
fn saturating_tables_meet_their_bound() {
    for f in [
        ScalarFn::Sigmoid,
        ScalarFn::Tanh,
        ScalarFn::Erf,
        ScalarFn::Softplus,
        ScalarFn::Gelu { tanh: false },
        ScalarFn::Gelu { tanh: true },
        ScalarFn::Mish,
        ScalarFn::Elu { alpha: 1.0 },
        ScalarFn::Elu { alpha: 0.5 },
        ScalarFn::Celu { alpha: 1.0 },
        ScalarFn::Celu { alpha: 2.0 },
    ] {
        sweep_fn(f, (-24.0, 24.0), false, 1.5);
    }
    // γ = q(γ, 16)/2^16 and a second rounding: 2 ulp + |X|·2^(10−16−1).
    sweep_fn(SELU, (-24.0, 24.0), false, 2.0 + 24.0 / 128.0);
}

#[test]
fn calibrated_tables_meet_their_bound() {
    sweep_fn(ScalarFn::Exp, (-16.0, 6.0), true, 1.5);
    sweep_fn(ScalarFn::Log, (1.0 / 64.0, 40.0), true, 1.5);
    sweep_fn(ScalarFn::Sin, (-9.0, 9.0), true, 1.5);
    sweep_fn(ScalarFn::Cos, (-9.0, 9.0), true, 1.5);
}

/// `(rows, worst error)` of `f` on `[a, b]` at scale `s` (range calibrated to `[a, b]`).
fn sweep_at(f: ScalarFn, dom: (f64, f64), s: u32, bits: u32, bound: f64) -> (usize, f64) {
    let n = node(Op::Function(f));
    let p = params(s, bits, Some(dom));
    let cx = OpCtx {
        params: &p,
        node: &n,
        index: 0,
    };
    let rows = table_rows(&cx, f, 0).unwrap().unwrap();
    let mut b = NativeBackend::new(bits);
    let w = sweep(
        &format!("{f:?} at s = {s}"),
        s,
        dom,
        false,
        |x| apply(&mut b, &cx, f, 0, &x).unwrap(),
        |x| apply_fn(f, x),
        |_| bound,
    );
    (rows, w)
}

/// Log on `[2^-6, 2^6]` and Exp on `[−16, 6]` by range reduction: ≤ 1.5 ulp, ≤ 1024 rows
/// at both scales; narrow domains keep their (small) direct table.
#[test]
fn wide_log_and_exp_are_range_reduced() {
    for s in [10, 12, 14] {
        for (f, dom) in [
            (ScalarFn::Log, (1.0 / 64.0, 64.0)),
            (ScalarFn::Log, (1.0 / 64.0, 40.0)),
            (ScalarFn::Exp, (-16.0, 6.0)),
        ] {
            let (rows, w) = sweep_at(f, dom, s, 40, 1.5);
            eprintln!("{f:?} on {dom:?} at s = {s}: {rows} rows, worst {w:.3} ulps");
            assert!(rows <= 1024, "{f:?} at s = {s}: {rows} rows");
        }
    }
    // A large bound and scale: still reduced and accurate; Log's one table grows as
    // 2^(s/2) (2048 rows at s = 20).
    let (rows, w) = sweep_at(ScalarFn::Log, (0.5, 2.0), 20, 60, 1.5);
    eprintln!("Log on [0.5, 2] at s = 20: {rows} rows, worst {w:.3} ulps");
    assert!(rows <= 2048);
    // Narrow: the direct table (fewer constraints per element) is kept.
    let (rows, _) = sweep_at(ScalarFn::Exp, (-1.0, 1.0), 10, 30, 1.5);
    assert!(rows <= 512, "{rows}");
}

#[test]
fn wide_log_and_exp_reject_outside_inputs() {
    let s = 10;
    for (f, dom, bad) in [
        (ScalarFn::Log, (1.0 / 64.0, 64.0), vec![-3i128, 0, 1 << 18]),
        (ScalarFn::Exp, (-16.0, 6.0), vec![9 << 10]),
    ] {
        let n = node(Op::Function(f));
        let p = params(s, 40, Some(dom));
        let cx = OpCtx {
            params: &p,
            node: &n,
            index: 0,
        };
        assert!(table_rows(&cx, f, 0).unwrap().unwrap() <= 1024);
        for x in bad {
            let e = apply(&mut NativeBackend::new(40), &cx, f, 0, &x).unwrap_err();
            assert!(e.to_string().contains("table"), "{f:?}({x}): {e}");
        }
        // Far below the domain Exp is clamped (e^x → 0), not an error.
        if f == ScalarFn::Exp {
            let y = apply(&mut NativeBackend::new(40), &cx, f, 0, &(-100 << 10)).unwrap();
            assert_eq!(y, 0);
        }
    }
}

#[test]
fn witness_functions_are_correctly_rounded() {
    sweep_fn(ScalarFn::Sqrt, (0.0, 100.0), false, 0.5);
    sweep_fn(ScalarFn::Reciprocal, (-40.0, 40.0), false, 0.5);
    sweep_fn(ScalarFn::Softsign, (-100.0, 100.0), false, 0.5);
    // α, 1/6 at s_p = 16: + |X|·2^(10−16−1) (≤ 0.04 here).
    let hs = ScalarFn::HardSigmoid {
        alpha: 0.2,
        beta: 0.5,
    };
    sweep_fn(hs, (-10.0, 10.0), false, 0.54);
    sweep_fn(ScalarFn::HardSwish, (-10.0, 10.0), false, 0.55);
}

#[test]
fn exp_nonpositive_and_rsqrt_meet_their_bound() {
    let n = node(Op::Function(ScalarFn::Exp));
    let p = params(10, 40, None);
    let cx = OpCtx {
        params: &p,
        node: &n,
        index: 0,
    };
    let mut b = NativeBackend::new(40);
    let w = sweep(
        "exp_nonpositive",
        10,
        (-40.0, 0.0),
        false,
        |x| exp_nonpositive(&mut b, &cx, &x).unwrap(),
        f64::exp,
        |_| 1.5,
    );
    eprintln!("exp_nonpositive: worst {w:.3} ulps");
    assert!(
        exp_nonpositive(&mut b, &cx, &1024).is_err(),
        "x = 1 is outside"
    );
    // k = min(8, (40 − 10)/2 − 1) extra bits: 0.5 + 2^-8 for X ≥ 1.
    let w = sweep(
        "rsqrt",
        10,
        (1.0, 200.0),
        false,
        |x| rsqrt(&mut b, &cx, &x).unwrap(),
        |x| 1.0 / x.sqrt(),
        |_| 0.5 + 1.0 / 256.0,
    );
    eprintln!("rsqrt: worst {w:.3} ulps");
}

#[test]
fn pow_meets_its_bound() {
    let s = 10;
    for (e, dom, bits) in [
        (2.0, (-30.0, 30.0), 24u32),
        (3.0, (-8.0, 8.0), 24),
        (4.0, (-4.0, 4.0), 24),
        (5.0, (-3.0, 3.0), 24),
        (0.0, (-3.0, 3.0), 24),
        (-2.0, (0.5, 4.0), 30),
        (1.5, (0.0, 8.0), 30),
        (0.5, (0.0, 8.0), 30),
        (-0.5, (1.0, 8.0), 30),
    ] {
        let n = node(Op::Pow { exponent: e });
        let p = params(s, bits, Some(dom));
        let cx = OpCtx {
            params: &p,
            node: &n,
            index: 0,
        };
        let mut b = NativeBackend::new(bits);
        let bound = |x: f64| match e {
            // 4 factors of 25 bits fit exactly; the fifth adds 0.5·|X| after a rescale.
            5.0 => 0.5 + 0.5 * x.abs(),
            // the reciprocal of x² (0.5 ulp off): + 0.5/X⁴.
            -2.0 => 0.5 + 0.5 / x.powi(4) + 0.01,
            1.5 => 1.5,
            -0.5 => 0.5 + 1.0 / 256.0,
            _ => 0.5,
        };
        let w = sweep(
            &format!("Pow {e}"),
            s,
            dom,
            false,
            |x| pow(&mut b, &cx, e, 0, &x).unwrap(),
            |x| x.powf(e),
            bound,
        );
        eprintln!("Pow {e}: worst {w:.3} ulps");
    }
    // A negative base with a non-integer exponent is outside the table.
    let n = node(Op::Pow { exponent: 1.5 });
    let p = params(s, 30, Some((0.0, 8.0)));
    let cx = OpCtx {
        params: &p,
        node: &n,
        index: 0,
    };
    assert!(pow(&mut NativeBackend::new(30), &cx, 1.5, 0, &-5).is_err());
}

#[test]
fn domain_errors_are_named() {
    let n = node(Op::Function(ScalarFn::Log));
    let p = params(10, 30, Some((0.5, 8.0)));
    let cx = OpCtx {
        params: &p,
        node: &n,
        index: 0,
    };
    let mut b = NativeBackend::new(30);
    let e = apply(&mut b, &cx, ScalarFn::Log, 0, &-3).unwrap_err();
    assert!(e.to_string().contains("Log"), "{e}");
    let e = apply(&mut b, &cx, ScalarFn::Reciprocal, 0, &0).unwrap_err();
    assert!(e.to_string().contains("division by 0"), "{e}");
    let e = apply(&mut b, &cx, ScalarFn::Sqrt, 0, &-1).unwrap_err();
    assert!(e.to_string().contains("negative"), "{e}");
}

fn check_fn(f: ScalarFn, range: (f64, f64)) {
    check_op_with(Op::Function(f), range, 1e-2);
}

fn check_op_with(op: Op, range: (f64, f64), max_rel_l2: f64) {
    let g = op_graph(op, vec![In::Runtime(vec![2, 5])]);
    let r = check_op(
        &g,
        &Check {
            samples: 2,
            range,
            max_rel_l2,
            ..Check::default()
        },
    );
    assert!(r.tampered >= 3, "{r:?}");
}

#[test]
fn circuit_sqrt_reciprocal_softsign() {
    check_fn(ScalarFn::Sqrt, (0.0, 9.0));
    check_fn(ScalarFn::Reciprocal, (0.25, 4.0));
    check_fn(ScalarFn::Softsign, (-6.0, 6.0));
}

#[test]
fn circuit_hard_sigmoid_hard_swish() {
    let hs = ScalarFn::HardSigmoid {
        alpha: 0.2,
        beta: 0.5,
    };
    check_fn(hs, (-4.0, 4.0));
    check_fn(ScalarFn::HardSwish, (-4.0, 4.0));
}

#[test]
fn circuit_integer_pow() {
    for e in [0.0, 2.0, 3.0, -1.0, 0.5, -0.5] {
        let range = if e == 0.5 || e < 0.0 {
            (0.5, 3.0)
        } else {
            (-2.0, 2.0)
        };
        check_op_with(Op::Pow { exponent: e }, range, 1e-2);
    }
}

#[test]
fn circuit_saturating_tables() {
    for f in [
        ScalarFn::Sigmoid,
        ScalarFn::Tanh,
        ScalarFn::Erf,
        ScalarFn::Softplus,
        ScalarFn::Gelu { tanh: false },
        ScalarFn::Gelu { tanh: true },
        ScalarFn::Mish,
        ScalarFn::Elu { alpha: 1.0 },
        SELU,
        ScalarFn::Celu { alpha: 1.0 },
    ] {
        check_fn(f, (-5.0, 5.0));
    }
}

#[test]
fn circuit_calibrated_tables() {
    check_fn(ScalarFn::Exp, (-3.0, 2.0));
    check_fn(ScalarFn::Log, (0.1, 5.0));
    check_fn(ScalarFn::Sin, (-4.0, 4.0));
    check_fn(ScalarFn::Cos, (-4.0, 4.0));
    check_op_with(Op::Pow { exponent: 1.5 }, (0.0, 4.0), 1e-2);
}

/// Log and Exp on wide domains, where calibration picks the range reduction: MockProver in
/// both layouts, circuit == evaluator, tamper of the comparisons, splits and lookups.
#[test]
fn circuit_wide_log_exp() {
    for (f, range) in [
        (ScalarFn::Log, (1.0 / 64.0, 40.0)),
        (ScalarFn::Exp, (-16.0, 6.0)),
    ] {
        check_fn(f, range);
        // The calibrated node uses the small reduced tables.
        let g = op_graph(Op::Function(f), vec![In::Runtime(vec![2, 5])]);
        let c = Check {
            samples: 2,
            range,
            ..Check::default()
        };
        let samples: Vec<_> = (0..2).map(|i| random_inputs(&g, &c, c.seed + i)).collect();
        let cal = calibrate(&g, &samples, &CalibrationOptions::default()).unwrap();
        let cx = OpCtx {
            params: &cal.params,
            node: &g.nodes[0],
            index: 0,
        };
        let rows = table_rows(&cx, f, 0).unwrap().unwrap();
        eprintln!(
            "{f:?} on {range:?}: s = {}, {rows} rows",
            cal.params.input_scale
        );
        assert!(rows <= 1024, "{rows}");
    }
}
