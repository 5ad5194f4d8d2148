//! The per-op harness on ops that exist since the start (its own regression test).
#![allow(clippy::unwrap_used, missing_docs)]

mod op_harness;

use onnx_import::ir::Op;
use op_harness::{check_op, op_graph, t, Check, In};

#[test]
fn harness_checks_relu_and_mul_by_constant() {
    let g = op_graph(Op::Relu, vec![In::Runtime(vec![2, 3])]);
    let c = check_op(&g, &Check::default());
    assert!(c.tampered > 4, "{c:?}");
    let g = op_graph(
        Op::Mul,
        vec![
            In::Runtime(vec![2, 3]),
            In::Const(t(&[3], vec![0.5, -1.25, 2.0])),
        ],
    );
    let c = check_op(&g, &Check::default());
    assert!(c.rel_l2 < 1e-2 && c.tampered > 4, "{c:?}");
}

#[test]
fn harness_checks_pure_wiring() {
    let g = op_graph(
        Op::Transpose { perm: vec![1, 0] },
        vec![In::Runtime(vec![2, 3])],
    );
    let c = check_op(&g, &Check::default());
    assert!(c.tampered >= 3, "{c:?}");
}

#[test]
fn a_model_with_only_empty_tensors_is_a_clear_error_not_a_panic() {
    use circuits::halo2::{plan_for, Layout};
    use circuits::quant::QuantParams;
    let g = op_graph(Op::Relu, vec![In::Runtime(vec![2, 0])]);
    let params = QuantParams::new(8, 8, 12);
    for layout in [Layout::Speed, Layout::Gas] {
        let e = plan_for(&g, &params, layout).unwrap_err().to_string();
        assert!(e.contains("zero elements"), "{e}");
    }
}
