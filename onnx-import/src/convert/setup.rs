//! Graph-level setup and wrap-up: opset, initializers, graph inputs and graph outputs.

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::dimension::Value as DimValue;
use onnx_protobuf::type_proto::Value as TypeValue;
use onnx_protobuf::{ModelProto, ValueInfoProto};
use protobuf::Enum;

use std::collections::HashSet;

use super::{Engine, Slot, OPSET_RANGE};
use crate::budget::{runtime_elements, MAX_RUNTIME_ELEMS};
use crate::dims::{self, DimDecl, InputDecl};
use crate::error::ImportError;
use crate::ir::{DType, ValueKind};
use crate::proto;
use crate::shapes::checked_numel;

pub(super) fn read_opset(model: &ModelProto, errors: &mut Vec<ImportError>) -> i64 {
    let found = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version);
    match found {
        Some(v) if OPSET_RANGE.contains(&v) => v,
        Some(v) => {
            errors.push(ImportError::model(format!(
                "the model declares default-domain opset {v}; supported opsets are {} to {} \
                 (13 to 18 recommended); re-export with a supported opset_version",
                OPSET_RANGE.start(),
                OPSET_RANGE.end()
            )));
            v.clamp(*OPSET_RANGE.start(), *OPSET_RANGE.end())
        }
        None => {
            errors.push(ImportError::model(
                "the model has no opset_import for the default ONNX domain; re-export it with \
                 an explicit opset_version (13 to 18 recommended)",
            ));
            17
        }
    }
}

impl Engine<'_> {
    /// Reads the initializers that a needed node or a graph output reads (their dims are
    /// checked against their data first); the others are only recorded by name.
    pub(super) fn load_initializers(&mut self) {
        let g = self.g;
        let mut used: HashSet<&str> = g.output.iter().map(|o| o.name.as_str()).collect();
        for (n, _) in g.node.iter().zip(&self.needed).filter(|(_, &k)| k) {
            used.extend(n.input.iter().map(String::as_str));
        }
        for t in &g.initializer {
            let slot = if !used.contains(t.name.as_str()) {
                Slot::Unknown {
                    reason: format!("initializer \"{}\" is not used by any graph output", t.name),
                }
            } else {
                match proto::tensor_to_const(t) {
                    Ok(val) => Slot::Const { val, id: None },
                    Err(error) => Slot::Bad {
                        tensor: t.name.clone(),
                        error,
                    },
                }
            };
            self.slots.insert(t.name.clone(), slot);
        }
    }

    /// Graph inputs that are not initializers: element type checked, free dimensions bound
    /// (see [`crate::dims`]), and each added to the IR as a [`ValueKind::Input`].
    pub(super) fn load_inputs(&mut self) {
        let mut runtime = Vec::new();
        for vi in &self.g.input {
            if self.slots.contains_key(&vi.name) || runtime.iter().any(|(r, _)| r == &vi.name) {
                continue; // an initializer listed as an input (old exporters): a constant
            }
            let d = proto::declared(vi);
            match input_dtype(d.elem_type) {
                Some(t) => runtime.push((vi.name.clone(), Some((t, declared_dims(vi))))),
                None => {
                    let m = format!(
                        "graph input \"{}\" has data type {}; supported graph input types are \
                         floating point (float, double, float16, bfloat16), int8 to int64, \
                         uint8 to uint64 and bool",
                        vi.name,
                        proto::dtype_name(d.elem_type)
                    );
                    self.conv.model_errors.push(ImportError::model(m));
                    runtime.push((vi.name.clone(), None));
                }
            }
        }
        let decls: Vec<InputDecl> = runtime
            .iter()
            .map(|(name, t)| InputDecl {
                name: name.clone(),
                dims: match t {
                    Some((_, dims)) => dims.clone(),
                    None => Some(Vec::new()),
                },
            })
            .collect();
        let resolved = dims::resolve(&decls, self.opts);
        for m in resolved.errors {
            self.conv.model_errors.push(ImportError::model(m));
        }
        self.conv.graph.input_info.dims = resolved.bindings;
        for ((name, t), shape) in runtime.into_iter().zip(resolved.shapes) {
            let slot = match (t, shape) {
                (None, _) => Slot::Unknown {
                    reason: format!("graph input \"{name}\" has an unsupported data type"),
                },
                (Some(_), None) => Slot::Unknown {
                    reason: format!("graph input \"{name}\" has no static shape"),
                },
                (Some(_), Some(shape)) if checked_numel(&shape).is_none() => {
                    let m = format!(
                        "graph input \"{name}\" has shape {shape:?}, which has more elements \
                         than can be addressed"
                    );
                    self.conv.model_errors.push(ImportError::model(m.clone()));
                    Slot::Unknown { reason: m }
                }
                (Some((dtype, _)), Some(shape)) => {
                    let id = self.push_value(&name, shape.clone(), ValueKind::Input);
                    self.conv.graph.inputs.push(id);
                    self.conv.graph.input_info.dtypes.push(dtype);
                    Slot::Runtime { id, shape }
                }
            };
            self.slots.insert(name, slot);
        }
    }

    pub(super) fn resolve_outputs(&mut self) {
        for vi in &self.g.output {
            match self.slots.get(vi.name.as_str()) {
                None => self.conv.model_errors.push(ImportError::model(format!(
                    "graph output \"{}\" is not produced by any node, graph input or initializer",
                    vi.name
                ))),
                Some(Slot::Unknown { .. }) => {}
                Some(Slot::Bad { tensor, error }) => {
                    let e = super::bad_initializer(tensor, error);
                    self.conv.model_errors.push(e);
                }
                Some(_) => {
                    if let Some(id) = self.output_id(&vi.name) {
                        self.check_output_shape(vi, id);
                        self.conv.graph.outputs.push(id);
                    }
                }
            }
        }
    }

    /// A graph output's own declaration (its entry in `graph.output`, where it has a shape)
    /// must agree with the inferred shape. Node outputs are also checked where they are
    /// produced, but against the first declaration found (value_info before the output
    /// list); this catches a graph output declared differently from its value_info, and an
    /// output that is a graph input or a constant.
    fn check_output_shape(&mut self, vi: &ValueInfoProto, id: usize) {
        let declared = proto::declared(vi);
        let inferred = &self.conv.graph.values[id].shape;
        if let Some(dims) = &declared.dims {
            if !declared.agrees_with(inferred) {
                self.conv.model_errors.push(ImportError::OutputShape {
                    tensor: vi.name.clone(),
                    declared: dims.clone(),
                    inferred: inferred.clone(),
                });
            }
        }
    }

    /// The graph's runtime tensors must fit [`MAX_RUNTIME_ELEMS`] together; this reads
    /// shapes only (nothing of that size is allocated at import).
    pub(super) fn check_runtime_budget(&mut self) {
        let graph = &self.conv.graph;
        let (total, largest) = runtime_elements(graph);
        if total.is_some_and(|t| t <= MAX_RUNTIME_ELEMS) {
            return;
        }
        let largest = largest.and_then(|id| graph.values.get(id));
        let e = ImportError::RuntimeBudget {
            elements: total,
            budget: MAX_RUNTIME_ELEMS,
            largest: largest.map(|v| v.name.clone()).unwrap_or_default(),
            largest_elements: largest.and_then(|v| checked_numel(&v.shape)),
        };
        self.conv.model_errors.push(e);
    }
}

/// The IR type of a graph input's ONNX element type (undeclared counts as float); `None`
/// when unsupported (strings, complex numbers, 8-bit floats, ...).
fn input_dtype(code: i32) -> Option<DType> {
    if code == 0 || proto::is_float_type(code) {
        return Some(DType::Float);
    }
    Some(match DataType::from_i32(code)? {
        DataType::INT8 => DType::Int8,
        DataType::INT16 => DType::Int16,
        DataType::INT32 => DType::Int32,
        DataType::INT64 => DType::Int64,
        DataType::UINT8 => DType::Uint8,
        DataType::UINT16 => DType::Uint16,
        DataType::UINT32 => DType::Uint32,
        DataType::UINT64 => DType::Uint64,
        DataType::BOOL => DType::Bool,
        _ => return None,
    })
}

/// A graph input's declared dimensions with their `dim_param`s; `None` without a shape.
fn declared_dims(vi: &ValueInfoProto) -> Option<Vec<DimDecl>> {
    let Some(TypeValue::TensorType(t)) = vi.type_.as_ref()?.value.as_ref() else {
        return None;
    };
    let shape = t.shape.as_ref()?;
    Some(
        shape
            .dim
            .iter()
            .map(|d| match &d.value {
                Some(DimValue::DimValue(v)) => match usize::try_from(*v) {
                    Ok(v) => DimDecl::Fixed(v),
                    Err(_) => DimDecl::Free,
                },
                Some(DimValue::DimParam(p)) if !p.is_empty() => DimDecl::Param(p.clone()),
                _ => DimDecl::Free,
            })
            .collect(),
    )
}
