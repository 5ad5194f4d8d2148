//! Signed integers ↔ BN254 scalars (`-x` is `p - x`).

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;

/// Embeds a signed integer in the field.
pub fn i128_to_fe(v: i128) -> Fr {
    let m = v.unsigned_abs();
    let lo = Fr::from(m as u64);
    let hi = Fr::from((m >> 64) as u64);
    let x = hi * Fr::from(1u64 << 32) * Fr::from(1u64 << 32) + lo;
    if v < 0 {
        -x
    } else {
        x
    }
}

/// Reads a field element back as a signed integer, if it is within `±2^127`.
pub fn fe_to_i128(f: &Fr) -> Option<i128> {
    let small = |x: &Fr| -> Option<u128> {
        let repr = x.to_repr();
        let bytes: &[u8] = repr.as_ref();
        if bytes[16..].iter().any(|b| *b != 0) {
            return None;
        }
        let mut lo = [0u8; 16];
        lo.copy_from_slice(&bytes[..16]);
        let v = u128::from_le_bytes(lo);
        (v < (1u128 << 127)).then_some(v)
    };
    if let Some(v) = small(f) {
        return Some(v as i128);
    }
    small(&-*f).map(|v| -(v as i128))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(v in -(1i128 << 126)..(1i128 << 126)) {
            prop_assert_eq!(fe_to_i128(&i128_to_fe(v)), Some(v));
        }
    }

    #[test]
    fn big_field_elements_are_rejected() {
        let big = i128_to_fe(1i128 << 120) * i128_to_fe(1i128 << 120);
        assert_eq!(fe_to_i128(&big), None);
    }
}
