//! Resize and Upsample with constant scales or sizes.
//!
//! Both interpolations are described by taps ([`resize_taps`]): for every output element,
//! the input elements it reads and their constant weights. Nearest has one tap of weight 1
//! per element (pure wiring); linear interpolates the 2 nearest elements of every resized
//! axis (edge-clamped, so `exclude_outside` makes no difference), i.e. up to `2^axes` taps
//! whose weights are products of the per-axis weights `1 - r` and `r`. The float evaluator
//! applies the taps in `f64`; the fixed-point op applies the same taps with quantized
//! weights.

use super::strides;
use crate::ir::{CoordMode, NearestMode, ResizeAttrs, ResizeMode, Tensor};

/// For each output element (row-major): the `(flat input index, weight)` pairs it sums.
pub type Taps = Vec<Vec<(usize, f64)>>;

/// The output shape of Resize with `attrs` on an input of shape `in_shape`, and the taps of
/// every output element (weights are non-negative and sum to 1; zero weights are dropped
/// and taps reading the same element are merged).
pub fn resize_taps(attrs: &ResizeAttrs, in_shape: &[usize]) -> Result<(Vec<usize>, Taps), String> {
    let r = in_shape.len();
    if attrs.out_shape.len() != r || attrs.scales.len() != r {
        return Err(format!(
            "output shape {:?} and scales {:?} do not match the input rank {r}",
            attrs.out_shape, attrs.scales
        ));
    }
    // Per axis, per output coordinate: (input coordinate, weight) pairs.
    let mut axis_taps: Vec<Vec<Vec<(usize, f64)>>> = Vec::with_capacity(r);
    for (ax, ((&len_in, &len_out), &scale)) in in_shape
        .iter()
        .zip(&attrs.out_shape)
        .zip(&attrs.scales)
        .enumerate()
    {
        if len_out > 0 && len_in == 0 {
            return Err(format!(
                "axis {ax}: cannot resize an empty axis to {len_out}"
            ));
        }
        if !(scale.is_finite() && scale > 0.0) {
            return Err(format!("axis {ax}: scale {scale} must be positive"));
        }
        let taps = (0..len_out)
            .map(|y| {
                if len_in == len_out && scale == 1.0 {
                    return vec![(y, 1.0)];
                }
                let x = source_coord(attrs.coord, y, scale, len_in, len_out);
                let last = (len_in - 1) as f64;
                let clamp = |i: f64| i.clamp(0.0, last) as usize;
                match attrs.mode {
                    ResizeMode::Nearest(m) => vec![(clamp(round(m, x)), 1.0)],
                    ResizeMode::Linear => {
                        let lo = x.floor();
                        let frac = x - lo;
                        vec![(clamp(lo), 1.0 - frac), (clamp(lo + 1.0), frac)]
                    }
                }
            })
            .collect();
        axis_taps.push(taps);
    }
    let st = strides(in_shape);
    let n: usize = attrs.out_shape.iter().product();
    let mut out = Vec::with_capacity(n);
    for flat in 0..n {
        let o = super::shape::unravel(flat, &attrs.out_shape);
        let mut acc: Vec<(usize, f64)> = vec![(0, 1.0)];
        for ax in 0..r {
            let mut next = Vec::with_capacity(acc.len() * 2);
            for &(base, w) in &acc {
                for &(i, wa) in &axis_taps[ax][o[ax]] {
                    if wa != 0.0 {
                        next.push((base + i * st[ax], w * wa));
                    }
                }
            }
            acc = next;
        }
        let mut merged: Vec<(usize, f64)> = Vec::with_capacity(acc.len());
        for (i, w) in acc {
            match merged.iter_mut().find(|(j, _)| *j == i) {
                Some(m) => m.1 += w,
                None => merged.push((i, w)),
            }
        }
        out.push(merged);
    }
    Ok((attrs.out_shape.clone(), out))
}

/// The input coordinate output coordinate `y` maps to (ONNX's coordinate transformations).
/// Like ONNX's reference, the output length in align_corners and pytorch_half_pixel is
/// `scale · len_in` (which is the integer output length whenever sizes were given, and may
/// be fractional with scales, e.g. 4 × 0.6 = 2.4).
fn source_coord(mode: CoordMode, y: usize, scale: f64, len_in: usize, len_out: usize) -> f64 {
    let y = y as f64;
    let len_resized = match scale * len_in as f64 {
        // Scales derived from sizes: the exact integer, not its rounding error.
        l if (l - len_out as f64).abs() < 1e-6 => len_out as f64,
        l => l,
    };
    match mode {
        CoordMode::HalfPixel => (y + 0.5) / scale - 0.5,
        CoordMode::PytorchHalfPixel if len_resized == 1.0 => -0.5,
        CoordMode::PytorchHalfPixel => (y + 0.5) / scale - 0.5,
        CoordMode::AlignCorners if len_resized == 1.0 => 0.0,
        CoordMode::AlignCorners => y * (len_in as f64 - 1.0) / (len_resized - 1.0),
        CoordMode::Asymmetric => y / scale,
        CoordMode::HalfPixelSymmetric => {
            let adjustment = len_out as f64 / (scale * len_in as f64);
            let offset = len_in as f64 / 2.0 * (1.0 - adjustment);
            offset + (y + 0.5) / scale - 0.5
        }
    }
}

/// Nearest-mode rounding of an input coordinate.
fn round(mode: NearestMode, x: f64) -> f64 {
    let lo = x.floor();
    let frac = x - lo;
    match mode {
        NearestMode::RoundPreferFloor if frac <= 0.5 => lo,
        NearestMode::RoundPreferCeil if frac < 0.5 => lo,
        NearestMode::RoundPreferFloor | NearestMode::RoundPreferCeil => lo + 1.0,
        NearestMode::Floor => lo,
        NearestMode::Ceil => x.ceil(),
    }
}

/// Applies the taps in `f64`.
pub(super) fn eval(attrs: &ResizeAttrs, inputs: &[&Tensor]) -> Result<Tensor, String> {
    super::check_arity(inputs, 1, 1)?;
    let x = inputs[0];
    let (shape, taps) = resize_taps(attrs, &x.shape)?;
    let data = taps
        .iter()
        .map(|t| t.iter().map(|&(i, w)| w * x.data[i]).sum())
        .collect();
    Ok(Tensor { shape, data })
}
