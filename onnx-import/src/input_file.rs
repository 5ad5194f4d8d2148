//! Runtime input files: JSON → [`Tensor`]s for a [`Graph`]'s inputs.
//!
//! Two input formats are accepted:
//!
//! - the fixtures' named format, `{"inputs": {"<name>": {"shape": [...], "data": [...]}}}`,
//!   matched to the graph inputs by name (`shape` may be omitted; when present it must equal
//!   the graph input's static shape);
//! - EZKL's positional format, `{"input_data": [[...], ...]}`: one flat row-major list per
//!   graph input, in graph-input order.
//!
//! [`parse_samples`] additionally reads several samples for calibration, and [`read_outputs`]
//! reads an `expected.json`. Numbers for floating-point inputs are rounded to `float32` (the
//! ONNX input type) and then widened to `f64`, so the evaluator sees exactly the values an
//! ONNX runtime would. Integer inputs (int8 to uint64) take whole numbers within their
//! type's range, held exactly (up to 2^53 in magnitude); bool inputs take `true`/`false` or
//! 0/1.

use std::collections::BTreeMap;
use std::path::Path;

use crate::ir::{DType, Graph, Tensor};
use serde_json::{Map, Value as Json};

mod error;
pub use error::InputError;

/// A short description of a JSON value's type, for errors.
fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn type_err(tensor: &str, field: &str, expected: &'static str, found: &Json) -> InputError {
    InputError::Type {
        tensor: tensor.to_string(),
        field: field.to_string(),
        expected,
        found: json_kind(found),
    }
}

/// Graph inputs as `(name, static shape, element type)`, in order.
fn graph_inputs(graph: &Graph) -> Vec<(String, Vec<usize>, DType)> {
    graph
        .inputs
        .iter()
        .enumerate()
        .map(|(i, &id)| match graph.values.get(id) {
            Some(v) => (v.name.clone(), v.shape.clone(), graph.input_dtype(i)),
            None => (format!("#{id}"), Vec::new(), DType::Float),
        })
        .collect()
}

/// Reads a JSON array of values of an input of type `dtype`: floats are rounded to
/// `float32`; integers must be whole numbers in the type's range (kept exact, so at most
/// 2^53 in magnitude); booleans are `true`/`false` or 0/1.
fn read_values(tensor: &str, field: &str, v: &Json, dtype: DType) -> Result<Vec<f64>, InputError> {
    let Some((lo, hi)) = dtype.int_range() else {
        return read_numbers(tensor, field, v);
    };
    let arr = v
        .as_array()
        .ok_or_else(|| type_err(tensor, field, "an array of integers", v))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            let at = || format!("{field}[{i}]");
            let n: Option<i128> = match x {
                Json::Bool(b) if dtype == DType::Bool => Some(i128::from(*b)),
                Json::Number(n) => n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from))
                    .or_else(|| {
                        n.as_f64()
                            .filter(|f| f.fract() == 0.0 && f.abs() < 2f64.powi(63))
                            .map(|f| f as i128)
                    }),
                _ => None,
            };
            let expected = if dtype == DType::Bool {
                "true, false, 0 or 1"
            } else {
                "an integer"
            };
            let n = n.ok_or_else(|| type_err(tensor, &at(), expected, x))?;
            if n < lo || n > hi || n.unsigned_abs() > 1u128 << 53 {
                return Err(InputError::Format {
                    message: format!(
                        "'{tensor}': {} = {x} is out of range for its type {} ({lo} to {}{})",
                        at(),
                        dtype.name(),
                        hi.min(1 << 53),
                        if hi > 1 << 53 {
                            ", the largest integer held exactly"
                        } else {
                            ""
                        }
                    ),
                });
            }
            Ok(n as f64)
        })
        .collect()
}

/// Reads a JSON array of numbers, rounding each to `float32`.
fn read_numbers(tensor: &str, field: &str, v: &Json) -> Result<Vec<f64>, InputError> {
    let arr = v
        .as_array()
        .ok_or_else(|| type_err(tensor, field, "an array of numbers", v))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            let f = x
                .as_f64()
                .ok_or_else(|| type_err(tensor, &format!("{field}[{i}]"), "a number", x))?;
            let narrowed = f as f32;
            if !narrowed.is_finite() {
                return Err(InputError::NonFinite {
                    tensor: tensor.to_string(),
                    index: i,
                    value: x.to_string(),
                });
            }
            Ok(f64::from(narrowed))
        })
        .collect()
}

fn read_shape(tensor: &str, v: &Json) -> Result<Vec<usize>, InputError> {
    let expected = "an array of non-negative integers";
    let arr = v
        .as_array()
        .ok_or_else(|| type_err(tensor, "shape", expected, v))?;
    arr.iter()
        .map(|d| {
            d.as_u64()
                .and_then(|u| usize::try_from(u).ok())
                .ok_or_else(|| type_err(tensor, "shape", expected, d))
        })
        .collect()
}

/// Reads `{"shape": [...], "data": [...]}`. With `required`, the shape must equal it (and may
/// be omitted); without, the shape is mandatory.
fn read_tensor(
    name: &str,
    v: &Json,
    required: Option<&[usize]>,
    dtype: DType,
) -> Result<Tensor, InputError> {
    let obj = v
        .as_object()
        .ok_or_else(|| type_err(name, "the entry", "an object {\"shape\", \"data\"}", v))?;
    let shape = match (obj.get("shape"), required) {
        (Some(s), _) => read_shape(name, s)?,
        (None, Some(req)) => req.to_vec(),
        (None, None) => return Err(type_err(name, "shape", "present", &Json::Null)),
    };
    if let Some(req) = required {
        if shape != req {
            return Err(InputError::Shape {
                tensor: name.to_string(),
                expected: req.to_vec(),
                got: shape,
            });
        }
    }
    // The product is checked before the data is read: a shape such as [2^32, 2^32, 16]
    // would wrap around to 0 and "match" an empty data list.
    let expected =
        crate::shapes::checked_numel(&shape).ok_or_else(|| InputError::ShapeOverflow {
            tensor: name.to_string(),
            shape: shape.clone(),
        })?;
    let data_json = obj.get("data").unwrap_or(&Json::Null);
    let data = read_values(name, "data", data_json, dtype)?;
    let got = data.len();
    Tensor::new(shape, data).ok_or_else(|| InputError::Length {
        tensor: name.to_string(),
        expected: expected.to_string(),
        got,
    })
}

/// Reads a `{"<name>": {"shape": [...], "data": [...]}}` map (the `"inputs"` / `"outputs"`
/// object of the fixtures' files) without checking it against a graph.
pub fn read_tensor_map(v: &Json) -> Result<BTreeMap<String, Tensor>, InputError> {
    let obj = v.as_object().ok_or_else(|| InputError::Format {
        message: format!(
            "expected an object of named tensors, found {}",
            json_kind(v)
        ),
    })?;
    obj.iter()
        .map(|(name, t)| Ok((name.clone(), read_tensor(name, t, None, DType::Float)?)))
        .collect()
}

/// The named format's `"inputs"` object, matched to the graph inputs.
fn named_inputs(v: &Json, graph: &Graph) -> Result<Vec<Tensor>, InputError> {
    let ins = graph_inputs(graph);
    let names: Vec<String> = ins.iter().map(|(n, _, _)| n.clone()).collect();
    let obj = v
        .as_object()
        .ok_or_else(|| type_err("inputs", "the value", "an object of named tensors", v))?;
    for key in obj.keys() {
        if !names.contains(key) {
            return Err(InputError::UnknownInput {
                name: key.clone(),
                expected: names,
            });
        }
    }
    ins.iter()
        .map(|(name, shape, dtype)| match obj.get(name) {
            Some(t) => read_tensor(name, t, Some(shape), *dtype),
            None => Err(InputError::MissingInput {
                name: name.clone(),
                expected: names.clone(),
            }),
        })
        .collect()
}

/// EZKL's `"input_data"` lists; each list holds `k` samples of its input, and all lists must
/// agree on `k`. With `single`, `k` must be 1.
fn positional_inputs(
    v: &Json,
    graph: &Graph,
    single: bool,
) -> Result<Vec<Vec<Tensor>>, InputError> {
    let ins = graph_inputs(graph);
    let names: Vec<String> = ins.iter().map(|(n, _, _)| n.clone()).collect();
    let lists = v
        .as_array()
        .ok_or_else(|| type_err("input_data", "the value", "an array of arrays", v))?;
    if lists.len() != ins.len() {
        return Err(InputError::InputCount {
            expected: ins.len(),
            got: lists.len(),
            names,
        });
    }
    let mut columns = Vec::with_capacity(ins.len());
    let mut counts = Vec::with_capacity(ins.len());
    for ((name, shape, dtype), list) in ins.iter().zip(lists) {
        let data = read_values(name, "input_data entry", list, *dtype)?;
        let size: usize = shape.iter().product();
        let k = data.len().checked_div(size).unwrap_or(0);
        let fits = if single {
            data.len() == size
        } else {
            size > 0 && k > 0 && data.len() % size == 0
        };
        if !fits {
            return Err(InputError::Length {
                tensor: name.clone(),
                expected: if single {
                    format!("{size} (shape {shape:?})")
                } else {
                    format!("a positive multiple of {size} (shape {shape:?})")
                },
                got: data.len(),
            });
        }
        counts.push(k.max(1));
        columns.push((shape, data));
    }
    let k = counts.first().copied().unwrap_or(1);
    if counts.iter().any(|&c| c != k) {
        return Err(InputError::SampleCounts { names, counts });
    }
    Ok((0..k)
        .map(|s| {
            columns
                .iter()
                .map(|(shape, data)| {
                    let size: usize = shape.iter().product();
                    Tensor {
                        shape: shape.to_vec(),
                        data: data[s * size..(s + 1) * size].to_vec(),
                    }
                })
                .collect()
        })
        .collect())
}

/// The top-level object and which of `keys` it holds (exactly one is required).
fn pick<'a>(v: &'a Json, keys: &[&'static str]) -> Result<(&'static str, &'a Json), InputError> {
    let obj: &Map<String, Json> = v.as_object().ok_or_else(|| InputError::Format {
        message: format!("expected a JSON object, found {}", json_kind(v)),
    })?;
    let found: Vec<_> = keys
        .iter()
        .filter_map(|&k| obj.get(k).map(|x| (k, x)))
        .collect();
    match found[..] {
        [one] => Ok(one),
        [] => Err(InputError::Format {
            message: format!("expected one of the keys {keys:?}, found none"),
        }),
        _ => Err(InputError::Format {
            message: format!(
                "found several of the keys {:?}; use exactly one",
                found.iter().map(|(k, _)| *k).collect::<Vec<_>>()
            ),
        }),
    }
}

/// Parses one input file (named `"inputs"` or EZKL `"input_data"` format) into the graph's
/// runtime tensors, in [`Graph::inputs`] order.
pub fn parse_inputs_value(v: &Json, graph: &Graph) -> Result<Vec<Tensor>, InputError> {
    match pick(v, &["inputs", "input_data"])? {
        ("inputs", x) => named_inputs(x, graph),
        (_, x) => Ok(positional_inputs(x, graph, true)?
            .into_iter()
            .next()
            .unwrap_or_default()),
    }
}

/// Parses the text of one input file. See [`parse_inputs_value`].
pub fn parse_inputs(json: &str, graph: &Graph) -> Result<Vec<Tensor>, InputError> {
    parse_inputs_value(&serde_json::from_str(json)?, graph)
}

/// Reads and parses an input file. See [`parse_inputs_value`].
pub fn read_inputs(path: &Path, graph: &Graph) -> Result<Vec<Tensor>, InputError> {
    parse_inputs(&read_text(path)?, graph)
}

fn read_text(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn per_sample<T>(
    items: &[Json],
    f: impl Fn(&Json) -> Result<T, InputError>,
) -> Result<Vec<T>, InputError> {
    if items.is_empty() {
        return Err(InputError::NoSamples);
    }
    items
        .iter()
        .enumerate()
        .map(|(index, x)| {
            f(x).map_err(|e| InputError::Sample {
                index,
                source: Box::new(e),
            })
        })
        .collect()
}

/// Parses calibration samples; each sample is the graph's inputs in [`Graph::inputs`] order.
///
/// Accepted layouts (the top-level object holds exactly one of these keys):
/// - `"inputs"`: a single named input file (one sample);
/// - `"input_data"`: EZKL lists, each holding `k` concatenated samples of its input (`k`
///   samples; every list must imply the same `k`);
/// - `"samples"`: an array of input objects, each `{"inputs": ...}`, `{"input_data": ...}`
///   (one sample each) or a bare `{"<name>": {"shape", "data"}}` map;
/// - `"test_samples"`: a fixture `meta.json`, each entry's `"inputs"` being one sample.
pub fn parse_samples_value(v: &Json, graph: &Graph) -> Result<Vec<Vec<Tensor>>, InputError> {
    let not_array = |key: &str, x: &Json| InputError::Format {
        message: format!("\"{key}\" must be an array, found {}", json_kind(x)),
    };
    match pick(v, &["inputs", "input_data", "samples", "test_samples"])? {
        ("inputs", x) => Ok(vec![named_inputs(x, graph)?]),
        ("input_data", x) => positional_inputs(x, graph, false),
        ("samples", x) => {
            let items = x.as_array().ok_or_else(|| not_array("samples", x))?;
            per_sample(items, |s| {
                let is_file = s
                    .as_object()
                    .is_some_and(|o| o.contains_key("inputs") || o.contains_key("input_data"));
                if is_file {
                    parse_inputs_value(s, graph)
                } else {
                    named_inputs(s, graph)
                }
            })
        }
        (_, x) => {
            let items = x.as_array().ok_or_else(|| not_array("test_samples", x))?;
            per_sample(items, |s| {
                let ins = s.get("inputs").ok_or_else(|| InputError::Format {
                    message: "a test sample has no \"inputs\" object".to_string(),
                })?;
                named_inputs(ins, graph)
            })
        }
    }
}

/// Parses the text of a samples file. See [`parse_samples_value`].
pub fn parse_samples(json: &str, graph: &Graph) -> Result<Vec<Vec<Tensor>>, InputError> {
    parse_samples_value(&serde_json::from_str(json)?, graph)
}

/// Reads and parses a samples file. See [`parse_samples_value`].
pub fn read_samples(path: &Path, graph: &Graph) -> Result<Vec<Vec<Tensor>>, InputError> {
    parse_samples(&read_text(path)?, graph)
}

/// Parses an `expected.json` (`{"outputs": {"<name>": {"shape": [...], "data": [...]}}}`)
/// into output name → tensor. Every entry needs both `shape` and `data`.
pub fn read_outputs(json: &str) -> Result<BTreeMap<String, Tensor>, InputError> {
    let v: Json = serde_json::from_str(json)?;
    let (_, outputs) = pick(&v, &["outputs"])?;
    read_tensor_map(outputs)
}
