//! Per-op circuit checks of the data-movement and resize families (see `op_harness`):
//! MockProver satisfied, circuit == fixed-point evaluator, fixed point close to float, and
//! tampered witnesses rejected. Pure wiring ops have no region of their own, so their
//! soundness checks are the input/output placeholder rows and the public outputs, which the
//! copy constraints tie to the input cells.
#![allow(clippy::unwrap_used, missing_docs)]

mod op_harness;

use onnx_import::ir::{
    CoordMode, DepthToSpaceMode, NearestMode, Op, PadMode, ResizeAttrs, ResizeMode, SliceAxis,
};
use op_harness::{check_op, op_graph, Check, In};

fn check(op: Op, inputs: Vec<In>) -> op_harness::Checked {
    let g = op_graph(op, inputs);
    let c = check_op(
        &g,
        &Check {
            samples: 2,
            ..Check::default()
        },
    );
    assert!(c.tampered >= 3, "{c:?}");
    c
}

#[test]
fn pad_constant_reflect_edge() {
    // Constant padding: the fill value becomes one constant cell at the activation scale.
    let c = check(
        Op::Pad {
            pads: vec![[0, 0], [1, 2], [-1, 1]],
            mode: PadMode::Constant,
            value: 0.75,
        },
        vec![In::Runtime(vec![1, 2, 3])],
    );
    assert!(c.rel_l2 < 1e-2, "{c:?}");
    for mode in [PadMode::Reflect, PadMode::Edge, PadMode::Wrap] {
        check(
            Op::Pad {
                pads: vec![[0, 0], [1, 1], [2, 1]],
                mode,
                value: 0.0,
            },
            vec![In::Runtime(vec![1, 3, 3])],
        );
    }
}

#[test]
fn expand_tile_and_split_slice() {
    check(
        Op::Expand {
            shape: vec![2, 3, 2],
        },
        vec![In::Runtime(vec![3, 1])],
    );
    check(
        Op::Tile {
            repeats: vec![2, 1, 3],
        },
        vec![In::Runtime(vec![1, 2, 2])],
    );
    // Split lowers to one Slice per output; the second part of a [2, 5] split [2, 3].
    check(
        Op::Slice {
            axes: vec![SliceAxis {
                axis: 1,
                start: 2,
                end: 5,
                step: 1,
            }],
        },
        vec![In::Runtime(vec![2, 5])],
    );
}

#[test]
fn depth_to_space_space_to_depth_trilu() {
    for mode in [DepthToSpaceMode::Dcr, DepthToSpaceMode::Crd] {
        check(
            Op::DepthToSpace { blocksize: 2, mode },
            vec![In::Runtime(vec![1, 8, 1, 2])],
        );
    }
    check(
        Op::SpaceToDepth { blocksize: 2 },
        vec![In::Runtime(vec![1, 2, 2, 4])],
    );
    check(
        Op::Trilu { upper: false, k: 0 },
        vec![In::Runtime(vec![3, 3])],
    );
}

#[test]
fn gathers_and_scatters_with_constant_indices() {
    check(
        Op::GatherElements {
            axis: 1,
            indices: vec![2, 0, 1, 1, 0, 2],
            indices_shape: vec![2, 3],
        },
        vec![In::Runtime(vec![2, 3])],
    );
    check(
        Op::GatherND {
            batch_dims: 0,
            indices: vec![1, 0, 0, 2],
            indices_shape: vec![2, 2],
        },
        vec![In::Runtime(vec![2, 3, 2])],
    );
    // Scatters: the output takes cells from two runtime inputs.
    check(
        Op::ScatterElements {
            axis: 0,
            indices: vec![1, 0, 2],
            indices_shape: vec![1, 3],
        },
        vec![In::Runtime(vec![3, 3]), In::Runtime(vec![1, 3])],
    );
    check(
        Op::ScatterND {
            indices: vec![2, 0],
            indices_shape: vec![2, 1],
        },
        vec![In::Runtime(vec![3, 2]), In::Runtime(vec![2, 2])],
    );
}

#[test]
fn resize_nearest_is_wiring_and_linear_is_a_constant_weight_sum() {
    check(
        Op::Resize(ResizeAttrs {
            out_shape: vec![1, 1, 4, 3],
            scales: vec![1.0, 1.0, 2.0, 1.5],
            mode: ResizeMode::Nearest(NearestMode::RoundPreferFloor),
            coord: CoordMode::HalfPixel,
        }),
        vec![In::Runtime(vec![1, 1, 2, 2])],
    );
    for coord in [CoordMode::HalfPixel, CoordMode::AlignCorners] {
        let c = check(
            Op::Resize(ResizeAttrs {
                out_shape: vec![1, 1, 4, 4],
                scales: vec![1.0, 1.0, 2.0, 2.0],
                mode: ResizeMode::Linear,
                coord,
            }),
            vec![In::Runtime(vec![1, 1, 2, 2])],
        );
        // Linear elements are gates of their own: many tampered cells were rejected.
        assert!(c.tampered > 10 && c.rel_l2 < 1e-2, "{c:?}");
    }
}
