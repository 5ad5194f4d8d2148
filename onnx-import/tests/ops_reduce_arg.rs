//! Import and float evaluation of the reduction, arg (ArgMax/ArgMin, TopK) and contraction
//! (Einsum, old-opset Gemm) operators.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::op_graphs::*;
use common::*;
use onnx_import::ir::{ArgKind, Graph, Op, ReduceKind, TopKOutput};
use onnx_import::ImportError;

#[test]
fn reductions_axes_attribute_and_input() {
    let x = t(&[2, 3], &[1.0, -2.0, 3.0, -4.0, 5.0, -6.0]);
    let cases = [
        ("ReduceMax", ReduceKind::Max, [3.0, 5.0]),
        ("ReduceMin", ReduceKind::Min, [-2.0, -6.0]),
        ("ReduceL1", ReduceKind::L1, [6.0, 15.0]),
        ("ReduceSumSquare", ReduceKind::SumSquare, [14.0, 77.0]),
        ("ReduceProd", ReduceKind::Prod, [-6.0, 120.0]),
    ];
    for (name, kind, want) in cases {
        let reduce = |attrs, opset| import_op(name, "r", &[("x", &[2, 3])], attrs, opset).unwrap();
        // Opset 13: axes attribute, keepdims=0.
        let g = reduce(vec![a_ints("axes", &[-1]), a_int("keepdims", 0)], 13);
        assert_eq!(
            g.nodes[0].op,
            Op::Reduce {
                kind,
                axes: vec![1],
                keepdims: false
            }
        );
        assert_eq!(run(&g, std::slice::from_ref(&x))[0].data, want, "{name}");
        // Opset 18: axes input; default keepdims=1.
        let g = import(
            vec![node(name, "r", &["x", "ax"], &["y"], vec![])],
            vec![vi("x", &[2, 3])],
            &["y"],
            vec![init_i64("ax", &[1], &[1])],
            18,
        )
        .unwrap();
        assert_eq!(g.shape(g.outputs[0]), &[2, 1]);
        assert_eq!(run(&g, std::slice::from_ref(&x))[0].data, want, "{name}");
        // Opset 18, no axes, noop_with_empty_axes=1: identity.
        let g = reduce(vec![a_int("noop_with_empty_axes", 1)], 18);
        assert_eq!(g.nodes[0].op, Op::Identity);
        // No axes: all of them.
        let g = reduce(vec![], 11);
        assert_eq!(g.shape(g.outputs[0]), &[1, 1]);
    }
}

#[test]
fn argmax_argmin_ties_and_attributes() {
    let x = t(&[2, 4], &[1.0, 3.0, 3.0, 0.0, 2.0, 2.0, -1.0, -1.0]);
    let cases: [(&str, i64, i64, [f64; 2]); 4] = [
        ("ArgMax", 0, 2, [1.0, 0.0]),
        ("ArgMax", 1, 1, [2.0, 1.0]),
        ("ArgMin", 0, 1, [3.0, 2.0]),
        ("ArgMin", 1, 0, [3.0, 3.0]),
    ];
    for (name, last, keep, want) in cases {
        let attrs = vec![
            a_int("axis", -1),
            a_int("select_last_index", last),
            a_int("keepdims", keep.min(1)),
        ];
        let g = import_op(name, "a", &[("x", &[2, 4])], attrs, 13).unwrap();
        let kind = if name == "ArgMax" {
            ArgKind::Max
        } else {
            ArgKind::Min
        };
        assert_eq!(
            g.nodes[0].op,
            Op::Arg {
                kind,
                axis: 1,
                keepdims: keep >= 1,
                select_last_index: last == 1
            }
        );
        let y = run(&g, std::slice::from_ref(&x));
        assert_eq!(y[0].data, want, "{name} last={last}");
        let shape: &[usize] = if keep >= 1 { &[2, 1] } else { &[2] };
        assert_eq!(y[0].shape, shape);
    }
    // Defaults: axis 0, keepdims 1.
    let g = import_op("ArgMax", "a", &[("x", &[2, 4])], vec![], 11).unwrap();
    assert_eq!(run(&g, &[x])[0].data, [1.0, 0.0, 0.0, 0.0]);
}

/// `TopK(x [2, 5], k) -> (v, i)` as node `tk`: `k` is the initializer `[k]` when `Some`, a
/// runtime `[1]` input when `None`.
fn topk(k: Option<i64>, attrs: Vec<onnx_protobuf::AttributeProto>) -> Result<Graph, ImportError> {
    let (inputs, inits) = match k {
        Some(k) => (vec![vi("x", &[2, 5])], vec![init_i64("k", &[1], &[k])]),
        None => (vec![vi("x", &[2, 5]), vi("k", &[1])], vec![]),
    };
    let n = node("TopK", "tk", &["x", "k"], &["v", "i"], attrs);
    import(vec![n], inputs, &["v", "i"], inits, 11)
}

#[test]
fn topk_two_outputs_constant_k_every_opset() {
    let x = t(
        &[2, 5],
        &[1.0, 4.0, 4.0, -2.0, 3.0, 0.0, 0.0, 5.0, 1.0, 0.0],
    );
    // Opset 11: K input, largest and sorted attributes.
    let g = topk(Some(3), vec![]).unwrap();
    assert_eq!(g.nodes.len(), 2);
    assert!(matches!(
        g.nodes[1].op,
        Op::TopK {
            axis: 1,
            k: 3,
            largest: true,
            output: TopKOutput::Indices,
            ..
        }
    ));
    let y = run(&g, std::slice::from_ref(&x));
    assert_eq!(y[0].data, [4.0, 4.0, 3.0, 5.0, 1.0, 0.0]);
    assert_eq!(y[1].data, [1.0, 2.0, 4.0, 2.0, 3.0, 0.0]);
    // Smallest.
    let g = topk(Some(2), vec![a_int("largest", 0)]).unwrap();
    let y = run(&g, std::slice::from_ref(&x));
    assert_eq!(y[0].data, [-2.0, 1.0, 0.0, 0.0]);
    assert_eq!(y[1].data, [3.0, 0.0, 0.0, 1.0]);
    // Opset 9: k attribute.
    let g = import(
        vec![node(
            "TopK",
            "tk",
            &["x"],
            &["v", "i"],
            vec![a_int("k", 1), a_int("axis", 0)],
        )],
        vec![vi("x", &[2, 5])],
        &["v", "i"],
        vec![],
        9,
    )
    .unwrap();
    let y = run(&g, std::slice::from_ref(&x));
    assert_eq!(y[0].data, [1.0, 4.0, 5.0, 1.0, 3.0]);
    assert_eq!(y[1].data, [0.0, 0.0, 1.0, 1.0, 0.0]);
    // A runtime K and k beyond the axis are refused, naming the node.
    let err = topk(None, vec![]).unwrap_err();
    assert!(err.to_string().contains("runtime"), "{err}");
    let err = topk(Some(6), vec![]).unwrap_err();
    assert!(err.to_string().contains("\"tk\""), "{err}");
}

fn einsum_graph(eq: &str, shapes: &[&[i64]]) -> Graph {
    let names: Vec<String> = (0..shapes.len()).map(|i| format!("x{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    import(
        vec![node(
            "Einsum",
            "e",
            &refs,
            &["y"],
            vec![a_str("equation", eq)],
        )],
        names.iter().zip(shapes).map(|(n, s)| vi(n, s)).collect(),
        &["y"],
        vec![],
        12,
    )
    .unwrap()
}

#[test]
fn einsum_contractions() {
    // Matmul against the MatMul op.
    let (a, b) = (seq(&[2, 3], 0.7), seq(&[3, 4], 1.3));
    let g = einsum_graph("ij,jk->ik", &[&[2, 3], &[3, 4]]);
    let want = onnx_import::eval::eval_op(&Op::MatMul, &[&a, &b]).unwrap();
    let got = run(&g, &[a.clone(), b.clone()]);
    assert_eq!(got[0].shape, want.shape);
    for (x, y) in got[0].data.iter().zip(&want.data) {
        assert!((x - y).abs() < 1e-12);
    }
    // Implicit output: the labels used once, sorted (numpy: b and j are summed).
    let g = einsum_graph("bij,bjk", &[&[2, 2, 3], &[2, 3, 2]]);
    assert_eq!(g.shape(g.outputs[0]), &[2, 2]);
    // Batched, with spaces.
    let (a, b) = (seq(&[2, 2, 3], 0.3), seq(&[2, 3, 2], 0.9));
    let g = einsum_graph("bij, bjk -> bik", &[&[2, 2, 3], &[2, 3, 2]]);
    assert_eq!(g.shape(g.outputs[0]), &[2, 2, 2]);
    let want = onnx_import::eval::eval_op(&Op::MatMul, &[&a, &b]).unwrap();
    let got = run(&g, &[a, b]);
    for (x, y) in got[0].data.iter().zip(&want.data) {
        assert!((x - y).abs() < 1e-12);
    }
    // Bilinear: y[b, a] = Σ x1[b, n] W[a, n, m] x2[b, m].
    let (x1, w, x2) = (seq(&[2, 3], 0.5), seq(&[4, 3, 2], 0.2), seq(&[2, 2], 1.1));
    let g = einsum_graph("bn,anm,bm->ba", &[&[2, 3], &[4, 3, 2], &[2, 2]]);
    let got = run(&g, &[x1.clone(), w.clone(), x2.clone()]);
    assert_eq!(got[0].shape, vec![2, 4]);
    for bi in 0..2 {
        for ai in 0..4 {
            let mut s = 0.0;
            for n in 0..3 {
                for m in 0..2 {
                    s += x1.data[bi * 3 + n] * w.data[(ai * 3 + n) * 2 + m] * x2.data[bi * 2 + m];
                }
            }
            assert!((got[0].data[bi * 4 + ai] - s).abs() < 1e-12);
        }
    }
    // Trace, transpose and an ellipsis.
    let m = seq(&[3, 3], 0.4);
    let g = einsum_graph("ii->", &[&[3, 3]]);
    let tr = m.data[0] + m.data[4] + m.data[8];
    assert!((run(&g, std::slice::from_ref(&m))[0].data[0] - tr).abs() < 1e-12);
    let g = einsum_graph("...ij->...ji", &[&[2, 3, 3]]);
    assert_eq!(g.shape(g.outputs[0]), &[2, 3, 3]);
    // Mismatched sizes name the node and the label.
    let err = import(
        vec![node(
            "Einsum",
            "e",
            &["a", "b"],
            &["y"],
            vec![a_str("equation", "ij,jk->ik")],
        )],
        vec![vi("a", &[2, 3]), vi("b", &[4, 2])],
        &["y"],
        vec![],
        12,
    )
    .unwrap_err();
    assert!(err.to_string().contains("label 'j'"), "{err}");
}

#[test]
fn gemm_old_opsets() {
    let gemm = |opset: i64, c: Option<&[i64]>, attrs: Vec<onnx_protobuf::AttributeProto>| {
        let mut ins = vec!["a", "b"];
        let mut inits = vec![init_f32("b", &[3, 4], &[0.5; 12])];
        if let Some(s) = c {
            ins.push("c");
            let n: i64 = s.iter().product();
            inits.push(init_f32("c", s, &vec![1.0; n as usize]));
        }
        import(
            vec![node("Gemm", "gm", &ins, &["y"], attrs)],
            vec![vi("a", &[2, 3])],
            &["y"],
            inits,
            opset,
        )
    };
    // Opset 6: C [N] needs broadcast=1.
    assert!(gemm(6, Some(&[4]), vec![a_int("broadcast", 1)]).is_ok());
    let err = gemm(6, Some(&[4]), vec![]).unwrap_err();
    assert!(err.to_string().contains("broadcast=0"), "{err}");
    assert!(gemm(6, Some(&[2, 4]), vec![]).is_ok());
    // Opset 7..10: broadcasting is implicit, C is required.
    assert!(gemm(7, Some(&[4]), vec![]).is_ok());
    let err = gemm(9, None, vec![]).unwrap_err();
    assert!(
        err.to_string().contains("required before opset 11"),
        "{err}"
    );
    // Opset 11: C optional.
    let g = gemm(11, None, vec![]).unwrap();
    assert_eq!(g.nodes[0].inputs.len(), 2);
}
