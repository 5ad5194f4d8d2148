//! Packing of signed fixed-point integers into field elements before hashing.
//!
//! A value `v` of width `w` lies in `[-2^(w-1), 2^(w-1))` (the caller's range checks impose
//! it; packing adds none). `n = floor(253 / w)` values share one field element:
//!
//! `e = C_k + Σ_{i<k} v_i·2^(w·i)`, with `C_k = Σ_{i<k} 2^(w-1)·2^(w·i)`,
//!
//! that is `e = Σ (v_i + 2^(w-1))·2^(w·i)` with every digit `v_i + 2^(w-1)` in `[0, 2^w)`,
//! so `e < 2^(w·n) <= 2^253 < p` and packing is injective on the range. `k = n` except for
//! the last element, which packs the remaining `1..=n` values. `v_0` is the least
//! significant digit.
//!
//! The computation is the same in the field natively and in the circuit, so the two agree
//! on any values; only injectivity needs the range.

use halo2_base::gates::GateInstructions;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::QuantumCell::Constant;
use halo2_base::{AssignedValue, Context};

use crate::error::{CircuitError, Result};
use crate::halo2::field::i128_to_fe;

/// Bits of one field element used by packing (BN254's `p` is just above `2^253`).
pub const PACK_BITS: u32 = 253;

/// The largest supported value width (`2^(w-1)` and every digit fit in an `i128`).
pub const MAX_WIDTH: u32 = 126;

/// Checks that `1 <= w <= MAX_WIDTH`. The packing functions clamp other widths into that
/// range (so they never fail), which makes the packing of out-of-range widths meaningless:
/// callers validate widths with this first.
pub fn check_width(w: u32) -> Result<()> {
    if (1..=MAX_WIDTH).contains(&w) {
        Ok(())
    } else {
        Err(CircuitError::Settings {
            message: format!("hash packing width {w} is outside 1..={MAX_WIDTH}"),
        })
    }
}

/// The width actually used: `w` clamped into `1..=MAX_WIDTH`.
fn width(w: u32) -> u32 {
    w.clamp(1, MAX_WIDTH)
}

/// Values per field element for width `w`: `floor(253 / w)`.
pub fn values_per_element(w: u32) -> usize {
    (PACK_BITS / width(w)) as usize
}

/// `2^e` in the field.
fn pow2(e: u32) -> Fr {
    Fr::from(2u64).pow_vartime([u64::from(e)])
}

/// `C_k = Σ_{i<k} 2^(w-1)·2^(w·i)`: the offsets of `k` digits of width `w`.
pub fn packing_constant(k: usize, w: u32) -> Fr {
    let w = width(w);
    let (half, shift) = (pow2(w - 1), pow2(w));
    (0..k).fold(Fr::ZERO, |acc, _| acc * shift + half)
}

/// Packs `values` (each in `[-2^(w-1), 2^(w-1))`) into `ceil(len / n)` field elements,
/// `n` = [`values_per_element`].
pub fn pack(values: &[i128], w: u32) -> Vec<Fr> {
    let shift = pow2(width(w));
    values
        .chunks(values_per_element(w))
        .map(|chunk| {
            // Horner from the most significant digit: acc = acc·2^w + v_i.
            let acc = chunk
                .iter()
                .rev()
                .fold(Fr::ZERO, |acc, v| acc * shift + i128_to_fe(*v));
            acc + packing_constant(chunk.len(), w)
        })
        .collect()
}

/// In-circuit [`pack`]: the same elements from the cells of the values, `k - 1` `mul_add`
/// gates and one addition of `C_k` per element of `k` values. The cells must already be
/// range-checked by the caller for injectivity (see the module docs).
pub fn pack_cells(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    cells: &[AssignedValue<Fr>],
    w: u32,
) -> Vec<AssignedValue<Fr>> {
    let shift = pow2(width(w));
    let mut out = Vec::with_capacity(cells.len().div_ceil(values_per_element(w)));
    for chunk in cells.chunks(values_per_element(w)) {
        let mut digits = chunk.iter().rev();
        let Some(&top) = digits.next() else {
            continue;
        };
        let mut acc = top;
        for &v in digits {
            // acc' = acc·2^w + v_i
            acc = gate.mul_add(ctx, acc, Constant(shift), v);
        }
        // e = acc + C_k
        out.push(gate.add(ctx, acc, Constant(packing_constant(chunk.len(), w))));
    }
    out
}

/// The field elements hashed for `len` values packed into `packed`: the length tag
/// `len` first, then the packed elements. Without the tag, lists of different lengths
/// could pack alike: a trailing `-2^(w-1)` is the digit 0, so `[v]` and `[v, -2^(w-1)]`
/// give the same element. With it, equal hashes of two in-range lists mean equal lengths,
/// and then packing is injective.
pub fn with_length_tag(len: usize, packed: Vec<Fr>) -> Vec<Fr> {
    std::iter::once(Fr::from(len as u64))
        .chain(packed)
        .collect()
}
