//! Shape hints from input and calibration files ([`ShapeHint`]).

use std::path::Path;

use serde_json::Value as Json;

use crate::input_file::InputError;

use super::{HintTarget, ShapeHint};

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
