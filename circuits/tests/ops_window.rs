//! Windowed ops in 1-D, 2-D and 3-D through the per-op circuit harness: Conv,
//! ConvTranspose, MaxPool / AveragePool (padding, dilations, ceil_mode,
//! count_include_pad), the global pools and BatchNormalization on rank-3 and rank-5 inputs.
//! Each check covers completeness (MockProver satisfied, circuit == fixed-point evaluator in
//! both layouts), accuracy against float, and soundness (changed cells are rejected).
#![allow(clippy::unwrap_used, missing_docs)]

mod op_harness;

use onnx_import::ir::{ConvAttrs, ConvTransposeAttrs, Op, Pads, PoolAttrs, Tensor};
use op_harness::{check_op, op_graph, t, Check, In};

/// Deterministic weights in [-1, 1), away from zero.
fn weights(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let data = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let v = (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            if v.abs() < 0.1 {
                v + 0.2
            } else {
                v
            }
        })
        .collect();
    t(shape, data)
}

fn run(op: Op, inputs: Vec<In>) {
    let g = op_graph(op, inputs);
    let name = g.nodes[0].name.clone();
    let c = check_op(&g, &Check::default());
    assert!(c.tampered > 4, "{name}: {c:?}");
}

fn pads(onnx: &[usize]) -> Pads {
    Pads::from_onnx(onnx)
}

#[test]
fn conv_1d_strided_dilated_grouped() {
    let attrs = ConvAttrs {
        kernel: vec![3],
        strides: vec![2],
        pads: pads(&[1, 2]),
        dilations: vec![2],
        group: 2,
    };
    run(
        Op::Conv(attrs),
        vec![
            In::Runtime(vec![1, 4, 7]),
            In::Const(weights(&[2, 2, 3], 1)),
            In::Const(weights(&[2], 2)),
        ],
    );
}

#[test]
fn conv_3d_padded() {
    let attrs = ConvAttrs {
        kernel: vec![2, 2, 2],
        strides: vec![2, 1, 2],
        pads: pads(&[1, 0, 1, 1, 1, 0]),
        dilations: vec![1, 1, 1],
        group: 1,
    };
    run(
        Op::Conv(attrs),
        vec![
            In::Runtime(vec![1, 2, 3, 3, 3]),
            In::Const(weights(&[2, 2, 2, 2, 2], 3)),
        ],
    );
}

#[test]
fn conv_transpose_2d_pytorch_geometry() {
    // As test_ConvTranspose2d (strides [3, 2], pads 1, output_padding 1), smaller input.
    let attrs = ConvTransposeAttrs {
        kernel: vec![3, 3],
        strides: vec![3, 2],
        pads: Pads::uniform(2, 1),
        dilations: vec![1, 1],
        group: 1,
        output_padding: vec![1, 1],
    };
    run(
        Op::ConvTranspose(attrs),
        vec![
            In::Runtime(vec![1, 2, 2, 3]),
            In::Const(weights(&[2, 2, 3, 3], 4)),
            In::Const(weights(&[2], 5)),
        ],
    );
}

#[test]
fn conv_transpose_1d_holes_and_3d_groups() {
    // Stride 3 with a kernel of 2: every third output gets the bias only.
    let attrs = ConvTransposeAttrs {
        kernel: vec![2],
        strides: vec![3],
        pads: pads(&[0, 1]),
        dilations: vec![1],
        group: 1,
        output_padding: vec![2],
    };
    run(
        Op::ConvTranspose(attrs),
        vec![
            In::Runtime(vec![1, 2, 3]),
            In::Const(weights(&[2, 1, 2], 6)),
            In::Const(weights(&[1], 7)),
        ],
    );
    let attrs = ConvTransposeAttrs {
        kernel: vec![2, 2, 1],
        strides: vec![1, 2, 1],
        pads: pads(&[0, 1, 0, 1, 0, 0]),
        dilations: vec![2, 1, 1],
        group: 2,
        output_padding: vec![0, 1, 0],
    };
    run(
        Op::ConvTranspose(attrs),
        vec![
            In::Runtime(vec![1, 2, 2, 2, 2]),
            In::Const(weights(&[2, 1, 2, 2, 1], 8)),
        ],
    );
}

fn pool(kernel: &[usize], strides: &[usize], p: &[usize], include: bool, ceil: bool) -> PoolAttrs {
    PoolAttrs {
        kernel: kernel.to_vec(),
        strides: strides.to_vec(),
        pads: pads(p),
        dilations: vec![1; kernel.len()],
        count_include_pad: include,
        ceil_mode: ceil,
    }
}

#[test]
fn max_pool_1d_ceil_and_3d_padded() {
    run(
        Op::MaxPool(pool(&[2], &[2], &[0, 0], false, true)),
        vec![In::Runtime(vec![1, 2, 7])],
    );
    let mut a = pool(&[2, 2, 2], &[2, 2, 2], &[1, 1, 1, 1, 1, 1], false, false);
    a.dilations = vec![1, 2, 1];
    run(Op::MaxPool(a), vec![In::Runtime(vec![1, 1, 3, 4, 3])]);
}

#[test]
fn average_pool_ceil_mode_and_count_include_pad() {
    // 2-D, ceil_mode with padding: the last windows overhang; their divisor counts padding
    // but not the overhang.
    run(
        Op::AveragePool(pool(&[3, 3], &[2, 2], &[1, 1, 1, 1], true, true)),
        vec![In::Runtime(vec![1, 1, 6, 6])],
    );
    run(
        Op::AveragePool(pool(&[3], &[2], &[1, 0], false, true)),
        vec![In::Runtime(vec![1, 2, 8])],
    );
    run(
        Op::AveragePool(pool(
            &[2, 2, 2],
            &[1, 2, 2],
            &[1, 0, 0, 0, 1, 1],
            true,
            false,
        )),
        vec![In::Runtime(vec![1, 1, 3, 3, 3])],
    );
}

/// Kernel 1 with padding 1: the first and last windows hold padding only, which averages to
/// 0 with count_include_pad (and is an error without it).
#[test]
fn average_pool_window_of_padding_only() {
    run(
        Op::AveragePool(pool(&[1], &[1], &[1, 1], true, false)),
        vec![In::Runtime(vec![1, 2, 3])],
    );
}

#[test]
fn global_pools_1d_and_3d() {
    run(Op::GlobalMaxPool, vec![In::Runtime(vec![1, 2, 2, 2, 3])]);
    run(Op::GlobalAveragePool, vec![In::Runtime(vec![2, 2, 5])]);
}

#[test]
fn batch_norm_rank_3_and_5() {
    for shape in [vec![2, 3, 4], vec![1, 3, 2, 2, 2]] {
        run(
            Op::BatchNormalization { epsilon: 1e-5 },
            vec![
                In::Runtime(shape),
                In::Const(weights(&[3], 9)),
                In::Const(weights(&[3], 10)),
                In::Const(weights(&[3], 11)),
                In::Const(t(&[3], vec![0.5, 1.0, 2.0])),
            ],
        );
    }
}
