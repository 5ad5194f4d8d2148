//! Linear ops: Gemm, MatMul and Conv.

use super::window::{nchw, pair, window_common};
use super::{Mapped, NodeCtx};
use crate::error::ImportError;
use crate::ir::{ConvAttrs, Op};
use crate::shapes::{self, fmt_shape};
use crate::registry::{Family, OpDef};

/// Linear operators.
pub(super) const OPS: &[OpDef] = &[
    OpDef::runtime(
        "Gemm",
        Family::Linear,
        "alpha, beta, transA/transB; opset < 7 `broadcast`",
        |c| gemm(c).map(Into::into),
    ),
    OpDef::runtime("MatMul", Family::Linear, "batch broadcasting", |c| {
        matmul(c).map(Into::into)
    }),
    OpDef::runtime(
        "Conv",
        Family::Linear,
        "2-D: strides, pads / auto_pad, dilations, groups",
        |c| conv(c).map(Into::into),
    ),
];

/// `Gemm`: `alpha * A' * B' + beta * C`.
pub(super) fn gemm(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let alpha = ctx.float_or("alpha", 1.0)?;
    let beta = ctx.float_or("beta", 1.0)?;
    let trans_a = ctx.flag("transA", false)?;
    let trans_b = ctx.flag("transB", false)?;
    let a = ctx.rank(0, 2, "A")?;
    let b = ctx.rank(1, 2, "B")?;
    let (m, k) = if trans_a { (a[1], a[0]) } else { (a[0], a[1]) };
    let (k2, n) = if trans_b { (b[1], b[0]) } else { (b[0], b[1]) };
    if k != k2 {
        return Err(ctx.shape_err(format!(
            "inner dimensions differ: A {} (transA={}) has K={k}, B {} (transB={}) has K={k2}",
            fmt_shape(a),
            u8::from(trans_a),
            fmt_shape(b),
            u8::from(trans_b)
        )));
    }
    let out = vec![m, n];
    let mut inputs = vec![0, 1];
    if let Some(c) = ctx.opt(2) {
        if !shapes::broadcasts_to(c.shape, &out) {
            return Err(ctx.shape_err(format!(
                "C {} does not broadcast to the output shape {}",
                fmt_shape(c.shape),
                fmt_shape(&out)
            )));
        }
        inputs.push(2);
    }
    Ok(Mapped::new(
        Op::Gemm {
            alpha,
            beta,
            trans_a,
            trans_b,
        },
        inputs,
        out,
    ))
}

/// `MatMul` with numpy semantics.
pub(super) fn matmul(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let out = shapes::matmul(ctx.shape(0)?, ctx.shape(1)?).map_err(|m| ctx.shape_err(m))?;
    Ok(Mapped::new(Op::MatMul, vec![0, 1], out))
}

/// `Conv` (2-D), with ONNX defaults applied.
pub(super) fn conv(ctx: &NodeCtx<'_>) -> Result<Mapped, ImportError> {
    ctx.single_output()?;
    let [n, c, h, w] = nchw(ctx)?;
    let weight = ctx.constant(1, "weight W")?;
    let [m, cg, kh, kw] = match *weight.tensor.shape {
        [m, cg, kh, kw] => [m, cg, kh, kw],
        _ => {
            return Err(ctx.err(format!(
                "weight W has shape {}; a 2-D convolution needs [M, C/group, kH, kW]",
                fmt_shape(&weight.tensor.shape)
            )))
        }
    };
    let group = ctx.int_or("group", 1)?;
    let group = usize::try_from(group)
        .ok()
        .filter(|g| *g >= 1)
        .ok_or_else(|| ctx.err(format!("group={group} must be >= 1")))?;
    if c % group != 0 {
        return Err(ctx.err(format!("group={group} does not divide {c} input channels")));
    }
    if m % group != 0 {
        return Err(ctx.err(format!("group={group} does not divide {m} output channels")));
    }
    if cg != c / group {
        return Err(ctx.shape_err(format!(
            "weight W {} expects {cg} channels per group, but the input {} has {c} channels \
             in {group} group(s) ({} per group)",
            fmt_shape(&weight.tensor.shape),
            fmt_shape(&[n, c, h, w]),
            c / group
        )));
    }
    let kernel = pair(ctx, "kernel_shape", Some([kh, kw]))?;
    if kernel != [kh, kw] {
        return Err(ctx.shape_err(format!(
            "kernel_shape {kernel:?} disagrees with the weight's spatial dims [{kh}, {kw}]"
        )));
    }
    let (strides, dilations, pads) = window_common(ctx, [h, w], kernel)?;
    let [oh, ow] = shapes::window_output([h, w], kernel, strides, pads, dilations)
        .map_err(|e| ctx.shape_err(e))?;
    let mut inputs = vec![0, 1];
    if let Some(b) = ctx.opt(2) {
        let bias = ctx.constant(2, "bias B")?;
        if bias.tensor.shape != [m] {
            return Err(ctx.shape_err(format!(
                "bias B \"{}\" has shape {}, expected [{m}] (one per output channel)",
                b.name,
                fmt_shape(&bias.tensor.shape)
            )));
        }
        inputs.push(2);
    }
    let attrs = ConvAttrs {
        kernel,
        strides,
        pads,
        dilations,
        group,
    };
    Ok(Mapped::new(Op::Conv(attrs), inputs, vec![n, m, oh, ow]))
}
