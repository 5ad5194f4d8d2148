//! Smooth scalar functions (Sigmoid, Tanh, Exp, Log, Sqrt, Reciprocal, Erf, Gelu, Softplus,
//! Softsign, Elu, Selu, Celu, HardSigmoid, HardSwish, Mish, Sin, Cos) and Pow with a
//! constant exponent.
//!
//! Opset differences: before opset 6, Sigmoid, Tanh, Exp, Log, Sqrt, Reciprocal, Elu, Selu
//! and HardSigmoid carried the legacy in-place hint `consumed_inputs` (accepted and ignored
//! there, refused later). Pow broadcasts numpy-style from opset 7 (legacy `broadcast`/`axis`
//! before); with the single-valued constant exponent required here both agree.

use super::window::require_before;
use super::{unary, Lowering, Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{Op, ScalarFn};
use crate::registry::{Family, OpDef};
use crate::shapes::{self, fmt_shape};

const NL: Family = Family::Nonlinear;
const LAST: i64 = *crate::registry::OPSET_RANGE.end();

/// Smooth scalar function operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("Sigmoid", NL, "", |c| legacy(c, ScalarFn::Sigmoid)),
    OpDef::runtime("Tanh", NL, "", |c| legacy(c, ScalarFn::Tanh)),
    OpDef::runtime("Exp", NL, "domain from calibration", |c| {
        legacy(c, ScalarFn::Exp)
    }),
    OpDef::runtime("Log", NL, "domain from calibration (inputs > 0)", |c| {
        legacy(c, ScalarFn::Log)
    }),
    OpDef::runtime("Sqrt", NL, "range-checked witness", |c| {
        legacy(c, ScalarFn::Sqrt)
    }),
    OpDef::runtime("Reciprocal", NL, "range-checked witness (x ≠ 0)", |c| {
        legacy(c, ScalarFn::Reciprocal)
    }),
    OpDef::runtime("Erf", NL, "", |c| plain(c, ScalarFn::Erf)).opsets(9, LAST),
    OpDef::runtime("Gelu", NL, "approximate = none | tanh", gelu).opsets(20, LAST),
    OpDef::runtime("Softplus", NL, "", |c| plain(c, ScalarFn::Softplus)),
    OpDef::runtime("Softsign", NL, "", |c| plain(c, ScalarFn::Softsign)),
    OpDef::runtime("Elu", NL, "", elu),
    OpDef::runtime("Selu", NL, "", selu),
    OpDef::runtime("Celu", NL, "", celu).opsets(12, LAST),
    OpDef::runtime("HardSigmoid", NL, "", hard_sigmoid),
    OpDef::runtime("HardSwish", NL, "", |c| plain(c, ScalarFn::HardSwish)).opsets(14, LAST),
    OpDef::runtime("Mish", NL, "", |c| plain(c, ScalarFn::Mish)).opsets(18, LAST),
    OpDef::runtime("Sin", NL, "domain from calibration", |c| {
        plain(c, ScalarFn::Sin)
    })
    .opsets(7, LAST),
    OpDef::runtime("Cos", NL, "domain from calibration", |c| {
        plain(c, ScalarFn::Cos)
    })
    .opsets(7, LAST),
    OpDef::runtime(
        "Pow",
        NL,
        "constant exponent with one value (integers 0..8 and their negatives, ±0.5 exact; \
         others by table on the calibrated domain)",
        pow,
    ),
];

/// A function without attributes.
fn plain(ctx: &NodeCtx<'_>, f: ScalarFn) -> Result<Lowering, ImportError> {
    unary(ctx, Op::Function(f)).map(Into::into)
}

/// A function whose opset-1 form had `consumed_inputs` (ignored before opset 6).
fn legacy(ctx: &NodeCtx<'_>, f: ScalarFn) -> Result<Lowering, ImportError> {
    require_before(ctx, "consumed_inputs", 6)?;
    plain(ctx, f)
}

/// A finite float attribute with a default.
fn finite(ctx: &NodeCtx<'_>, name: &str, default: f64) -> Result<f64, ImportError> {
    let v = ctx.float_or(name, default)?;
    if !v.is_finite() {
        return Err(ctx.err(format!("attribute {name}={v} must be finite")));
    }
    Ok(v)
}

fn gelu(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    let approx = ctx.attr(ctx.attrs.string("approximate"))?;
    let tanh = match approx.as_deref().unwrap_or("none") {
        "none" => false,
        "tanh" => true,
        other => {
            return Err(ctx.err(format!(
                "approximate=\"{other}\" is not a Gelu mode (\"none\" or \"tanh\")"
            )))
        }
    };
    plain(ctx, ScalarFn::Gelu { tanh })
}

fn elu(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    require_before(ctx, "consumed_inputs", 6)?;
    let alpha = finite(ctx, "alpha", 1.0)?;
    plain(ctx, ScalarFn::Elu { alpha })
}

fn selu(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    require_before(ctx, "consumed_inputs", 6)?;
    // The ONNX defaults, f32 values 1.67326319217681884765625 and 1.05070102214813232421875.
    let alpha = finite(ctx, "alpha", 1.673_263_192_176_818_8)?;
    let gamma = finite(ctx, "gamma", 1.050_701_022_148_132_3)?;
    plain(ctx, ScalarFn::Selu { alpha, gamma })
}

fn celu(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    let alpha = finite(ctx, "alpha", 1.0)?;
    if alpha == 0.0 {
        return Err(ctx.err("Celu alpha must not be 0 (it divides x)"));
    }
    plain(ctx, ScalarFn::Celu { alpha })
}

fn hard_sigmoid(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    require_before(ctx, "consumed_inputs", 6)?;
    let alpha = finite(ctx, "alpha", 0.2)?;
    let beta = finite(ctx, "beta", 0.5)?;
    plain(ctx, ScalarFn::HardSigmoid { alpha, beta })
}

/// `Pow(X, Y)` with `Y` a constant holding one value (any shape that broadcasts to X).
fn pow(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    ctx.single_output()?;
    let x = ctx.shape(0)?.to_vec();
    let y = ctx.input(1)?;
    if y.constant.is_none() {
        return Err(ctx.err(format!(
            "the exponent (input #1, \"{}\") is computed at runtime; only a constant exponent \
             is supported",
            y.name
        )));
    }
    let c = ctx.constant(1, "exponent")?;
    if !shapes::broadcasts_to(&c.tensor.shape, &x) {
        return Err(ctx.shape_err(format!(
            "exponent {} does not broadcast to the base {} without enlarging it",
            fmt_shape(&c.tensor.shape),
            fmt_shape(&x)
        )));
    }
    let Some(&p) = c.tensor.data.first() else {
        return Err(ctx.err("the exponent is empty"));
    };
    if c.tensor.data.iter().any(|&v| v.to_bits() != p.to_bits()) {
        return Err(ctx.err(format!(
            "the exponent {} holds different values; only one exponent shared by every \
             element is supported",
            fmt_shape(&c.tensor.shape)
        )));
    }
    if !p.is_finite() {
        return Err(ctx.err(format!("exponent {p} must be finite")));
    }
    Ok(Mapped::new(Op::Pow { exponent: p }, vec![0], x).into())
}
