//! Data-movement ops and their index maps.

use super::{rand_tensor, run, t, Arg};
use crate::eval::shape_op_indices;
use crate::ir::{Op, SliceAxis};

fn seq(shape: &[usize]) -> crate::ir::Tensor {
    let n: usize = shape.iter().product();
    t(shape, &(0..n).map(|v| v as f64).collect::<Vec<_>>())
}

#[test]
fn slice_with_negative_and_positive_steps() {
    // [4, 8]: rows 3, 2, 1 (step -1 from 3 down to, not including, 0); columns 0, 3, 6.
    let op = Op::Slice {
        axes: vec![
            SliceAxis {
                axis: 0,
                start: 3,
                end: 0,
                step: -1,
            },
            SliceAxis {
                axis: 1,
                start: 0,
                end: 8,
                step: 3,
            },
        ],
    };
    let got = run(op, vec![Arg::In(seq(&[4, 8]))], &[3, 3]).unwrap();
    assert_eq!(
        got.data,
        vec![24.0, 27.0, 30.0, 16.0, 19.0, 22.0, 8.0, 11.0, 14.0]
    );
    // Full reversal uses end = -1.
    let op = Op::Slice {
        axes: vec![SliceAxis {
            axis: 0,
            start: 3,
            end: -1,
            step: -2,
        }],
    };
    let got = run(op, vec![Arg::In(seq(&[4]))], &[2]).unwrap();
    assert_eq!(got.data, vec![3.0, 1.0]);
    // The op_slice fixture: starts [1,0], ends [3,8], steps [1,2] on [4,8].
    let op = Op::Slice {
        axes: vec![
            SliceAxis {
                axis: 0,
                start: 1,
                end: 3,
                step: 1,
            },
            SliceAxis {
                axis: 1,
                start: 0,
                end: 8,
                step: 2,
            },
        ],
    };
    let got = run(op, vec![Arg::In(seq(&[4, 8]))], &[2, 4]).unwrap();
    assert_eq!(
        got.data,
        vec![8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0]
    );
}

#[test]
fn gather_scalar_and_vector_indices() {
    let x = seq(&[1, 4, 8]);
    let op = Op::Gather {
        axis: 1,
        indices: vec![2],
        indices_shape: vec![],
    };
    let got = run(op, vec![Arg::In(x)], &[1, 8]).unwrap();
    assert_eq!(got.data, (16..24).map(|v| v as f64).collect::<Vec<_>>());
    let op = Op::Gather {
        axis: 0,
        indices: vec![3, 0, 3],
        indices_shape: vec![3],
    };
    let got = run(op, vec![Arg::In(seq(&[5, 2]))], &[3, 2]).unwrap();
    assert_eq!(got.data, vec![6.0, 7.0, 0.0, 1.0, 6.0, 7.0]);
    // 2-D indices on the last axis.
    let op = Op::Gather {
        axis: 1,
        indices: vec![1, 0, 1, 1],
        indices_shape: vec![2, 2],
    };
    let got = run(op, vec![Arg::In(seq(&[2, 2]))], &[2, 2, 2]).unwrap();
    assert_eq!(got.data, vec![1.0, 0.0, 1.0, 1.0, 3.0, 2.0, 3.0, 3.0]);
    let bad = Op::Gather {
        axis: 0,
        indices: vec![5],
        indices_shape: vec![1],
    };
    assert!(run(bad, vec![Arg::In(seq(&[5, 2]))], &[1, 2]).is_err());
}

#[test]
fn transpose_concat_and_reshapes() {
    let x = seq(&[2, 3, 4]);
    let got = run(
        Op::Transpose {
            perm: vec![2, 0, 1],
        },
        vec![Arg::In(x.clone())],
        &[4, 2, 3],
    )
    .unwrap();
    for i in 0..2 {
        for j in 0..3 {
            for k in 0..4 {
                assert_eq!(got.data[(k * 2 + i) * 3 + j], x.data[(i * 3 + j) * 4 + k]);
            }
        }
    }
    let a = rand_tensor(&[1, 2, 4], 1);
    let b = rand_tensor(&[1, 3, 4], 2);
    let got = run(
        Op::Concat { axis: 1 },
        vec![Arg::In(a.clone()), Arg::Const(b.clone())],
        &[1, 5, 4],
    )
    .unwrap();
    assert_eq!(got.data, [a.data.clone(), b.data.clone()].concat());
    let a = seq(&[2, 1]);
    let b = seq(&[2, 2]);
    let got = run(
        Op::Concat { axis: 1 },
        vec![Arg::In(a), Arg::In(b)],
        &[2, 3],
    )
    .unwrap();
    assert_eq!(got.data, vec![0.0, 0.0, 1.0, 1.0, 2.0, 3.0]);
    let x = seq(&[1, 4, 1, 3]);
    let got = run(
        Op::Squeeze { axes: vec![0, 2] },
        vec![Arg::In(x.clone())],
        &[4, 3],
    )
    .unwrap();
    assert_eq!(got.data, x.data);
    let got = run(
        Op::Unsqueeze { axes: vec![0, 3] },
        vec![Arg::In(seq(&[4, 3]))],
        &[1, 4, 3, 1],
    );
    assert_eq!(got.unwrap().shape, vec![1, 4, 3, 1]);
    let got = run(
        Op::Flatten { axis: 2 },
        vec![Arg::In(seq(&[1, 2, 3, 4]))],
        &[2, 12],
    )
    .unwrap();
    assert_eq!(got.data, seq(&[24]).data);
    let got = run(
        Op::Reshape {
            shape: vec![2, 3, 4],
        },
        vec![Arg::In(seq(&[1, 24]))],
        &[2, 3, 4],
    );
    assert_eq!(got.unwrap().data, seq(&[24]).data);
    let got = run(Op::Identity, vec![Arg::In(seq(&[2, 2]))], &[2, 2]).unwrap();
    assert_eq!(got, seq(&[2, 2]));
}

#[test]
fn index_maps_are_exposed_and_checked() {
    let (shape, map) =
        shape_op_indices(&Op::Concat { axis: 0 }, &[vec![1, 2], vec![2, 2]]).unwrap();
    assert_eq!(shape, vec![3, 2]);
    assert_eq!(map, vec![(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (1, 3)]);
    let (shape, map) =
        shape_op_indices(&Op::Transpose { perm: vec![1, 0] }, &[vec![2, 3]]).unwrap();
    assert_eq!(shape, vec![3, 2]);
    assert_eq!(map, vec![(0, 0), (0, 3), (0, 1), (0, 4), (0, 2), (0, 5)]);
    // Not data movement, or shapes that do not fit.
    assert!(shape_op_indices(&Op::Relu, &[vec![2]]).is_none());
    assert!(shape_op_indices(&Op::Reshape { shape: vec![5] }, &[vec![2, 3]]).is_none());
    assert!(shape_op_indices(&Op::Transpose { perm: vec![0, 0] }, &[vec![2, 2]]).is_none());
    assert!(shape_op_indices(&Op::Squeeze { axes: vec![0] }, &[vec![2, 1]]).is_none());
    assert!(shape_op_indices(&Op::Unsqueeze { axes: vec![5] }, &[vec![2]]).is_none());
    assert!(shape_op_indices(&Op::Concat { axis: 1 }, &[vec![2, 2], vec![3, 2]]).is_none());
    assert!(shape_op_indices(&Op::Identity, &[]).is_none());
    let oob = Op::Slice {
        axes: vec![SliceAxis {
            axis: 0,
            start: 0,
            end: 9,
            step: 1,
        }],
    };
    assert!(shape_op_indices(&oob, &[vec![4]]).is_none());
}

#[test]
fn pad_modes_and_constant_sources() {
    use crate::eval::{shape_op_sources, Source};
    use crate::ir::PadMode;
    let pad = |mode, pads: Vec<[i64; 2]>| Op::Pad {
        pads,
        mode,
        value: -1.5,
    };
    // [a b c d] with 3 on the left, 2 on the right.
    let x = seq(&[4]);
    let got = |mode| {
        run(pad(mode, vec![[3, 2]]), vec![Arg::In(x.clone())], &[9])
            .unwrap()
            .data
    };
    assert_eq!(
        got(PadMode::Reflect),
        vec![3.0, 2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 1.0]
    );
    assert_eq!(
        got(PadMode::Edge),
        vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 3.0, 3.0]
    );
    assert_eq!(
        got(PadMode::Wrap),
        vec![1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0, 0.0, 1.0]
    );
    assert_eq!(
        got(PadMode::Constant),
        vec![-1.5, -1.5, -1.5, 0.0, 1.0, 2.0, 3.0, -1.5, -1.5]
    );
    // Constant cells show in the source map; the pure index map refuses them.
    let op = pad(PadMode::Constant, vec![[1, 0], [0, -1]]);
    let (shape, src) = shape_op_sources(&op, &[vec![2, 2]]).unwrap();
    assert_eq!(shape, vec![3, 1]);
    assert_eq!(
        src,
        vec![
            Source::Const(-1.5),
            Source::Input { input: 0, index: 0 },
            Source::Input { input: 0, index: 2 }
        ]
    );
    assert!(shape_op_indices(&op, &[vec![2, 2]]).is_none());
    // Cropping more than the axis holds, or a pad list of the wrong rank, does not fit.
    assert!(shape_op_sources(&pad(PadMode::Edge, vec![[-3, -2]]), &[vec![4]]).is_none());
    assert!(shape_op_sources(&pad(PadMode::Edge, vec![[1, 1]]), &[vec![2, 2]]).is_none());
}

#[test]
fn expand_tile_trilu_and_block_moves() {
    use crate::ir::DepthToSpaceMode;
    let got = run(
        Op::Expand { shape: vec![2, 3] },
        vec![Arg::In(seq(&[3]))],
        &[2, 3],
    )
    .unwrap();
    assert_eq!(got.data, vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0]);
    let got = run(
        Op::Tile {
            repeats: vec![2, 1],
        },
        vec![Arg::In(seq(&[1, 2]))],
        &[2, 2],
    )
    .unwrap();
    assert_eq!(got.data, vec![0.0, 1.0, 0.0, 1.0]);
    // Batched Trilu on [2, 2, 2], upper with k = 1: only (0, 1) stays.
    let got = run(
        Op::Trilu { upper: true, k: 1 },
        vec![Arg::In(seq(&[2, 2, 2]))],
        &[2, 2, 2],
    )
    .unwrap();
    assert_eq!(got.data, vec![0.0, 1.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0]);
    // DepthToSpace then SpaceToDepth is the identity in DCR mode.
    let x = seq(&[1, 8, 2, 3]);
    let d2s = run(
        Op::DepthToSpace {
            blocksize: 2,
            mode: DepthToSpaceMode::Dcr,
        },
        vec![Arg::In(x.clone())],
        &[1, 2, 4, 6],
    )
    .unwrap();
    let back = run(
        Op::SpaceToDepth { blocksize: 2 },
        vec![Arg::In(d2s)],
        &[1, 8, 2, 3],
    )
    .unwrap();
    assert_eq!(back, x);
    // CRD (PixelShuffle): output (0, c, y, x) = input channel c·4 + (y%2)·2 + x%2.
    let crd = run(
        Op::DepthToSpace {
            blocksize: 2,
            mode: DepthToSpaceMode::Crd,
        },
        vec![Arg::In(x.clone())],
        &[1, 2, 4, 6],
    )
    .unwrap();
    let (c, y, xx) = (1, 3, 4);
    let ic = c * 4 + (y % 2) * 2 + xx % 2;
    assert_eq!(
        crd.data[(c * 4 + y) * 6 + xx],
        x.data[(ic * 2 + y / 2) * 3 + xx / 2]
    );
}

#[test]
fn gather_and_scatter_element_maps() {
    use crate::eval::shape_op_sources;
    let op = Op::GatherElements {
        axis: 0,
        indices: vec![1, 0, 0],
        indices_shape: vec![1, 3],
    };
    let got = run(op, vec![Arg::In(seq(&[2, 3]))], &[1, 3]).unwrap();
    assert_eq!(got.data, vec![3.0, 1.0, 2.0]);
    let op = Op::ScatterElements {
        axis: 0,
        indices: vec![1, 0],
        indices_shape: vec![1, 2],
    };
    let got = run(
        op.clone(),
        vec![Arg::In(seq(&[2, 2])), Arg::In(t(&[1, 2], &[9.0, 8.0]))],
        &[2, 2],
    )
    .unwrap();
    assert_eq!(got.data, vec![0.0, 8.0, 9.0, 3.0]);
    // Updates of the wrong shape do not fit.
    assert!(shape_op_sources(&op, &[vec![2, 2], vec![2, 2]]).is_none());
    let op = Op::GatherND {
        batch_dims: 0,
        indices: vec![1, 1, 0, 0],
        indices_shape: vec![2, 2],
    };
    let got = run(op, vec![Arg::In(seq(&[2, 2]))], &[2]).unwrap();
    assert_eq!(got.data, vec![3.0, 0.0]);
    let op = Op::ScatterND {
        indices: vec![0, 1],
        indices_shape: vec![1, 2],
    };
    let got = run(
        op,
        vec![Arg::In(seq(&[2, 2])), Arg::In(t(&[1], &[7.0]))],
        &[2, 2],
    )
    .unwrap();
    assert_eq!(got.data, vec![0.0, 7.0, 2.0, 3.0]);
}

#[test]
fn resize_taps_nearest_and_bilinear() {
    use crate::eval::resize_taps;
    use crate::ir::{CoordMode, NearestMode, ResizeAttrs, ResizeMode};
    // Bilinear ×2 on [2, 2], align_corners: output (1, 1) is at (1/3, 1/3).
    let attrs = ResizeAttrs {
        out_shape: vec![4, 4],
        scales: vec![2.0, 2.0],
        mode: ResizeMode::Linear,
        coord: CoordMode::AlignCorners,
    };
    let (shape, taps) = resize_taps(&attrs, &[2, 2]).unwrap();
    assert_eq!(shape, vec![4, 4]);
    let t11 = &taps[5];
    let w = |i: usize| t11.iter().find(|(j, _)| *j == i).map_or(0.0, |(_, w)| *w);
    assert!((w(0) - 4.0 / 9.0).abs() < 1e-12 && (w(3) - 1.0 / 9.0).abs() < 1e-12);
    assert!((t11.iter().map(|(_, w)| w).sum::<f64>() - 1.0).abs() < 1e-12);
    // Corners copy one element.
    assert_eq!(taps[0], vec![(0, 1.0)]);
    assert_eq!(taps[15], vec![(3, 1.0)]);
    let got = run(
        crate::ir::Op::Resize(attrs),
        vec![Arg::In(seq(&[2, 2]))],
        &[4, 4],
    )
    .unwrap();
    assert!((got.data[5] - (1.0 / 3.0 + 2.0 * 1.0 / 3.0)).abs() < 1e-12);
    // Nearest ceil, asymmetric, ×1.5 on 4 → 6: x = 0, 0.67, 1.33, 2, 2.67, 3.33 → ceil, clamp.
    let attrs = ResizeAttrs {
        out_shape: vec![6],
        scales: vec![1.5],
        mode: ResizeMode::Nearest(NearestMode::Ceil),
        coord: CoordMode::Asymmetric,
    };
    let got = run(crate::ir::Op::Resize(attrs), vec![Arg::In(seq(&[4]))], &[6]).unwrap();
    assert_eq!(got.data, vec![0.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
}
