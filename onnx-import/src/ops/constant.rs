//! Operators evaluated at import time only: constants and shape arithmetic.

use crate::fold::{constant_node, fold_only};
use crate::registry::{Family, OpDef};

/// Import-time operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::fold_only("Constant", Family::Constant, "", constant_node),
    OpDef::fold_only("Shape", Family::Constant, "of a static shape", fold_only),
    OpDef::fold_only("ConstantOfShape", Family::Constant, "", fold_only),
    OpDef::fold_only("Range", Family::Constant, "", fold_only),
    OpDef::fold_only(
        "Mod",
        Family::Constant,
        "constant inputs (folded)",
        fold_only,
    )
    .opsets(10, 21),
];
