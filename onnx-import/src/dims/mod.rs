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

mod binding;
mod hints;

pub(crate) use binding::{resolve, DimDecl, InputDecl};
pub use hints::{hints_from_file, hints_from_json, hints_from_shapes};

use std::fmt;

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
