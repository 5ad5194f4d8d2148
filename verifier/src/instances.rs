//! Public instances as text: each field element is 32 bytes, little-endian (the canonical
//! `Fr::to_repr` encoding), written as 64 lowercase hex digits.
//!
//! A negative fixed-point integer `-x` is the field element `p - x`.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;

use crate::error::VerifyError;

/// Encodes one instance as 64 hex digits (32 bytes little-endian).
pub fn instance_to_hex(x: &Fr) -> String {
    hex::encode(x.to_repr())
}

/// Decodes one instance, rejecting anything but exactly 32 bytes of hex that encode a
/// canonical field element (less than the BN254 scalar modulus). `index` labels errors.
pub fn instance_from_hex(s: &str, index: usize) -> Result<Fr, VerifyError> {
    let bad = |message: String| VerifyError::BadInstance { index, message };
    if s.len() != 64 {
        return Err(bad(format!(
            "expected 64 hex digits (32 bytes), found {} characters",
            s.len()
        )));
    }
    let mut repr = [0u8; 32];
    hex::decode_to_slice(s, &mut repr).map_err(|e| bad(format!("not hex: {e}")))?;
    Option::from(Fr::from_repr(repr)).ok_or_else(|| {
        bad("not a canonical field element (not below the BN254 scalar modulus)".into())
    })
}

/// Encodes a list of instances. See [`instance_to_hex`].
pub fn instances_to_hex(xs: &[Fr]) -> Vec<String> {
    xs.iter().map(instance_to_hex).collect()
}

/// Decodes a list of instances. See [`instance_from_hex`].
pub fn instances_from_hex<S: AsRef<str>>(xs: &[S]) -> Result<Vec<Fr>, VerifyError> {
    xs.iter()
        .enumerate()
        .map(|(i, s)| instance_from_hex(s.as_ref(), i))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_canonical_check() {
        for x in [Fr::zero(), Fr::one(), -Fr::one(), Fr::from(123456789u64)] {
            assert_eq!(instance_from_hex(&instance_to_hex(&x), 0).unwrap(), x);
        }
        assert_eq!(instance_to_hex(&Fr::one()), format!("01{}", "0".repeat(62)));
        // The modulus itself is not canonical.
        let p = hex::encode((-Fr::one()).to_repr());
        let p_plus = p.replacen("00", "01", 1);
        assert!(instance_from_hex(&p_plus, 3).is_err());
        assert!(instance_from_hex(&"f".repeat(64), 0).is_err());
        assert!(instance_from_hex("zz", 0).is_err());
        assert!(instance_from_hex(&"g".repeat(64), 0).is_err());
    }
}
