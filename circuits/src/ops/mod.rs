//! Fixed-point operators, one module per op family, each written once over [`Backend`] so
//! that the reference evaluator ([`crate::native::NativeBackend`]) and the halo2 layout run
//! the same code.

pub mod activation;
pub mod arg;
pub mod einsum;
pub mod elementwise;
pub mod linear;
pub mod logic;
pub mod nonlinear;
pub mod norm;
pub mod pool;
pub mod reduce;
pub mod resize;
pub mod shape;

use onnx_import::budget::{runtime_elements, MAX_RUNTIME_ELEMS};
use onnx_import::ir::{Graph, Node, Op, Tensor};
use onnx_import::shapes::checked_numel;

use crate::backend::Backend;
use crate::error::{CircuitError, Result};
use crate::quant::{quantize_all, QuantParams};

/// A tensor of backend cells at the activation scale.
#[derive(Clone, Debug, PartialEq)]
pub struct CellTensor<C> {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Row-major cells.
    pub data: Vec<C>,
}

/// An op input: runtime cells, or a float constant from the model.
#[derive(Debug)]
pub enum Operand<'a, C> {
    /// A runtime tensor (activation scale).
    Cells(&'a CellTensor<C>),
    /// A model constant, quantized by the op at the scale its role needs.
    Const(&'a Tensor),
}

impl<C> Clone for Operand<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Operand<'_, C> {}

impl<C> Operand<'_, C> {
    /// The operand's shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            Operand::Cells(t) => &t.shape,
            Operand::Const(t) => &t.shape,
        }
    }
}

/// Everything an op needs besides its inputs.
pub struct OpCtx<'a> {
    /// Scales and range bound.
    pub params: &'a QuantParams,
    /// The node (for messages).
    pub node: &'a Node,
    /// The node's index in the graph (keys its calibrated table ranges, see
    /// [`QuantParams::range`]).
    pub index: usize,
}

/// Turns a constant used as an activation into constant cells at the activation scale.
pub fn materialize<B: Backend>(
    b: &mut B,
    params: &QuantParams,
    op: Operand<'_, B::Cell>,
) -> Result<CellTensor<B::Cell>> {
    match op {
        Operand::Cells(t) => Ok(t.clone()),
        Operand::Const(t) => {
            let q = quantize_all(&t.data, params.input_scale, "constant tensor")?;
            let data = q
                .into_iter()
                .map(|v| b.constant(v))
                .collect::<Result<Vec<_>>>()?;
            Ok(CellTensor {
                shape: t.shape.clone(),
                data,
            })
        }
    }
}

/// Requires exactly `n` inputs.
pub(crate) fn arity<'a, C>(inputs: &[Operand<'a, C>], n: usize) -> Result<()> {
    if inputs.len() < n {
        return Err(CircuitError::unsupported(format!(
            "expected {n} inputs, found {}",
            inputs.len()
        )));
    }
    Ok(())
}

/// Requires a runtime operand.
pub(crate) fn cells<'a, C>(op: &Operand<'a, C>, what: &str) -> Result<&'a CellTensor<C>> {
    match op {
        Operand::Cells(t) => Ok(t),
        Operand::Const(_) => Err(CircuitError::unsupported(format!(
            "{what} must be a runtime tensor here (a constant was constant-folded away?)"
        ))),
    }
}

/// Evaluates one node on `b`. `inputs` follow the node's input order.
pub fn eval_node<B: Backend>(
    b: &mut B,
    params: &QuantParams,
    node: &Node,
    index: usize,
    inputs: &[Operand<'_, B::Cell>],
) -> Result<CellTensor<B::Cell>> {
    let cx = OpCtx {
        params,
        node,
        index,
    };
    match &node.op {
        Op::Gemm { .. } | Op::MatMul | Op::Conv(_) | Op::ConvTranspose(_) => {
            linear::eval(b, &cx, inputs)
        }
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Neg => elementwise::eval(b, &cx, inputs),
        Op::Relu | Op::LeakyRelu { .. } | Op::Clip { .. } => activation::eval(b, &cx, inputs),
        Op::MaxPool(_) | Op::AveragePool(_) | Op::GlobalAveragePool | Op::GlobalMaxPool => {
            pool::eval(b, &cx, inputs)
        }
        Op::ReduceSum { .. } | Op::ReduceMean { .. } | Op::Reduce { .. } => {
            reduce::eval(b, &cx, inputs)
        }
        Op::Abs
        | Op::Sign
        | Op::Floor
        | Op::Ceil
        | Op::Round
        | Op::Cast { .. }
        | Op::Variadic(_) => elementwise::eval(b, &cx, inputs),
        Op::PRelu { .. } | Op::Shrink { .. } => activation::eval(b, &cx, inputs),
        Op::Arg { .. } | Op::TopK { .. } => arg::eval(b, &cx, inputs),
        Op::Einsum(spec) => einsum::eval(b, &cx, inputs, spec),
        Op::BatchNormalization { .. } => norm::eval(b, &cx, inputs),
        Op::Flatten { .. }
        | Op::Reshape { .. }
        | Op::Transpose { .. }
        | Op::Concat { .. }
        | Op::Slice { .. }
        | Op::Squeeze { .. }
        | Op::Unsqueeze { .. }
        | Op::Gather { .. }
        | Op::GatherDynamic { .. }
        | Op::Identity
        | Op::Pad { .. }
        | Op::Expand { .. }
        | Op::Tile { .. }
        | Op::DepthToSpace { .. }
        | Op::SpaceToDepth { .. }
        | Op::Trilu { .. }
        | Op::GatherElements { .. }
        | Op::GatherND { .. }
        | Op::ScatterElements { .. }
        | Op::ScatterND { .. } => shape::eval(b, &cx, inputs),
        Op::Resize(_) => resize::eval(b, &cx, inputs),
        Op::Function(_) | Op::Pow { .. } => nonlinear::eval(b, &cx, inputs),
        Op::Softmax { .. }
        | Op::LayerNormalization { .. }
        | Op::InstanceNormalization { .. }
        | Op::Lrn { .. } => norm::eval(b, &cx, inputs),
        Op::Compare(_) | Op::Not | Op::Logic(_) | Op::Where => logic::eval(b, &cx, inputs),
        Op::ClipDynamic { .. } => activation::eval(b, &cx, inputs),
        Op::GatherElementsDynamic { .. } => shape::eval(b, &cx, inputs),
    }
}

/// The cells a graph evaluation produced.
pub struct GraphCells<C> {
    /// Output tensors in `graph.outputs` order.
    pub outputs: Vec<CellTensor<C>>,
}

/// Requires the graph's runtime tensors (inputs and node outputs) to hold at most
/// [`MAX_RUNTIME_ELEMS`] elements together, the bound the importer enforces: reads shapes
/// only, so call it before allocating anything the size of a graph input (placeholder
/// inputs for key generation, for instance).
pub fn check_budget(graph: &Graph) -> Result<()> {
    let (total, largest) = runtime_elements(graph);
    if total.is_some_and(|t| t <= MAX_RUNTIME_ELEMS) {
        return Ok(());
    }
    Err(CircuitError::Budget {
        elements: total,
        budget: MAX_RUNTIME_ELEMS,
        largest: largest
            .and_then(|id| graph.values.get(id))
            .map(|v| v.name.clone())
            .unwrap_or_default(),
    })
}

/// Evaluates the whole graph on `b`, starting from input cells (in `graph.inputs` order).
///
/// The graph must fit the runtime budget ([`check_budget`]), and every node's computed
/// output must have the shape the graph declares for it (else [`CircuitError::OutputShape`]
/// naming the node): a graph whose declared shapes lie would lay out a circuit that does
/// not compute what its statement says.
pub fn eval_graph<B: Backend>(
    b: &mut B,
    params: &QuantParams,
    graph: &Graph,
    inputs: Vec<CellTensor<B::Cell>>,
) -> Result<GraphCells<B::Cell>> {
    check_budget(graph)?;
    if inputs.len() != graph.inputs.len() {
        return Err(CircuitError::Input {
            name: "<all>".into(),
            message: format!(
                "expected {} inputs, got {}",
                graph.inputs.len(),
                inputs.len()
            ),
        });
    }
    let mut vals: Vec<Option<CellTensor<B::Cell>>> = vec![None; graph.values.len()];
    for (&id, t) in graph.inputs.iter().zip(inputs) {
        let want = &graph.values[id].shape;
        if &t.shape != want || Some(t.data.len()) != checked_numel(want) {
            return Err(CircuitError::Input {
                name: graph.values[id].name.clone(),
                message: format!("expected shape {want:?}, got {:?}", t.shape),
            });
        }
        // Inputs are range-checked like every activation, so no input can make a later
        // rescale or comparison wrap around the field.
        for v in &t.data {
            b.range_check(v).map_err(|e| CircuitError::Input {
                name: graph.values[id].name.clone(),
                message: e.to_string(),
            })?;
        }
        vals[id] = Some(t);
    }
    for (index, node) in graph.nodes.iter().enumerate() {
        b.begin_node(index);
        let out = {
            let ops = node
                .inputs
                .iter()
                .map(|&id| operand(graph, &vals, id))
                .collect::<Result<Vec<_>>>()
                .map_err(|e| e.at_node(&node.name, node.op.name()))?;
            eval_node(b, params, node, index, &ops)
                .map_err(|e| e.at_node(&node.name, node.op.name()))?
        };
        if let Some(&oid) = node.outputs.first() {
            let declared = graph.values.get(oid).ok_or_else(|| {
                CircuitError::unsupported(format!("output id {oid} is not in the value table"))
                    .at_node(&node.name, node.op.name())
            })?;
            if out.shape != declared.shape || Some(out.data.len()) != checked_numel(&out.shape) {
                return Err(CircuitError::OutputShape {
                    node: node.name.clone(),
                    op: node.op.name(),
                    value: declared.name.clone(),
                    expected: declared.shape.clone().into(),
                    got: out.shape.into(),
                });
            }
            vals[oid] = Some(out);
        }
    }
    let mut outputs = Vec::with_capacity(graph.outputs.len());
    for &id in &graph.outputs {
        let op = operand(graph, &vals, id)?;
        outputs.push(materialize(b, params, op)?);
    }
    Ok(GraphCells { outputs })
}

fn operand<'a, C>(
    graph: &'a Graph,
    vals: &'a [Option<CellTensor<C>>],
    id: usize,
) -> Result<Operand<'a, C>> {
    if let Some(Some(t)) = vals.get(id) {
        return Ok(Operand::Cells(t));
    }
    graph.constant(id).map(Operand::Const).ok_or_else(|| {
        CircuitError::unsupported(format!(
            "value {:?} is used before it is computed",
            graph.values.get(id).map(|v| v.name.as_str()).unwrap_or("?")
        ))
    })
}
