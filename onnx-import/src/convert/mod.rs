//! The conversion engine: walks the ONNX graph in topological order, folds constants, maps
//! supported nodes to IR ops with inferred shapes, and records a per-node status.
//!
//! It never stops at the first problem: every error is collected (so all unsupported ops can
//! be reported at once, and [`crate::inspect_bytes`] can describe a model it cannot import).

use std::collections::{HashMap, HashSet};

use onnx_protobuf::{GraphProto, ModelProto, NodeProto};

use crate::budget::{FoldBudget, MAX_FOLD_ELEMS};
use crate::error::{display_domain, ImportError, UnsupportedOp};
use crate::fold::ConstVal;
use crate::ir::{Graph, Value, ValueId, ValueKind};
use crate::ops::{InputRef, NodeCtx};
use crate::proto::{self, Attrs, ConstError, Declared};
use crate::registry::{Lower, OpDef, Registry};
use crate::report::{NodeReport, NodeStatus};
use crate::topo;

mod plan;
mod setup;

use plan::{Failure, Planned};

pub use crate::registry::OPSET_RANGE;

/// What the engine knows about a named tensor.
enum Slot {
    /// A runtime value in the IR (graph input or node output).
    Runtime { id: ValueId, shape: Vec<usize> },
    /// A constant, added to the IR value table when first used by a node or as an output.
    Const { val: ConstVal, id: Option<ValueId> },
    /// Not known (after an unsupported node or an unusable graph input).
    Unknown { reason: String },
    /// An initializer the importer cannot read (the error is reported where it is used).
    Bad { tensor: String, error: ConstError },
}

/// The error of reading the unreadable initializer `tensor`.
fn bad_initializer(tensor: &str, error: &ConstError) -> ImportError {
    error.clone().into_import_error("initializer", tensor)
}

/// The result of running the engine over a model.
pub(crate) struct Conversion {
    /// The IR graph (complete only when `unsupported` and `errors` are empty).
    pub graph: Graph,
    /// One report per ONNX node, in the model's node order.
    pub reports: Vec<NodeReport>,
    /// Nodes with unsupported operators.
    pub unsupported: Vec<UnsupportedOp>,
    /// Graph-level errors (opset, inputs, cycles) found before the nodes were visited.
    pub model_errors: Vec<ImportError>,
    /// Every other error, in visiting order.
    pub errors: Vec<ImportError>,
    /// Multiply-accumulates of the emitted Gemm / MatMul / Conv nodes.
    pub macs: u64,
    /// Runtime operator names of the registry used (listed in the unsupported-ops error).
    pub supported: Vec<&'static str>,
    /// Import-time-only operator names of the registry used.
    pub fold_only: Vec<&'static str>,
}

impl Conversion {
    /// The first error, with all unsupported ops reported together.
    pub fn into_result(mut self) -> Result<Graph, ImportError> {
        if !self.model_errors.is_empty() {
            return Err(self.model_errors.swap_remove(0));
        }
        if !self.unsupported.is_empty() {
            return Err(ImportError::UnsupportedOps {
                ops: self.unsupported,
                supported: self.supported,
                fold_only: self.fold_only,
            });
        }
        if !self.errors.is_empty() {
            return Err(self.errors.swap_remove(0));
        }
        Ok(self.graph)
    }
}

struct Engine<'m> {
    g: &'m GraphProto,
    registry: &'m Registry,
    opts: &'m crate::dims::ImportOptions,
    declared: HashMap<&'m str, Declared>,
    slots: HashMap<String, Slot>,
    /// Elements folded so far, against [`MAX_FOLD_ELEMS`].
    fold: FoldBudget,
    /// `needed[i]`: some graph output depends on node `i` (the others are skipped).
    needed: Vec<bool>,
    conv: Conversion,
}

/// Node name as used in the IR and in messages.
pub(crate) fn node_name(n: &NodeProto, index: usize) -> String {
    if n.name.is_empty() {
        format!("{}_{index}", n.op_type)
    } else {
        n.name.clone()
    }
}

/// Runs the engine over a decoded model.
pub(crate) fn convert(
    model: &ModelProto,
    registry: &Registry,
    opts: &crate::dims::ImportOptions,
) -> Conversion {
    let empty = GraphProto::default();
    let g = model.graph.as_ref().unwrap_or(&empty);
    let mut conv = Conversion {
        graph: Graph {
            values: vec![],
            nodes: vec![],
            inputs: vec![],
            outputs: vec![],
            opset: 0,
            input_info: Default::default(),
        },
        reports: vec![],
        unsupported: vec![],
        model_errors: vec![],
        errors: vec![],
        macs: 0,
        supported: registry.runtime_ops(),
        fold_only: registry.fold_only_ops(),
    };
    conv.graph.opset = setup::read_opset(model, &mut conv.model_errors);
    let mut declared = HashMap::new();
    for vi in g.value_info.iter().chain(&g.output).chain(&g.input) {
        declared
            .entry(vi.name.as_str())
            .or_insert_with(|| proto::declared(vi));
    }
    let outputs: Vec<&str> = g.output.iter().map(|o| o.name.as_str()).collect();
    let mut e = Engine {
        g,
        registry,
        opts,
        declared,
        slots: HashMap::new(),
        fold: FoldBudget::new(MAX_FOLD_ELEMS),
        needed: topo::needed(&g.node, &outputs),
        conv,
    };
    e.run();
    e.conv
}

impl<'m> Engine<'m> {
    fn run(&mut self) {
        let g = self.g;
        if g.node.is_empty() {
            self.conv.model_errors.push(ImportError::model(
                "the graph has no nodes; there is nothing to prove",
            ));
        }
        if g.output.is_empty() {
            self.conv.model_errors.push(ImportError::model(
                "the graph declares no outputs; export the model with at least one output",
            ));
        }
        self.load_initializers();
        self.load_inputs();
        let available: HashSet<&str> = self.slots.keys().map(String::as_str).collect();
        let order = topo::sort(&g.node, &available);
        for name in &order.duplicate_outputs {
            self.conv.model_errors.push(ImportError::model(format!(
                "tensor \"{name}\" is produced more than once (by several nodes, or by a node \
                 and a graph input/initializer); ONNX graphs must be in SSA form"
            )));
        }
        for (i, input) in &order.dangling {
            let n = &g.node[*i];
            self.conv.errors.push(ImportError::DanglingInput {
                node: node_name(n, *i),
                op_type: n.op_type.clone(),
                input: input.clone(),
            });
        }
        if !order.cyclic.is_empty() {
            let names: Vec<String> = order
                .cyclic
                .iter()
                .map(|&i| format!("\"{}\"", node_name(&g.node[i], i)))
                .collect();
            self.conv.model_errors.push(ImportError::model(format!(
                "the graph contains a cycle through nodes {}; ONNX graphs must be acyclic",
                names.join(", ")
            )));
        }
        let mut reports: Vec<Option<NodeReport>> = vec![None; g.node.len()];
        for &i in &order.order {
            reports[i] = Some(if self.needed[i] {
                self.visit(i)
            } else {
                self.unused(i)
            });
        }
        self.conv.reports = reports.into_iter().flatten().collect();
        self.resolve_outputs();
        self.check_runtime_budget();
    }

    /// The report of a node no graph output depends on: it is neither mapped nor folded, so
    /// it costs nothing (and cannot fail the import).
    fn unused(&self, index: usize) -> NodeReport {
        let n = &self.g.node[index];
        NodeReport {
            name: node_name(n, index),
            op_type: n.op_type.clone(),
            domain: n.domain.clone(),
            input_shapes: n
                .input
                .iter()
                .filter(|x| !x.is_empty())
                .map(|x| self.shape_of(x))
                .collect(),
            output_shapes: n
                .output
                .iter()
                .filter(|o| !o.is_empty())
                .map(|o| {
                    self.declared
                        .get(o.as_str())
                        .and_then(Declared::static_shape)
                })
                .collect(),
            status: NodeStatus::Unused,
        }
    }

    fn push_value(&mut self, name: &str, shape: Vec<usize>, kind: ValueKind) -> ValueId {
        self.conv.graph.values.push(Value {
            name: name.to_string(),
            shape,
            kind,
        });
        self.conv.graph.values.len() - 1
    }

    /// The IR id of a known slot, adding constants to the value table on first use.
    fn ensure_id(&mut self, name: &str) -> Option<ValueId> {
        let tensor = match self.slots.get(name)? {
            Slot::Runtime { id, .. } | Slot::Const { id: Some(id), .. } => return Some(*id),
            Slot::Const { val, id: None } => val.tensor.clone(),
            Slot::Unknown { .. } | Slot::Bad { .. } => return None,
        };
        let id = self.push_value(name, tensor.shape.clone(), ValueKind::Constant(tensor));
        if let Some(Slot::Const { id: slot_id, .. }) = self.slots.get_mut(name) {
            *slot_id = Some(id);
        }
        Some(id)
    }

    /// [`Self::ensure_id`] for a graph output, once every node has been visited: a constant
    /// not yet in the value table is moved there rather than copied, since no node reads its
    /// slot any more (the slot keeps only the id, for an output listed twice).
    fn output_id(&mut self, name: &str) -> Option<ValueId> {
        if !matches!(self.slots.get(name), Some(Slot::Const { id: None, .. })) {
            return self.ensure_id(name);
        }
        if let Some(Slot::Const { val, .. }) = self.slots.remove(name) {
            let shape = val.tensor.shape.clone();
            let id = self.push_value(name, shape.clone(), ValueKind::Constant(val.tensor));
            self.slots
                .insert(name.to_string(), Slot::Runtime { id, shape });
            return Some(id);
        }
        None
    }

    /// Marks a node's outputs as unknown (or as runtime values of their declared shape).
    fn poison_outputs(&mut self, n: &NodeProto, reason: &str) -> Vec<Option<Vec<usize>>> {
        let mut shapes = Vec::new();
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            let declared = self
                .declared
                .get(o.as_str())
                .and_then(Declared::static_shape);
            let slot = match &declared {
                Some(s) => {
                    let id = self.push_value(o, s.clone(), ValueKind::Intermediate);
                    Slot::Runtime {
                        id,
                        shape: s.clone(),
                    }
                }
                None => Slot::Unknown {
                    reason: reason.to_string(),
                },
            };
            self.slots.insert(o.clone(), slot);
            shapes.push(declared);
        }
        shapes
    }

    fn visit(&mut self, index: usize) -> NodeReport {
        let g = self.g;
        let n = &g.node[index];
        let name = node_name(n, index);
        let input_shapes: Vec<Option<Vec<usize>>> = n
            .input
            .iter()
            .filter(|x| !x.is_empty())
            .map(|x| self.shape_of(x))
            .collect();
        let mut report = NodeReport {
            name: name.clone(),
            op_type: n.op_type.clone(),
            domain: n.domain.clone(),
            input_shapes,
            output_shapes: vec![],
            status: NodeStatus::Supported,
        };
        let Some(def) = self.registry.get(&n.domain, &n.op_type).copied() else {
            let reason = format!(
                "operator {}::{} is not supported",
                display_domain(&n.domain),
                n.op_type
            );
            self.unsupported(&mut report, n, None, reason);
            return report;
        };
        let opset = self.conv.graph.opset;
        if !def.opset_range().contains(&opset) {
            let detail = format!(
                "exists only in opsets {} to {}, but the model declares opset {opset}",
                def.opset_range().start(),
                def.opset_range().end()
            );
            let reason = format!("{} {detail}", n.op_type);
            self.unsupported(&mut report, n, Some(detail), reason);
            return report;
        }
        match self.visit_known(n, &name, &def) {
            Ok((status, shapes)) => {
                report.status = status;
                report.output_shapes = shapes.into_iter().map(Some).collect();
            }
            Err(Failure::Blocked(reason)) => {
                report.output_shapes = self.poison_outputs(n, &reason);
            }
            Err(Failure::Missing(reason)) => {
                report.output_shapes = self.poison_outputs(n, &reason);
                report.status = NodeStatus::Unsupported { reason };
            }
            Err(Failure::Unsupported(detail)) => {
                let reason = format!("{} {detail}", n.op_type);
                self.unsupported(&mut report, n, Some(detail), reason);
            }
            Err(Failure::Error(e)) => {
                report.status = NodeStatus::Unsupported {
                    reason: e.to_string(),
                };
                report.output_shapes = self.poison_outputs(n, &e.to_string());
                self.conv.errors.push(e);
            }
        }
        report
    }

    fn unsupported(
        &mut self,
        r: &mut NodeReport,
        n: &NodeProto,
        detail: Option<String>,
        reason: String,
    ) {
        self.conv.unsupported.push(UnsupportedOp {
            node: r.name.clone(),
            op_type: n.op_type.clone(),
            domain: n.domain.clone(),
            detail,
        });
        r.output_shapes = self.poison_outputs(n, &reason);
        r.status = NodeStatus::Unsupported { reason };
    }

    fn shape_of(&self, name: &str) -> Option<Vec<usize>> {
        match self.slots.get(name)? {
            Slot::Runtime { shape, .. } => Some(shape.clone()),
            Slot::Const { val, .. } => Some(val.tensor.shape.clone()),
            Slot::Unknown { .. } | Slot::Bad { .. } => None,
        }
    }

    fn visit_known(
        &mut self,
        n: &'m NodeProto,
        name: &str,
        def: &OpDef,
    ) -> Result<(NodeStatus, Vec<Vec<usize>>), Failure> {
        let mut inputs = Vec::with_capacity(n.input.len());
        for inp in &n.input {
            if inp.is_empty() {
                inputs.push(None);
                continue;
            }
            let r = match self.slots.get(inp.as_str()) {
                None => {
                    return Err(Failure::Missing(format!(
                        "input \"{inp}\" is not available (dangling or part of a cycle)"
                    )))
                }
                Some(Slot::Bad { tensor, error }) => {
                    return Err(Failure::Error(bad_initializer(tensor, error)))
                }
                Some(Slot::Unknown { reason }) => {
                    return Err(Failure::Blocked(format!(
                        "input \"{inp}\" is unknown: {reason}"
                    )))
                }
                Some(Slot::Runtime { shape, .. }) => InputRef {
                    name: inp,
                    shape,
                    constant: None,
                },
                Some(Slot::Const { val, .. }) => InputRef {
                    name: inp,
                    shape: &val.tensor.shape,
                    constant: Some(val),
                },
            };
            inputs.push(Some(r));
        }
        let ctx = NodeCtx {
            name,
            op_type: &n.op_type,
            opset: self.conv.graph.opset,
            attrs: Attrs::new(&n.attribute),
            inputs,
            n_outputs: n.output.iter().filter(|o| !o.is_empty()).count(),
            fold: &self.fold,
        };
        let out_names: Vec<String> = n.output.iter().filter(|o| !o.is_empty()).cloned().collect();
        let map = match def.lower {
            Lower::FoldOnly(fold) => {
                if n.op_type != "Shape" && n.op_type != "Constant" {
                    if let Some(rt) = ctx.inputs.iter().flatten().find(|i| i.constant.is_none()) {
                        return Err(Failure::Unsupported(format!(
                            "is only supported when it can be evaluated at import time, but \
                             its input \"{}\" is computed at runtime",
                            rt.name
                        )));
                    }
                }
                let val = fold(&ctx).map_err(Failure::Error)?;
                let shape = val.tensor.shape.clone();
                let out_name = out_names.first().cloned().unwrap_or_default();
                self.check_declared(&ctx, &out_name, &shape)?;
                self.slots.insert(out_name, Slot::Const { val, id: None });
                return Ok((NodeStatus::Folded, vec![shape]));
            }
            Lower::Runtime(map) => map,
        };
        let lowered = map(&ctx).map_err(Failure::Error)?.0;
        if lowered.len() != out_names.len().max(1) {
            return Err(Failure::Error(ctx.err(format!(
                "the node declares {} output(s) but its mapping produced {}",
                out_names.len(),
                lowered.len()
            ))));
        }
        let mut planned = Vec::with_capacity(lowered.len());
        let mut shapes = Vec::with_capacity(lowered.len());
        for (k, mapped) in lowered.into_iter().enumerate() {
            let out_name = out_names.get(k).cloned().unwrap_or_default();
            shapes.push(mapped.shape.clone());
            let p = self.plan(&ctx, &out_name, mapped)?;
            planned.push((out_name, p));
        }
        drop(ctx);
        let mut all_folded = true;
        for (out_name, p) in planned {
            all_folded &= matches!(p, Planned::Folded(_));
            self.emit(name, out_name, p)?;
        }
        let status = if all_folded {
            NodeStatus::Folded
        } else {
            NodeStatus::Supported
        };
        Ok((status, shapes))
    }
}
