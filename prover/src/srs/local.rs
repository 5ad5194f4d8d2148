//! The insecure local SRS: deterministic, from a public seed, for tests and demos.
//!
//! Its secret is `s = Fr::random(ChaCha20Rng::from_seed(LOCAL_SEED))`, drawn exactly as
//! `ParamsKZG::setup(k, ChaCha20Rng::from_seed(LOCAL_SEED))` draws it, and [`generate`]
//! produces byte-for-byte the parameters `setup` would. `setup` does one variable-base
//! scalar multiplication (256 doublings and additions) per point, for the powers and again
//! for the Lagrange points; [`generate`] computes the scalars `s^i` and
//! `ℓ_i(s) = ω^i·(s^n − 1)/(n·(s − ω^i))` in the field (one batch inversion per chunk) and
//! multiplies the generator with a fixed-base table of 8-bit windows (at most 32 mixed
//! additions per point), in parallel on every core.

use std::path::{Path, PathBuf};

use halo2_base::halo2_proofs::arithmetic::parallelize;
use halo2_base::halo2_proofs::halo2curves::bn256::{Fr, G1Affine, G2Affine, G1};
use halo2_base::halo2_proofs::halo2curves::ff::{BatchInvert, Field, PrimeField};
use halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_base::halo2_proofs::halo2curves::group::{Curve, Group};
use halo2_base::halo2_proofs::SerdeFormat;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::check::{assemble, omega, Parts};
use super::{load_srs, srs_file_len, Srs, MAX_SRS_K};
use crate::error::{guard, ProverError, Result};
use crate::fsutil;

/// Seed of the insecure local SRS: anyone can recompute its secret.
const LOCAL_SEED: [u8; 32] = [0x5a; 32];

/// The trapdoor `s` of the insecure local SRS. It is PUBLIC: anyone who knows it can forge
/// proofs against keys made with that SRS. Exposed so tests and verifiers can recognise the
/// local SRS (its `[s]G2` is `s·G2`); see [`is_local_srs`].
pub fn local_srs_secret() -> Fr {
    Fr::random(ChaCha20Rng::from_seed(LOCAL_SEED))
}

/// Whether `params` is (a trimming of) the insecure local SRS: its `[s]G2` is
/// `local_srs_secret()·G2`.
pub fn is_local_srs(params: &Srs) -> bool {
    params.s_g2() == (G2Affine::generator() * local_srs_secret()).to_affine()
}

/// Where [`local_srs`] caches the SRS for `k`.
pub fn local_srs_path(cache_dir: &Path, k: u32) -> PathBuf {
    cache_dir.join(format!("kzg-bn254-k{k}.srs"))
}

/// An INSECURE, deterministic SRS for `k`, for tests and demos only: its toxic secret is
/// derived from a fixed public seed ([`local_srs_secret`]), so anyone can forge proofs
/// against keys made with it.
///
/// It is cached at `cache_dir/kzg-bn254-k{k}.srs` (written atomically) and regenerated if
/// missing or unreadable; a cached file is checked like any SRS ([`load_srs`]). Returns the
/// parameters, the cache path, and whether they were generated now. Never downloads anything.
pub fn local_srs(k: u32, cache_dir: &Path) -> Result<(Srs, PathBuf, bool)> {
    let path = local_srs_path(cache_dir, k);
    if k == 0 || k > MAX_SRS_K {
        return Err(ProverError::Srs {
            path,
            message: format!("k = {k} is outside 1..={MAX_SRS_K}"),
        });
    }
    if path.exists() {
        if let Ok(params) = load_srs(&path, k) {
            return Ok((params, path, false));
        }
    }
    std::fs::create_dir_all(cache_dir).map_err(|source| ProverError::Io {
        path: cache_dir.to_path_buf(),
        source,
    })?;
    let params = guard("generating the SRS", || generate(k, local_srs_secret()))?;
    let mut bytes = Vec::with_capacity(srs_file_len(k) as usize);
    params
        .write_custom(&mut bytes, SerdeFormat::RawBytes)
        .map_err(|source| ProverError::Io {
            path: path.clone(),
            source,
        })?;
    fsutil::atomic_write(&path, &bytes)?;
    Ok((params, path, true))
}

/// The parameters `ParamsKZG::setup` makes for secret `s`, computed fast (see the module
/// documentation). `s` must not be a `2^k`-th root of unity (setup panics there too).
pub(crate) fn generate(k: u32, s: Fr) -> Srs {
    let n = 1usize << k;
    let table = FixedBase::new(G1::generator());
    // g_i = [s^i]G1.
    let mut g = vec![G1Affine::identity(); n];
    parallelize(&mut g, |out, start| {
        let mut scalar = s.pow_vartime([start as u64]);
        let points: Vec<G1> = (0..out.len())
            .map(|_| {
                let p = table.mul(&scalar);
                scalar *= s;
                p
            })
            .collect();
        G1::batch_normalize(&points, out);
    });
    // L_i = [ℓ_i(s)]G1, ℓ_i(s) = ((s^n − 1)/n)·ω^i/(s − ω^i), as setup computes it.
    let w = omega(k);
    let n_inv = Option::<Fr>::from(Fr::from(n as u64).invert()).unwrap_or(Fr::ONE);
    let multiplier = (s.pow_vartime([n as u64]) - Fr::ONE) * n_inv;
    let mut g_lagrange = vec![G1Affine::identity(); n];
    parallelize(&mut g_lagrange, |out, start| {
        let mut root = w.pow_vartime([start as u64]);
        let mut roots = Vec::with_capacity(out.len());
        let mut denominators = Vec::with_capacity(out.len());
        for _ in 0..out.len() {
            roots.push(root);
            denominators.push(s - root);
            root *= w;
        }
        denominators.iter_mut().batch_invert();
        let points: Vec<G1> = roots
            .iter()
            .zip(&denominators)
            .map(|(root, inv)| table.mul(&(multiplier * root * inv)))
            .collect();
        G1::batch_normalize(&points, out);
    });
    let g2 = G2Affine::generator();
    assemble(Parts {
        k,
        g,
        g_lagrange: Some(g_lagrange),
        g2,
        s_g2: (g2 * s).to_affine(),
    })
}

/// Multiples of a fixed base for fast scalar multiplication: `rows[w][d − 1] = [d·2^(8w)]B`
/// for the 32 byte-windows `w` of a scalar and digits `d` in 1..=255 (8160 points).
struct FixedBase {
    rows: Vec<Vec<G1Affine>>,
}

impl FixedBase {
    fn new(base: G1) -> Self {
        let mut rows = Vec::with_capacity(32);
        let mut window_base = base;
        for _ in 0..32 {
            let mut multiples = Vec::with_capacity(255);
            let mut acc = window_base;
            for _ in 0..255 {
                multiples.push(acc);
                acc += window_base;
            }
            let mut row = vec![G1Affine::identity(); 255];
            G1::batch_normalize(&multiples, &mut row);
            rows.push(row);
            // acc = [256]·window_base: the next window's base.
            window_base = acc;
        }
        FixedBase { rows }
    }

    /// `[scalar]B = Σ_w [d_w·2^(8w)]B` over the bytes `d_w` of the canonical scalar.
    fn mul(&self, scalar: &Fr) -> G1 {
        let repr = scalar.to_repr();
        let mut acc = G1::identity();
        for (row, &digit) in self.rows.iter().zip(repr.as_ref()) {
            if digit != 0 {
                acc += row[digit as usize - 1];
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn raw(params: &Srs) -> Vec<u8> {
        let mut bytes = Vec::new();
        params
            .write_custom(&mut bytes, SerdeFormat::RawBytes)
            .unwrap();
        bytes
    }

    #[test]
    fn fast_generator_is_byte_identical_to_halo2_setup() {
        for k in [1, 2, 3, 5, 7] {
            let slow = Srs::setup(k, ChaCha20Rng::from_seed(LOCAL_SEED));
            let fast = generate(k, local_srs_secret());
            assert_eq!(raw(&slow), raw(&fast), "k = {k}");
        }
    }

    #[test]
    fn fixed_base_table_multiplies() {
        let table = FixedBase::new(G1::generator());
        for s in [
            Fr::ZERO,
            Fr::ONE,
            -Fr::ONE,
            Fr::from(256),
            local_srs_secret(),
        ] {
            assert_eq!(table.mul(&s), G1::generator() * s);
        }
    }

    #[test]
    fn local_srs_is_recognised() {
        let local = generate(3, local_srs_secret());
        assert!(is_local_srs(&local));
        let other = generate(3, Fr::from(12345));
        assert!(!is_local_srs(&other));
    }
}
