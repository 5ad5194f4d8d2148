//! Folding inference BatchNormalization into a preceding Conv or Gemm.
//!
//! With `s[c] = scale[c] / sqrt(var[c] + eps)` and `t[c] = B[c] - mean[c] * s[c]`:
//! `W'[c] = W[c] * s[c]` and `b'[c] = b[c] * s[c] + t[c]`. This applies when the Conv/Gemm output
//! feeds only the BatchNormalization and is not a graph output; the BN node disappears.

use crate::ir::{Graph, Op, Tensor, Value, ValueId, ValueKind};

/// Folds every eligible BatchNormalization, then drops values no longer referenced.
pub(crate) fn fold_batch_norms(g: &mut Graph) {
    let mut j = 0;
    while j < g.nodes.len() {
        if fold_one(g, j) {
            g.nodes.remove(j);
        } else {
            j += 1;
        }
    }
    remove_unused_values(g);
}

/// Per-channel multiplier `s` and offset `t` of BN node `j`.
fn bn_affine(g: &Graph, j: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    let bn = g.nodes.get(j)?;
    let Op::BatchNormalization { epsilon } = bn.op else {
        return None;
    };
    let get = |k: usize| bn.inputs.get(k).and_then(|&id| g.constant(id));
    let (scale, bias, mean, var) = (get(1)?, get(2)?, get(3)?, get(4)?);
    let mut s = Vec::with_capacity(scale.len());
    let mut t = Vec::with_capacity(scale.len());
    for c in 0..scale.len() {
        let sc = scale.data.get(c)? / (var.data.get(c)? + epsilon).sqrt();
        s.push(sc);
        t.push(bias.data.get(c)? - mean.data.get(c)? * sc);
    }
    Some((s, t))
}

fn add_constant(g: &mut Graph, name: String, tensor: Tensor) -> ValueId {
    g.values.push(Value {
        name,
        shape: tensor.shape.clone(),
        kind: ValueKind::Constant(tensor),
    });
    g.values.len() - 1
}

/// Tries to fold BN node `j` into its producer; returns whether it did.
fn fold_one(g: &mut Graph, j: usize) -> bool {
    let Some((s, t)) = bn_affine(g, j) else {
        return false;
    };
    let Some(&x) = g.nodes[j].inputs.first() else {
        return false;
    };
    let consumers = g.nodes.iter().filter(|n| n.inputs.contains(&x)).count();
    if consumers != 1 || g.outputs.contains(&x) {
        return false;
    }
    let Some(p) = g.nodes.iter().position(|n| n.outputs.first() == Some(&x)) else {
        return false;
    };
    let folded = match g.nodes[p].op {
        Op::Conv(_) => fold_conv(g, p, &s, &t),
        Op::Gemm { .. } => fold_gemm(g, p, &s, &t),
        _ => None,
    };
    let Some((w, b)) = folded else { return false };
    let wname = format!("{}_bn_folded_weight", g.nodes[p].name);
    let bname = format!("{}_bn_folded_bias", g.nodes[p].name);
    let w = add_constant(g, wname, w);
    let b = add_constant(g, bname, b);
    let bn_outputs = g.nodes[j].outputs.clone();
    let prod = &mut g.nodes[p];
    prod.inputs.truncate(1);
    prod.inputs.push(w);
    prod.inputs.push(b);
    prod.outputs = bn_outputs;
    if let Op::Gemm { beta, .. } = &mut prod.op {
        *beta = 1.0;
    }
    true
}

/// New weight and bias of Conv node `p`, or `None` when shapes do not line up.
fn fold_conv(g: &Graph, p: usize, s: &[f64], t: &[f64]) -> Option<(Tensor, Tensor)> {
    let n = &g.nodes[p];
    let w = g.constant(*n.inputs.get(1)?)?;
    let m = *w.shape.first()?;
    if m != s.len() || m == 0 {
        return None;
    }
    let per = w.len() / m;
    let data = w
        .data
        .iter()
        .enumerate()
        .map(|(i, v)| v * s[i / per])
        .collect();
    let old_b = match n.inputs.get(2) {
        Some(&id) => g.constant(id)?.data.clone(),
        None => vec![0.0; m],
    };
    if old_b.len() != m {
        return None;
    }
    let b = (0..m).map(|c| old_b[c] * s[c] + t[c]).collect();
    Some((
        Tensor::new(w.shape.clone(), data)?,
        Tensor::new(vec![m], b)?,
    ))
}

/// New B and C of Gemm node `p` (C' absorbs beta, so beta becomes 1).
fn fold_gemm(g: &Graph, p: usize, s: &[f64], t: &[f64]) -> Option<(Tensor, Tensor)> {
    let n = &g.nodes[p];
    let Op::Gemm { beta, trans_b, .. } = n.op else {
        return None;
    };
    let b = g.constant(*n.inputs.get(1)?)?;
    let out = g.values.get(*n.outputs.first()?)?.shape.clone();
    let (rows, cols) = match *b.shape.as_slice() {
        [r, c] => (r, c),
        _ => return None,
    };
    let nn = if trans_b { rows } else { cols };
    let &[mm, out_n] = out.as_slice() else {
        return None;
    };
    if nn != s.len() || out_n != nn {
        return None;
    }
    let data = b
        .data
        .iter()
        .enumerate()
        .map(|(i, v)| v * s[if trans_b { i / cols } else { i % cols }])
        .collect();
    let new_b = Tensor::new(b.shape.clone(), data)?;
    let c = match n.inputs.get(2) {
        Some(&id) => Some(g.constant(id)?),
        None => None,
    };
    // C's value at (m, n) under broadcasting to [M, N].
    let c_at = |m: usize, col: usize| -> f64 {
        let Some(c) = c else { return 0.0 };
        let sh = &c.shape;
        let (cr, cc) = match sh.len() {
            0 => (1, 1),
            1 => (1, sh[0]),
            _ => (sh[sh.len() - 2], sh[sh.len() - 1]),
        };
        let (r, k) = (if cr == 1 { 0 } else { m }, if cc == 1 { 0 } else { col });
        c.data.get(r * cc + k).copied().unwrap_or(0.0)
    };
    let varies_with_m = c.is_some_and(|c| c.shape.len() == 2 && c.shape[0] != 1);
    let new_c = if varies_with_m {
        let count = mm.checked_mul(nn).filter(|&c| c <= 1 << 26)?;
        let data = (0..count)
            .map(|i| beta * c_at(i / nn, i % nn) * s[i % nn] + t[i % nn])
            .collect();
        Tensor::new(vec![mm, nn], data)?
    } else {
        let data = (0..nn).map(|k| beta * c_at(0, k) * s[k] + t[k]).collect();
        Tensor::new(vec![nn], data)?
    };
    Some((new_b, new_c))
}

/// Removes values that no node, graph input or graph output references, renumbering ids.
pub(crate) fn remove_unused_values(g: &mut Graph) {
    let mut used = vec![false; g.values.len()];
    let all = g.inputs.iter().chain(&g.outputs).chain(
        g.nodes
            .iter()
            .flat_map(|n| n.inputs.iter().chain(&n.outputs)),
    );
    for &id in all {
        if let Some(u) = used.get_mut(id) {
            *u = true;
        }
    }
    let mut remap = vec![usize::MAX; g.values.len()];
    let mut kept = Vec::new();
    for (i, v) in std::mem::take(&mut g.values).into_iter().enumerate() {
        if used[i] {
            remap[i] = kept.len();
            kept.push(v);
        }
    }
    g.values = kept;
    let fix = |ids: &mut Vec<ValueId>| ids.iter_mut().for_each(|id| *id = remap[*id]);
    fix(&mut g.inputs);
    fix(&mut g.outputs);
    for n in &mut g.nodes {
        fix(&mut n.inputs);
        fix(&mut n.outputs);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ir::{ConvAttrs, Node};

    fn cval(name: &str, shape: Vec<usize>, data: Vec<f64>) -> Value {
        Value {
            name: name.into(),
            shape: shape.clone(),
            kind: ValueKind::Constant(Tensor { shape, data }),
        }
    }

    #[test]
    fn conv_bn_folds() {
        let mut g = Graph {
            values: vec![
                Value {
                    name: "x".into(),
                    shape: vec![1, 1, 1, 1],
                    kind: ValueKind::Input,
                },
                cval("w", vec![2, 1, 1, 1], vec![1.0, 2.0]),
                Value {
                    name: "c".into(),
                    shape: vec![1, 2, 1, 1],
                    kind: ValueKind::Intermediate,
                },
                cval("scale", vec![2], vec![2.0, 3.0]),
                cval("b", vec![2], vec![1.0, -1.0]),
                cval("mean", vec![2], vec![0.5, 0.0]),
                cval("var", vec![2], vec![3.0, 8.0]),
                Value {
                    name: "y".into(),
                    shape: vec![1, 2, 1, 1],
                    kind: ValueKind::Intermediate,
                },
            ],
            nodes: vec![
                Node {
                    name: "conv".into(),
                    op: Op::Conv(ConvAttrs {
                        kernel: vec![1, 1],
                        strides: vec![1, 1],
                        pads: crate::ir::Pads::zeros(2),
                        dilations: vec![1, 1],
                        group: 1,
                    }),
                    inputs: vec![0, 1],
                    outputs: vec![2],
                },
                Node {
                    name: "bn".into(),
                    op: Op::BatchNormalization { epsilon: 1.0 },
                    inputs: vec![2, 3, 4, 5, 6],
                    outputs: vec![7],
                },
            ],
            inputs: vec![0],
            outputs: vec![7],
            opset: 17,
            input_info: Default::default(),
        };
        fold_batch_norms(&mut g);
        assert_eq!(g.nodes.len(), 1);
        let n = &g.nodes[0];
        assert_eq!(g.values[n.outputs[0]].name, "y");
        // s = [2/2, 3/3] = [1, 1]; t = [1 - 0.5, -1 - 0] = [0.5, -1].
        assert_eq!(g.constant(n.inputs[1]).unwrap().data, vec![1.0, 2.0]);
        assert_eq!(g.constant(n.inputs[2]).unwrap().data, vec![0.5, -1.0]);
        assert_eq!(g.values.len(), 4);
    }
}
