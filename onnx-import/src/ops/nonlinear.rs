//! Smooth scalar functions (Sigmoid, Tanh, Exp, Log, Sqrt, Reciprocal, Erf, Gelu, Softplus,
//! Softsign, Elu, Selu, Celu, HardSigmoid, HardSwish, Mish, Sin, Cos) and Pow with a
//! constant exponent.

use crate::registry::OpDef;

/// Smooth scalar function operators.
pub(super) const OPS: &[OpDef] = &[];
