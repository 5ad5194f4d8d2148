//! Symbolic and unknown dimensions of graph inputs, and how they are bound to numbers.
//!
//! Exporters commonly leave some input dimensions free: PyTorch's `dynamic_axes` writes a
//! named `dim_param` (`"batch"`), other tools leave a dimension without value or name. A
//! circuit needs static shapes, so every free dimension is bound at import, in this order:
//!
//! 1. an explicit binding ([`ImportOptions::dims`], the CLI's `--dim NAME=VALUE`), where
//!    `NAME` is the `dim_param` or `INPUT:AXIS` ([`DimKey`]);
//! 2. the shape an input or calibration file gives the input ([`ShapeHint::Shape`]);
//! 3. the length of an EZKL flat list ([`ShapeHint::FlatLen`]) when exactly one free
//!    dimension of that input is still unbound (value = length / product of the others,
//!    which must divide exactly);
//! 4. 1, for a leading (axis 0) batch dimension.
//!
//! Anything else is an error that names the input, the axis and the `dim_param` and says
//! which `--dim` to pass. A `dim_param` shared by several inputs is one dimension: it gets
//! one value, and conflicting values are an error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::input_file::InputError;

/// Names a free dimension: its `dim_param`, or `INPUT:AXIS` (which also names a dimension
/// that has a `dim_param`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DimKey {
    /// A `dim_param`, e.g. `"batch"`.
    Param(String),
    /// Axis `axis` of graph input `input`.
    Axis {
        /// The graph input's name.
        input: String,
        /// The axis (0-based).
        axis: usize,
    },
}

impl DimKey {
    /// Parses `NAME` of `--dim NAME=VALUE`: `INPUT:AXIS` when the part after the last `:` is
    /// a number, a `dim_param` otherwise.
    pub fn parse(name: &str) -> DimKey {
        if let Some((input, axis)) = name.rsplit_once(':') {
            if let Ok(axis) = axis.parse::<usize>() {
                return DimKey::Axis {
                    input: input.to_string(),
                    axis,
                };
            }
        }
        DimKey::Param(name.to_string())
    }
}

impl fmt::Display for DimKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DimKey::Param(p) => write!(f, "{p}"),
            DimKey::Axis { input, axis } => write!(f, "{input}:{axis}"),
        }
    }
}

/// Parses `NAME=VALUE` (the CLI's `--dim`); `VALUE` must be a positive integer.
pub fn parse_dim_arg(s: &str) -> Result<(DimKey, usize), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE (e.g. batch=4 or input:1=28), got {s:?}"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("missing the dimension name in {s:?}"));
    }
    let value: usize = value
        .trim()
        .parse()
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("the value of {name} must be a positive integer, got {value:?}"))?;
    Ok((DimKey::parse(name), value))
}

/// Where a dimension's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DimSource {
    /// An explicit binding (`--dim`).
    Flag,
    /// The shape (or flat-list length) in an input or calibration file.
    InputFile,
    /// The default 1 of a leading batch dimension.
    Default,
}

impl fmt::Display for DimSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DimSource::Flag => "--dim",
            DimSource::InputFile => "input file",
            DimSource::Default => "default",
        })
    }
}

/// How one free dimension was bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimBinding {
    /// The dimension: its `dim_param`, or `INPUT:AXIS` when it has none.
    pub key: DimKey,
    /// Its value.
    pub value: usize,
    /// Where the value came from.
    pub source: DimSource,
}

impl fmt::Display for DimBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {} ({})", self.key, self.value, self.source)
    }
}

/// Which graph input a [`ShapeHint`] is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HintTarget {
    /// By name (the named `{"inputs": ...}` format).
    Name(String),
    /// By position among the runtime graph inputs (EZKL's `input_data`, tensors in order).
    Position(usize),
}

/// What an input or calibration file says about an input's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapeHint {
    /// The input's full shape.
    Shape {
        /// The input.
        input: HintTarget,
        /// Its shape in the file.
        shape: Vec<usize>,
        /// The file (for messages).
        origin: String,
    },
    /// The length of a flat (EZKL) list of the input's values.
    FlatLen {
        /// The input.
        input: HintTarget,
        /// Number of values.
        len: usize,
        /// The file (for messages).
        origin: String,
    },
}

/// Knobs of [`crate::import_bytes_with`], [`crate::import_file_with`] and
/// [`crate::inspect_bytes_with`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Explicit values of free dimensions (`--dim NAME=VALUE`); highest priority.
    pub dims: Vec<(DimKey, usize)>,
    /// Shapes seen in input or calibration files; see [`hints_from_json`].
    pub hints: Vec<ShapeHint>,
}

impl ImportOptions {
    /// Options with explicit bindings only.
    pub fn with_dims(dims: Vec<(DimKey, usize)>) -> Self {
        Self {
            dims,
            hints: Vec::new(),
        }
    }
}

/// The shape hints of one input or calibration file's JSON (best effort: anything malformed
/// is skipped here and reported by the file reader later). `origin` names the file.
///
/// The named format gives each entry's `"shape"`; EZKL's `input_data` gives each list's
/// length; a `{"samples": [...]}` or `meta.json` file gives its first sample's.
pub fn hints_from_json(v: &Json, origin: &str) -> Vec<ShapeHint> {
    let named = |m: &Json| -> Vec<ShapeHint> {
        let Some(obj) = m.as_object() else {
            return Vec::new();
        };
        obj.iter()
            .filter_map(|(name, t)| {
                let shape = t
                    .get("shape")?
                    .as_array()?
                    .iter()
                    .map(|d| d.as_u64().and_then(|u| usize::try_from(u).ok()))
                    .collect::<Option<Vec<usize>>>()?;
                Some(ShapeHint::Shape {
                    input: HintTarget::Name(name.clone()),
                    shape,
                    origin: origin.to_string(),
                })
            })
            .collect()
    };
    let flat = |lists: &Json| -> Vec<ShapeHint> {
        let Some(lists) = lists.as_array() else {
            return Vec::new();
        };
        lists
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                Some(ShapeHint::FlatLen {
                    input: HintTarget::Position(i),
                    len: l.as_array()?.len(),
                    origin: origin.to_string(),
                })
            })
            .collect()
    };
    let file = |f: &Json| -> Vec<ShapeHint> {
        if let Some(x) = f.get("inputs") {
            named(x)
        } else if let Some(x) = f.get("input_data") {
            flat(x)
        } else {
            named(f)
        }
    };
    if let Some(x) = v.get("inputs") {
        named(x)
    } else if let Some(x) = v.get("input_data") {
        flat(x)
    } else if let Some(first) = v.get("samples").and_then(|s| s.get(0)) {
        file(first)
    } else if let Some(first) = v.get("test_samples").and_then(|s| s.get(0)) {
        first.get("inputs").map(named).unwrap_or_default()
    } else {
        Vec::new()
    }
}

/// Reads a file and returns its [`hints_from_json`] (I/O and JSON errors are errors).
pub fn hints_from_file(path: &Path) -> Result<Vec<ShapeHint>, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let v: Json = serde_json::from_str(&text)?;
    Ok(hints_from_json(&v, &path.display().to_string()))
}

/// The shape hints of tensors given in graph-input order (one sample).
pub fn hints_from_shapes<'a>(
    shapes: impl IntoIterator<Item = &'a [usize]>,
    origin: &str,
) -> Vec<ShapeHint> {
    shapes
        .into_iter()
        .enumerate()
        .map(|(i, s)| ShapeHint::Shape {
            input: HintTarget::Position(i),
            shape: s.to_vec(),
            origin: origin.to_string(),
        })
        .collect()
}

/// One declared dimension of a graph input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DimDecl {
    /// A known size.
    Fixed(usize),
    /// A named symbolic dimension.
    Param(String),
    /// Neither value nor name (or a negative value).
    Free,
}

/// A runtime graph input as declared.
#[derive(Clone, Debug)]
pub(crate) struct InputDecl {
    pub name: String,
    /// `None` when the model declares no shape.
    pub dims: Option<Vec<DimDecl>>,
}

/// A dimension's identity after resolution: params are shared, free axes are per input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Param(String),
    Axis(usize, usize),
}

/// The outcome of [`resolve`].
pub(crate) struct Resolved {
    /// Each input's static shape, or `None` where it could not be resolved (see `errors`).
    pub shapes: Vec<Option<Vec<usize>>>,
    /// Every binding, in order of first appearance.
    pub bindings: Vec<DimBinding>,
    /// Problems, each a complete message.
    pub errors: Vec<String>,
}

struct Bound {
    value: usize,
    source: DimSource,
    /// Where the value came from, for conflict messages.
    why: String,
}

fn slot_of(inputs: &[InputDecl], i: usize, axis: usize) -> Option<Slot> {
    match inputs[i].dims.as_ref()?.get(axis)? {
        DimDecl::Fixed(_) => None,
        DimDecl::Param(p) => Some(Slot::Param(p.clone())),
        DimDecl::Free => Some(Slot::Axis(i, axis)),
    }
}

fn describe_free(inputs: &[InputDecl]) -> String {
    let mut params: Vec<&str> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for inp in inputs {
        for (axis, d) in inp.dims.iter().flatten().enumerate() {
            match d {
                DimDecl::Fixed(_) => {}
                DimDecl::Param(p) if params.contains(&p.as_str()) => {}
                DimDecl::Param(p) => {
                    params.push(p);
                    seen.push(format!("{p} (input \"{}\" axis {axis})", inp.name));
                }
                DimDecl::Free => seen.push(format!("{}:{axis}", inp.name)),
            }
        }
    }
    if seen.is_empty() {
        "the model has none".into()
    } else {
        format!("the model's free dimensions are: {}", seen.join(", "))
    }
}

/// Binds every free dimension of `inputs`; see the module documentation for the order.
pub(crate) fn resolve(inputs: &[InputDecl], opts: &ImportOptions) -> Resolved {
    let mut errors = Vec::new();
    let mut bound: BTreeMap<Slot, Bound> = BTreeMap::new();
    let index_of = |t: &HintTarget| -> Option<usize> {
        match t {
            HintTarget::Name(n) => inputs.iter().position(|i| &i.name == n),
            HintTarget::Position(p) => (*p < inputs.len()).then_some(*p),
        }
    };

    // 1. Explicit bindings.
    for (key, value) in &opts.dims {
        let slot = match key {
            DimKey::Param(p) => {
                let known = inputs
                    .iter()
                    .flat_map(|i| i.dims.iter().flatten())
                    .any(|d| matches!(d, DimDecl::Param(q) if q == p));
                known.then(|| Slot::Param(p.clone()))
            }
            DimKey::Axis { input, axis } => inputs
                .iter()
                .position(|i| &i.name == input)
                .and_then(|i| slot_of(inputs, i, *axis)),
        };
        let Some(slot) = slot else {
            errors.push(format!(
                "--dim {key}={value}: the model has no free dimension {key} (give a dim_param \
                 name, or INPUT:AXIS for a dimension without one); {}",
                describe_free(inputs)
            ));
            continue;
        };
        match bound.get(&slot) {
            Some(b) if b.value != *value => errors.push(format!(
                "conflicting values for dimension {key}: {} ({}) and {value} (--dim {key}={value})",
                b.value, b.why
            )),
            Some(_) => {}
            None => {
                bound.insert(
                    slot,
                    Bound {
                        value: *value,
                        source: DimSource::Flag,
                        why: format!("--dim {key}={value}"),
                    },
                );
            }
        }
    }

    // 2. Full shapes from input files.
    let mut full_shapes: Vec<Option<Vec<usize>>> = vec![None; inputs.len()];
    for h in &opts.hints {
        let ShapeHint::Shape {
            input,
            shape,
            origin,
        } = h
        else {
            continue;
        };
        let Some(i) = index_of(input) else { continue };
        let inp = &inputs[i];
        let Some(dims) = &inp.dims else {
            if full_shapes[i].is_none() {
                full_shapes[i] = Some(shape.clone());
            }
            continue;
        };
        if dims.len() != shape.len() {
            errors.push(format!(
                "graph input \"{}\": {origin} gives shape {shape:?} (rank {}), but the model \
                 declares rank {} ({})",
                inp.name,
                shape.len(),
                dims.len(),
                describe_decl(dims)
            ));
            continue;
        }
        for (axis, &v) in shape.iter().enumerate() {
            let Some(slot) = slot_of(inputs, i, axis) else {
                continue;
            };
            let why = format!("{origin}: input \"{}\" has shape {shape:?}", inp.name);
            match bound.get(&slot) {
                Some(b) if b.source == DimSource::Flag => {}
                Some(b) if b.value != v => errors.push(format!(
                    "conflicting values for dimension {}: {} ({}) and {v} ({why})",
                    slot_name(inputs, &slot),
                    b.value,
                    b.why
                )),
                Some(_) => {}
                None => {
                    bound.insert(
                        slot,
                        Bound {
                            value: v,
                            source: DimSource::InputFile,
                            why,
                        },
                    );
                }
            }
        }
    }

    // 3. Flat-list lengths, until nothing changes; then 4. the batch default, then 3 again.
    let flat: Vec<(usize, usize, &str)> = opts
        .hints
        .iter()
        .filter_map(|h| match h {
            ShapeHint::FlatLen { input, len, origin } => {
                index_of(input).map(|i| (i, *len, origin.as_str()))
            }
            ShapeHint::Shape { .. } => None,
        })
        .collect();
    let flat_pass = |bound: &mut BTreeMap<Slot, Bound>, errors: &mut Vec<String>| loop {
        let mut progress = false;
        for &(i, len, origin) in &flat {
            let Some(dims) = &inputs[i].dims else {
                continue;
            };
            let mut open = Vec::new();
            let mut known: usize = 1;
            for (axis, d) in dims.iter().enumerate() {
                let v = match d {
                    DimDecl::Fixed(v) => Some(*v),
                    _ => slot_of(inputs, i, axis).and_then(|s| bound.get(&s).map(|b| b.value)),
                };
                match v {
                    Some(v) => known = known.saturating_mul(v),
                    None => {
                        let s = slot_of(inputs, i, axis);
                        if let Some(s) = s {
                            if !open.contains(&s) {
                                open.push(s);
                            }
                        }
                    }
                }
            }
            let [slot] = &open[..] else { continue };
            let count = dims
                .iter()
                .enumerate()
                .filter(|(a, _)| slot_of(inputs, i, *a).as_ref() == Some(slot))
                .count() as u32;
            let value = (known > 0 && len % known == 0)
                .then(|| len / known)
                .and_then(|q| exact_root(q, count));
            match value {
                Some(v) if v > 0 => {
                    bound.insert(
                        slot.clone(),
                        Bound {
                            value: v,
                            source: DimSource::InputFile,
                            why: format!(
                                "{origin}: the input_data list of \"{}\" holds {len} values",
                                inputs[i].name
                            ),
                        },
                    );
                    progress = true;
                }
                _ => {
                    let m = format!(
                        "graph input \"{}\" ({}): {origin} holds {len} values in its input_data \
                         list, which does not give a whole positive value for dimension {} \
                         (the other dimensions hold {known} values); check the file or pass \
                         --dim {}=VALUE",
                        inputs[i].name,
                        describe_decl(dims),
                        slot_name(inputs, slot),
                        slot_name(inputs, slot),
                    );
                    if !errors.contains(&m) {
                        errors.push(m);
                    }
                }
            }
        }
        if !progress {
            break;
        }
    };
    flat_pass(&mut bound, &mut errors);
    for i in 0..inputs.len() {
        if let Some(slot) = slot_of(inputs, i, 0) {
            bound.entry(slot).or_insert_with(|| Bound {
                value: 1,
                source: DimSource::Default,
                why: "the default for a leading batch dimension".into(),
            });
        }
    }
    flat_pass(&mut bound, &mut errors);

    // Shapes, bindings in order of appearance, and what is left unbound.
    let mut shapes = Vec::with_capacity(inputs.len());
    let mut bindings: Vec<DimBinding> = Vec::new();
    let mut listed: Vec<Slot> = Vec::new();
    let mut failed: Vec<Slot> = Vec::new();
    for (i, inp) in inputs.iter().enumerate() {
        let Some(dims) = &inp.dims else {
            if full_shapes[i].is_none() {
                errors.push(format!(
                    "graph input \"{}\" declares no shape; give it in the input file \
                     ({{\"inputs\": {{\"{}\": {{\"shape\": [...], \"data\": [...]}}}}}}) or \
                     re-export the model with input shapes",
                    inp.name, inp.name
                ));
            }
            shapes.push(full_shapes[i].take());
            continue;
        };
        let mut shape = Vec::with_capacity(dims.len());
        let mut ok = true;
        for (axis, d) in dims.iter().enumerate() {
            let slot = match d {
                DimDecl::Fixed(v) => {
                    shape.push(*v);
                    continue;
                }
                _ => slot_of(inputs, i, axis).unwrap_or(Slot::Axis(i, axis)),
            };
            match bound.get(&slot) {
                Some(b) => {
                    shape.push(b.value);
                    if !listed.contains(&slot) {
                        listed.push(slot.clone());
                        bindings.push(DimBinding {
                            key: key_of(inputs, &slot),
                            value: b.value,
                            source: b.source,
                        });
                    }
                }
                None if failed.contains(&slot) => ok = false,
                None => {
                    ok = false;
                    failed.push(slot);
                    let m = match d {
                        DimDecl::Param(p) => format!(
                            "graph input \"{}\" axis {axis} has the symbolic dimension \"{p}\", \
                             which has no value (only a leading batch axis defaults to 1); \
                             pass --dim {p}=VALUE or give the input's shape in the input file",
                            inp.name
                        ),
                        _ => format!(
                            "graph input \"{}\" axis {axis} has an unknown dimension (no value \
                             and no dim_param); pass --dim {}:{axis}=VALUE or give the \
                             input's shape in the input file",
                            inp.name, inp.name
                        ),
                    };
                    if !errors.contains(&m) {
                        errors.push(m);
                    }
                }
            }
        }
        shapes.push(ok.then_some(shape));
    }
    Resolved {
        shapes,
        bindings,
        errors,
    }
}

/// `r` with `r^n == q`, when one exists (a dim_param repeated `n` times in one input).
fn exact_root(q: usize, n: u32) -> Option<usize> {
    if n <= 1 {
        return Some(q);
    }
    let guess = (q as f64).powf(1.0 / f64::from(n)).round() as usize;
    (guess.saturating_sub(1)..=guess + 1).find(|r| r.checked_pow(n) == Some(q))
}

fn key_of(inputs: &[InputDecl], slot: &Slot) -> DimKey {
    match slot {
        Slot::Param(p) => DimKey::Param(p.clone()),
        Slot::Axis(i, axis) => DimKey::Axis {
            input: inputs[*i].name.clone(),
            axis: *axis,
        },
    }
}

fn slot_name(inputs: &[InputDecl], slot: &Slot) -> String {
    key_of(inputs, slot).to_string()
}

/// `[batch, 3, ?]`.
pub(crate) fn describe_decl(dims: &[DimDecl]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| match d {
            DimDecl::Fixed(v) => v.to_string(),
            DimDecl::Param(p) => p.clone(),
            DimDecl::Free => "?".into(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn decl(name: &str, dims: &[&str]) -> InputDecl {
        InputDecl {
            name: name.into(),
            dims: Some(
                dims.iter()
                    .map(|d| match d.parse::<usize>() {
                        Ok(v) => DimDecl::Fixed(v),
                        Err(_) if *d == "?" => DimDecl::Free,
                        Err(_) => DimDecl::Param(d.to_string()),
                    })
                    .collect(),
            ),
        }
    }

    fn flat(pos: usize, len: usize) -> ShapeHint {
        ShapeHint::FlatLen {
            input: HintTarget::Position(pos),
            len,
            origin: "in.json".into(),
        }
    }

    fn shape(name: &str, s: &[usize]) -> ShapeHint {
        ShapeHint::Shape {
            input: HintTarget::Name(name.into()),
            shape: s.to_vec(),
            origin: "in.json".into(),
        }
    }

    #[test]
    fn batch_defaults_to_one_and_flags_win() {
        let ins = [decl("x", &["batch", "3"])];
        let r = resolve(&ins, &ImportOptions::default());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.shapes, vec![Some(vec![1, 3])]);
        assert_eq!(r.bindings[0].to_string(), "batch = 1 (default)");
        let opts = ImportOptions {
            dims: vec![(DimKey::parse("batch"), 4)],
            hints: vec![shape("x", &[2, 3])],
        };
        let r = resolve(&ins, &opts);
        assert_eq!(r.shapes, vec![Some(vec![4, 3])]);
        assert_eq!(r.bindings[0].to_string(), "batch = 4 (--dim)");
    }

    #[test]
    fn shapes_and_flat_lists_bind_from_the_file() {
        let ins = [decl("x", &["batch", "3"]), decl("y", &["batch", "?"])];
        let r = resolve(
            &ins,
            &ImportOptions {
                dims: vec![],
                hints: vec![shape("x", &[4, 3]), flat(1, 20)],
            },
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.shapes, vec![Some(vec![4, 3]), Some(vec![4, 5])]);
        assert_eq!(r.bindings[1].to_string(), "y:1 = 5 (input file)");
        // A flat list with two free dims: batch defaults to 1, then the list gives the rest.
        let ins = [decl("x", &["batch", "seq"])];
        let r = resolve(
            &ins,
            &ImportOptions {
                dims: vec![],
                hints: vec![flat(0, 12)],
            },
        );
        assert_eq!(r.shapes, vec![Some(vec![1, 12])]);
        let r = resolve(
            &ins,
            &ImportOptions {
                dims: vec![],
                hints: vec![flat(0, 0)],
            },
        );
        assert!(!r.errors.is_empty());
    }

    #[test]
    fn conflicts_and_unbound_dims_are_errors() {
        let ins = [decl("x", &["batch", "3"]), decl("y", &["batch", "2"])];
        let r = resolve(
            &ins,
            &ImportOptions {
                dims: vec![],
                hints: vec![shape("x", &[4, 3]), shape("y", &[2, 2])],
            },
        );
        assert!(
            r.errors[0].contains("conflicting values for dimension batch"),
            "{:?}",
            r.errors
        );
        let r = resolve(
            &ins,
            &ImportOptions::with_dims(vec![
                (DimKey::parse("batch"), 4),
                (DimKey::parse("batch"), 5),
            ]),
        );
        assert!(r.errors[0].contains("conflicting"), "{:?}", r.errors);
        let r = resolve(&[decl("x", &["1", "seq"])], &ImportOptions::default());
        assert!(r.errors[0].contains("\"x\" axis 1") && r.errors[0].contains("--dim seq=VALUE"));
        let r = resolve(&[decl("x", &["1", "?"])], &ImportOptions::default());
        assert!(r.errors[0].contains("--dim x:1=VALUE"), "{:?}", r.errors);
        let r = resolve(
            &ins,
            &ImportOptions::with_dims(vec![(DimKey::parse("bach"), 4)]),
        );
        assert!(
            r.errors[0].contains("no free dimension bach"),
            "{:?}",
            r.errors
        );
    }

    #[test]
    fn dim_args_parse() {
        assert_eq!(
            parse_dim_arg("batch=4").unwrap(),
            (DimKey::Param("batch".into()), 4)
        );
        assert_eq!(
            parse_dim_arg("x:1=28").unwrap(),
            (
                DimKey::Axis {
                    input: "x".into(),
                    axis: 1
                },
                28
            )
        );
        assert!(parse_dim_arg("batch").is_err());
        assert!(parse_dim_arg("batch=0").is_err());
        assert!(parse_dim_arg("batch=-1").is_err());
    }
}
