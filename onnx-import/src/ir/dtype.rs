//! Element types of graph inputs.

use serde::{Deserialize, Serialize};

/// Element type of a graph input. Every value is held as `f64`: floating-point inputs are
/// rounded to `float32` when read, integer and boolean ones are exact (booleans are 0 and 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// float32, float64, float16 or bfloat16.
    #[default]
    Float,
    /// int8.
    Int8,
    /// int16.
    Int16,
    /// int32.
    Int32,
    /// int64.
    Int64,
    /// uint8.
    Uint8,
    /// uint16.
    Uint16,
    /// uint32.
    Uint32,
    /// uint64.
    Uint64,
    /// bool (0 or 1).
    Bool,
}

impl DType {
    /// True for [`DType::Float`].
    pub fn is_float(self) -> bool {
        self == DType::Float
    }

    /// The smallest and largest value of an integer or boolean type; `None` for floats.
    pub fn int_range(self) -> Option<(i128, i128)> {
        let r = |bits: u32, signed: bool| {
            if signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            }
        };
        match self {
            DType::Float => None,
            DType::Int8 => Some(r(8, true)),
            DType::Int16 => Some(r(16, true)),
            DType::Int32 => Some(r(32, true)),
            DType::Int64 => Some(r(64, true)),
            DType::Uint8 => Some(r(8, false)),
            DType::Uint16 => Some(r(16, false)),
            DType::Uint32 => Some(r(32, false)),
            DType::Uint64 => Some(r(64, false)),
            DType::Bool => Some((0, 1)),
        }
    }

    /// Lower-case name (`"float"`, `"int64"`, `"bool"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::Float => "float",
            DType::Int8 => "int8",
            DType::Int16 => "int16",
            DType::Int32 => "int32",
            DType::Int64 => "int64",
            DType::Uint8 => "uint8",
            DType::Uint16 => "uint16",
            DType::Uint32 => "uint32",
            DType::Uint64 => "uint64",
            DType::Bool => "bool",
        }
    }
}
