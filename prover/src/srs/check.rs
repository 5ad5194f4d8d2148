//! The checks every SRS passes before use.
//!
//! An SRS for `n = 2^k` rows is `g_i = [s^i]G1` (i < n), the Lagrange points
//! `L_i = [ℓ_i(s)]G1` with `ℓ_i(X) = ω^i·(X^n − 1) / (n·(X − ω^i))` over halo2's domain of
//! `n`-th roots of unity `ω^i`, and `G2`, `[s]G2`. The checks:
//!
//! 1. every point decodes and is on its curve (G1 of BN254 has cofactor 1, so that makes it
//!    a point of the prime-order group); `[s]G2` is in G2's prime-order subgroup
//!    (`[r]P = 0`) and is not the identity;
//! 2. `g_0` is the standard G1 generator and `G2` the standard G2 generator;
//! 3. the powers follow one secret: for a random `ρ`, with `A = Σ_{i<n−1} ρ^i·g_i` and
//!    `B = Σ_{i<n−1} ρ^i·g_{i+1}`, `e(A, [s]G2) = e(B, G2)`. Writing `g_i = [t_i]G1`, this is
//!    `Σ ρ^i·(s·t_i − t_{i+1}) = 0`, a polynomial of degree `n − 2` in `ρ`: unless every
//!    `t_{i+1} = s·t_i` (so `t_i = s^i`, as `t_0 = 1`) it holds for at most `n − 2` of the
//!    `r ≈ 2^254` values of `ρ`;
//! 4. Lagrange points read from a file match the powers: `L_i = (1/n)·Σ_j ω^{−ij}·g_j`, so
//!    for `a_i = ρ^i`, `Σ_i a_i·L_i = Σ_j â_j·g_j` with
//!    `â_j = (1/n)·Σ_i (ρ·ω^{−j})^i = (1/n)·(ρ^n − 1)/(ρ·ω^{−j} − 1)`; a wrong `L` passes
//!    for at most `n − 1` values of `ρ` (`ρ^n = 1` is drawn again). Without Lagrange points
//!    in the file they are computed from the powers.

use std::fmt;
use std::path::Path;

use halo2_base::halo2_proofs::arithmetic::{best_multiexp, parallelize};
use halo2_base::halo2_proofs::halo2curves::bn256::{
    multi_miller_loop, Fr, G1Affine, G2Affine, G2Prepared, G2,
};
use halo2_base::halo2_proofs::halo2curves::ff::{BatchInvert, Field, FromUniformBytes, PrimeField};
use halo2_base::halo2_proofs::halo2curves::group::cofactor::CofactorGroup;
use halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_base::halo2_proofs::halo2curves::group::{Curve, Group};
use halo2_base::halo2_proofs::halo2curves::pairing::MillerLoopResult;
use halo2_base::halo2_proofs::halo2curves::CurveAffine;
use rand::rngs::OsRng;
use rand::RngCore;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::Srs;
use crate::error::{ProverError, Result};

/// Which points of an SRS an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SrsPart {
    /// The G1 powers `[s^i]G1` (index `i`).
    G1Power,
    /// The Lagrange-basis points `[L_i(s)]G1` (index `i`).
    Lagrange,
    /// The G2 generator (index 0).
    G2,
    /// `[s]G2` (index 1).
    SG2,
}

impl fmt::Display for SrsPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SrsPart::G1Power => "G1 power [s^i]G1",
            SrsPart::Lagrange => "Lagrange point [L_i(s)]G1",
            SrsPart::G2 => "G2 generator",
            SrsPart::SG2 => "[s]G2",
        })
    }
}

/// What is wrong with one point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointDefect {
    /// A coordinate is not below the base field's modulus.
    CoordinateNotReduced,
    /// A compressed encoding that decodes to no point.
    BadEncoding,
    /// The coordinates do not satisfy the curve equation.
    NotOnCurve,
    /// A G2 point outside the prime-order subgroup.
    NotInSubgroup,
    /// The point at infinity, which no genuine ceremony produces here.
    Identity,
    /// The point must be the standard generator but is not.
    NotGenerator,
}

impl fmt::Display for PointDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PointDefect::CoordinateNotReduced => "a coordinate is not below the field modulus",
            PointDefect::BadEncoding => "the compressed encoding is of no curve point",
            PointDefect::NotOnCurve => "not on the curve",
            PointDefect::NotInSubgroup => "not in the prime-order subgroup",
            PointDefect::Identity => "the point at infinity",
            PointDefect::NotGenerator => "not the standard generator",
        })
    }
}

/// Which consistency check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SrsCheck {
    /// The G1 powers are not successive powers of the secret in `[s]G2`.
    Powers,
    /// The Lagrange points are not the Lagrange basis of the powers.
    Lagrange,
}

impl fmt::Display for SrsCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SrsCheck::Powers => {
                "the G1 powers are not [s^i]G1 for the s of [s]G2 (randomized pairing check \
                 e(Σρ^i·g_i, [s]G2) = e(Σρ^i·g_(i+1), G2) failed)"
            }
            SrsCheck::Lagrange => {
                "the Lagrange points are not the Lagrange basis of the G1 powers (randomized \
                 check Σρ^i·L_i = Σâ_j·g_j failed)"
            }
        })
    }
}

/// An SRS as read from a file, before checking.
pub(crate) struct Parts {
    /// `g` has `2^k` points.
    pub(crate) k: u32,
    /// `[s^i]G1`.
    pub(crate) g: Vec<G1Affine>,
    /// `[L_i(s)]G1` in halo2's order, when the file has them for this `k`.
    pub(crate) g_lagrange: Option<Vec<G1Affine>>,
    /// The G2 generator.
    pub(crate) g2: G2Affine,
    /// `[s]G2`.
    pub(crate) s_g2: G2Affine,
}

/// Runs every check on `parts` (see the module documentation) and builds the parameters,
/// computing the Lagrange points from the powers if the file had none.
pub(crate) fn check_and_assemble(parts: Parts, path: &Path) -> Result<Srs> {
    let point_err = |part, index: usize, defect| ProverError::SrsPoint {
        path: path.to_path_buf(),
        part,
        index: index as u64,
        defect,
    };
    let n = 1usize << parts.k;
    debug_assert_eq!(parts.g.len(), n);
    if let Some((i, defect)) = first_bad_g1(&parts.g, true) {
        return Err(point_err(SrsPart::G1Power, i, defect));
    }
    if parts.g[0] != G1Affine::generator() {
        return Err(point_err(SrsPart::G1Power, 0, PointDefect::NotGenerator));
    }
    if parts.g2 != G2Affine::generator() {
        return Err(point_err(SrsPart::G2, 0, PointDefect::NotGenerator));
    }
    if let Some(defect) = g2_defect(&parts.s_g2) {
        return Err(point_err(SrsPart::SG2, 1, defect));
    }
    let inconsistent = |check| ProverError::SrsInconsistent {
        path: path.to_path_buf(),
        check,
    };
    if !powers_consistent(&parts.g, &parts.g2, &parts.s_g2)? {
        return Err(inconsistent(SrsCheck::Powers));
    }
    if let Some(lagrange) = &parts.g_lagrange {
        if let Some((i, defect)) = first_bad_g1(lagrange, false) {
            return Err(point_err(SrsPart::Lagrange, i, defect));
        }
        if !lagrange_consistent(&parts.g, lagrange, parts.k)? {
            return Err(inconsistent(SrsCheck::Lagrange));
        }
    }
    Ok(assemble(parts))
}

/// Builds the parameters without checking (halo2's `from_parts` computes missing Lagrange
/// points from the powers by an inverse FFT over the group).
pub(crate) fn assemble(parts: Parts) -> Srs {
    // `from_parts` takes `&self` but uses nothing of it; a 1-point set is the cheapest `self`.
    let template = Srs::setup(0, ChaCha20Rng::from_seed([0; 32]));
    template.from_parts(parts.k, parts.g, parts.g_lagrange, parts.g2, parts.s_g2)
}

/// The first G1 point that is off the curve (or, if `powers`, the identity).
fn first_bad_g1(points: &[G1Affine], powers: bool) -> Option<(usize, PointDefect)> {
    let mut defects: Vec<Option<PointDefect>> = vec![None; points.len()];
    parallelize(&mut defects, |out, start| {
        for (defect, p) in out.iter_mut().zip(&points[start..]) {
            if !bool::from(p.is_on_curve()) {
                *defect = Some(PointDefect::NotOnCurve);
            } else if powers && bool::from(p.is_identity()) {
                *defect = Some(PointDefect::Identity);
            }
        }
    });
    defects
        .into_iter()
        .enumerate()
        .find_map(|(i, d)| d.map(|d| (i, d)))
}

/// What is wrong with `[s]G2`, if anything.
fn g2_defect(p: &G2Affine) -> Option<PointDefect> {
    if !bool::from(p.is_on_curve()) {
        Some(PointDefect::NotOnCurve)
    } else if bool::from(p.is_identity()) {
        Some(PointDefect::Identity)
    } else if !bool::from(G2::from(*p).is_torsion_free()) {
        Some(PointDefect::NotInSubgroup)
    } else {
        None
    }
}

/// A uniformly random scalar from the operating system.
fn random_scalar() -> Result<Fr> {
    let mut bytes = [0u8; 64];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| ProverError::Randomness {
            message: e.to_string(),
        })?;
    Ok(Fr::from_uniform_bytes(&bytes))
}

/// `[1, ρ, ρ^2, …]` (`len` terms), computed in parallel chunks.
pub(crate) fn geometric(rho: Fr, len: usize) -> Vec<Fr> {
    let mut out = vec![Fr::ZERO; len];
    parallelize(&mut out, |chunk, start| {
        let mut cur = rho.pow_vartime([start as u64]);
        for x in chunk.iter_mut() {
            *x = cur;
            cur *= rho;
        }
    });
    out
}

/// Check 3: `e(Σ ρ^i·g_i, [s]G2) = e(Σ ρ^i·g_{i+1}, G2)` over `i < n − 1`.
fn powers_consistent(g: &[G1Affine], g2: &G2Affine, s_g2: &G2Affine) -> Result<bool> {
    let m = g.len() - 1;
    let coeffs = geometric(random_scalar()?, m);
    let a = best_multiexp(&coeffs, &g[..m]).to_affine();
    let b = best_multiexp(&coeffs, &g[1..]).to_affine();
    // e(A, [s]G2) · e(−B, G2) = 1.
    let s_g2 = G2Prepared::from(*s_g2);
    let g2 = G2Prepared::from(*g2);
    let neg_b = -b;
    let product = multi_miller_loop(&[(&a, &s_g2), (&neg_b, &g2)]).final_exponentiation();
    Ok(bool::from(product.is_identity()))
}

/// halo2's primitive `2^k`-th root of unity (as `ParamsKZG::setup` computes it).
pub(crate) fn omega(k: u32) -> Fr {
    let mut root = Fr::ROOT_OF_UNITY;
    for _ in k..Fr::S {
        root = root.square();
    }
    root
}

/// Check 4: `Σ_i ρ^i·L_i = Σ_j â_j·g_j` with `â_j = (ρ^n − 1)/n / (ρ·ω^{−j} − 1)`.
fn lagrange_consistent(g: &[G1Affine], lagrange: &[G1Affine], k: u32) -> Result<bool> {
    let n = g.len();
    let rho = loop {
        let rho = random_scalar()?;
        // ρ·ω^{−j} = 1 for some j exactly when ρ^n = 1.
        if rho.pow_vartime([n as u64]) != Fr::ONE {
            break rho;
        }
    };
    let a = geometric(rho, n);
    let mut omega_inv = Fr::ROOT_OF_UNITY_INV;
    for _ in k..Fr::S {
        omega_inv = omega_inv.square();
    }
    let n_inv = Option::<Fr>::from(Fr::from(n as u64).invert()).unwrap_or(Fr::ONE);
    let c = (rho.pow_vartime([n as u64]) - Fr::ONE) * n_inv;
    let mut a_hat = vec![Fr::ZERO; n];
    parallelize(&mut a_hat, |chunk, start| {
        let mut w = omega_inv.pow_vartime([start as u64]);
        for x in chunk.iter_mut() {
            *x = rho * w - Fr::ONE;
            w *= omega_inv;
        }
        chunk.iter_mut().batch_invert();
        for x in chunk.iter_mut() {
            *x *= c;
        }
    });
    Ok(best_multiexp(&a, lagrange) == best_multiexp(&a_hat, g))
}
