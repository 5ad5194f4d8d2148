//! Per-op circuit checks of the reductions and the arg family (see `op_harness`).
#![allow(clippy::unwrap_used, missing_docs)]

mod op_harness;

use onnx_import::ir::{ArgKind, Op, ReduceKind, TopKOutput};
use op_harness::{check_op, op_graph, Check, In};

fn check_with(op: Op, inputs: Vec<In>, c: Check) -> op_harness::Checked {
    let g = op_graph(op, inputs);
    let r = check_op(&g, &c);
    assert!(r.tampered >= 3, "{r:?}");
    r
}

fn check(op: Op, shape: &[usize]) -> op_harness::Checked {
    check_with(
        op,
        vec![In::Runtime(shape.to_vec())],
        Check {
            samples: 2,
            ..Check::default()
        },
    )
}

/// Integer-valued inputs in [-2, 2]: many ties, which both evaluators must break alike.
fn ties() -> Check {
    Check {
        samples: 2,
        range: (-2.0, 2.0),
        decimals: Some(0),
        ..Check::default()
    }
}

#[test]
fn reduce_max_min_l1_sumsquare_prod() {
    for kind in [
        ReduceKind::Max,
        ReduceKind::Min,
        ReduceKind::L1,
        ReduceKind::SumSquare,
        ReduceKind::Prod,
    ] {
        check(
            Op::Reduce {
                kind,
                axes: vec![1],
                keepdims: true,
            },
            &[2, 3, 2],
        );
    }
    check(
        Op::Reduce {
            kind: ReduceKind::Max,
            axes: vec![0, 2],
            keepdims: false,
        },
        &[2, 3, 2],
    );
}

#[test]
fn argmax_argmin_first_and_last_index() {
    for kind in [ArgKind::Max, ArgKind::Min] {
        for select_last_index in [false, true] {
            let op = Op::Arg {
                kind,
                axis: 1,
                keepdims: false,
                select_last_index,
            };
            check_with(op.clone(), vec![In::Runtime(vec![3, 5])], ties());
            check(op, &[3, 5]);
        }
    }
}

#[test]
fn topk_values_and_indices() {
    for largest in [true, false] {
        for output in [TopKOutput::Values, TopKOutput::Indices] {
            let op = Op::TopK {
                axis: 1,
                k: 3,
                largest,
                sorted: true,
                output,
            };
            check_with(op.clone(), vec![In::Runtime(vec![2, 5])], ties());
            check(op, &[2, 5]);
        }
    }
    // Along axis 0 with inner lanes, k = the whole axis.
    check(
        Op::TopK {
            axis: 0,
            k: 4,
            largest: true,
            sorted: true,
            output: TopKOutput::Indices,
        },
        &[4, 2],
    );
}
