//! Which ONNX tensors are runtime, where each is produced and last read, and where the node
//! list can be cut.

use std::collections::{HashMap, HashSet};

use onnx_protobuf::{GraphProto, NodeProto};

use crate::convert::node_name;
use crate::error::ImportError;
use crate::ir::{Graph, Value, ValueKind};

use super::CutPoint;

/// What [`analyze`] found about one model's node list.
pub(super) struct Analysis<'m> {
    /// The model's graph.
    pub g: &'m GraphProto,
    /// Initializer names (dense and sparse).
    pub inits: HashSet<&'m str>,
    /// Tensor name → index of the node that produces it.
    pub producer: HashMap<&'m str, usize>,
    /// Runtime tensors (depending on a graph input) → the node producing them (`None` for a
    /// graph input).
    pub runtime: HashMap<&'m str, Option<usize>>,
    /// Tensor name → index of the last node reading it.
    pub last_use: HashMap<&'m str, usize>,
    /// `Shape` nodes whose input's static shape is in the IR: node index → the dims they
    /// produce. Their outputs are constants (the importer folds them the same way).
    pub shape_consts: HashMap<usize, Vec<i64>>,
}

/// The IR value named `name`, preferring a runtime one when several share the name.
pub(super) fn ir_value<'g>(graph: &'g Graph, name: &str) -> Option<&'g Value> {
    let mut found = None;
    for v in graph.values.iter().filter(|v| v.name == name) {
        if !matches!(v.kind, ValueKind::Constant(_)) {
            return Some(v);
        }
        found.get_or_insert(v);
    }
    found
}

/// Whether `n` is an ONNX `Shape` node of the default domain.
fn is_shape(n: &NodeProto) -> bool {
    n.op_type == "Shape" && (n.domain.is_empty() || n.domain == "ai.onnx")
}

/// The dims `Shape` produces for an input of static shape `shape`, with its `start` / `end`
/// attributes (opset 15; both clamped to `[0, rank]` after adding the rank to negatives).
fn shape_dims(n: &NodeProto, shape: &[usize]) -> Vec<i64> {
    let rank = i64::try_from(shape.len()).unwrap_or(i64::MAX);
    let attr = |name: &str, default: i64| {
        n.attribute
            .iter()
            .find(|a| a.name == name)
            .map_or(default, |a| a.i)
    };
    // i' = i + rank if i < 0, then clamp(i', 0, rank)
    let clamp = |i: i64| if i < 0 { i + rank } else { i }.clamp(0, rank);
    let (start, end) = (clamp(attr("start", 0)), clamp(attr("end", rank)));
    shape
        .iter()
        .enumerate()
        .filter(|(i, _)| (start..end).contains(&i64::try_from(*i).unwrap_or(i64::MAX)))
        .map(|(_, &d)| i64::try_from(d).unwrap_or(i64::MAX))
        .collect()
}

/// Walks the node list of `g` in file order. Errors when a node reads a tensor that no
/// earlier node, graph input or initializer provides.
pub(super) fn analyze<'m>(
    g: &'m GraphProto,
    source_name: &str,
    graph: &Graph,
) -> Result<Analysis<'m>, ImportError> {
    let sparse = g
        .sparse_initializer
        .iter()
        .filter_map(|t| t.values.as_ref().map(|v| v.name.as_str()));
    let inits: HashSet<&str> = g
        .initializer
        .iter()
        .map(|t| t.name.as_str())
        .chain(sparse)
        .collect();
    let mut runtime: HashMap<&str, Option<usize>> = g
        .input
        .iter()
        .filter(|vi| !inits.contains(vi.name.as_str()))
        .map(|vi| (vi.name.as_str(), None))
        .collect();
    let mut producer = HashMap::new();
    let mut last_use = HashMap::new();
    let mut shape_consts = HashMap::new();
    for (i, n) in g.node.iter().enumerate() {
        let mut reads_runtime = false;
        for inp in n.input.iter().filter(|x| !x.is_empty()) {
            let name = inp.as_str();
            let known = inits.contains(name)
                || runtime.get(name) == Some(&None)
                || producer.contains_key(name);
            if !known {
                return Err(ImportError::SplitOrder {
                    model: source_name.to_string(),
                    index: i,
                    node: node_name(n, i),
                    input: inp.clone(),
                });
            }
            reads_runtime |= runtime.contains_key(name);
            last_use.insert(name, i);
        }
        let shape = n
            .input
            .first()
            .filter(|_| is_shape(n))
            .and_then(|x| ir_value(graph, x));
        if let Some(v) = shape {
            shape_consts.insert(i, shape_dims(n, &v.shape));
            reads_runtime = false;
        }
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            producer.insert(o.as_str(), i);
            if reads_runtime {
                runtime.insert(o.as_str(), Some(i));
            }
        }
    }
    Ok(Analysis {
        g,
        inits,
        producer,
        runtime,
        last_use,
        shape_consts,
    })
}

impl Analysis<'_> {
    /// Every valid cut, in node order (see [`super::cut_points`] for the rules).
    pub fn cuts(&self, graph: &Graph) -> Vec<CutPoint> {
        let n = self.g.node.len();
        let outputs: HashSet<&str> = self.g.output.iter().map(|o| o.name.as_str()).collect();
        // No cut at or after the first node that produces a graph output (a graph output
        // that is an input or initializer rules out every cut).
        let first_output = outputs
            .iter()
            .map(|o| self.producer.get(o).copied())
            .min()
            .flatten()
            .unwrap_or(0);
        // A runtime tensor born at node b (0 for a graph input) crosses the cuts after
        // b, b+1, .., last - 1, where `last` is its last reader (n for a graph output).
        let mut crossing: Vec<Vec<&str>> = vec![Vec::new(); n];
        for (&t, &born) in &self.runtime {
            let last = if outputs.contains(t) {
                n
            } else {
                self.last_use.get(t).copied().unwrap_or(0)
            };
            for slot in crossing
                .iter_mut()
                .take(last)
                .skip(born.unwrap_or(0))
                .filter(|s| s.len() < 2)
            {
                slot.push(t);
            }
        }
        let mut cuts = Vec::new();
        for (after, tensors) in crossing.iter().enumerate().take(first_output) {
            let [t] = tensors[..] else { continue };
            // A graph input crossing: the left segment would compute nothing.
            if self.runtime.get(t) == Some(&None) {
                continue;
            }
            // The crossing tensor is read after the cut (not only a graph output).
            if self.last_use.get(t).is_none_or(|&l| l <= after) {
                continue;
            }
            match ir_value(graph, t) {
                Some(v) if !matches!(v.kind, ValueKind::Constant(_)) => cuts.push(CutPoint {
                    after,
                    tensor: t.to_string(),
                    shape: v.shape.clone(),
                }),
                _ => {}
            }
        }
        cuts
    }
}
