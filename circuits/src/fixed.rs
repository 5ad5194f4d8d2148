//! The fixed-point reference evaluator: the model run on [`NativeBackend`], i.e. exactly the
//! integers the circuit constrains.

use onnx_import::ir::{Graph, Tensor};

use crate::error::{CircuitError, Result};
use crate::native::NativeBackend;
use crate::ops::{eval_graph, CellTensor};
use crate::quant::{dequantize, quantize_all, QuantParams};

/// Result of a fixed-point evaluation.
#[derive(Clone, Debug)]
pub struct FixedRun {
    /// Quantized inputs, in `graph.inputs` order.
    pub inputs: Vec<CellTensor<i128>>,
    /// Quantized outputs, in `graph.outputs` order.
    pub outputs: Vec<CellTensor<i128>>,
    /// Dequantized outputs.
    pub outputs_float: Vec<Tensor>,
    /// Largest magnitude any range check saw.
    pub max_abs_checked: u128,
    /// Table inputs seen, per node index and use slot (`[min, max]`).
    pub observed: std::collections::BTreeMap<usize, Vec<[i128; 2]>>,
}

/// Quantizes float inputs (in `graph.inputs` order) at the activation scale.
pub fn quantize_inputs(
    graph: &Graph,
    params: &QuantParams,
    inputs: &[Tensor],
) -> Result<Vec<CellTensor<i128>>> {
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
    graph
        .inputs
        .iter()
        .zip(inputs)
        .map(|(&id, t)| {
            let name = &graph.values[id].name;
            Ok(CellTensor {
                shape: t.shape.clone(),
                data: quantize_all(&t.data, params.input_scale, &format!("input {name:?}"))?,
            })
        })
        .collect()
}

/// Runs the fixed-point evaluator on float inputs.
pub fn eval_fixed(graph: &Graph, params: &QuantParams, inputs: &[Tensor]) -> Result<FixedRun> {
    params.validate()?;
    let q_inputs = quantize_inputs(graph, params, inputs)?;
    eval_fixed_quantized(graph, params, q_inputs)
}

/// Runs the fixed-point evaluator on already-quantized inputs.
pub fn eval_fixed_quantized(
    graph: &Graph,
    params: &QuantParams,
    inputs: Vec<CellTensor<i128>>,
) -> Result<FixedRun> {
    let mut b = NativeBackend::new(params.bits);
    let out = eval_graph(&mut b, params, graph, inputs.clone())?;
    let outputs_float = out
        .outputs
        .iter()
        .map(|t| Tensor {
            shape: t.shape.clone(),
            data: t
                .data
                .iter()
                .map(|q| dequantize(*q, params.input_scale))
                .collect(),
        })
        .collect();
    Ok(FixedRun {
        inputs,
        outputs: out.outputs,
        outputs_float,
        max_abs_checked: b.max_abs_checked,
        observed: b.observed,
    })
}
