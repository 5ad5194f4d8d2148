//! Structured reference strings (KZG parameters on BN254): reading ceremony files, checking
//! them, and the insecure local generator.
//!
//! [`load_srs`] reads three kinds of file, telling them apart by their header and size:
//!
//! * halo2 KZG parameters, uncompressed ([`SrsFormat::Halo2Raw`], what
//!   `ParamsKZG::write_custom(RawBytes)` and [`save_srs`] write, and what Axiom and PSE/EZKL
//!   distribute):
//!   `k` as u32 LE, `2^k` G1 powers `[s^i]G1`, `2^k` Lagrange points `[L_i(s)]G1` (64 bytes
//!   each: x, y in Montgomery form, little-endian), then `G2` and `[s]G2` (128 bytes each);
//! * the same layout compressed ([`SrsFormat::Halo2Compressed`], halo2's
//!   `SerdeFormat::Processed`, as in han0110's older conversions): 32 bytes per G1 point and
//!   64 per G2 point;
//! * snarkjs `.ptau` files ([`SrsFormat::Ptau`], the Hermez / perpetual powers of tau
//!   ceremony); only sections 1–3 (and the Lagrange section 12 when present) are read.
//!
//! Only the `2^k` powers the circuit needs are read (a larger file is trimmed; nothing beyond
//! is allocated), and every SRS is checked before use: every point on its curve,
//! `[s]G2` in the prime-order subgroup, the generators standard, the powers consistent with
//! `[s]G2` by a randomized pairing check and the Lagrange points consistent with the powers.
//! [`local_srs`] makes an insecure one for tests and demos, byte-identical to
//! `ParamsKZG::setup` with its public seed but much faster.

mod check;
mod encoding;
mod halo2_file;
mod local;
mod ptau;

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use halo2_base::halo2_proofs::halo2curves::bn256::Bn256;
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;

use crate::error::{ProverError, Result};
use crate::fsutil;

pub use check::{PointDefect, SrsCheck, SrsPart};
pub use local::{is_local_srs, local_srs, local_srs_path, local_srs_secret};
pub use ptau::PtauDefect;

/// KZG parameters on BN254.
pub type Srs = ParamsKZG<Bn256>;

/// Largest SRS size read or generated (rows = 2^k).
pub const MAX_SRS_K: u32 = 26;

/// Largest `k` a file may declare (BN254's scalar field has 2^28-th roots of unity; the
/// Hermez ceremony has 2^28 powers). Only [`MAX_SRS_K`] of them are ever read.
const MAX_FILE_K: u32 = 28;

/// The kinds of SRS file [`load_srs`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SrsFormat {
    /// halo2 KZG parameters with uncompressed points (`SerdeFormat::RawBytes`).
    Halo2Raw,
    /// halo2 KZG parameters with compressed points (`SerdeFormat::Processed`).
    Halo2Compressed,
    /// A snarkjs powers-of-tau file.
    Ptau,
}

impl fmt::Display for SrsFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SrsFormat::Halo2Raw => "halo2 KZG parameters (uncompressed)",
            SrsFormat::Halo2Compressed => "halo2 KZG parameters (compressed)",
            SrsFormat::Ptau => "snarkjs powers of tau (.ptau)",
        })
    }
}

/// What a file's header says, read without reading its points ([`inspect_srs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SrsInfo {
    /// The file's format.
    pub format: SrsFormat,
    /// The file has `2^k` G1 powers: it serves every circuit with at most `2^k` rows.
    pub k: u32,
}

/// Size in bytes of an uncompressed halo2 parameter file for `k` (what [`save_srs`] writes).
pub fn srs_file_len(k: u32) -> u64 {
    4 + 2 * (1u64 << k) * 64 + 2 * 128
}

/// Size in bytes of a compressed halo2 parameter file for `k`.
pub fn srs_file_len_compressed(k: u32) -> u64 {
    4 + 2 * (1u64 << k) * 32 + 2 * 64
}

/// Reads an SRS file (halo2 parameters, raw or compressed, or a snarkjs `.ptau`), trims it
/// to exactly `2^k` powers, checks it (see the module documentation) and returns it.
///
/// Fails with a named error if the file is of no known format, shorter or longer than its
/// header says, has fewer than `2^k` powers, or fails a check.
pub fn load_srs(path: &Path, k: u32) -> Result<Srs> {
    if k == 0 || k > MAX_SRS_K {
        return Err(ProverError::Srs {
            path: path.to_path_buf(),
            message: format!("k = {k} is outside 1..={MAX_SRS_K}"),
        });
    }
    let mut file = SrsFile::open(path)?;
    let info = file.info()?;
    if info.k < k {
        return Err(ProverError::SrsTooSmall {
            path: path.to_path_buf(),
            available: info.k,
            needed: k,
        });
    }
    let parts = match info.format {
        SrsFormat::Halo2Raw | SrsFormat::Halo2Compressed => halo2_file::read(&mut file, info, k)?,
        SrsFormat::Ptau => ptau::read(&mut file, k)?,
    };
    check::check_and_assemble(parts, path)
}

/// Reads only the header of an SRS file: its format and how many powers it has.
pub fn inspect_srs(path: &Path) -> Result<SrsInfo> {
    SrsFile::open(path)?.info()
}

/// Writes `params` as an uncompressed halo2 parameter file (atomically).
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

/// An open SRS file: reads at offsets, and maps a short read to a named error.
pub(crate) struct SrsFile<'a> {
    pub(crate) path: &'a Path,
    file: File,
    pub(crate) len: u64,
}

impl<'a> SrsFile<'a> {
    fn open(path: &'a Path) -> Result<Self> {
        let io = |source| ProverError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        Ok(SrsFile { path, file, len })
    }

    /// Fills `buf` from `offset`. The callers check the file's length against its header
    /// first, so a short read here means the file changed while being read.
    pub(crate) fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let io = |source| ProverError::Io {
            path: self.path.to_path_buf(),
            source,
        };
        self.file.seek(SeekFrom::Start(offset)).map_err(io)?;
        self.file.read_exact(buf).map_err(io)
    }

    /// The format and size declared by the header, with the file's length checked.
    fn info(&mut self) -> Result<SrsInfo> {
        let mut head = [0u8; 4];
        if self.len < 4 {
            return Err(self.unknown());
        }
        self.read_at(0, &mut head)?;
        if &head == ptau::MAGIC {
            let k = ptau::Layout::scan(self)?.power;
            return Ok(SrsInfo {
                format: SrsFormat::Ptau,
                k,
            });
        }
        let k = u32::from_le_bytes(head);
        if k > MAX_FILE_K {
            return Err(self.unknown());
        }
        let format = if self.len == srs_file_len(k) {
            SrsFormat::Halo2Raw
        } else if self.len == srs_file_len_compressed(k) {
            SrsFormat::Halo2Compressed
        } else {
            return Err(ProverError::SrsHalo2Length {
                path: self.path.to_path_buf(),
                k,
                actual: self.len,
                raw: srs_file_len(k),
                compressed: srs_file_len_compressed(k),
            });
        };
        Ok(SrsInfo { format, k })
    }

    fn unknown(&self) -> ProverError {
        ProverError::Srs {
            path: self.path.to_path_buf(),
            message: format!(
                "not an SRS file ({} bytes): expected a snarkjs .ptau file or a halo2 KZG \
                 parameter file",
                self.len
            ),
        }
    }
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
        assert_eq!(
            inspect_srs(&path).unwrap(),
            SrsInfo {
                format: SrsFormat::Halo2Raw,
                k: 5
            }
        );
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (_, path, _) = local_srs(4, dir.path()).unwrap();
        assert!(matches!(
            load_srs(&path, 6),
            Err(ProverError::SrsTooSmall {
                available: 4,
                needed: 6,
                ..
            })
        ));
        let junk = dir.path().join("junk.srs");
        std::fs::write(&junk, b"not an srs at all").unwrap();
        let e = load_srs(&junk, 4).unwrap_err().to_string();
        assert!(e.contains("not an SRS file"), "{e}");
        std::fs::write(&junk, b"ab").unwrap();
        assert!(matches!(load_srs(&junk, 4), Err(ProverError::Srs { .. })));
        assert!(matches!(
            load_srs(&dir.path().join("missing"), 4),
            Err(ProverError::Io { .. })
        ));
    }
}
