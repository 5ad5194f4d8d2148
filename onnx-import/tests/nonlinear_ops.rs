//! Import and float evaluation of the nonlinear family: attributes and their defaults, opset
//! gates, legacy `consumed_inputs`, and Pow's constant-exponent rules.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::op_graphs::*;
use common::*;
use onnx_import::ir::{Graph, Op, ScalarFn};
use onnx_import::ImportError;

fn unary(
    op: &str,
    opset: i64,
    attrs: Vec<onnx_protobuf::AttributeProto>,
) -> Result<Graph, ImportError> {
    import_op(op, "n", &[("x", &[4])], attrs, opset)
}

fn func(g: &Graph) -> ScalarFn {
    match g.nodes[0].op {
        Op::Function(f) => f,
        ref other => panic!("not a function: {other:?}"),
    }
}

const XS: [f64; 4] = [-1.5, -0.25, 0.5, 2.0];

#[test]
fn plain_functions_import_and_evaluate() {
    let cases: [(&str, i64, ScalarFn); 12] = [
        ("Sigmoid", 13, ScalarFn::Sigmoid),
        ("Tanh", 13, ScalarFn::Tanh),
        ("Exp", 13, ScalarFn::Exp),
        ("Log", 13, ScalarFn::Log),
        ("Sqrt", 13, ScalarFn::Sqrt),
        ("Reciprocal", 13, ScalarFn::Reciprocal),
        ("Erf", 13, ScalarFn::Erf),
        ("Softplus", 13, ScalarFn::Softplus),
        ("Softsign", 13, ScalarFn::Softsign),
        ("HardSwish", 14, ScalarFn::HardSwish),
        ("Mish", 18, ScalarFn::Mish),
        ("Sin", 7, ScalarFn::Sin),
    ];
    for (op, opset, f) in cases {
        let g = unary(op, opset, vec![]).unwrap();
        assert_eq!(func(&g), f, "{op}");
        let y = run(&g, &[t(&[4], &XS)]);
        for (a, x) in y[0].data.iter().zip(XS) {
            let want = onnx_import::eval::apply_fn(f, x);
            assert!(
                a.to_bits() == want.to_bits() || (a - want).abs() < 1e-15,
                "{op}({x})"
            );
        }
    }
    let y = run(&unary("Cos", 7, vec![]).unwrap(), &[t(&[4], &XS)]);
    assert!((y[0].data[2] - 0.5f64.cos()).abs() < 1e-15);
    let y = run(&unary("Erf", 9, vec![]).unwrap(), &[t(&[4], &XS)]);
    assert!((y[0].data[3] - 0.995_322_265_018_952_7).abs() < 1e-15);
}

#[test]
fn attributes_and_defaults() {
    let g = unary("Elu", 6, vec![]).unwrap();
    assert_eq!(func(&g), ScalarFn::Elu { alpha: 1.0 });
    let g = unary("Elu", 6, vec![a_float("alpha", 0.5)]).unwrap();
    assert_eq!(func(&g), ScalarFn::Elu { alpha: 0.5 });
    let g = unary("Selu", 6, vec![]).unwrap();
    assert_eq!(
        func(&g),
        ScalarFn::Selu {
            alpha: f64::from(1.673_263_2_f32),
            gamma: f64::from(1.050_701_f32)
        }
    );
    let g = unary("Celu", 12, vec![]).unwrap();
    assert_eq!(func(&g), ScalarFn::Celu { alpha: 1.0 });
    assert!(unary("Celu", 12, vec![a_float("alpha", 0.0)]).is_err());
    let g = unary("HardSigmoid", 6, vec![]).unwrap();
    assert_eq!(
        func(&g),
        ScalarFn::HardSigmoid {
            alpha: 0.2,
            beta: 0.5
        }
    );
    let g = unary(
        "HardSigmoid",
        6,
        vec![a_float("alpha", 0.25), a_float("beta", 0.25)],
    )
    .unwrap();
    assert_eq!(
        func(&g),
        ScalarFn::HardSigmoid {
            alpha: 0.25,
            beta: 0.25
        }
    );
    let y = run(&g, &[t(&[4], &XS)]);
    assert_eq!(y[0].data, [0.0, 0.1875, 0.375, 0.75]);
    let g = unary("Gelu", 20, vec![]).unwrap();
    assert_eq!(func(&g), ScalarFn::Gelu { tanh: false });
    let g = unary("Gelu", 20, vec![a_str("approximate", "tanh")]).unwrap();
    assert_eq!(func(&g), ScalarFn::Gelu { tanh: true });
    let e = unary("Gelu", 20, vec![a_str("approximate", "erf")]).unwrap_err();
    assert!(e.to_string().contains("approximate"), "{e}");
}

#[test]
fn opset_gates() {
    for (op, first) in [
        ("Erf", 9),
        ("Celu", 12),
        ("HardSwish", 14),
        ("Mish", 18),
        ("Sin", 7),
        ("Cos", 7),
        ("Gelu", 20),
    ] {
        assert!(unary(op, first, vec![]).is_ok(), "{op} from opset {first}");
        let e = unary(op, first - 1, vec![]).unwrap_err();
        assert!(e.to_string().contains(op), "{op} before opset {first}: {e}");
    }
    for op in [
        "Sigmoid", "Tanh", "Exp", "Log", "Softplus", "Softsign", "Elu", "Selu",
    ] {
        assert!(unary(op, 1, vec![]).is_ok(), "{op} at opset 1");
    }
}

#[test]
fn consumed_inputs_is_legacy() {
    for op in ["Sigmoid", "Exp", "Sqrt", "Elu", "HardSigmoid"] {
        let attrs = || vec![a_ints("consumed_inputs", &[0])];
        assert!(unary(op, 1, attrs()).is_ok(), "{op}");
        let e = unary(op, 6, attrs()).unwrap_err();
        assert!(e.to_string().contains("consumed_inputs"), "{e}");
    }
}

fn pow_model(exp: Option<(&[i64], &[f32])>, opset: i64) -> Result<Graph, ImportError> {
    let (inputs, inits) = match exp {
        Some((dims, data)) => (vec![vi("x", &[2, 3])], vec![init_f32("p", dims, data)]),
        None => (vec![vi("x", &[2, 3]), vi("p", &[1])], vec![]),
    };
    import(
        vec![node("Pow", "pw", &["x", "p"], &["y"], vec![])],
        inputs,
        &["y"],
        inits,
        opset,
    )
}

#[test]
fn pow_needs_one_constant_exponent() {
    let g = pow_model(Some((&[], &[3.0])), 13).unwrap();
    assert_eq!(g.nodes[0].op, Op::Pow { exponent: 3.0 });
    let y = run(&g, &[t(&[2, 3], &[-2.0, -1.0, 0.0, 0.5, 1.0, 2.0])]);
    assert_eq!(y[0].data, [-8.0, -1.0, 0.0, 0.125, 1.0, 8.0]);
    // Any shape broadcasting to X, if every element is the same.
    let g = pow_model(Some((&[1, 3], &[0.5, 0.5, 0.5])), 13).unwrap();
    assert_eq!(g.nodes[0].op, Op::Pow { exponent: 0.5 });
    let g = pow_model(Some((&[1], &[2.0])), 1).unwrap();
    assert_eq!(g.nodes[0].op, Op::Pow { exponent: 2.0 });
    let e = pow_model(Some((&[1, 3], &[1.0, 2.0, 3.0])), 13).unwrap_err();
    assert!(
        e.to_string().contains("pw") && e.to_string().contains("different"),
        "{e}"
    );
    let e = pow_model(None, 13).unwrap_err();
    assert!(
        e.to_string().contains("pw") && e.to_string().contains("runtime"),
        "{e}"
    );
    let e = pow_model(Some((&[4, 2, 3], &[2.0; 24])), 13).unwrap_err();
    assert!(e.to_string().contains("broadcast"), "{e}");
}
