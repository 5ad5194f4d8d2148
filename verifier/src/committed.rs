//! Committed advice columns: the KZG commitments of a proof's advice columns, read from the
//! proof bytes, and a digest of them.
//!
//! A column the prover leaves *unblinded* (the prover crate's `committed` module zeroes its
//! blinding rows) has a commitment that is a deterministic function of its values, so a
//! verifier can compare it with a commitment computed from known data (a model's weights).
//!
//! With KZG (SHPLONK) the public instances are absorbed into the transcript but not written
//! to the proof, and the verifying key is hashed in without bytes, so a proof starts with the
//! phase-0 advice commitments, one per phase-0 advice column in column-index order:
//!
//! * [`TranscriptKind::Blake2b`]: 32 bytes each, the compressed point as halo2's
//!   `Blake2bWrite::write_point` writes it (`x` little-endian, bit 6 of the last byte = sign
//!   of `y`, bit 7 = identity flag; the identity is `0…0 0x80`);
//! * [`TranscriptKind::Keccak`]: 64 bytes each, `x ‖ y` as 32-byte big-endian integers, as
//!   snark-verifier's `EvmTranscript::write_point` writes it; the identity is `(0, 0)`, 64
//!   zero bytes (halo2curves gives the identity those coordinates, and the EVM precompiles
//!   read `(0, 0)` as the point at infinity).
//!
//! Points are decoded as strictly as the verifier reads them (canonical coordinates, on the
//! curve, the Blake2b identity flag only in the exact identity encoding), so each commitment
//! has one encoding. Reading a commitment does **not** check the proof: only trust the
//! commitments of a proof that [`crate::verify_halo2_proof`] accepted for the same key.

use halo2_base::halo2_proofs::halo2curves::bn256::{Fq, G1Affine};
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use halo2_base::halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_base::halo2_proofs::halo2curves::{Coordinates, CurveAffine};
use snark_verifier::util::hash::{Digest, Keccak256};

use crate::error::VerifyError;
use crate::transcript::TranscriptKind;

/// Bytes of one point in a proof with transcript `transcript`.
pub fn point_len(transcript: TranscriptKind) -> usize {
    match transcript {
        TranscriptKind::Blake2b | TranscriptKind::Poseidon => 32,
        TranscriptKind::Keccak => 64,
    }
}

/// The number of advice columns of `vk`'s circuit, all of which must be in phase 0 (else
/// [`VerifyError::CommittedMultiPhase`]): the `num_advice` to give [`advice_commitments`].
pub fn single_phase_advice(
    vk: &halo2_base::halo2_proofs::plonk::VerifyingKey<G1Affine>,
) -> Result<usize, VerifyError> {
    let phases = vk.cs().advice_column_phase();
    let distinct = phases
        .iter()
        .copied()
        .collect::<std::collections::BTreeSet<u8>>();
    if distinct.iter().any(|p| *p != 0) {
        return Err(VerifyError::CommittedMultiPhase {
            phases: distinct.len(),
        });
    }
    Ok(phases.len())
}

/// The commitments of the phase-0 advice `columns` (indices below `num_advice`, the number
/// of phase-0 advice columns of the proof's circuit, `vk.cs().num_advice_columns()` for a
/// single-phase circuit), read from the start of `proof`, in the order of `columns`.
///
/// All `num_advice` commitments must be present and well formed, whichever are asked for.
/// Never panics: a short proof is [`VerifyError::AdviceCommitmentsTruncated`], a malformed
/// point [`VerifyError::BadAdviceCommitment`], a column out of range
/// [`VerifyError::CommittedColumn`].
pub fn advice_commitments(
    proof: &[u8],
    transcript: TranscriptKind,
    num_advice: usize,
    columns: &[usize],
) -> Result<Vec<G1Affine>, VerifyError> {
    if let Some(&column) = columns.iter().find(|&&c| c >= num_advice) {
        return Err(VerifyError::CommittedColumn { column, num_advice });
    }
    let item = point_len(transcript);
    let needed = num_advice.saturating_mul(item);
    if proof.len() < needed {
        return Err(VerifyError::AdviceCommitmentsTruncated {
            needed,
            found: proof.len(),
        });
    }
    let points = proof[..needed]
        .chunks_exact(item)
        .enumerate()
        .map(|(column, bytes)| {
            decode_point(transcript, bytes)
                .map_err(|defect| VerifyError::BadAdviceCommitment { column, defect })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(columns.iter().map(|&c| points[c]).collect())
}

/// Decodes one point of `transcript`'s encoding (`bytes` has [`point_len`] bytes).
fn decode_point(transcript: TranscriptKind, bytes: &[u8]) -> Result<G1Affine, &'static str> {
    match transcript {
        TranscriptKind::Blake2b | TranscriptKind::Poseidon => {
            let mut repr = <G1Affine as GroupEncoding>::Repr::default();
            repr.as_mut().copy_from_slice(bytes);
            let last = bytes[31];
            let identity = last == 0x80 && bytes[..31].iter().all(|b| *b == 0);
            // The curve library ignores the identity flag on other points: refuse it there,
            // so that each point has one encoding (as the verifier does).
            if last & 0x80 != 0 && !identity {
                return Err("identity flag set on a non-identity encoding");
            }
            Option::from(G1Affine::from_bytes(&repr))
                .ok_or("not a compressed point on the curve (x not canonical or no y)")
        }
        TranscriptKind::Keccak => {
            let coordinate = |be: &[u8]| -> Option<Fq> {
                let mut le = [0u8; 32];
                le.copy_from_slice(be);
                le.reverse();
                Option::from(Fq::from_repr(le))
            };
            let (Some(x), Some(y)) = (coordinate(&bytes[..32]), coordinate(&bytes[32..])) else {
                return Err("a coordinate is not below the base field modulus");
            };
            // (0, 0) is accepted as the identity, as snark-verifier's reader does.
            Option::from(G1Affine::from_xy(x, y)).ok_or("the point (x, y) is not on the curve")
        }
    }
}

/// `x ‖ y` of `point` as 32-byte big-endian integers; the identity is 64 zero bytes.
pub fn point_xy_be(point: &G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    let coordinates: Option<Coordinates<G1Affine>> = point.coordinates().into();
    if let Some(c) = coordinates {
        for (half, coordinate) in out.chunks_exact_mut(32).zip([c.x(), c.y()]) {
            half.copy_from_slice(&coordinate.to_repr());
            half.reverse();
        }
    }
    out
}

/// keccak256 of the points' [`point_xy_be`] encodings concatenated in order (`x ‖ y`, 32-byte
/// big-endian coordinates, the identity as 64 zero bytes): one word for a list of column
/// commitments, computed on chain as `keccak256(abi.encodePacked(x0, y0, x1, y1, …))`.
pub fn commitment_digest(points: &[G1Affine]) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    for p in points {
        hasher.update(point_xy_be(p));
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;

    #[test]
    fn generator_round_trips_in_both_encodings() {
        let g = G1Affine::generator();
        let blake = g.to_bytes();
        let evm = point_xy_be(&g);
        assert_eq!(
            advice_commitments(blake.as_ref(), TranscriptKind::Blake2b, 1, &[0]).unwrap(),
            vec![g]
        );
        assert_eq!(
            advice_commitments(&evm, TranscriptKind::Keccak, 1, &[0]).unwrap(),
            vec![g]
        );
        // The generator is (1, 2).
        assert_eq!(evm[31], 1);
        assert_eq!(evm[63], 2);
    }

    #[test]
    fn identity_encodings() {
        let id = G1Affine::identity();
        assert_eq!(point_xy_be(&id), [0u8; 64]);
        let blake = id.to_bytes();
        assert_eq!(
            advice_commitments(blake.as_ref(), TranscriptKind::Blake2b, 1, &[0]).unwrap(),
            vec![id]
        );
        assert_eq!(
            advice_commitments(&[0u8; 64], TranscriptKind::Keccak, 1, &[0]).unwrap(),
            vec![id]
        );
        // (0, 1) is not on the curve.
        let mut off = [0u8; 64];
        off[63] = 1;
        assert!(matches!(
            advice_commitments(&off, TranscriptKind::Keccak, 1, &[0]),
            Err(VerifyError::BadAdviceCommitment { column: 0, .. })
        ));
        // Identity flag plus sign bit: a second encoding of the identity.
        let mut flagged = [0u8; 32];
        flagged[31] = 0xc0;
        assert!(advice_commitments(&flagged, TranscriptKind::Blake2b, 1, &[0]).is_err());
        // Identity flag on the generator's encoding.
        let mut g = G1Affine::generator().to_bytes();
        g.as_mut()[31] |= 0x80;
        assert!(advice_commitments(g.as_ref(), TranscriptKind::Blake2b, 1, &[0]).is_err());
    }

    #[test]
    fn digest_is_keccak_of_xy() {
        let g = G1Affine::generator();
        let mut data = point_xy_be(&g).to_vec();
        data.extend_from_slice(&[0u8; 64]);
        let expected: [u8; 32] = Keccak256::digest(&data).into();
        assert_eq!(commitment_digest(&[g, G1Affine::identity()]), expected);
        // keccak256("") for the empty list.
        assert_eq!(
            hex::encode(commitment_digest(&[])),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
    }
}
