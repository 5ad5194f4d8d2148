//! Sliding-window geometry: auto-padding, explicit pads, output sizes, and the taps of
//! each output position of a pooling or convolution window.

use crate::ir::Pads;

/// How a window op pads its input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AutoPad {
    /// Use the explicit `pads` attribute.
    NotSet,
    /// No padding.
    Valid,
    /// Pad so that `out = ceil(in / stride)`, extra padding at the end.
    SameUpper,
    /// Same, extra padding at the beginning.
    SameLower,
}

impl AutoPad {
    /// Parses the `auto_pad` attribute.
    pub fn parse(s: Option<&str>) -> Result<Self, String> {
        match s.unwrap_or("NOTSET") {
            "NOTSET" | "" => Ok(AutoPad::NotSet),
            "VALID" => Ok(AutoPad::Valid),
            "SAME_UPPER" => Ok(AutoPad::SameUpper),
            "SAME_LOWER" => Ok(AutoPad::SameLower),
            other => Err(format!(
                "auto_pad=\"{other}\" is not valid (expected NOTSET, VALID, SAME_UPPER or \
                 SAME_LOWER)"
            )),
        }
    }
}

/// Explicit ONNX `pads` (`[begins..., ends...]`, `2 * rank` non-negative values) or zeros.
pub fn explicit_pads(pads: Option<&[i64]>, rank: usize) -> Result<Pads, String> {
    let Some(p) = pads else {
        return Ok(Pads::zeros(rank));
    };
    if p.len() != 2 * rank {
        return Err(format!(
            "pads {p:?} must have {} values (begin and end of each of the {rank} spatial \
             axes)",
            2 * rank
        ));
    }
    let v = p
        .iter()
        .map(|&x| usize::try_from(x).map_err(|_| format!("pads {p:?} has a negative value")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Pads::from_onnx(&v))
}

/// Resolves explicit or automatic padding of an N-D window op (Conv, pooling). Every slice
/// has one entry per spatial axis.
pub fn resolve_pads(
    auto_pad: AutoPad,
    pads: Option<&[i64]>,
    input: &[usize],
    kernel: &[usize],
    strides: &[usize],
    dilations: &[usize],
) -> Result<Pads, String> {
    let rank = input.len();
    match auto_pad {
        AutoPad::NotSet => explicit_pads(pads, rank),
        AutoPad::Valid => Ok(Pads::zeros(rank)),
        AutoPad::SameUpper | AutoPad::SameLower => {
            let mut out = Pads::zeros(rank);
            for (i, &len) in input.iter().enumerate() {
                let stride = *strides
                    .get(i)
                    .ok_or("strides shorter than the input rank")?;
                let out_len = len.div_ceil(stride.max(1));
                let span = effective_kernel(
                    *kernel.get(i).ok_or("kernel shorter than the input rank")?,
                    *dilations
                        .get(i)
                        .ok_or("dilations shorter than the input rank")?,
                )?;
                let needed = out_len
                    .saturating_sub(1)
                    .checked_mul(stride)
                    .and_then(|x| x.checked_add(span))
                    .ok_or("padding overflows")?;
                let total = needed.saturating_sub(len);
                let small = total / 2;
                let big = total - small;
                (out.begin[i], out.end[i]) = if auto_pad == AutoPad::SameUpper {
                    (small, big)
                } else {
                    (big, small)
                };
            }
            Ok(out)
        }
    }
}

/// `dilation * (k - 1) + 1`, checked.
pub fn effective_kernel(k: usize, dilation: usize) -> Result<usize, String> {
    k.checked_sub(1)
        .and_then(|x| x.checked_mul(dilation))
        .and_then(|x| x.checked_add(1))
        .ok_or_else(|| format!("kernel size {k} with dilation {dilation} is invalid"))
}

/// Output spatial size of an N-D window op, per axis (with `P = pad_begin + pad_end` and
/// `span = dilation·(k-1) + 1`): `floor((in + P - span) / stride) + 1`, or with `ceil_mode`
/// `ceil(...)`, minus one when that last window would start in the end padding
/// (`(out-1)·stride >= in + pad_begin`), as ONNX (and PyTorch) define it.
pub fn window_output(
    input: &[usize],
    kernel: &[usize],
    strides: &[usize],
    pads: &Pads,
    dilations: &[usize],
    ceil_mode: bool,
) -> Result<Vec<usize>, String> {
    let rank = input.len();
    for (what, len) in [
        ("kernel", kernel.len()),
        ("strides", strides.len()),
        ("dilations", dilations.len()),
        ("pads (begin)", pads.begin.len()),
        ("pads (end)", pads.end.len()),
    ] {
        if len != rank {
            return Err(format!(
                "{what} has {len} values but the input has {rank} spatial axes"
            ));
        }
    }
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        if strides[i] == 0 {
            return Err(format!("stride 0 along spatial axis {i}"));
        }
        let padded = input[i]
            .checked_add(pads.begin[i])
            .and_then(|x| x.checked_add(pads.end[i]))
            .ok_or("padding overflows")?;
        let span = effective_kernel(kernel[i], dilations[i])?;
        let room = padded.checked_sub(span).ok_or_else(|| {
            format!(
                "the window ({} with dilation {}) is larger than the padded input ({} = {} + \
                 pads {} + {}) along spatial axis {i}",
                kernel[i], dilations[i], padded, input[i], pads.begin[i], pads.end[i]
            )
        })?;
        let mut len = if ceil_mode {
            room.div_ceil(strides[i]) + 1
        } else {
            room / strides[i] + 1
        };
        if ceil_mode
            && (len - 1).saturating_mul(strides[i]) >= input[i].saturating_add(pads.begin[i])
        {
            len -= 1;
        }
        out.push(len);
    }
    Ok(out)
}

/// One kernel position of a window over one output element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tap {
    /// Flat (row-major) index into the kernel's spatial dims.
    pub kernel: usize,
    /// Flat (row-major) index into the input's spatial dims; `None` for a padded cell.
    pub input: Option<usize>,
}

/// The geometry of an N-D window op (Conv, pooling) over the spatial axes, with every size
/// resolved. [`WindowGeometry::taps`] lists, for one output position, the kernel positions
/// that fall on the input or on its explicit padding; positions past the padded input (which
/// only `ceil_mode` creates) are left out entirely.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowGeometry {
    /// Input spatial dims.
    pub input: Vec<usize>,
    /// Kernel spatial dims.
    pub kernel: Vec<usize>,
    /// Output spatial dims.
    pub output: Vec<usize>,
    strides: Vec<usize>,
    dilations: Vec<usize>,
    pad_begin: Vec<usize>,
    pad_end: Vec<usize>,
}

impl WindowGeometry {
    /// Resolves the output size (see [`window_output`]); errors when the window does not fit.
    pub fn new(
        input: &[usize],
        kernel: &[usize],
        strides: &[usize],
        pads: &Pads,
        dilations: &[usize],
        ceil_mode: bool,
    ) -> Result<Self, String> {
        let output = window_output(input, kernel, strides, pads, dilations, ceil_mode)?;
        Ok(Self {
            input: input.to_vec(),
            kernel: kernel.to_vec(),
            output,
            strides: strides.to_vec(),
            dilations: dilations.to_vec(),
            pad_begin: pads.begin.clone(),
            pad_end: pads.end.clone(),
        })
    }

    /// Number of output positions (product of the output spatial dims).
    pub fn output_len(&self) -> usize {
        self.output.iter().product()
    }

    /// Number of input positions (product of the input spatial dims).
    pub fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// Number of kernel positions (product of the kernel spatial dims).
    pub fn kernel_len(&self) -> usize {
        self.kernel.iter().product()
    }

    /// The taps of output position `out` (flat, row-major over the output spatial dims), in
    /// row-major kernel order. Output coordinate `o` along an axis reads padded coordinate
    /// `o·stride + k·dilation`, i.e. input `o·stride + k·dilation - pad_begin`.
    pub fn taps(&self, out: usize) -> Vec<Tap> {
        taps_of(out, &self.output, &self.kernel, &self.input, |i, o, k| {
            let limit = self.input[i] + self.pad_begin[i] + self.pad_end[i];
            let padded = o * self.strides[i] + k * self.dilations[i];
            (padded < limit).then(|| {
                padded
                    .checked_sub(self.pad_begin[i])
                    .filter(|&x| x < self.input[i])
            })
        })
    }
}

/// Row-major coordinates of flat index `i` in `dims`.
fn unflatten(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut c = vec![0; dims.len()];
    for (a, &d) in dims.iter().enumerate().rev() {
        c[a] = i % d.max(1);
        i /= d.max(1);
    }
    c
}

/// The taps of output position `out` (flat over `output`) of a window op with kernel dims
/// `kernel` over input dims `input`, in row-major kernel order. `tap(axis, o, k)` says what
/// kernel coordinate `k` reads at output coordinate `o` along `axis`: `None` to leave the tap
/// out, `Some(None)` for a padded cell, `Some(Some(x))` for input coordinate `x`.
pub(super) fn taps_of(
    out: usize,
    output: &[usize],
    kernel: &[usize],
    input: &[usize],
    tap: impl Fn(usize, usize, usize) -> Option<Option<usize>>,
) -> Vec<Tap> {
    let coords = unflatten(out, output);
    let per_axis: Vec<Vec<(usize, Option<usize>)>> = (0..input.len())
        .map(|i| {
            (0..kernel[i])
                .filter_map(|k| tap(i, coords[i], k).map(|x| (k, x)))
                .collect()
        })
        .collect();
    cartesian(&per_axis, kernel, input)
}

/// All combinations of per-axis `(kernel coordinate, input coordinate)` choices, flattened
/// row-major against `kernel` and `input` (the input index is `None` when any axis is padding).
fn cartesian(
    per_axis: &[Vec<(usize, Option<usize>)>],
    kernel: &[usize],
    input: &[usize],
) -> Vec<Tap> {
    let mut acc = vec![Tap {
        kernel: 0,
        input: Some(0),
    }];
    for (a, choices) in per_axis.iter().enumerate() {
        let mut next = Vec::with_capacity(acc.len() * choices.len());
        for t in &acc {
            for &(k, x) in choices {
                next.push(Tap {
                    kernel: t.kernel * kernel[a] + k,
                    input: match (t.input, x) {
                        (Some(p), Some(x)) => Some(p * input[a] + x),
                        _ => None,
                    },
                });
            }
        }
        acc = next;
    }
    acc
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn windows_and_same_padding() {
        let w = |i: &[usize], k: usize, s: usize, p: usize, ceil: bool| {
            let n = i.len();
            window_output(
                i,
                &vec![k; n],
                &vec![s; n],
                &Pads::uniform(n, p),
                &vec![1; n],
                ceil,
            )
            .ok()
        };
        assert_eq!(w(&[6, 6], 3, 1, 1, false), Some(vec![6, 6]));
        assert_eq!(w(&[8, 8], 3, 2, 1, false), Some(vec![4, 4]));
        assert_eq!(w(&[7, 7], 3, 2, 1, false), Some(vec![4, 4]));
        assert_eq!(w(&[10], 3, 2, 0, false), Some(vec![4]));
        assert_eq!(w(&[5, 5, 5], 2, 2, 0, false), Some(vec![2, 2, 2]));
        assert!(w(&[2, 2], 3, 1, 0, false).is_none());
        let same = |mode, i: usize, k: usize, s: usize| {
            resolve_pads(mode, None, &[i, i], &[k, k], &[s, s], &[1, 1]).ok()
        };
        let p = |b: usize, e: usize| {
            Some(Pads {
                begin: vec![b, b],
                end: vec![e, e],
            })
        };
        assert_eq!(same(AutoPad::SameUpper, 5, 2, 1), p(0, 1));
        assert_eq!(same(AutoPad::SameLower, 5, 2, 1), p(1, 0));
        assert_eq!(same(AutoPad::SameUpper, 7, 3, 2), p(1, 1));
        assert!(explicit_pads(Some(&[1, 1, 1]), 2).is_err());
        assert!(explicit_pads(Some(&[1, -1]), 1).is_err());
    }

    #[test]
    fn ceil_mode_sizes() {
        let w = |i: usize, k: usize, s: usize, pb: usize, pe: usize| {
            let pads = Pads {
                begin: vec![pb],
                end: vec![pe],
            };
            window_output(&[i], &[k], &[s], &pads, &[1], true).ok()
        };
        // (5 - 2) / 2 = 1.5 -> ceil 2 -> 3 windows; the last starts at 4 < 5.
        assert_eq!(w(5, 2, 2, 0, 0), Some(vec![3]));
        // Exact fit: no extra window.
        assert_eq!(w(6, 2, 2, 0, 0), Some(vec![3]));
        // in 4, k 3, s 2, pads 1/1: (6-3)/2 = 1.5 -> 3 windows; the last starts at 4 < 4 + 1.
        assert_eq!(w(4, 3, 2, 1, 1), Some(vec![3]));
        // in 2, k 1, s 2, pad end 1: (3-1)/2 = 1 -> 2 windows; window 1 starts at 2 >= 2: dropped.
        assert_eq!(w(2, 1, 2, 0, 1), Some(vec![1]));
    }

    #[test]
    fn taps_skip_padding_and_overhang() {
        // in 5, k 2, s 2, ceil: windows start at 0, 2, 4; the last has one tap.
        let g = WindowGeometry::new(&[5], &[2], &[2], &Pads::zeros(1), &[1], true).unwrap();
        assert_eq!(g.output, vec![3]);
        assert_eq!(
            g.taps(2),
            vec![Tap {
                kernel: 0,
                input: Some(4)
            }]
        );
        // Padding 1 on a 2x2 input: output (0, 0) has one real tap of four.
        let g = WindowGeometry::new(
            &[2, 2],
            &[2, 2],
            &[1, 1],
            &Pads::uniform(2, 1),
            &[1, 1],
            false,
        )
        .unwrap();
        let taps = g.taps(0);
        assert_eq!(taps.len(), 4);
        assert_eq!(taps.iter().filter(|t| t.input.is_some()).count(), 1);
        assert_eq!(
            taps[3],
            Tap {
                kernel: 3,
                input: Some(0)
            }
        );
    }
}
