//! Source maps of Pad, DepthToSpace and SpaceToDepth.

use super::{input0, one_input, per_output, Source, SourceMap};
use crate::eval::strides;
use crate::ir::{DepthToSpaceMode, PadMode};

/// Pad: output coordinate `o` along an axis of length `d` with `begin` padding reads input
/// coordinate `o - begin` when it is inside `[0, d)`, else the mode's rule.
pub(super) fn pad(
    pads: &[[i64; 2]],
    mode: PadMode,
    value: f64,
    s: &[usize],
    shape_only: bool,
) -> Result<SourceMap, String> {
    if pads.len() != s.len() {
        return Err(format!(
            "{} pad pairs for an input of rank {}",
            pads.len(),
            s.len()
        ));
    }
    let mut out = Vec::with_capacity(s.len());
    for (&d, &[b, e]) in s.iter().zip(pads) {
        // A negative pad crops; it cannot crop more than the axis holds.
        let di = i64::try_from(d).map_err(|_| "input too large")?;
        if b < -di || e < -di {
            return Err(format!(
                "pads {pads:?} crop more than the input {s:?} holds"
            ));
        }
        let len = i64::try_from(d)
            .ok()
            .and_then(|d| d.checked_add(b)?.checked_add(e))
            .ok_or("pads overflow")?;
        let len = usize::try_from(len)
            .map_err(|_| format!("pads {pads:?} crop more than the input {s:?} holds"))?;
        if d == 0 && len > 0 && mode != PadMode::Constant {
            return Err(format!("cannot pad an empty axis in {mode:?} mode"));
        }
        out.push(len);
    }
    let st = strides(s);
    per_output(&out, shape_only, |o| {
        let mut flat = 0usize;
        for ax in 0..s.len() {
            let d = s[ax] as i64;
            let i = o[ax] as i64 - pads[ax][0];
            let i = if (0..d).contains(&i) {
                i
            } else {
                match mode {
                    PadMode::Constant => return Ok(Source::Const(value)),
                    PadMode::Edge => i.clamp(0, d - 1),
                    PadMode::Wrap => i.rem_euclid(d),
                    PadMode::Reflect if d == 1 => 0,
                    PadMode::Reflect => {
                        let period = 2 * (d - 1);
                        let m = i.rem_euclid(period);
                        if m >= d {
                            period - m
                        } else {
                            m
                        }
                    }
                }
            };
            flat += i as usize * st[ax];
        }
        Ok(input0(flat))
    })
}

fn nchw(in_shapes: &[Vec<usize>], what: &str) -> Result<[usize; 4], String> {
    match one_input(in_shapes)? {
        &[n, c, h, w] => Ok([n, c, h, w]),
        s => Err(format!(
            "{what} needs a rank-4 [N, C, H, W] input, got {s:?}"
        )),
    }
}

/// DepthToSpace: output `(n, c, y, x)` reads input `(n, ic, y / b, x / b)` with `ic` from
/// the block position `(y % b, x % b)` per [`DepthToSpaceMode`].
pub(super) fn depth_to_space(
    b: usize,
    mode: DepthToSpaceMode,
    in_shapes: &[Vec<usize>],
    shape_only: bool,
) -> Result<SourceMap, String> {
    let [n, c, h, w] = nchw(in_shapes, "DepthToSpace")?;
    if b == 0 || c % (b * b) != 0 {
        return Err(format!(
            "{c} channels are not divisible by blocksize² = {}",
            b * b
        ));
    }
    let co = c / (b * b);
    let (hb, wb) = h
        .checked_mul(b)
        .zip(w.checked_mul(b))
        .ok_or("the output is too large")?;
    per_output(&[n, co, hb, wb], shape_only, |o| {
        let (bh, bw) = (o[2] % b, o[3] % b);
        let ic = match mode {
            DepthToSpaceMode::Dcr => (bh * b + bw) * co + o[1],
            DepthToSpaceMode::Crd => o[1] * b * b + bh * b + bw,
        };
        Ok(input0(((o[0] * c + ic) * h + o[2] / b) * w + o[3] / b))
    })
}

/// SpaceToDepth: output `(n, (bh·b + bw)·C + c, y, x)` reads input `(n, c, y·b + bh, x·b + bw)`.
pub(super) fn space_to_depth(
    b: usize,
    in_shapes: &[Vec<usize>],
    shape_only: bool,
) -> Result<SourceMap, String> {
    let [n, c, h, w] = nchw(in_shapes, "SpaceToDepth")?;
    if b == 0 || h % b != 0 || w % b != 0 {
        return Err(format!(
            "spatial size {h}x{w} is not divisible by blocksize {b}"
        ));
    }
    let cb = b
        .checked_mul(b)
        .and_then(|bb| bb.checked_mul(c))
        .ok_or("the output is too large")?;
    per_output(&[n, cb, h / b, w / b], shape_only, |o| {
        let (blk, ci) = (o[1] / c, o[1] % c);
        let (y, x) = (o[2] * b + blk / b, o[3] * b + blk % b);
        Ok(input0(((o[0] * c + ci) * h + y) * w + x))
    })
}
