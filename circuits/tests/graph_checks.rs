//! Graph-level checks of the circuit evaluator: every node's computed output shape must be
//! the shape the graph declares for it, and a graph whose runtime tensors exceed the budget
//! is refused before anything of that size is allocated (in the fixed-point evaluator and
//! in the circuit planner alike).
#![allow(clippy::unwrap_used, missing_docs)]

use circuits::fixed::eval_fixed;
use circuits::halo2::circuit::plan;
use circuits::{CircuitError, QuantParams};
use onnx_import::budget::MAX_RUNTIME_ELEMS;
use onnx_import::ir::{Graph, Node, Op, Tensor, Value, ValueKind};

/// `y = Relu(x)` with `x` of shape `x_shape` and `y` declared as `y_shape`.
fn relu_graph(x_shape: &[usize], y_shape: &[usize]) -> Graph {
    let value = |name: &str, shape: &[usize], kind| Value {
        name: name.into(),
        shape: shape.to_vec(),
        kind,
    };
    Graph {
        values: vec![
            value("x", x_shape, ValueKind::Input),
            value("y", y_shape, ValueKind::Intermediate),
        ],
        nodes: vec![Node {
            name: "relu_0".into(),
            op: Op::Relu,
            inputs: vec![0],
            outputs: vec![1],
        }],
        inputs: vec![0],
        outputs: vec![1],
        opset: 17,
        input_info: Default::default(),
    }
}

fn params() -> QuantParams {
    QuantParams::new(8, 8, 16)
}

fn input(n: usize) -> Tensor {
    Tensor::new(vec![n], (0..n).map(|i| i as f64 - 1.0).collect()).unwrap()
}

fn assert_output_shape_error(err: &CircuitError) {
    let CircuitError::OutputShape {
        node,
        op,
        value,
        expected,
        got,
    } = err
    else {
        panic!("expected an OutputShape error, got {err}")
    };
    assert_eq!(
        (node.as_str(), *op, value.as_str()),
        ("relu_0", "Relu", "y")
    );
    assert_eq!((&expected[..], &got[..]), (&[3][..], &[2][..]));
    assert!(err.to_string().contains("relu_0"), "{err}");
}

#[test]
fn consistent_graph_evaluates() {
    let run = eval_fixed(&relu_graph(&[2], &[2]), &params(), &[input(2)]).unwrap();
    assert_eq!(run.outputs_float[0].data, [0.0, 0.0]);
}

#[test]
fn node_output_unlike_its_declared_shape_is_a_named_error() {
    let g = relu_graph(&[2], &[3]);
    let err = eval_fixed(&g, &params(), &[input(2)]).err().unwrap();
    assert_output_shape_error(&err);
    // The circuit layout evaluates the same graph, so planning the circuit fails alike.
    let err = plan(&g, &params()).err().unwrap();
    assert_output_shape_error(&err);
}

#[test]
fn runtime_tensors_over_the_budget_are_refused_before_allocation() {
    // 2 x 2^26 runtime elements: the planner's placeholder inputs alone would be 2 GiB of
    // i128, so the check must come first (this test would otherwise allocate them).
    let n = MAX_RUNTIME_ELEMS;
    let g = relu_graph(&[n], &[n]);
    let err = plan(&g, &params()).err().unwrap();
    let CircuitError::Budget {
        elements,
        budget,
        largest,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((*elements, *budget), (Some(2 * n), MAX_RUNTIME_ELEMS));
    assert_eq!(largest, "x");
    // Shapes whose product overflows are over the budget too, never wrapped around.
    let g = relu_graph(&[1 << 32, 1 << 32, 16], &[1 << 32, 1 << 32, 16]);
    let err = circuits::ops::check_budget(&g).err().unwrap();
    assert!(
        matches!(err, CircuitError::Budget { elements: None, .. }),
        "{err}"
    );
    // Half the budget is fine.
    assert!(circuits::ops::check_budget(&relu_graph(&[n / 4], &[n / 4])).is_ok());
}
