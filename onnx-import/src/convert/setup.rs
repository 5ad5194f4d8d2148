//! Graph-level setup and wrap-up: opset, initializers, graph inputs and graph outputs.

use onnx_protobuf::ModelProto;

use super::{Engine, Slot, OPSET_RANGE};
use crate::error::ImportError;
use crate::ir::ValueKind;
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
    pub(super) fn load_initializers(&mut self) {
        for t in &self.g.initializer {
            let slot = match proto::tensor_to_const(t) {
                Ok(val) => Slot::Const { val, id: None },
                Err(m) => Slot::Bad {
                    reason: format!("initializer \"{}\" {m}", t.name),
                },
            };
            self.slots.insert(t.name.clone(), slot);
        }
    }

    pub(super) fn load_inputs(&mut self) {
        for vi in &self.g.input {
            if self.slots.contains_key(&vi.name) {
                continue; // an initializer listed as an input (old exporters): a constant
            }
            let d = proto::declared(vi);
            let slot = if d.elem_type != 0 && !proto::is_float_type(d.elem_type) {
                let m = format!(
                    "graph input \"{}\" has data type {}; only floating-point graph inputs are \
                     supported",
                    vi.name,
                    proto::dtype_name(d.elem_type)
                );
                self.conv.model_errors.push(ImportError::model(m.clone()));
                Slot::Unknown { reason: m }
            } else if let Some(shape) = d.static_shape().filter(|s| checked_numel(s).is_some()) {
                let id = self.push_value(&vi.name, shape.clone(), ValueKind::Input);
                self.conv.graph.inputs.push(id);
                Slot::Runtime { id, shape }
            } else {
                let m = format!(
                    "graph input \"{}\" has shape {}, which is not fully static (symbolic, \
                     missing or too large dimensions); export the model with static shapes \
                     (e.g. torch.onnx.export without dynamic_axes, or fix the dims with \
                     onnxruntime.tools.make_dynamic_shape_fixed)",
                    vi.name,
                    d.describe()
                );
                self.conv.model_errors.push(ImportError::model(m.clone()));
                Slot::Unknown { reason: m }
            };
            self.slots.insert(vi.name.clone(), slot);
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
                Some(Slot::Bad { reason }) => {
                    self.conv
                        .model_errors
                        .push(ImportError::model(reason.clone()));
                }
                Some(_) => {
                    if let Some(id) = self.ensure_id(&vi.name) {
                        self.conv.graph.outputs.push(id);
                    }
                }
            }
        }
    }
}
