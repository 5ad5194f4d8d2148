//! Elementwise arithmetic with broadcasting: Add, Sub, Mul, Div, Neg; Abs,
//! Sign, Floor, Ceil, Round; variadic Sum, Mean, Max, Min; runtime Cast.
//!
//! Old opsets: before opset 7 the binary ops broadcast only with `broadcast=1`, aligning B
//! at `axis` of A ([`legacy_broadcast`]); before opset 8 the variadic ops need equal shapes.

use onnx_protobuf::tensor_proto::DataType;
use protobuf::Enum;

use super::{unary, Lowering, Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{CastTarget, Op, VariadicOp};
use crate::proto::dtype_name;
use crate::registry::{Family, OpDef};
use crate::shapes::{self, fmt_shape};

/// Elementwise operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime("Add", Family::Elementwise, LEGACY, |c| {
        binary(c, Op::Add).map(Into::into)
    }),
    OpDef::runtime("Sub", Family::Elementwise, LEGACY, |c| {
        binary(c, Op::Sub).map(Into::into)
    }),
    OpDef::runtime("Mul", Family::Elementwise, LEGACY, |c| {
        binary(c, Op::Mul).map(Into::into)
    }),
    OpDef::runtime(
        "Div",
        Family::Elementwise,
        "by a constant or a runtime tensor (rounded half up); opset < 7 `broadcast`/`axis`",
        |c| div(c).map(Into::into),
    ),
    OpDef::runtime("Neg", Family::Elementwise, "", |c| {
        unary(c, Op::Neg).map(Into::into)
    }),
    OpDef::runtime("Abs", Family::Elementwise, "", |c| {
        unary(c, Op::Abs).map(Into::into)
    }),
    OpDef::runtime("Sign", Family::Elementwise, "", |c| {
        unary(c, Op::Sign).map(Into::into)
    })
    .opsets(9, 21),
    OpDef::runtime("Floor", Family::Elementwise, "", |c| {
        unary(c, Op::Floor).map(Into::into)
    }),
    OpDef::runtime("Ceil", Family::Elementwise, "", |c| {
        unary(c, Op::Ceil).map(Into::into)
    }),
    OpDef::runtime("Round", Family::Elementwise, "half to even", |c| {
        unary(c, Op::Round).map(Into::into)
    })
    .opsets(11, 21),
    OpDef::runtime("Sum", Family::Elementwise, VARIADIC, |c| {
        variadic(c, VariadicOp::Sum)
    }),
    OpDef::runtime("Mean", Family::Elementwise, VARIADIC, |c| {
        variadic(c, VariadicOp::Mean)
    }),
    OpDef::runtime("Max", Family::Elementwise, VARIADIC, |c| {
        variadic(c, VariadicOp::Max)
    }),
    OpDef::runtime("Min", Family::Elementwise, VARIADIC, |c| {
        variadic(c, VariadicOp::Min)
    }),
    OpDef::runtime(
        "Cast",
        Family::Elementwise,
        "runtime: to float (kept) or integer (truncated) types; constants: also bool",
        cast,
    ),
];

const LEGACY: &str = "opset < 7 `broadcast`/`axis`";
const VARIADIC: &str = "1..N inputs; equal shapes before opset 8";

/// Broadcasting binary ops (Add, Sub, Mul); legacy broadcasting before opset 7.
pub(super) fn binary(ctx: &NodeCtx<'_>, op: Op) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let (a, b) = (ctx.shape(0)?, ctx.shape(1)?);
    if ctx.opset < 7 {
        let numpy = legacy_broadcast(ctx, a, b)?;
        if numpy != b && !shapes::broadcasts_to(b, a) {
            return Ok(Mapped::new(op, vec![0, 1], a.to_vec()).reshape_input(1, numpy));
        }
        return Ok(Mapped::new(op, vec![0, 1], a.to_vec()));
    }
    let out = shapes::broadcast(a, b).map_err(|m| ctx.shape_err(m))?;
    Ok(Mapped::new(op, vec![0, 1], out))
}

/// Checks the opset-1..6 broadcasting rules and returns B's shape in numpy form.
///
/// Without `broadcast=1` the shapes must be equal. With it, B's dimensions line up with A's
/// starting at `axis` (default: B is a suffix of A), each equal or 1, and the output has A's
/// shape. Numpy right-aligns instead, so B's numpy shape is B's shape followed by a 1 for
/// every axis of A after the aligned block.
pub(super) fn legacy_broadcast(
    ctx: &NodeCtx<'_>,
    a: &[usize],
    b: &[usize],
) -> Result<Vec<usize>, ImportError> {
    if !ctx.flag("broadcast", false)? {
        if a != b {
            return Err(ctx.shape_err(format!(
                "A {} and B {} differ and broadcast=0; before opset 7, {} broadcasts only \
                 with the attribute broadcast=1",
                fmt_shape(a),
                fmt_shape(b),
                ctx.op_type
            )));
        }
        return Ok(b.to_vec());
    }
    if b.len() > a.len() {
        return Err(ctx.shape_err(format!(
            "legacy broadcast needs rank(B) <= rank(A), got A {} and B {}",
            fmt_shape(a),
            fmt_shape(b)
        )));
    }
    // A scalar or a one-element B broadcasts anywhere.
    if b.iter().product::<usize>() == 1 {
        return Ok(b.to_vec());
    }
    let default_axis = (a.len() - b.len()) as i64;
    let axis = ctx.int_or("axis", default_axis)?;
    let axis = shapes::normalize_axis(axis, a.len()).map_err(|m| ctx.err(m))?;
    if axis + b.len() > a.len() {
        return Err(ctx.shape_err(format!(
            "B {} aligned at axis {axis} runs past the end of A {}",
            fmt_shape(b),
            fmt_shape(a)
        )));
    }
    for (j, &d) in b.iter().enumerate() {
        if d != 1 && d != a[axis + j] {
            return Err(ctx.shape_err(format!(
                "B {} aligned at axis {axis} of A {}: dimension {j} is {d}, expected {} or 1",
                fmt_shape(b),
                fmt_shape(a),
                a[axis + j]
            )));
        }
    }
    let mut numpy = b.to_vec();
    numpy.resize(a.len() - axis, 1);
    Ok(numpy)
}

/// `Div`: a constant divisor must have no zero element (checked here); a runtime divisor
/// is divided by in the circuit (a zero there is an error when the witness is made).
pub(super) fn div(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    let b = ctx.input(1)?;
    if let Some(c) = b.constant {
        if c.tensor.data.contains(&0.0) {
            return Err(ctx.err(format!(
                "the constant divisor \"{}\" contains a zero element; division by zero is \
                 undefined",
                b.name
            )));
        }
    }
    binary(ctx, Op::Div)
}

/// `Sum`, `Mean`, `Max`, `Min` over 1..N inputs.
fn variadic(ctx: &NodeCtx<'_>, v: VariadicOp) -> Result<Lowering, ImportError> {
    ctx.single_output()?;
    if ctx.inputs.is_empty() {
        return Err(ctx.err(format!("{} needs at least one input", ctx.op_type)));
    }
    let mut out = ctx.shape(0)?.to_vec();
    for i in 1..ctx.inputs.len() {
        let s = ctx.shape(i)?;
        if ctx.opset < 8 {
            if s != out.as_slice() {
                return Err(ctx.shape_err(format!(
                    "inputs #0 {} and #{i} {} differ; before opset 8 {} does not broadcast \
                     (all inputs must have the same shape)",
                    fmt_shape(&out),
                    fmt_shape(s),
                    ctx.op_type
                )));
            }
        } else {
            out = shapes::broadcast(&out, s).map_err(|m| ctx.shape_err(m))?;
        }
    }
    let inputs = (0..ctx.inputs.len()).collect();
    Ok(Mapped::new(Op::Variadic(v), inputs, out).into())
}

/// What a `Cast` to the ONNX data type `code` (its `to` attribute) makes of the values;
/// `None` for a type it cannot become (strings, complex numbers, 8-bit floats, unknown codes).
/// The runtime mapper and the import-time fold both read `to` through this.
pub(crate) fn cast_target(code: i32) -> Option<CastTarget> {
    match DataType::from_i32(code)? {
        DataType::FLOAT => Some(CastTarget::Float32),
        DataType::DOUBLE | DataType::FLOAT16 | DataType::BFLOAT16 => Some(CastTarget::FloatWide),
        DataType::INT64
        | DataType::INT32
        | DataType::INT16
        | DataType::INT8
        | DataType::UINT8
        | DataType::UINT16
        | DataType::UINT32
        | DataType::UINT64 => Some(CastTarget::Integer),
        DataType::BOOL => Some(CastTarget::Bool),
        _ => None,
    }
}

/// `Cast`: the target type from the `to` attribute. Constants fold (through the float
/// evaluator) to any numeric or bool type; a runtime tensor may become a float type (kept)
/// or an integer type (truncated toward zero).
fn cast(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
    ctx.single_output()?;
    let code = ctx.int_or("to", 0)?;
    let code = i32::try_from(code).unwrap_or(-1);
    let Some(to) = cast_target(code) else {
        return Err(ctx.err(format!(
            "Cast to {} is not supported (supported: float, double, float16, bfloat16, \
             integer and bool types)",
            dtype_name(code)
        )));
    };
    let x = ctx.input(0)?;
    if to == CastTarget::Bool && x.constant.is_none() {
        return Err(ctx.err(format!(
            "Cast of the runtime tensor \"{}\" to bool is not supported (only a constant \
             folds to bool); compare with a Sign or Relu instead",
            x.name
        )));
    }
    unary(ctx, Op::Cast { to }).map(Into::into)
}
