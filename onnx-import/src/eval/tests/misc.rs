//! Elementwise ops, activations, reductions and BatchNormalization.

use super::{assert_close, rand_tensor, run, t, Arg};
use crate::ir::Op;

#[test]
fn broadcasting_binary_ops() {
    let a = rand_tensor(&[2, 3, 4], 1);
    let b = rand_tensor(&[3, 1], 2);
    let got = run(
        Op::Sub,
        vec![Arg::In(a.clone()), Arg::In(b.clone())],
        &[2, 3, 4],
    )
    .unwrap();
    for i in 0..24 {
        assert_eq!(got.data[i], a.data[i] - b.data[(i / 4) % 3]);
    }
    let s = t(&[], &[2.0]);
    let got = run(
        Op::Mul,
        vec![Arg::Const(s.clone()), Arg::In(a.clone())],
        &[2, 3, 4],
    )
    .unwrap();
    assert_eq!(got.data, a.data.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
    let d = t(&[4], &[2.0, 4.0, 0.5, -3.0]);
    let got = run(
        Op::Div,
        vec![Arg::In(a.clone()), Arg::Const(d.clone())],
        &[2, 3, 4],
    )
    .unwrap();
    for i in 0..24 {
        assert_eq!(got.data[i], a.data[i] / d.data[i % 4]);
    }
    let got = run(
        Op::Add,
        vec![
            Arg::In(t(&[2, 1], &[1.0, 2.0])),
            Arg::In(t(&[1, 3], &[10.0, 20.0, 30.0])),
        ],
        &[2, 3],
    );
    assert_eq!(got.unwrap().data, vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    let got = run(Op::Neg, vec![Arg::In(t(&[2], &[1.0, -2.0]))], &[2]).unwrap();
    assert_eq!(got.data, vec![-1.0, 2.0]);
}

#[test]
fn activations() {
    let x = t(&[5], &[-2.0, -0.5, 0.0, 0.5, 2.0]);
    let relu = run(Op::Relu, vec![Arg::In(x.clone())], &[5]).unwrap();
    assert_eq!(relu.data, vec![0.0, 0.0, 0.0, 0.5, 2.0]);
    let leaky = run(Op::LeakyRelu { alpha: 0.1 }, vec![Arg::In(x.clone())], &[5]).unwrap();
    assert_close(&leaky, &t(&[5], &[-0.2, -0.05, 0.0, 0.5, 2.0]));
    let clip = Op::Clip {
        min: Some(-0.5),
        max: Some(0.5),
    };
    let got = run(clip, vec![Arg::In(x.clone())], &[5]).unwrap();
    assert_eq!(got.data, vec![-0.5, -0.5, 0.0, 0.5, 0.5]);
    let clip = Op::Clip {
        min: None,
        max: Some(0.0),
    };
    let got = run(clip, vec![Arg::In(x)], &[5]).unwrap();
    assert_eq!(got.data, vec![-2.0, -0.5, 0.0, 0.0, 0.0]);
}

#[test]
fn reductions() {
    let x = rand_tensor(&[2, 3, 4], 5);
    let sum = run(
        Op::ReduceSum {
            axes: vec![2],
            keepdims: true,
        },
        vec![Arg::In(x.clone())],
        &[2, 3, 1],
    )
    .unwrap();
    let want: Vec<f64> = x.data.chunks(4).map(|c| c.iter().sum()).collect();
    assert_close(&sum, &t(&[2, 3, 1], &want));
    let mean = run(
        Op::ReduceMean {
            axes: vec![1],
            keepdims: false,
        },
        vec![Arg::In(x.clone())],
        &[2, 4],
    )
    .unwrap();
    let mut want = vec![0.0; 8];
    for i in 0..2 {
        for k in 0..4 {
            want[i * 4 + k] = (0..3).map(|j| x.data[(i * 3 + j) * 4 + k]).sum::<f64>() / 3.0;
        }
    }
    assert_close(&mean, &t(&[2, 4], &want));
    let all = run(
        Op::ReduceSum {
            axes: vec![],
            keepdims: false,
        },
        vec![Arg::In(x.clone())],
        &[],
    )
    .unwrap();
    assert!((all.data[0] - x.data.iter().sum::<f64>()).abs() < 1e-12);
    let bad = Op::ReduceSum {
        axes: vec![3],
        keepdims: true,
    };
    assert!(run(bad, vec![Arg::In(x)], &[2, 3, 4]).is_err());
}

#[test]
fn batch_norm_inference() {
    let x = rand_tensor(&[1, 3, 2, 2], 9);
    let scale = t(&[3], &[1.0, 2.0, -0.5]);
    let bias = t(&[3], &[0.0, 0.1, -0.2]);
    let mean = t(&[3], &[0.1, -0.1, 0.0]);
    let var = t(&[3], &[1.0, 0.5, 2.0]);
    let eps = 1e-5;
    let got = run(
        Op::BatchNormalization { epsilon: eps },
        vec![
            Arg::In(x.clone()),
            Arg::Const(scale.clone()),
            Arg::Const(bias.clone()),
            Arg::Const(mean.clone()),
            Arg::Const(var.clone()),
        ],
        &[1, 3, 2, 2],
    )
    .unwrap();
    for i in 0..12 {
        let c = i / 4;
        let want =
            (x.data[i] - mean.data[c]) / (var.data[c] + eps).sqrt() * scale.data[c] + bias.data[c];
        assert!((got.data[i] - want).abs() < 1e-12);
    }
}
