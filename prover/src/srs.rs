//! Structured reference strings (KZG parameters on BN254).
//!
//! Files are in halo2's own parameter format (`ParamsKZG::write`): `k` as u32 LE, then
//! `2^k` G1 powers and `2^k` Lagrange-basis points (64 bytes each, uncompressed), then two
//! G2 points (128 bytes each). A production SRS comes from a powers-of-tau ceremony
//! converted to this format; [`local_srs`] makes an insecure one for tests and demos.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use halo2_base::halo2_proofs::halo2curves::bn256::Bn256;
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::error::{guard, ProverError, Result};
use crate::fsutil;

/// KZG parameters on BN254.
pub type Srs = ParamsKZG<Bn256>;

/// Largest SRS size read or generated (rows = 2^k).
pub const MAX_SRS_K: u32 = 26;

/// Seed of the insecure local SRS: anyone can recompute its secret.
const LOCAL_SEED: [u8; 32] = [0x5a; 32];

/// Size in bytes of a halo2 parameter file for `k`.
pub fn srs_file_len(k: u32) -> u64 {
    4 + 2 * (1u64 << k) * 64 + 2 * 128
}

/// Reads a halo2 KZG parameter file and returns parameters for exactly `k` (downsizing a
/// larger set). Fails clearly if the file is not a parameter file or is too small.
pub fn load_srs(path: &Path, k: u32) -> Result<Srs> {
    let srs_err = |message: String| ProverError::Srs {
        path: path.to_path_buf(),
        message,
    };
    let io = |source| ProverError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::new(file);
    let mut head = [0u8; 4];
    reader
        .read_exact(&mut head)
        .map_err(|_| srs_err(format!("only {len} bytes: not a halo2 KZG parameter file")))?;
    let file_k = u32::from_le_bytes(head);
    if file_k > MAX_SRS_K || len != srs_file_len(file_k) {
        return Err(srs_err(format!(
            "not a halo2 KZG parameter file (it declares k = {file_k} but is {len} bytes; \
             expected {} bytes)",
            if file_k <= MAX_SRS_K {
                srs_file_len(file_k).to_string()
            } else {
                "k <= 26 and".into()
            }
        )));
    }
    if file_k < k {
        return Err(srs_err(format!(
            "has k = {file_k}, but the circuit needs k = {k} (2^{k} rows); use an SRS with at \
             least 2^{k} powers"
        )));
    }
    let mut params = guard("reading the SRS", || {
        let mut chained = head.as_slice().chain(reader);
        Srs::read_custom(&mut chained, SerdeFormat::RawBytes)
    })?
    .map_err(|e| srs_err(format!("malformed parameter file: {e}")))?;
    if file_k > k {
        guard("downsizing the SRS", || params.downsize(k))?;
    }
    Ok(params)
}

/// Where [`local_srs`] caches the SRS for `k`.
pub fn local_srs_path(cache_dir: &Path, k: u32) -> PathBuf {
    cache_dir.join(format!("kzg-bn254-k{k}.srs"))
}

/// An INSECURE, deterministic SRS for `k`, for tests and demos only: its toxic secret is
/// derived from a fixed public seed, so anyone can forge proofs against keys made with it.
///
/// It is cached at `cache_dir/kzg-bn254-k{k}.srs` (written atomically) and regenerated if
/// missing or unreadable. Returns the parameters, the cache path, and whether they were
/// generated now. Never downloads anything.
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
    let params = guard("generating the SRS", || {
        Srs::setup(k, ChaCha20Rng::from_seed(LOCAL_SEED))
    })?;
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

/// Writes `params` as a halo2 parameter file (atomically).
pub fn save_srs(params: &Srs, path: &Path) -> Result<()> {
    let mut bytes = Vec::with_capacity(srs_file_len(params.k()) as usize);
    params
        .write_custom(&mut bytes, SerdeFormat::RawBytes)
        .map_err(|source| ProverError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    fsutil::atomic_write(path, &bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use halo2_base::halo2_proofs::poly::commitment::ParamsProver;

    #[test]
    fn local_srs_is_cached_deterministic_and_downsizable() {
        let dir = tempfile::tempdir().unwrap();
        let (a, path, generated) = local_srs(5, dir.path()).unwrap();
        assert!(generated);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), srs_file_len(5));
        let (b, _, generated) = local_srs(5, dir.path()).unwrap();
        assert!(!generated);
        assert_eq!(a.get_g(), b.get_g());
        assert_eq!(a.s_g2(), b.s_g2());
        // Same seed: the k = 4 set is the k = 5 set downsized.
        let small = load_srs(&path, 4).unwrap();
        let (c, _, _) = local_srs(4, dir.path()).unwrap();
        assert_eq!(small.get_g(), c.get_g());
        assert_eq!(small.k(), 4);
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (_, path, _) = local_srs(4, dir.path()).unwrap();
        let e = load_srs(&path, 6).unwrap_err().to_string();
        assert!(e.contains("needs k = 6"), "{e}");
        let junk = dir.path().join("junk.srs");
        std::fs::write(&junk, b"not an srs at all").unwrap();
        let e = load_srs(&junk, 4).unwrap_err().to_string();
        assert!(e.contains("not a halo2 KZG parameter file"), "{e}");
        std::fs::write(&junk, b"ab").unwrap();
        assert!(load_srs(&junk, 4).is_err());
        assert!(matches!(
            load_srs(&dir.path().join("missing"), 4),
            Err(ProverError::Io { .. })
        ));
    }
}
