//! Transposed-convolution geometry ([`TransposeGeometry`]) and the per-output terms of a
//! convolution ([`ConvTerms`]).

use super::window::{effective_kernel, taps_of, Tap, WindowGeometry};
use crate::ir::Pads;

/// Taps of an N-D transposed convolution: input coordinate `i` and kernel coordinate `k`
/// contribute to output coordinate `o = i·stride + k·dilation - pad_begin` along each axis.
#[derive(Clone, Debug, PartialEq)]
pub struct TransposeGeometry {
    /// Input spatial dims.
    pub input: Vec<usize>,
    /// Kernel spatial dims.
    pub kernel: Vec<usize>,
    /// Output spatial dims.
    pub output: Vec<usize>,
    strides: Vec<usize>,
    dilations: Vec<usize>,
    pad_begin: Vec<usize>,
}

impl TransposeGeometry {
    /// Resolves the output size `stride·(in-1) + output_padding + span - pad_begin - pad_end`
    /// per axis; errors when an axis would be empty.
    pub fn new(
        input: &[usize],
        kernel: &[usize],
        strides: &[usize],
        pads: &Pads,
        dilations: &[usize],
        output_padding: &[usize],
    ) -> Result<Self, String> {
        let rank = input.len();
        for (what, len) in [
            ("kernel", kernel.len()),
            ("strides", strides.len()),
            ("dilations", dilations.len()),
            ("output_padding", output_padding.len()),
            ("pads (begin)", pads.begin.len()),
            ("pads (end)", pads.end.len()),
        ] {
            if len != rank {
                return Err(format!(
                    "{what} has {len} values but the input has {rank} spatial axes"
                ));
            }
        }
        let mut output = Vec::with_capacity(rank);
        for i in 0..rank {
            let full = transpose_full_len(
                input[i],
                kernel[i],
                strides[i],
                dilations[i],
                output_padding[i],
            )?;
            let len = pads.begin[i]
                .checked_add(pads.end[i])
                .and_then(|crop| full.checked_sub(crop))
                .filter(|&l| l > 0)
                .ok_or_else(|| {
                    format!(
                        "pads {} + {} crop the whole output ({full}) along spatial axis {i}",
                        pads.begin[i], pads.end[i]
                    )
                })?;
            output.push(len);
        }
        Ok(Self {
            input: input.to_vec(),
            kernel: kernel.to_vec(),
            output,
            strides: strides.to_vec(),
            dilations: dilations.to_vec(),
            pad_begin: pads.begin.clone(),
        })
    }

    /// Number of output positions.
    pub fn output_len(&self) -> usize {
        self.output.iter().product()
    }

    /// Number of input positions.
    pub fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// Number of kernel positions.
    pub fn kernel_len(&self) -> usize {
        self.kernel.iter().product()
    }

    /// The (kernel, input) pairs that land on output position `out` (flat); every returned
    /// tap has `input: Some(..)`. Empty when no input reaches that position.
    pub fn taps(&self, out: usize) -> Vec<Tap> {
        taps_of(out, &self.output, &self.kernel, &self.input, |i, o, k| {
            // i·stride = o + pad_begin - k·dilation must be a non-negative multiple of the
            // stride below in·stride.
            let t = (o + self.pad_begin[i]).checked_sub(k * self.dilations[i])?;
            (t % self.strides[i] == 0 && t / self.strides[i] < self.input[i])
                .then_some(Some(t / self.strides[i]))
        })
    }
}

/// Where the terms of every output element of an N-D convolution or transposed convolution
/// lie in the flat (row-major) input X `[N, C, D..]` and weight W. Output `(n, oc, o)` is
/// `Σ x[xi]·w[wi]` over [`ConvTerms::terms`] (plus the bias of `oc`); input channels are split
/// into groups of `in_per_group`, output channels into groups of `out_per_group`, and output
/// channel `oc` reads the input channels of group `oc / out_per_group`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvTerms {
    channels: usize,
    in_per_group: usize,
    out_per_group: usize,
    in_len: usize,
    k_len: usize,
    taps: Vec<Vec<Tap>>,
    /// W is `[C, M/group, k..]` (ConvTranspose) rather than `[M, C/group, k..]` (Conv).
    transposed: bool,
}

impl ConvTerms {
    /// A Conv with X of `channels` channels and W `[M, in_per_group, k..]`, whose output
    /// channels come in groups of `out_per_group` (`M / group`). The caller has checked the
    /// shapes against each other.
    pub fn conv(
        geo: &WindowGeometry,
        channels: usize,
        in_per_group: usize,
        out_per_group: usize,
    ) -> Self {
        let taps = (0..geo.output_len()).map(|o| geo.taps(o)).collect();
        Self {
            in_len: geo.input_len(),
            k_len: geo.kernel_len(),
            taps,
            ..Self::groups(channels, in_per_group, out_per_group, false)
        }
    }

    /// A ConvTranspose with X of `channels` channels in groups of `in_per_group`
    /// (`C / group`) and W `[C, out_per_group, k..]`. The caller has checked the shapes
    /// against each other.
    pub fn transpose(
        geo: &TransposeGeometry,
        channels: usize,
        in_per_group: usize,
        out_per_group: usize,
    ) -> Self {
        let taps = (0..geo.output_len()).map(|o| geo.taps(o)).collect();
        Self {
            in_len: geo.input_len(),
            k_len: geo.kernel_len(),
            taps,
            ..Self::groups(channels, in_per_group, out_per_group, true)
        }
    }

    /// The channel grouping, with no spatial positions yet.
    fn groups(
        channels: usize,
        in_per_group: usize,
        out_per_group: usize,
        transposed: bool,
    ) -> Self {
        Self {
            channels,
            in_per_group,
            out_per_group,
            in_len: 0,
            k_len: 0,
            taps: Vec::new(),
            transposed,
        }
    }

    /// Number of output spatial positions.
    pub fn output_len(&self) -> usize {
        self.taps.len()
    }

    /// The `(x index, w index)` pairs of output position `out` (flat over the output spatial
    /// dims) of batch `n` and output channel `oc`, by input channel of the group, then in
    /// row-major kernel order; padded taps are left out.
    pub fn terms(
        &self,
        n: usize,
        oc: usize,
        out: usize,
    ) -> impl Iterator<Item = (usize, usize)> + '_ {
        let grp = oc / self.out_per_group.max(1);
        let taps = self.taps.get(out).map_or(&[][..], Vec::as_slice);
        (0..self.in_per_group).flat_map(move |icg| {
            let ic = grp * self.in_per_group + icg;
            let xbase = (n * self.channels + ic) * self.in_len;
            let wbase = if self.transposed {
                (ic * self.out_per_group + oc % self.out_per_group.max(1)) * self.k_len
            } else {
                (oc * self.in_per_group + icg) * self.k_len
            };
            taps.iter()
                .filter_map(move |t| t.input.map(|xi| (xbase + xi, wbase + t.kernel)))
        })
    }
}

/// Uncropped output length of a transposed convolution along one axis:
/// `stride·(in-1) + output_padding + dilation·(k-1) + 1`.
pub fn transpose_full_len(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    output_padding: usize,
) -> Result<usize, String> {
    if stride == 0 || input == 0 {
        return Err(format!(
            "stride {stride} / input size {input} must be positive"
        ));
    }
    let span = effective_kernel(kernel, dilation)?;
    (input - 1)
        .checked_mul(stride)
        .and_then(|x| x.checked_add(output_padding))
        .and_then(|x| x.checked_add(span))
        .ok_or_else(|| "transposed convolution output size overflows".to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn transpose_taps() {
        // in 3, k 3, s 2: full length 2·2 + 3 = 7; output o gets input i at kernel o - 2i.
        let g = TransposeGeometry::new(&[3], &[3], &[2], &Pads::zeros(1), &[1], &[0]).unwrap();
        assert_eq!(g.output, vec![7]);
        let ins = |o: usize| -> Vec<(usize, usize)> {
            g.taps(o)
                .iter()
                .map(|t| (t.kernel, t.input.unwrap()))
                .collect()
        };
        assert_eq!(ins(0), vec![(0, 0)]);
        assert_eq!(ins(2), vec![(0, 1), (2, 0)]);
        assert_eq!(ins(3), vec![(1, 1)]);
        assert_eq!(ins(6), vec![(2, 2)]);
        // Stride larger than the kernel leaves holes.
        let g = TransposeGeometry::new(&[2], &[1], &[3], &Pads::zeros(1), &[1], &[1]).unwrap();
        assert_eq!(g.output, vec![5]);
        assert!(g.taps(1).is_empty());
        assert!(
            TransposeGeometry::new(&[1], &[1], &[1], &Pads::uniform(1, 1), &[1], &[0]).is_err()
        );
    }
}
