//! Recognizing GELU written out in elementary ops, as exporters emit it before ONNX had a
//! `Gelu` operator (opset 20), and replacing the subgraph by one `Gelu` node:
//!
//! - the exact (Erf) form PyTorch exports: `x · (erf(x / √2) + 1) · 0.5` (the division may be
//!   a multiplication by `1/√2`, the three factors may be multiplied in any order);
//! - the tanh approximation (`gelu_new` in Hugging Face models):
//!   `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`, with `x³` as `Pow(x, 3)` or
//!   `x·x·x`.
//!
//! One `Gelu` is cheaper (one table lookup instead of a table plus three rescaled products)
//! and more accurate (one rounding instead of four). Only subgraphs whose intermediates feed
//! nothing else and are not graph outputs are replaced, so the function computed is exactly
//! the same.

use crate::ir::{Graph, Node, Op, ScalarFn, ValueId};

/// Relative tolerance on the constants of the pattern (they are float32 in the model).
const TOL: f64 = 1e-5;

/// Replaces every recognized GELU subgraph, then drops values no longer referenced.
pub(crate) fn fuse_gelus(g: &mut Graph) {
    let mut changed = false;
    let mut j = 0;
    while j < g.nodes.len() {
        if let Some((x, nodes, out)) = match_at(g, j) {
            let tanh = matches!(g.nodes[j].op, Op::Function(ScalarFn::Tanh));
            let name = format!("{}_gelu", g.nodes[j].name);
            let first = nodes.iter().copied().min().unwrap_or(j);
            let fused = Node {
                name,
                op: Op::Function(ScalarFn::Gelu { tanh }),
                inputs: vec![x],
                outputs: vec![out],
            };
            let mut keep = Vec::with_capacity(g.nodes.len());
            for (i, n) in std::mem::take(&mut g.nodes).into_iter().enumerate() {
                if i == first {
                    keep.push(fused.clone());
                }
                if !nodes.contains(&i) {
                    keep.push(n);
                }
            }
            g.nodes = keep;
            changed = true;
            j = 0;
        } else {
            j += 1;
        }
    }
    if changed {
        crate::bn_fold::remove_unused_values(g);
    }
}

fn close(v: f64, want: f64) -> bool {
    (v - want).abs() <= TOL * want.abs().max(1.0)
}

/// The scalar value of a constant (every element equal), if `id` is one.
fn scalar(g: &Graph, id: ValueId) -> Option<f64> {
    let t = g.constant(id)?;
    let first = *t.data.first()?;
    t.data.iter().all(|v| *v == first).then_some(first)
}

fn producer(g: &Graph, id: ValueId) -> Option<usize> {
    g.nodes.iter().position(|n| n.outputs.first() == Some(&id))
}

/// The single consumer of `id`, when it has exactly one and is not a graph output.
fn only_consumer(g: &Graph, id: ValueId) -> Option<usize> {
    if g.outputs.contains(&id) {
        return None;
    }
    let mut it = g
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.inputs.contains(&id));
    let (i, n) = it.next()?;
    (it.next().is_none() && n.inputs.iter().filter(|&&v| v == id).count() == 1).then_some(i)
}

/// For a binary node `n` with a scalar-constant operand, the other operand and the
/// constant.
fn with_const(g: &Graph, n: &Node) -> Option<(ValueId, f64)> {
    match n.inputs.as_slice() {
        [a, b] => match (scalar(g, *a), scalar(g, *b)) {
            (None, Some(c)) => Some((*a, c)),
            (Some(c), None) => Some((*b, c)),
            _ => None,
        },
        _ => None,
    }
}

fn out(n: &Node) -> Option<ValueId> {
    n.outputs.first().copied()
}

/// The other input of binary node `n` besides `v`.
fn other(n: &Node, v: ValueId) -> Option<ValueId> {
    match n.inputs.as_slice() {
        [a, b] if *a == v => Some(*b),
        [a, b] if *b == v => Some(*a),
        _ => None,
    }
}

/// `x · a · 0.5` from `a` (the `1 + f(..)` value) on: returns the nodes and the output.
fn tail(g: &Graph, x: ValueId, a: ValueId) -> Option<(Vec<usize>, ValueId)> {
    let m1 = only_consumer(g, a)?;
    let n1 = &g.nodes[m1];
    if n1.op != Op::Mul {
        return None;
    }
    let o = other(n1, a)?;
    let p = out(n1)?;
    if o == x || scalar(g, o).is_some_and(|c| close(c, 0.5)) {
        // (x · a) · 0.5 or (a · 0.5) · x
        let m2 = only_consumer(g, p)?;
        let n2 = &g.nodes[m2];
        let ok = n2.op == Op::Mul
            && match other(n2, p) {
                Some(v) if o == x => scalar(g, v).is_some_and(|c| close(c, 0.5)),
                Some(v) => v == x,
                None => false,
            };
        return ok.then_some((vec![m1, m2], out(n2)?));
    }
    // (x · 0.5) · a, where h = Mul(x, 0.5) is used only here.
    let h = producer(g, o)?;
    let nh = &g.nodes[h];
    let (v, c) = with_const(g, nh)?;
    let ok = nh.op == Op::Mul && v == x && close(c, 0.5) && only_consumer(g, o) == Some(m1);
    ok.then_some((vec![h, m1], p))
}

/// `t + 1` after the Erf/Tanh node `j`: the Add node and its output.
fn plus_one(g: &Graph, j: usize) -> Option<(usize, ValueId)> {
    let e = out(&g.nodes[j])?;
    let a = only_consumer(g, e)?;
    let na = &g.nodes[a];
    let (v, c) = with_const(g, na)?;
    (na.op == Op::Add && v == e && close(c, 1.0)).then_some((a, out(na)?))
}

/// Matches a GELU subgraph around the Erf or Tanh node `j`: `(x, nodes, output)`.
fn match_at(g: &Graph, j: usize) -> Option<(ValueId, Vec<usize>, ValueId)> {
    let n = &g.nodes[j];
    let arg = *n.inputs.first()?;
    let pa = producer(g, arg)?;
    if only_consumer(g, arg) != Some(j) {
        return None;
    }
    let np = &g.nodes[pa];
    let mut nodes = vec![pa, j];
    let x = match n.op {
        Op::Function(ScalarFn::Erf) => {
            // x / √2 or x · (1/√2)
            let (x, c) = with_const(g, np)?;
            let ok = match np.op {
                Op::Div => np.inputs.first() == Some(&x) && close(c, std::f64::consts::SQRT_2),
                Op::Mul => close(c, std::f64::consts::FRAC_1_SQRT_2),
                _ => false,
            };
            ok.then_some(x)?
        }
        Op::Function(ScalarFn::Tanh) => {
            // √(2/π) · (x + 0.044715 · x³)
            let (r, c) = with_const(g, np)?;
            if np.op != Op::Mul || !close(c, (2.0 / std::f64::consts::PI).sqrt()) {
                return None;
            }
            let pr = producer(g, r)?;
            let nr = &g.nodes[pr];
            if nr.op != Op::Add || only_consumer(g, r) != Some(pa) {
                return None;
            }
            // One input is x, the other 0.044715 · x³.
            let [u, v] = nr.inputs.as_slice() else {
                return None;
            };
            let (x, q) = [(*u, *v), (*v, *u)]
                .into_iter()
                .find(|(x, q)| cube_term(g, *x, *q).is_some())?;
            nodes.push(pr);
            nodes.extend(cube_term(g, x, q)?);
            x
        }
        _ => return None,
    };
    let (a_node, a) = plus_one(g, j)?;
    nodes.push(a_node);
    let (t, y) = tail(g, x, a)?;
    nodes.extend(t);
    Some((x, nodes, y))
}

/// The nodes computing `q = 0.044715 · x³` (`Pow(x, 3)` or `x·x·x`), each used only once.
fn cube_term(g: &Graph, x: ValueId, q: ValueId) -> Option<Vec<usize>> {
    let pq = producer(g, q)?;
    let nq = &g.nodes[pq];
    let (c3, k) = with_const(g, nq)?;
    if nq.op != Op::Mul || !close(k, 0.044715) || only_consumer(g, q).is_none() {
        return None;
    }
    let p3 = producer(g, c3)?;
    let n3 = &g.nodes[p3];
    if only_consumer(g, c3) != Some(pq) {
        return None;
    }
    match &n3.op {
        Op::Pow { exponent } if close(*exponent, 3.0) && n3.inputs.first() == Some(&x) => {
            Some(vec![pq, p3])
        }
        Op::Mul => {
            // (x·x)·x
            let sq = other(n3, x)?;
            let ps = producer(g, sq)?;
            let ns = &g.nodes[ps];
            let ok = ns.op == Op::Mul
                && ns.inputs.iter().all(|v| *v == x)
                && only_consumer(g, sq) == Some(p3);
            ok.then_some(vec![pq, p3, ps])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ir::{Tensor, Value, ValueKind};

    struct B {
        g: Graph,
    }

    impl B {
        fn new() -> Self {
            let mut g = Graph {
                values: Vec::new(),
                nodes: Vec::new(),
                inputs: Vec::new(),
                outputs: Vec::new(),
                opset: 17,
                input_info: Default::default(),
            };
            g.values.push(Value {
                name: "x".into(),
                shape: vec![2, 3],
                kind: ValueKind::Input,
            });
            g.inputs.push(0);
            Self { g }
        }
        fn c(&mut self, v: f64) -> ValueId {
            self.g.values.push(Value {
                name: format!("c{}", self.g.values.len()),
                shape: vec![],
                kind: ValueKind::Constant(Tensor::new(vec![], vec![v]).unwrap()),
            });
            self.g.values.len() - 1
        }
        fn op(&mut self, op: Op, inputs: Vec<ValueId>) -> ValueId {
            self.g.values.push(Value {
                name: format!("v{}", self.g.values.len()),
                shape: vec![2, 3],
                kind: ValueKind::Intermediate,
            });
            let out = self.g.values.len() - 1;
            self.g.nodes.push(Node {
                name: format!("n{}", self.g.nodes.len()),
                op,
                inputs,
                outputs: vec![out],
            });
            out
        }
    }

    fn erf_form(b: &mut B, order: usize) -> ValueId {
        let s2 = b.c(std::f64::consts::SQRT_2);
        let d = b.op(Op::Div, vec![0, s2]);
        let e = b.op(Op::Function(ScalarFn::Erf), vec![d]);
        let one = b.c(1.0);
        let a = b.op(Op::Add, vec![e, one]);
        let half = b.c(0.5);
        match order {
            0 => {
                let m = b.op(Op::Mul, vec![0, a]);
                b.op(Op::Mul, vec![m, half])
            }
            1 => {
                let m = b.op(Op::Mul, vec![a, half]);
                b.op(Op::Mul, vec![m, 0])
            }
            _ => {
                let h = b.op(Op::Mul, vec![0, half]);
                b.op(Op::Mul, vec![h, a])
            }
        }
    }

    #[test]
    fn erf_form_fuses_in_every_multiplication_order() {
        for order in 0..3 {
            let mut b = B::new();
            let y = erf_form(&mut b, order);
            b.g.outputs.push(y);
            fuse_gelus(&mut b.g);
            assert_eq!(b.g.nodes.len(), 1, "order {order}: {:?}", b.g.nodes);
            assert_eq!(
                b.g.nodes[0].op,
                Op::Function(ScalarFn::Gelu { tanh: false })
            );
            assert_eq!(b.g.nodes[0].inputs, vec![0]);
            let out = b.g.nodes[0].outputs[0];
            assert_eq!(b.g.outputs, vec![out]);
        }
    }

    #[test]
    fn tanh_form_fuses_with_pow_or_products() {
        for cube_by_pow in [true, false] {
            let mut b = B::new();
            let c3 = if cube_by_pow {
                b.op(Op::Pow { exponent: 3.0 }, vec![0])
            } else {
                let sq = b.op(Op::Mul, vec![0, 0]);
                b.op(Op::Mul, vec![sq, 0])
            };
            let k = b.c(0.044715);
            let q = b.op(Op::Mul, vec![c3, k]);
            let r = b.op(Op::Add, vec![0, q]);
            let s = b.c((2.0 / std::f64::consts::PI).sqrt());
            let t = b.op(Op::Mul, vec![r, s]);
            let th = b.op(Op::Function(ScalarFn::Tanh), vec![t]);
            let one = b.c(1.0);
            let a = b.op(Op::Add, vec![one, th]);
            let half = b.c(0.5);
            let h = b.op(Op::Mul, vec![half, 0]);
            let y = b.op(Op::Mul, vec![h, a]);
            b.g.outputs.push(y);
            fuse_gelus(&mut b.g);
            assert_eq!(b.g.nodes.len(), 1, "{:?}", b.g.nodes);
            assert_eq!(b.g.nodes[0].op, Op::Function(ScalarFn::Gelu { tanh: true }));
        }
    }

    #[test]
    fn shared_intermediates_or_other_constants_are_left_alone() {
        // The Erf output is also a graph output: fusing would drop it.
        let mut b = B::new();
        let y = erf_form(&mut b, 0);
        b.g.outputs.push(y);
        let erf_out = b.g.nodes[1].outputs[0];
        b.g.outputs.push(erf_out);
        fuse_gelus(&mut b.g);
        assert_eq!(b.g.nodes.len(), 5);
        // A different constant (x / 2 instead of x / √2) is another function.
        let mut b = B::new();
        let y = erf_form(&mut b, 0);
        b.g.outputs.push(y);
        b.g.values[1].kind = ValueKind::Constant(Tensor::new(vec![], vec![2.0]).unwrap());
        fuse_gelus(&mut b.g);
        assert_eq!(b.g.nodes.len(), 5);
    }
}
