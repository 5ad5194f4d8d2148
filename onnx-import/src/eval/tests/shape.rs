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
