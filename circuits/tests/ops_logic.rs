//! Per-op circuit checks of comparisons, boolean logic, Where (`circuits/src/ops/logic.rs`),
//! Clip with runtime bounds, Div by a runtime tensor and GatherElements with runtime
//! indices, through `op_harness` (MockProver in both layouts, circuit == fixed-point
//! evaluator, fixed point == float, tampered witnesses rejected). Inputs with one decimal
//! make ties (equal operands) frequent. Plus exact native checks of the Div rounding
//! (ties, signs), the division-by-zero error, and witnesses forced with non-boolean inputs
//! or out-of-range indices, which MockProver must reject.
#![allow(clippy::unwrap_used, missing_docs)]

mod op_harness;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::fixed::eval_fixed;
use circuits::halo2::field::i128_to_fe;
use circuits::halo2::Halo2Backend;
use circuits::native::NativeBackend;
use circuits::ops::elementwise::div_cells;
use circuits::ops::{eval_node, CellTensor, Operand};
use circuits::quant::QuantParams;
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use onnx_import::ir::{CompareOp, Graph, LogicOp, Op, Tensor};
use op_harness::{check_op, op_graph, t, Check, In};

const CMPS: [CompareOp; 5] = [
    CompareOp::Less,
    CompareOp::LessOrEqual,
    CompareOp::Greater,
    CompareOp::GreaterOrEqual,
    CompareOp::Equal,
];

fn check(op: Op, inputs: Vec<In>, c: Check) -> op_harness::Checked {
    let g = op_graph(op, inputs);
    let r = check_op(&g, &c);
    assert!(r.tampered >= 3, "{r:?}");
    r
}

/// One decimal in [-0.5, 0.5]: 11 values, so equal pairs are common.
fn ties() -> Check {
    Check {
        samples: 2,
        range: (-0.5, 0.5),
        decimals: Some(1),
        ..Check::default()
    }
}

fn bools() -> Check {
    Check {
        samples: 2,
        int_range: (0, 1),
        ..Check::default()
    }
}

#[test]
fn comparisons_with_ties_and_broadcasting() {
    for op in CMPS {
        // Runtime [2, 4] against runtime [4] (broadcast rows).
        let r = check(
            Op::Compare(op),
            vec![In::Runtime(vec![2, 4]), In::Runtime(vec![4])],
            ties(),
        );
        // Booleans are exact: 0.0 / 1.0, no error at all.
        assert_eq!(r.rel_l2, 0.0, "{op:?}");
        // Against a constant threshold vector (hummingbird's `x < t`), with exact hits.
        check(
            Op::Compare(op),
            vec![In::Runtime(vec![3, 2]), In::Const(t(&[2], vec![0.2, -0.1]))],
            ties(),
        );
    }
}

#[test]
fn equal_on_integer_labels() {
    let r = check(
        Op::Compare(CompareOp::Equal),
        vec![
            In::Ints(vec![6]),
            In::Const(t(&[6], vec![0., 1., 2., 0., 1., 2.])),
        ],
        Check {
            samples: 3,
            int_range: (0, 2),
            ..Check::default()
        },
    );
    assert_eq!(r.rel_l2, 0.0);
}

#[test]
fn not_and_or_xor_on_booleans() {
    check(Op::Not, vec![In::Ints(vec![2, 3])], bools());
    for l in [LogicOp::And, LogicOp::Or, LogicOp::Xor] {
        let r = check(
            Op::Logic(l),
            vec![In::Ints(vec![2, 3]), In::Ints(vec![3])],
            bools(),
        );
        assert_eq!(r.rel_l2, 0.0, "{l:?}");
        // With a constant operand.
        check(
            Op::Logic(l),
            vec![In::Ints(vec![4]), In::Const(t(&[4], vec![0., 1., 1., 0.]))],
            bools(),
        );
    }
}

#[test]
fn where_selects_with_broadcasting() {
    // Runtime condition [2, 3] (a model input: it is boolean-checked), x [2, 3], y [3].
    check(
        Op::Where,
        vec![
            In::Ints(vec![2, 3]),
            In::Runtime(vec![2, 3]),
            In::Runtime(vec![3]),
        ],
        bools(),
    );
    // Constant condition and constant y.
    check(
        Op::Where,
        vec![
            In::Const(t(&[3], vec![1., 0., 1.])),
            In::Runtime(vec![2, 3]),
            In::Const(t(&[], vec![-0.75])),
        ],
        bools(),
    );
}

#[test]
fn clip_with_runtime_bounds() {
    let both = Op::ClipDynamic {
        has_min: true,
        has_max: true,
    };
    // Scalar bounds drawn like x (so lo > hi happens too: every value becomes hi).
    for seed in [1, 2, 3] {
        check(
            both.clone(),
            vec![
                In::Runtime(vec![2, 4]),
                In::Runtime(vec![]),
                In::Runtime(vec![1]),
            ],
            Check { seed, ..ties() },
        );
    }
    check(
        Op::ClipDynamic {
            has_min: true,
            has_max: false,
        },
        vec![In::Runtime(vec![5]), In::Runtime(vec![])],
        ties(),
    );
    // A runtime max with a constant min.
    check(
        both,
        vec![
            In::Runtime(vec![5]),
            In::Const(t(&[], vec![-0.3])),
            In::Runtime(vec![]),
        ],
        ties(),
    );
}

#[test]
fn div_by_a_runtime_tensor() {
    // Positive and negative divisors away from zero (dividends share the range), broadcast.
    for range in [(0.5, 2.0), (-2.0, -0.5)] {
        check(
            Op::Div,
            vec![In::Runtime(vec![2, 3]), In::Runtime(vec![3])],
            Check {
                samples: 2,
                range,
                ..Check::default()
            },
        );
    }
    // A constant dividend over a runtime divisor.
    check(
        Op::Div,
        vec![
            In::Const(t(&[3], vec![1.5, -0.25, 3.0])),
            In::Runtime(vec![2, 3]),
        ],
        Check {
            samples: 2,
            range: (0.5, 2.0),
            ..Check::default()
        },
    );
}

#[test]
fn div_rounds_half_up_for_every_sign() {
    let mut b = NativeBackend::new(30);
    for s in [0u32, 2, 4] {
        let one = 1i128 << s;
        for a in -40i128..=40 {
            for d in (-12i128..=12).filter(|&d| d != 0) {
                // Exact round half up of a·2^s/d: floor((2·a·2^s·sign + |d|) / (2|d|)).
                let (num, den) = if d < 0 { (-a * one, -d) } else { (a * one, d) };
                let want = (2 * num + den).div_euclid(2 * den);
                assert_eq!(div_cells(&mut b, &a, &d, s).unwrap(), want, "{a}/{d} s={s}");
            }
        }
    }
    // Ties: 0.25 / 2 = 0.125 at s = 2 is half a step: up to 1 (= 0.25); -0.125 up to 0.
    assert_eq!(div_cells(&mut b, &1, &8, 2).unwrap(), 1);
    assert_eq!(div_cells(&mut b, &-1, &8, 2).unwrap(), 0);
    assert_eq!(div_cells(&mut b, &1, &-8, 2).unwrap(), 0);
    assert_eq!(div_cells(&mut b, &-1, &-8, 2).unwrap(), 1);
}

#[test]
fn division_by_zero_names_the_node() {
    let g = op_graph(Op::Div, vec![In::Runtime(vec![2]), In::Runtime(vec![2])]);
    let samples = vec![vec![t(&[2], vec![1.0, -1.0]), t(&[2], vec![0.5, 2.0])]];
    let params = calibrate(&g, &samples, &CalibrationOptions::default())
        .unwrap()
        .params;
    let e = eval_fixed(
        &g,
        &params,
        &[t(&[2], vec![1.0, 1.0]), t(&[2], vec![0.5, 0.0])],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("Div_0") && e.contains("division by 0"), "{e}");
}

#[test]
fn gather_elements_runtime_indices() {
    let ints = |lo, hi| Check {
        samples: 2,
        int_range: (lo, hi),
        ..Check::default()
    };
    // Runtime data [3, 4] along axis 1 at indices [3, 2] (negatives wrap).
    let g = op_graph(
        Op::GatherElementsDynamic { axis: 1 },
        vec![In::Runtime(vec![3, 4]), In::Ints(vec![3, 2])],
    );
    assert_eq!(g.values[g.outputs[0]].shape, vec![3, 2]);
    let r = check_op(&g, &ints(-4, 3));
    assert!(r.tampered >= 3 && r.rel_l2 < 1e-2, "{r:?}");
    // Constant data along axis 0, indices [2, 4].
    let data = t(&[3, 4], (0..12).map(|v| v as f64 * 0.3 - 1.5).collect());
    check(
        Op::GatherElementsDynamic { axis: 0 },
        vec![In::Const(data), In::Ints(vec![2, 4])],
        ints(-3, 2),
    );
}

/// Lays out node 0 of `g` on a circuit backend with the runtime inputs given as raw
/// fixed-point witnesses (unchecked) and returns whether MockProver is satisfied.
fn forced(g: &Graph, params: &QuantParams, raw: &[Vec<i128>], lookups: bool) -> bool {
    const K: u32 = 12;
    let mut builder =
        BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Mock).use_k(K as usize);
    builder.set_lookup_bits(K as usize - 1);
    builder.set_instance_columns(1);
    let range = builder.range_chip();
    {
        let ctx = builder.main(0);
        let node = &g.nodes[0];
        let tensors: Vec<Option<CellTensor<_>>> = node
            .inputs
            .iter()
            .zip(raw)
            .map(|(&id, vals)| {
                g.constant(id).is_none().then(|| CellTensor {
                    shape: g.shape(id).to_vec(),
                    data: vals
                        .iter()
                        .map(|&v| ctx.load_witness(i128_to_fe(v)))
                        .collect(),
                })
            })
            .collect();
        let mut hb = Halo2Backend::new(ctx, &range, params.bits);
        if !lookups {
            hb = hb.without_lookups();
        }
        let ops: Vec<Operand<'_, _>> = node
            .inputs
            .iter()
            .zip(&tensors)
            .map(|(&id, t)| match t {
                Some(t) => Operand::Cells(t),
                None => Operand::Const(g.constant(id).unwrap()),
            })
            .collect();
        eval_node(&mut hb, params, node, 0, &ops).unwrap();
    }
    builder.calculate_params(Some(20));
    MockProver::run(K, &builder, vec![vec![]])
        .unwrap()
        .verify()
        .is_ok()
}

fn calibrated(op: Op, inputs: Vec<In>, samples: Vec<Vec<Tensor>>) -> (Graph, QuantParams) {
    let g = op_graph(op, inputs);
    let params = calibrate(&g, &samples, &CalibrationOptions::default())
        .unwrap()
        .params;
    (g, params)
}

#[test]
fn non_boolean_inputs_are_unsatisfiable() {
    let bool_in = vec![vec![t(&[2], vec![0.0, 1.0])]];
    let (g, p) = calibrated(Op::Not, vec![In::Ints(vec![2])], bool_in.clone());
    let one = 1i128 << p.input_scale;
    // Natively a non-boolean input is an error.
    let e = eval_fixed(&g, &p, &[t(&[2], vec![0.0, 2.0])]).unwrap_err();
    assert!(e.to_string().contains("neither 0 nor 1"), "{e}");
    for lookups in [true, false] {
        assert!(forced(&g, &p, &[vec![0, one]], lookups));
        for bad in [one / 2, 2 * one, -one, 1] {
            assert!(!forced(&g, &p, &[vec![0, bad]], lookups), "Not({bad})");
        }
    }
    // Where's runtime condition.
    let (g, p) = calibrated(
        Op::Where,
        vec![
            In::Ints(vec![2]),
            In::Runtime(vec![2]),
            In::Runtime(vec![2]),
        ],
        vec![vec![
            t(&[2], vec![0.0, 1.0]),
            t(&[2], vec![0.5, -0.5]),
            t(&[2], vec![0.25, 1.0]),
        ]],
    );
    let one = 1i128 << p.input_scale;
    let xy = vec![vec![one / 2, -one / 2], vec![one / 4, one]];
    for lookups in [true, false] {
        let mut ok = vec![vec![one, 0]];
        ok.extend(xy.clone());
        assert!(forced(&g, &p, &ok, lookups));
        let mut bad = vec![vec![one / 2, 0]];
        bad.extend(xy.clone());
        assert!(!forced(&g, &p, &bad, lookups), "Where cond one/2");
    }
    // And with a non-boolean operand.
    let (g, p) = calibrated(
        Op::Logic(LogicOp::And),
        vec![In::Ints(vec![1]), In::Ints(vec![1])],
        vec![vec![t(&[1], vec![1.0]), t(&[1], vec![1.0])]],
    );
    let one = 1i128 << p.input_scale;
    for lookups in [true, false] {
        assert!(forced(&g, &p, &[vec![one], vec![one]], lookups));
        assert!(!forced(&g, &p, &[vec![3 * one], vec![one]], lookups));
    }
}

#[test]
fn out_of_range_element_indices_are_rejected() {
    let (g, p) = calibrated(
        Op::GatherElementsDynamic { axis: 1 },
        vec![In::Runtime(vec![2, 3]), In::Ints(vec![2, 1])],
        vec![vec![
            t(&[2, 3], vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
            t(&[2, 1], vec![2.0, -3.0]),
        ]],
    );
    let data = t(&[2, 3], vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    let run = eval_fixed(&g, &p, &[data.clone(), t(&[2, 1], vec![-1.0, 1.0])]).unwrap();
    let got = &run.outputs_float[0].data;
    assert!(
        (got[0] - 0.3).abs() < 1e-2 && (got[1] - 0.5).abs() < 1e-2,
        "{got:?}"
    );
    let one = 1i128 << p.input_scale;
    let q: Vec<i128> = data
        .data
        .iter()
        .map(|v| (v * one as f64).round() as i128)
        .collect();
    for bad in [3.0, -4.0, 0.5] {
        let e = eval_fixed(&g, &p, &[data.clone(), t(&[2, 1], vec![0.0, bad])]).unwrap_err();
        assert!(
            e.to_string()
                .contains("index element 1 is not an integer in [-3, 3)"),
            "{e}"
        );
        for lookups in [true, false] {
            assert!(forced(&g, &p, &[q.clone(), vec![0, one]], lookups));
            let b = (bad * one as f64) as i128;
            assert!(!forced(&g, &p, &[q.clone(), vec![0, b]], lookups), "{bad}");
        }
    }
}
