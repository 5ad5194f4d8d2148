//! Decoding BN254 points from the byte layouts of SRS files.
//!
//! Uncompressed ("raw") points are what halo2's `RawBytes` and snarkjs both write: each
//! coordinate is a base-field element in Montgomery form, 4 little-endian u64 limbs (32
//! bytes); a G1 point is `x ‖ y` (64 bytes); a G2 point is `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1`
//! (128 bytes) with `Fq2 = c0 + c1·u`. The point at infinity is all zeros. Compressed points
//! are halo2curves' `GroupEncoding` (32 / 64 bytes: x in canonical form plus two flag bits).
//!
//! Decoding checks only the encoding (coordinates below the modulus, a compressed x that
//! has a point); the curve equation and the subgroup are checked in [`super::check`].

use halo2_base::halo2_proofs::arithmetic::parallelize;
use halo2_base::halo2_proofs::halo2curves::bn256::{Fq, Fq2, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_base::halo2_proofs::halo2curves::serde::SerdeObject;

use super::check::PointDefect;

/// Bytes of an uncompressed G1 point.
pub(crate) const G1_RAW: usize = 64;
/// Bytes of an uncompressed G2 point.
pub(crate) const G2_RAW: usize = 128;
/// Bytes of a compressed G1 point.
pub(crate) const G1_COMPRESSED: usize = 32;
/// Bytes of a compressed G2 point.
pub(crate) const G2_COMPRESSED: usize = 64;

/// How the points of a file are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PointEncoding {
    /// Uncompressed, Montgomery form.
    Raw,
    /// halo2curves' compressed encoding.
    Compressed,
}

impl PointEncoding {
    /// Bytes per G1 point.
    pub(crate) fn g1_len(self) -> usize {
        match self {
            PointEncoding::Raw => G1_RAW,
            PointEncoding::Compressed => G1_COMPRESSED,
        }
    }

    /// Bytes per G2 point.
    pub(crate) fn g2_len(self) -> usize {
        match self {
            PointEncoding::Raw => G2_RAW,
            PointEncoding::Compressed => G2_COMPRESSED,
        }
    }

    /// Decodes one G1 point from exactly [`Self::g1_len`] bytes.
    pub(crate) fn g1(self, bytes: &[u8]) -> Result<G1Affine, PointDefect> {
        match self {
            PointEncoding::Raw => Ok(G1Affine {
                x: fq(&bytes[..32])?,
                y: fq(&bytes[32..64])?,
            }),
            PointEncoding::Compressed => {
                let mut repr = <G1Affine as GroupEncoding>::Repr::default();
                repr.as_mut().copy_from_slice(bytes);
                Option::from(G1Affine::from_bytes(&repr)).ok_or(PointDefect::BadEncoding)
            }
        }
    }

    /// Decodes one G2 point from exactly [`Self::g2_len`] bytes.
    pub(crate) fn g2(self, bytes: &[u8]) -> Result<G2Affine, PointDefect> {
        match self {
            PointEncoding::Raw => Ok(G2Affine {
                x: Fq2 {
                    c0: fq(&bytes[..32])?,
                    c1: fq(&bytes[32..64])?,
                },
                y: Fq2 {
                    c0: fq(&bytes[64..96])?,
                    c1: fq(&bytes[96..128])?,
                },
            }),
            PointEncoding::Compressed => {
                let mut repr = <G2Affine as GroupEncoding>::Repr::default();
                repr.as_mut().copy_from_slice(bytes);
                Option::from(G2Affine::from_bytes(&repr)).ok_or(PointDefect::BadEncoding)
            }
        }
    }

    /// Decodes consecutive G1 points in parallel; on failure returns the index (within
    /// `bytes`) of the first bad point.
    pub(crate) fn g1_many(self, bytes: &[u8]) -> Result<Vec<G1Affine>, (usize, PointDefect)> {
        let size = self.g1_len();
        let mut decoded = vec![Err(PointDefect::BadEncoding); bytes.len() / size];
        parallelize(&mut decoded, |out, start| {
            for (i, p) in out.iter_mut().enumerate() {
                let at = (start + i) * size;
                *p = self.g1(&bytes[at..at + size]);
            }
        });
        decoded
            .into_iter()
            .enumerate()
            .map(|(i, p)| p.map_err(|d| (i, d)))
            .collect()
    }
}

/// A base-field element in Montgomery form, 32 bytes little-endian, below the modulus.
fn fq(bytes: &[u8]) -> Result<Fq, PointDefect> {
    Fq::from_raw_bytes(bytes).ok_or(PointDefect::CoordinateNotReduced)
}

/// Encodes a G1 point uncompressed (the inverse of [`PointEncoding::g1`] for `Raw`).
#[cfg(test)]
pub(crate) fn g1_raw_bytes(p: &G1Affine) -> Vec<u8> {
    p.to_raw_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use halo2_base::halo2_proofs::halo2curves::bn256::G2Affine;

    #[test]
    fn raw_and_compressed_round_trip_and_reject_bad_bytes() {
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        assert_eq!(PointEncoding::Raw.g1(&g1_raw_bytes(&g1)).unwrap(), g1);
        assert_eq!(PointEncoding::Raw.g2(&g2.to_raw_bytes()).unwrap(), g2);
        let c1 = g1.to_bytes();
        assert_eq!(PointEncoding::Compressed.g1(c1.as_ref()).unwrap(), g1);
        let c2 = g2.to_bytes();
        assert_eq!(PointEncoding::Compressed.g2(c2.as_ref()).unwrap(), g2);
        // A coordinate of all ones is above the modulus.
        assert_eq!(
            PointEncoding::Raw.g1(&[0xff; 64]),
            Err(PointDefect::CoordinateNotReduced)
        );
        // About half of all x have no point (x^3 + 3 is not a square): some small x fails.
        let bad = (1u8..=50)
            .map(|x| {
                let mut b = [0u8; 32];
                b[0] = x;
                b
            })
            .find(|b| PointEncoding::Compressed.g1(b).is_err());
        assert!(bad.is_some(), "some small x has no curve point");
    }
}
