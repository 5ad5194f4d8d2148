//! Reading the protobuf: decoding, attributes, tensor data and declared shapes.

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::{DataLocation, DataType};
use onnx_protobuf::tensor_shape_proto::dimension::Value as DimValue;
use onnx_protobuf::type_proto::Value as TypeValue;
use onnx_protobuf::{AttributeProto, Message, ModelProto, TensorProto, ValueInfoProto};
use protobuf::Enum;

use crate::error::ImportError;
use crate::fold::ConstVal;
use crate::ir::Tensor;

/// Decodes `bytes` as an ONNX `ModelProto`.
pub(crate) fn decode(bytes: &[u8], source_name: &str) -> Result<ModelProto, ImportError> {
    let err = |message: String| ImportError::Decode {
        source_name: source_name.to_string(),
        message,
    };
    if bytes.is_empty() {
        return Err(err("the input is empty (0 bytes)".into()));
    }
    let model = ModelProto::parse_from_bytes(bytes).map_err(|e| {
        err(format!(
            "not a valid ONNX protobuf ({e}); the file may be truncated, corrupted or not an \
             ONNX model"
        ))
    })?;
    if model.graph.is_none() {
        return Err(err(
            "the data parsed as protobuf but holds no ONNX graph, so it is not an ONNX model \
             (or it is truncated); export the model again with torch.onnx.export or onnx.save"
                .into(),
        ));
    }
    Ok(model)
}

/// Name of an ONNX data type code, for messages.
pub(crate) fn dtype_name(code: i32) -> String {
    match DataType::from_i32(code) {
        Some(t) => format!("{t:?}"),
        None => format!("unknown data type {code}"),
    }
}

/// Whether a graph-input element type is a floating-point type the evaluator can feed.
pub(crate) fn is_float_type(code: i32) -> bool {
    matches!(
        DataType::from_i32(code),
        Some(DataType::FLOAT | DataType::DOUBLE | DataType::FLOAT16 | DataType::BFLOAT16)
    )
}

/// Converts an ONNX dims list into a static shape with its element count (`None` when the
/// count overflows `usize`).
fn tensor_shape(dims: &[i64]) -> Result<(Vec<usize>, Option<usize>), ConstError> {
    let mut shape = Vec::with_capacity(dims.len());
    for &d in dims {
        let d = usize::try_from(d)
            .map_err(|_| ConstError::Other(format!("has a negative dimension {d}")))?;
        shape.push(d);
    }
    let count = crate::shapes::checked_numel(&shape);
    Ok((shape, count))
}

/// Why a stored `TensorProto` cannot be read as a constant.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ConstError {
    /// Its dims disagree with the data it holds (checked before anything is allocated).
    Size {
        /// The dims as written.
        dims: Vec<i64>,
        /// Their product; `None` when it overflows `usize`.
        elements: Option<usize>,
        /// Bytes per element of its data type.
        elem_bytes: usize,
        /// What it holds: bytes of `raw_data`, or elements of the typed field.
        found: usize,
        /// `"bytes of raw_data"` or `"typed elements"`.
        unit: &'static str,
    },
    /// Anything else; the message completes "tensor X ...".
    Other(String),
}

impl ConstError {
    /// The importer error for tensor `tensor` whose role (`"initializer"`, ...) is `role`.
    pub fn into_import_error(self, role: &str, tensor: &str) -> ImportError {
        match self {
            ConstError::Size {
                dims,
                elements,
                elem_bytes,
                found,
                unit,
            } => ImportError::TensorSize {
                tensor: tensor.to_string(),
                dims,
                elements,
                elem_bytes,
                found,
                unit,
            },
            ConstError::Other(m) => ImportError::model(format!("{role} \"{tensor}\" {m}")),
        }
    }
}

impl std::fmt::Display for ConstError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConstError::Size {
                dims,
                elements,
                found,
                unit,
                ..
            } => match elements {
                Some(n) => write!(
                    f,
                    "has dims {dims:?} ({n} elements) but holds {found} {unit}"
                ),
                None => write!(
                    f,
                    "has dims {dims:?}, whose element count overflows, but holds {found} {unit}"
                ),
            },
            ConstError::Other(m) => f.write_str(m),
        }
    }
}

/// Reads little-endian fixed-width values out of `raw`.
fn read_raw<const N: usize>(
    raw: &[u8],
    count: usize,
    conv: impl Fn([u8; N]) -> f64,
) -> Option<Vec<f64>> {
    if raw.len() != count.checked_mul(N)? {
        return None;
    }
    Some(
        raw.chunks_exact(N)
            .map(|c| {
                let mut b = [0u8; N];
                b.copy_from_slice(c);
                conv(b)
            })
            .collect(),
    )
}

/// IEEE 754 half precision (binary16) bits to `f64`, exactly (subnormals, infinities, NaN).
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        0x1f if frac == 0.0 => sign * f64::INFINITY,
        0x1f => f64::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// Converts a `TensorProto` (float16/32/64, bool or an 8- to 64-bit integer type) into a
/// constant.
///
/// Its dims must agree with the data it holds (`raw_data` bytes, or the typed field's
/// length), which is checked before any element is converted: otherwise
/// [`ConstError::Size`]. Other problems are [`ConstError::Other`]; callers add the tensor's
/// role and name.
pub(crate) fn tensor_to_const(t: &TensorProto) -> Result<ConstVal, ConstError> {
    if t.data_location.enum_value() == Ok(DataLocation::EXTERNAL) || !t.external_data.is_empty() {
        return Err(ConstError::Other(
            "stores its data in an external file, which is not supported; save the \
                    model with all tensors embedded (onnx.save(..., save_as_external_data=False))"
                .into(),
        ));
    }
    let (shape, elements) = tensor_shape(&t.dims)?;
    let raw = !t.raw_data.is_empty();
    // The dims are checked against the stored data before anything is allocated, so a
    // tensor whose dims claim more than the file holds costs nothing.
    let Some((elem_bytes, typed_len)) = stored_layout(t) else {
        return Err(ConstError::Other(format!(
            "has data type {}; constants of type float16/32/64, bool and 8- to 64-bit \
             integers are supported (convert the tensor to float32 before exporting)",
            dtype_name(t.data_type)
        )));
    };
    let (found, unit, fits) = if raw {
        let need = elements.and_then(|n| n.checked_mul(elem_bytes));
        (
            t.raw_data.len(),
            "bytes of raw_data",
            need == Some(t.raw_data.len()),
        )
    } else {
        (typed_len, "typed elements", elements == Some(typed_len))
    };
    let size_err = || ConstError::Size {
        dims: t.dims.clone(),
        elements,
        elem_bytes,
        found,
        unit,
    };
    let count = match elements {
        Some(n) if fits => n,
        _ => return Err(size_err()),
    };
    let (data, is_int) = match DataType::from_i32(t.data_type) {
        Some(DataType::FLOAT) => {
            let d = if raw {
                read_raw::<4>(&t.raw_data, count, |b| f64::from(f32::from_le_bytes(b)))
            } else {
                Some(t.float_data.iter().map(|&x| f64::from(x)).collect())
            };
            (d, false)
        }
        Some(DataType::DOUBLE) => {
            let d = if raw {
                read_raw::<8>(&t.raw_data, count, f64::from_le_bytes)
            } else {
                Some(t.double_data.clone())
            };
            (d, false)
        }
        Some(DataType::INT64) => {
            let d = if raw {
                read_raw::<8>(&t.raw_data, count, |b| i64::from_le_bytes(b) as f64)
            } else {
                Some(t.int64_data.iter().map(|&x| x as f64).collect())
            };
            (d, true)
        }
        Some(DataType::INT32) => {
            let d = if raw {
                read_raw::<4>(&t.raw_data, count, |b| f64::from(i32::from_le_bytes(b)))
            } else {
                Some(t.int32_data.iter().map(|&x| f64::from(x)).collect())
            };
            (d, true)
        }
        // ONNX keeps the narrow types (bool, 8/16-bit integers, float16 bits) in int32_data
        // when raw_data is not used.
        Some(DataType::BOOL) | Some(DataType::UINT8) => {
            let d = if raw {
                read_raw::<1>(&t.raw_data, count, |b| f64::from(b[0]))
            } else {
                Some(t.int32_data.iter().map(|&x| f64::from(x)).collect())
            };
            (d, true)
        }
        Some(DataType::INT8) => {
            let d = if raw {
                read_raw::<1>(&t.raw_data, count, |b| f64::from(i8::from_le_bytes(b)))
            } else {
                Some(t.int32_data.iter().map(|&x| f64::from(x)).collect())
            };
            (d, true)
        }
        Some(DataType::INT16) => {
            let d = if raw {
                read_raw::<2>(&t.raw_data, count, |b| f64::from(i16::from_le_bytes(b)))
            } else {
                Some(t.int32_data.iter().map(|&x| f64::from(x)).collect())
            };
            (d, true)
        }
        Some(DataType::UINT16) => {
            let d = if raw {
                read_raw::<2>(&t.raw_data, count, |b| f64::from(u16::from_le_bytes(b)))
            } else {
                Some(t.int32_data.iter().map(|&x| f64::from(x)).collect())
            };
            (d, true)
        }
        Some(DataType::UINT32) => {
            let d = if raw {
                read_raw::<4>(&t.raw_data, count, |b| f64::from(u32::from_le_bytes(b)))
            } else {
                Some(t.uint64_data.iter().map(|&x| x as f64).collect())
            };
            (d, true)
        }
        Some(DataType::UINT64) => {
            let d = if raw {
                read_raw::<8>(&t.raw_data, count, |b| u64::from_le_bytes(b) as f64)
            } else {
                Some(t.uint64_data.iter().map(|&x| x as f64).collect())
            };
            (d, true)
        }
        Some(DataType::FLOAT16) => {
            let d = if raw {
                read_raw::<2>(&t.raw_data, count, |b| f16_to_f64(u16::from_le_bytes(b)))
            } else {
                Some(t.int32_data.iter().map(|&x| f16_to_f64(x as u16)).collect())
            };
            (d, false)
        }
        _ => {
            return Err(ConstError::Other(format!(
                "has data type {}",
                dtype_name(t.data_type)
            )))
        }
    };
    let tensor = data
        .and_then(|data| Tensor::new(shape, data))
        .ok_or_else(size_err)?;
    Ok(ConstVal { tensor, is_int })
}

/// Bytes per element in `raw_data` and the length of the typed field that holds the data
/// otherwise, for the data types [`tensor_to_const`] reads; `None` for the others.
fn stored_layout(t: &TensorProto) -> Option<(usize, usize)> {
    Some(match DataType::from_i32(t.data_type)? {
        DataType::FLOAT => (4, t.float_data.len()),
        DataType::DOUBLE => (8, t.double_data.len()),
        DataType::INT64 => (8, t.int64_data.len()),
        DataType::INT32 => (4, t.int32_data.len()),
        // ONNX keeps the narrow types (bool, 8/16-bit integers, float16 bits) in int32_data.
        DataType::BOOL | DataType::UINT8 | DataType::INT8 => (1, t.int32_data.len()),
        DataType::INT16 | DataType::UINT16 | DataType::FLOAT16 => (2, t.int32_data.len()),
        DataType::UINT32 => (4, t.uint64_data.len()),
        DataType::UINT64 => (8, t.uint64_data.len()),
        _ => return None,
    })
}

/// A declared (value_info / graph input / graph output) tensor type.
#[derive(Clone, Debug)]
pub(crate) struct Declared {
    /// Element type code (0 when not declared).
    pub elem_type: i32,
    /// Dimensions; `None` for a symbolic or missing dim. `None` overall when no shape is given.
    pub dims: Option<Vec<Option<i64>>>,
}

impl Declared {
    /// The fully static shape, if every dim is a known non-negative number.
    pub fn static_shape(&self) -> Option<Vec<usize>> {
        self.dims
            .as_ref()?
            .iter()
            .map(|d| d.and_then(|v| usize::try_from(v).ok()))
            .collect()
    }

    /// Whether `shape` agrees with the declaration (rank and every known dim).
    pub fn agrees_with(&self, shape: &[usize]) -> bool {
        match &self.dims {
            None => true,
            Some(dims) => {
                dims.len() == shape.len()
                    && dims.iter().zip(shape).all(|(d, &s)| match d {
                        Some(v) => usize::try_from(*v).ok() == Some(s),
                        None => true,
                    })
            }
        }
    }

    /// Human-readable form, `?` for unknown dims.
    pub fn describe(&self) -> String {
        match &self.dims {
            None => "(no shape)".into(),
            Some(d) => {
                let parts: Vec<String> = d
                    .iter()
                    .map(|x| x.map_or("?".to_string(), |v| v.to_string()))
                    .collect();
                format!("[{}]", parts.join(", "))
            }
        }
    }
}

/// Reads the declared type of a value info (non-tensor types give no shape).
pub(crate) fn declared(vi: &ValueInfoProto) -> Declared {
    let Some(tp) = vi.type_.as_ref() else {
        return Declared {
            elem_type: 0,
            dims: None,
        };
    };
    match &tp.value {
        Some(TypeValue::TensorType(t)) => Declared {
            elem_type: t.elem_type,
            dims: t.shape.as_ref().map(|s| {
                s.dim
                    .iter()
                    .map(|d| match &d.value {
                        Some(DimValue::DimValue(v)) => Some(*v),
                        _ => None,
                    })
                    .collect()
            }),
        },
        _ => Declared {
            elem_type: 0,
            dims: None,
        },
    }
}

/// Typed access to a node's attributes, producing `Node` errors that name the node.
pub(crate) struct Attrs<'a> {
    list: &'a [AttributeProto],
}

impl<'a> Attrs<'a> {
    /// Wraps a node's attribute list.
    pub fn new(list: &'a [AttributeProto]) -> Self {
        Self { list }
    }

    fn get(&self, name: &str) -> Option<&'a AttributeProto> {
        self.list.iter().find(|a| a.name == name)
    }

    /// Whether the attribute is present.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn check(a: &AttributeProto, want: AttributeType) -> Result<(), String> {
        match a.type_.enum_value() {
            Ok(t) if t == want || t == AttributeType::UNDEFINED => Ok(()),
            Ok(t) => Err(format!(
                "attribute {} has type {t:?}, expected {want:?}",
                a.name
            )),
            Err(code) => Err(format!("attribute {} has unknown type code {code}", a.name)),
        }
    }

    /// An INT attribute.
    pub fn int(&self, name: &str) -> Result<Option<i64>, String> {
        self.get(name)
            .map(|a| Self::check(a, AttributeType::INT).map(|_| a.i))
            .transpose()
    }

    /// A FLOAT attribute, widened.
    pub fn float(&self, name: &str) -> Result<Option<f64>, String> {
        self.get(name)
            .map(|a| Self::check(a, AttributeType::FLOAT).map(|_| f64::from(a.f)))
            .transpose()
    }

    /// An INTS attribute.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, String> {
        self.get(name)
            .map(|a| Self::check(a, AttributeType::INTS).map(|_| a.ints.clone()))
            .transpose()
    }

    /// A FLOATS attribute, widened.
    pub fn floats(&self, name: &str) -> Result<Option<Vec<f64>>, String> {
        self.get(name)
            .map(|a| {
                Self::check(a, AttributeType::FLOATS)
                    .map(|_| a.floats.iter().map(|&x| f64::from(x)).collect())
            })
            .transpose()
    }

    /// A STRING attribute (lossy UTF-8).
    pub fn string(&self, name: &str) -> Result<Option<String>, String> {
        self.get(name)
            .map(|a| {
                Self::check(a, AttributeType::STRING)
                    .map(|_| String::from_utf8_lossy(&a.s).into_owned())
            })
            .transpose()
    }

    /// A TENSOR attribute.
    pub fn tensor(&self, name: &str) -> Result<Option<&'a TensorProto>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(a) => {
                Self::check(a, AttributeType::TENSOR)?;
                a.t.as_ref()
                    .map(Some)
                    .ok_or_else(|| format!("attribute {name} holds no tensor"))
            }
        }
    }

    /// Names of all attributes (for "unsupported attribute" checks).
    pub fn names(&self) -> impl Iterator<Item = &'a str> {
        self.list.iter().map(|a| a.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(dt: DataType, dims: &[i64], raw: Vec<u8>, int32: Vec<i32>) -> TensorProto {
        let mut t = TensorProto::new();
        t.data_type = dt as i32;
        t.dims = dims.to_vec();
        t.raw_data = raw;
        t.int32_data = int32;
        t
    }

    #[test]
    fn half_precision_bits() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x3555), 0.333_251_953_125);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn narrow_types_raw_and_typed() {
        let c = tensor_to_const(&tensor(DataType::BOOL, &[3], vec![1, 0, 1], vec![]));
        assert_eq!(
            c.map(|c| (c.tensor.data, c.is_int)),
            Ok((vec![1.0, 0.0, 1.0], true))
        );
        let c = tensor_to_const(&tensor(DataType::INT8, &[2], vec![0xff, 0x05], vec![]));
        assert_eq!(c.map(|c| c.tensor.data), Ok(vec![-1.0, 5.0]));
        let c = tensor_to_const(&tensor(DataType::UINT8, &[2], vec![], vec![200, 7]));
        assert_eq!(c.map(|c| c.tensor.data), Ok(vec![200.0, 7.0]));
        let c = tensor_to_const(&tensor(
            DataType::FLOAT16,
            &[2],
            vec![0x00, 0x3c, 0x00, 0xc0],
            vec![],
        ));
        assert_eq!(
            c.map(|c| (c.tensor.data, c.is_int)),
            Ok((vec![1.0, -2.0], false))
        );
        let bad = tensor_to_const(&tensor(DataType::INT16, &[2], vec![1, 2, 3], vec![]));
        assert_eq!(
            bad,
            Err(ConstError::Size {
                dims: vec![2],
                elements: Some(2),
                elem_bytes: 2,
                found: 3,
                unit: "bytes of raw_data"
            })
        );
        let s = tensor_to_const(&tensor(DataType::STRING, &[1], vec![], vec![]));
        assert!(s.is_err_and(|m| m.to_string().contains("STRING")));
    }
}
