//! Comparisons (Less, LessOrEqual, Greater, GreaterOrEqual, Equal), Not, And, Or, Xor and
//! Where.

use crate::registry::OpDef;

/// Comparison and logic operators.
pub(super) const OPS: &[OpDef] = &[];
