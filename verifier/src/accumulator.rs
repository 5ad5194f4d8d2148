//! Deciding a KZG accumulator: the deferred pairing check of an aggregation proof.
//!
//! An aggregation circuit (snark-verifier's, with `LimbsEncoding<3, 88>`) verifies its
//! inner proofs up to their final pairing, folding them into one pair of G1 points
//! `(lhs, rhs)` that it exposes as its first 12 public instances:
//!
//! ```text
//! lhs.x[0..3] | lhs.y[0..3] | rhs.x[0..3] | rhs.y[0..3]
//! ```
//!
//! each coordinate `c = l0 + l1·2^88 + l2·2^176` (little-endian limbs of 88 bits). The inner
//! proofs are valid only if
//!
//! ```text
//! e(lhs, g2) · e(rhs, −s·g2) = 1      (i.e. e(lhs, g2) = e(rhs, s·g2))
//! ```
//!
//! for the SRS's `g2` and `s·g2`: snark-verifier's `KzgDecidingKey` decide. A verifier of an
//! aggregation proof runs [`decide`] after the proof itself verifies.

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr, G1Affine, G2Prepared};
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_base::halo2_proofs::halo2curves::group::Group;
use halo2_base::halo2_proofs::halo2curves::pairing::{MillerLoopResult, MultiMillerLoop};
use halo2_base::halo2_proofs::halo2curves::CurveAffine;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;

use crate::error::{guard, VerifyError};

/// Limbs per coordinate.
pub const LIMBS: usize = 3;
/// Bits per limb.
pub const LIMB_BITS: usize = 88;
/// Instances an accumulator takes: 4 coordinates × [`LIMBS`].
pub const ACCUMULATOR_LIMBS: usize = 4 * LIMBS;

/// Bytes per limb (88 bits are exactly 11 bytes).
const LIMB_BYTES: usize = LIMB_BITS / 8;

fn bad(reason: String) -> VerifyError {
    VerifyError::BadAccumulator { reason }
}

/// The base-field element `l0 + l1·2^88 + l2·2^176` of three limbs, each below `2^88`, the
/// sum below the base-field modulus `p`.
fn coordinate(limbs: &[Fr], name: &str) -> Result<Fq, VerifyError> {
    // Little-endian bytes of the sum: limb i fills bytes 11i..11i+11 (33 bytes in all).
    let mut bytes = [0u8; LIMBS * LIMB_BYTES];
    for (i, limb) in limbs.iter().enumerate() {
        let repr = limb.to_repr();
        if repr.as_ref()[LIMB_BYTES..].iter().any(|b| *b != 0) {
            return Err(bad(format!("{name} limb {i} is not below 2^{LIMB_BITS}")));
        }
        bytes[i * LIMB_BYTES..(i + 1) * LIMB_BYTES].copy_from_slice(&repr.as_ref()[..LIMB_BYTES]);
    }
    let mut repr = <Fq as PrimeField>::Repr::default();
    let (low, high) = bytes.split_at(32);
    if high.iter().any(|b| *b != 0) {
        return Err(bad(format!("{name} is not below the base-field modulus p")));
    }
    repr.as_mut().copy_from_slice(low);
    Option::from(Fq::from_repr(repr))
        .ok_or_else(|| bad(format!("{name} is not below the base-field modulus p")))
}

/// The G1 point of coordinates `limbs[0..3]` (x) and `limbs[3..6]` (y): on the curve and not
/// the point at infinity (which snark-verifier's encoding would write as `(0, 0)`; an
/// honest accumulator is never it, and a pairing with it proves nothing).
fn point(limbs: &[Fr], name: &str) -> Result<G1Affine, VerifyError> {
    let x = coordinate(&limbs[..LIMBS], &format!("{name}.x"))?;
    let y = coordinate(&limbs[LIMBS..], &format!("{name}.y"))?;
    let p: Option<G1Affine> = G1Affine::from_xy(x, y).into();
    match p {
        Some(p) if !bool::from(p.is_identity()) => Ok(p),
        Some(_) => Err(bad(format!("{name} is the point at infinity"))),
        None => Err(bad(format!("{name} is not a point on BN254's G1"))),
    }
}

/// Decides the accumulator of `limbs` (exactly [`ACCUMULATOR_LIMBS`] instances, the first
/// of an aggregation proof) with the `g2` and `s·g2` of `params` (the verifier's parameters
/// suffice): `Ok(())` when `e(lhs, g2) · e(rhs, −s·g2) = 1`.
///
/// [`VerifyError::BadAccumulator`] when the limbs are not a well-formed accumulator (wrong
/// count, a limb `≥ 2^88`, a coordinate `≥ p`, a point off the curve or at infinity);
/// [`VerifyError::AccumulatorRejected`] when the pairing check fails. Never panics.
pub fn decide(params: &ParamsKZG<Bn256>, limbs: &[Fr]) -> Result<(), VerifyError> {
    if limbs.len() != ACCUMULATOR_LIMBS {
        return Err(bad(format!(
            "expected {ACCUMULATOR_LIMBS} limbs, found {}",
            limbs.len()
        )));
    }
    let (l, r) = limbs.split_at(2 * LIMBS);
    let lhs = point(l, "lhs")?;
    let rhs = point(r, "rhs")?;
    let (g2, s_g2) = (params.g2(), params.s_g2());
    let ok = guard("deciding the accumulator", || {
        let g2 = G2Prepared::from(g2);
        let minus_s_g2 = G2Prepared::from(-s_g2);
        // e(lhs, g2) · e(rhs, −s·g2) = 1
        bool::from(
            Bn256::multi_miller_loop(&[(&lhs, &g2), (&rhs, &minus_s_g2)])
                .final_exponentiation()
                .is_identity(),
        )
    })?;
    if ok {
        Ok(())
    } else {
        Err(VerifyError::AccumulatorRejected)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use halo2_base::halo2_proofs::halo2curves::bn256::G1;
    use halo2_base::halo2_proofs::halo2curves::ff::Field;
    use halo2_base::halo2_proofs::halo2curves::group::Curve;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// The insecure local SRS's parameters (secret: the first draw of this seed) at k = 1:
    /// its g2 and s·g2 are those of every k.
    fn local_params() -> (ParamsKZG<Bn256>, Fr) {
        let s = Fr::random(ChaCha20Rng::from_seed([0x5a; 32]));
        (
            ParamsKZG::<Bn256>::setup(1, ChaCha20Rng::from_seed([0x5a; 32])),
            s,
        )
    }

    /// The limbs of a coordinate, as snark-verifier's `fe_to_limbs`.
    fn limbs_of(c: Fq) -> Vec<Fr> {
        let repr = c.to_repr();
        let mut bytes = [0u8; 33];
        bytes[..32].copy_from_slice(repr.as_ref());
        (0..LIMBS)
            .map(|i| {
                let mut r = [0u8; 32];
                r[..LIMB_BYTES].copy_from_slice(&bytes[i * LIMB_BYTES..(i + 1) * LIMB_BYTES]);
                Fr::from_repr(r).unwrap()
            })
            .collect()
    }

    fn encode(lhs: G1Affine, rhs: G1Affine) -> Vec<Fr> {
        [lhs.x, lhs.y, rhs.x, rhs.y]
            .into_iter()
            .flat_map(limbs_of)
            .collect()
    }

    /// A valid accumulator for the local SRS: rhs = [t]G, lhs = [s·t]G.
    fn valid(s: Fr) -> (G1Affine, G1Affine) {
        let t = Fr::from(987_654_321);
        let rhs = (G1::generator() * t).to_affine();
        let lhs = (G1::generator() * (s * t)).to_affine();
        (lhs, rhs)
    }

    /// The accumulator limbs of a real 3-segment aggregation proof made by
    /// `aggregate/tests/aggregate.rs` with the insecure local SRS (little-endian hex).
    const REAL_LIMBS: [&str; ACCUMULATOR_LIMBS] = [
        "a65ecee4e7a849ea238f66000000000000000000000000000000000000000000",
        "d21224443344bd6c30d8ec000000000000000000000000000000000000000000",
        "39b27f4e5ac1867c112000000000000000000000000000000000000000000000",
        "346a2a65c89cddec1d41c4000000000000000000000000000000000000000000",
        "ffdfc3f73734e79923cefc000000000000000000000000000000000000000000",
        "f1e22949725fbed1a40400000000000000000000000000000000000000000000",
        "0ca782a5e0c73bb79263fb000000000000000000000000000000000000000000",
        "eed300f1232f79b3c15a93000000000000000000000000000000000000000000",
        "cc27b78759e49dea531d00000000000000000000000000000000000000000000",
        "5e5cd94d8fb81a22241f22000000000000000000000000000000000000000000",
        "2c003165a7ebb4dee5c56b000000000000000000000000000000000000000000",
        "3408caf55b700e099e0700000000000000000000000000000000000000000000",
    ];

    fn fr_hex(h: &str) -> Fr {
        let bytes = hex::decode(h).unwrap();
        let mut r = [0u8; 32];
        r.copy_from_slice(&bytes);
        Fr::from_repr(r).unwrap()
    }

    #[test]
    fn accepts_valid_accumulators() {
        let (params, s) = local_params();
        let (lhs, rhs) = valid(s);
        decide(&params, &encode(lhs, rhs)).unwrap();
        let real: Vec<Fr> = REAL_LIMBS.iter().map(|h| fr_hex(h)).collect();
        decide(&params, &real).unwrap();
    }

    #[test]
    fn rejects_false_and_malformed_accumulators() {
        let (params, s) = local_params();
        let (lhs, rhs) = valid(s);
        let limbs = encode(lhs, rhs);
        // Swapped lhs and rhs: well formed, the pairing fails.
        assert!(matches!(
            decide(&params, &encode(rhs, lhs)),
            Err(VerifyError::AccumulatorRejected)
        ));
        // Another point on the curve: the pairing fails.
        let doubled = (G1::from(lhs) + G1::from(lhs)).to_affine();
        assert!(matches!(
            decide(&params, &encode(doubled, rhs)),
            Err(VerifyError::AccumulatorRejected)
        ));
        // One limb changed: the point leaves the curve.
        for i in 0..ACCUMULATOR_LIMBS {
            let mut changed = limbs.clone();
            changed[i] += Fr::ONE;
            assert!(
                matches!(
                    decide(&params, &changed),
                    Err(VerifyError::BadAccumulator { .. })
                ),
                "limb {i}"
            );
        }
        // A limb of 2^88 (its coordinate unchanged as an integer, but not canonical limbs).
        let mut wide = limbs.clone();
        wide[0] += Fr::from_u128(1 << 88);
        wide[1] -= Fr::ONE;
        assert!(matches!(
            decide(&params, &wide),
            Err(VerifyError::BadAccumulator { reason }) if reason.contains("2^88")
        ));
        // A coordinate >= p: x + p has limbs below 2^88 but is not canonical.
        let mut over = limbs.clone();
        let p_limbs = limbs_of(-Fq::ONE);
        // x := p − 1 + 1 = p, as limbs: (p − 1) with its lowest limb + 1 (no carry: p − 1 is even).
        over[..LIMBS].copy_from_slice(&p_limbs);
        over[0] += Fr::ONE;
        assert!(matches!(
            decide(&params, &over),
            Err(VerifyError::BadAccumulator { reason }) if reason.contains("modulus")
        ));
        // The point at infinity, and the wrong count.
        let mut zero = limbs.clone();
        zero[..2 * LIMBS].fill(Fr::ZERO);
        assert!(matches!(
            decide(&params, &zero),
            Err(VerifyError::BadAccumulator { reason }) if reason.contains("infinity")
        ));
        assert!(matches!(
            decide(&params, &limbs[1..]),
            Err(VerifyError::BadAccumulator { .. })
        ));
        // Other parameters (another s): the valid accumulator fails.
        let other = ParamsKZG::<Bn256>::setup(1, ChaCha20Rng::from_seed([7; 32]));
        assert!(matches!(
            decide(&other, &limbs),
            Err(VerifyError::AccumulatorRejected)
        ));
    }
}
