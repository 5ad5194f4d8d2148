//! Topological ordering of ONNX nodes, with detection of dangling inputs, duplicate outputs
//! and cycles.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use onnx_protobuf::NodeProto;

/// The result of ordering a graph's nodes.
#[derive(Debug, Default)]
pub(crate) struct TopoOrder {
    /// Node indices in an order where every producer precedes its consumers (ties keep the
    /// original order). Nodes on a cycle are appended at the end in original order.
    pub order: Vec<usize>,
    /// `(node index, input name)` for inputs nothing produces.
    pub dangling: Vec<(usize, String)>,
    /// Indices of nodes that are on (or downstream of) a cycle.
    pub cyclic: Vec<usize>,
    /// Tensor names produced more than once.
    pub duplicate_outputs: Vec<String>,
}

/// Orders `nodes` given the names available before any node runs (graph inputs and
/// initializers).
pub(crate) fn sort(nodes: &[NodeProto], available: &HashSet<&str>) -> TopoOrder {
    let mut result = TopoOrder::default();
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            if producer.insert(o.as_str(), i).is_some() || available.contains(o.as_str()) {
                result.duplicate_outputs.push(o.clone());
            }
        }
    }
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut pending: Vec<usize> = vec![0; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let mut deps = HashSet::new();
        for inp in n.input.iter().filter(|x| !x.is_empty()) {
            if available.contains(inp.as_str()) {
                continue;
            }
            match producer.get(inp.as_str()) {
                Some(&p) => {
                    deps.insert(p);
                }
                None => result.dangling.push((i, inp.clone())),
            }
        }
        pending[i] = deps.len();
        for p in deps {
            consumers[p].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..nodes.len())
        .filter(|&i| pending[i] == 0)
        .map(Reverse)
        .collect();
    let mut done = vec![false; nodes.len()];
    while let Some(Reverse(i)) = ready.pop() {
        done[i] = true;
        result.order.push(i);
        for &c in &consumers[i] {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push(Reverse(c));
            }
        }
    }
    for (i, &d) in done.iter().enumerate() {
        if !d {
            result.cyclic.push(i);
            result.order.push(i);
        }
    }
    result
}

/// Which nodes some graph output depends on: `needed[i]` for node `i`, found by walking
/// back from `outputs` through each tensor's producer (the first node that lists it as an
/// output). Nodes no output depends on need not be imported at all.
pub(crate) fn needed(nodes: &[NodeProto], outputs: &[&str]) -> Vec<bool> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            producer.entry(o.as_str()).or_insert(i);
        }
    }
    let mut needed = vec![false; nodes.len()];
    let mut stack: Vec<&str> = outputs.to_vec();
    while let Some(name) = stack.pop() {
        let Some(&i) = producer.get(name) else {
            continue; // a graph input, an initializer, or dangling (reported elsewhere)
        };
        if !needed[i] {
            needed[i] = true;
            stack.extend(
                nodes[i]
                    .input
                    .iter()
                    .filter(|x| !x.is_empty())
                    .map(String::as_str),
            );
        }
    }
    needed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(inputs: &[&str], outputs: &[&str]) -> NodeProto {
        NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn orders_reversed_graph_and_finds_problems() {
        let nodes = vec![
            node(&["b"], &["c"]),
            node(&["x"], &["b"]),
            node(&["zzz"], &["d"]),
        ];
        let avail: HashSet<&str> = ["x"].into_iter().collect();
        let t = sort(&nodes, &avail);
        assert_eq!(t.order, vec![1, 0, 2]);
        assert_eq!(t.dangling, vec![(2, "zzz".to_string())]);
        let cyc = vec![node(&["a"], &["b"]), node(&["b"], &["a"])];
        let t = sort(&cyc, &HashSet::new());
        assert_eq!(t.cyclic, vec![0, 1]);
    }

    #[test]
    fn needed_walks_back_from_the_outputs_only() {
        let nodes = vec![
            node(&["x"], &["a"]),      // used through "b"
            node(&["x"], &["unused"]), // feeds only node 3
            node(&["a", ""], &["b"]),  // an absent optional input is skipped
            node(&["unused"], &["c"]), // downstream of an unused node, itself unused
            node(&["c", "b"], &["d"]), // joins the unused branch and the used chain
        ];
        assert_eq!(needed(&nodes, &["b"]), [true, false, true, false, false]);
        assert_eq!(needed(&nodes, &["d"]), [true, true, true, true, true]);
        assert_eq!(
            needed(&nodes, &["x"]),
            [false; 5],
            "a graph input needs no node"
        );
        let cyc = vec![node(&["a"], &["b"]), node(&["b"], &["a"])];
        assert_eq!(needed(&cyc, &["a"]), [true, true], "cycles terminate");
    }
}
