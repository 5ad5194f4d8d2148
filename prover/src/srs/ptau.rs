//! snarkjs powers-of-tau files (`.ptau`): the Hermez / perpetual powers of tau ceremony.
//!
//! Layout (snarkjs `binfileutils` and `powersoftau_*`): the magic `ptau`, version u32 LE
//! (1), the number of sections u32 LE, then the sections, each a type u32 LE, a byte size
//! u64 LE and its data. All integers and coordinates are little-endian; points are
//! uncompressed in Montgomery form exactly as halo2's `RawBytes` ([`super::encoding`]).
//!
//! * 1, header: field-element size `n8` u32 (32), the base-field modulus `q` (`n8` bytes),
//!   `power` u32, `ceremonyPower` u32;
//! * 2, tauG1: `2^(power+1) − 1` points `[τ^i]G1`;
//! * 3, tauG2: `2^power` points `[τ^i]G2` (only `[τ^0]G2 = G2` and `[τ]G2` are read);
//! * 4–7: alpha/beta terms and contributions (Groth16 phase 2; ignored);
//! * 12 (files "prepared for phase 2", like the Hermez `_final` downloads): for each
//!   `p = 0..=power+1`, the `2^p` Lagrange points of tauG1 over snarkjs's domain.
//!
//! snarkjs's roots of unity come from the generator 5, halo2's from 7: snarkjs's `2^k`-th
//! root is halo2's to the power [`SNARKJS_OMEGA_EXPONENT`], so its Lagrange point for
//! `ω_s^i` is halo2's point `m·i mod 2^k`. Section 12 is used when present (and checked like
//! every Lagrange point); without it the points are computed from the powers.

use std::fmt;

use halo2_base::halo2_proofs::halo2curves::bn256::{Fq, G1Affine};
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;

use super::check::{Parts, SrsPart};
use super::encoding::{PointEncoding, G1_RAW, G2_RAW};
use super::halo2_file::read_g1s;
use super::{SrsFile, MAX_FILE_K};
use crate::error::{ProverError, Result};

/// The first four bytes of every `.ptau` file.
pub(crate) const MAGIC: &[u8; 4] = b"ptau";

/// `ω_snarkjs = ω_halo2^m` for the `2^28`-th roots (`5^((r−1)/2^28)` and `7^((r−1)/2^28)`),
/// hence for every `2^k`-th root (`m` odd, taken mod `2^k`).
pub(crate) const SNARKJS_OMEGA_EXPONENT: u64 = 48_078_113;

const HEADER: u32 = 1;
const TAU_G1: u32 = 2;
const TAU_G2: u32 = 3;
const LAGRANGE_G1: u32 = 12;

/// What is wrong with a `.ptau` file's structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtauDefect {
    /// Shorter than the 12-byte file header.
    TooShort,
    /// A format version other than 1.
    Version(u32),
    /// The file ends inside its section table (truncated).
    SectionTable {
        /// Sections the file header declares.
        declared: u32,
        /// Section headers present.
        found: u32,
    },
    /// A section runs past the end of the file (the file is truncated).
    SectionPastEnd {
        /// The section type.
        section: u32,
        /// Where it would end.
        end: u64,
        /// The file's length.
        file_len: u64,
    },
    /// Bytes after the last section.
    TrailingBytes {
        /// Where the last section ends.
        end: u64,
        /// The file's length.
        file_len: u64,
    },
    /// A required section is missing.
    MissingSection(u32),
    /// A section appears more than once.
    DuplicateSection(u32),
    /// A section's size disagrees with the header's `power`.
    SectionSize {
        /// The section type.
        section: u32,
        /// Its size for the declared power.
        expected: u64,
        /// Its size in the file.
        actual: u64,
    },
    /// The header is not that of a BN254 (bn128) ceremony.
    NotBn254,
    /// The header declares more powers than BN254's FFT domain allows.
    PowerTooLarge(u32),
}

impl fmt::Display for PtauDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PtauDefect::TooShort => write!(f, "shorter than the 12-byte file header"),
            PtauDefect::Version(v) => write!(f, "format version {v}, only version 1 is read"),
            PtauDefect::SectionTable { declared, found } => write!(
                f,
                "declares {declared} sections but ends after {found} (truncated download?)"
            ),
            PtauDefect::SectionPastEnd {
                section,
                end,
                file_len,
            } => write!(
                f,
                "section {section} ends at byte {end}, past the end of the {file_len}-byte \
                 file (truncated download?)"
            ),
            PtauDefect::TrailingBytes { end, file_len } => write!(
                f,
                "the sections end at byte {end} but the file has {file_len} bytes"
            ),
            PtauDefect::MissingSection(s) => write!(f, "section {s} is missing"),
            PtauDefect::DuplicateSection(s) => write!(f, "section {s} appears twice"),
            PtauDefect::SectionSize {
                section,
                expected,
                actual,
            } => write!(
                f,
                "section {section} has {actual} bytes, but the header's power needs {expected}"
            ),
            PtauDefect::NotBn254 => write!(f, "not a BN254 (bn128) ceremony"),
            PtauDefect::PowerTooLarge(p) => {
                write!(
                    f,
                    "declares 2^{p} powers, more than BN254 supports (2^{MAX_FILE_K})"
                )
            }
        }
    }
}

/// Where a `.ptau` file's sections are.
pub(crate) struct Layout {
    /// The file holds `2^power` usable G1 powers.
    pub(crate) power: u32,
    /// (type, data offset, data size), in file order.
    sections: Vec<(u32, u64, u64)>,
}

impl Layout {
    /// Reads the section table and the header section, checking every size.
    pub(crate) fn scan(file: &mut SrsFile<'_>) -> Result<Layout> {
        let err = |defect| ProverError::SrsPtau {
            path: file.path.to_path_buf(),
            defect,
        };
        if file.len < 12 {
            return Err(err(PtauDefect::TooShort));
        }
        let mut head = [0u8; 12];
        file.read_at(0, &mut head)?;
        let version = u32_at(&head, 4);
        if version != 1 {
            return Err(err(PtauDefect::Version(version)));
        }
        let count = u32_at(&head, 8);
        let mut sections = Vec::new();
        let mut pos = 12u64;
        for found in 0..count {
            let mut entry = [0u8; 12];
            if pos + 12 > file.len {
                return Err(err(PtauDefect::SectionTable {
                    declared: count,
                    found,
                }));
            }
            file.read_at(pos, &mut entry)?;
            let kind = u32_at(&entry, 0);
            let size = u64::from_le_bytes(entry[4..12].try_into().unwrap_or_default());
            let start = pos + 12;
            let end = start.saturating_add(size);
            if end > file.len {
                return Err(err(PtauDefect::SectionPastEnd {
                    section: kind,
                    end,
                    file_len: file.len,
                }));
            }
            sections.push((kind, start, size));
            pos = end;
        }
        if pos != file.len {
            return Err(err(PtauDefect::TrailingBytes {
                end: pos,
                file_len: file.len,
            }));
        }
        let mut layout = Layout { power: 0, sections };
        let (start, size) = layout
            .unique(file, HEADER)?
            .ok_or(err(PtauDefect::MissingSection(HEADER)))?;
        if size != 44 {
            return Err(err(PtauDefect::SectionSize {
                section: HEADER,
                expected: 44,
                actual: size,
            }));
        }
        let mut header = [0u8; 44];
        file.read_at(start, &mut header)?;
        // The base-field modulus q, little-endian: (q − 1) + 1, with no carry as q is odd.
        let mut q = (-Fq::ONE).to_repr();
        q.as_mut()[0] += 1;
        if u32_at(&header, 0) != 32 || header[4..36] != *q.as_ref() {
            return Err(err(PtauDefect::NotBn254));
        }
        let power = u32_at(&header, 36);
        if power > MAX_FILE_K {
            return Err(err(PtauDefect::PowerTooLarge(power)));
        }
        layout.power = power;
        let n = 1u64 << power;
        layout.sized(file, TAU_G1, (2 * n - 1) * G1_RAW as u64)?;
        layout.sized(file, TAU_G2, n * G2_RAW as u64)?;
        Ok(layout)
    }

    /// The one section of type `kind`, if any.
    fn unique(&self, file: &SrsFile<'_>, kind: u32) -> Result<Option<(u64, u64)>> {
        let mut found = self.sections.iter().filter(|s| s.0 == kind);
        let first = found.next().map(|s| (s.1, s.2));
        if found.next().is_some() {
            return Err(ProverError::SrsPtau {
                path: file.path.to_path_buf(),
                defect: PtauDefect::DuplicateSection(kind),
            });
        }
        Ok(first)
    }

    /// The data offset of the required section `kind`, which must be `expected` bytes.
    fn sized(&self, file: &SrsFile<'_>, kind: u32, expected: u64) -> Result<u64> {
        let err = |defect| ProverError::SrsPtau {
            path: file.path.to_path_buf(),
            defect,
        };
        let (start, size) = self
            .unique(file, kind)?
            .ok_or(err(PtauDefect::MissingSection(kind)))?;
        if size != expected {
            return Err(err(PtauDefect::SectionSize {
                section: kind,
                expected,
                actual: size,
            }));
        }
        Ok(start)
    }
}

/// Reads the parts of a `.ptau` file for `k` (`k <= power`, checked by the caller).
pub(crate) fn read(file: &mut SrsFile<'_>, k: u32) -> Result<Parts> {
    let layout = Layout::scan(file)?;
    let file_n = 1u64 << layout.power;
    let n = 1usize << k;
    let g1_at = layout.sized(file, TAU_G1, (2 * file_n - 1) * G1_RAW as u64)?;
    let g2_at = layout.sized(file, TAU_G2, file_n * G2_RAW as u64)?;
    let g = read_g1s(file, PointEncoding::Raw, g1_at, n, SrsPart::G1Power)?;
    let g_lagrange = match layout.unique(file, LAGRANGE_G1)? {
        None => None,
        Some(_) => {
            // Blocks for p = 0..=power+1: 2^(power+2) − 1 points; the block for k starts
            // after 2^k − 1 of them.
            let at = layout.sized(file, LAGRANGE_G1, (4 * file_n - 1) * G1_RAW as u64)?;
            let offset = at + ((n as u64) - 1) * G1_RAW as u64;
            let snarkjs_order = read_g1s(file, PointEncoding::Raw, offset, n, SrsPart::Lagrange)?;
            Some(to_halo2_order(&snarkjs_order))
        }
    };
    let mut buf = vec![0u8; 2 * G2_RAW];
    file.read_at(g2_at, &mut buf)?;
    let point = |part, index: u64, bytes: &[u8]| {
        PointEncoding::Raw
            .g2(bytes)
            .map_err(|defect| ProverError::SrsPoint {
                path: file.path.to_path_buf(),
                part,
                index,
                defect,
            })
    };
    Ok(Parts {
        k,
        g,
        g_lagrange,
        g2: point(SrsPart::G2, 0, &buf[..G2_RAW])?,
        s_g2: point(SrsPart::SG2, 1, &buf[G2_RAW..])?,
    })
}

/// Reorders snarkjs's Lagrange points (point `i` for `ω_s^i = ω^(m·i)`) into halo2's.
fn to_halo2_order(points: &[G1Affine]) -> Vec<G1Affine> {
    let n = points.len();
    let mask = n - 1;
    let m = (SNARKJS_OMEGA_EXPONENT as usize) & mask;
    let mut out = vec![G1Affine::identity(); n];
    for (i, p) in points.iter().enumerate() {
        out[(m * i) & mask] = *p;
    }
    out
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::srs::check::omega;
    use halo2_base::halo2_proofs::halo2curves::bn256::Fr;

    #[test]
    fn snarkjs_roots_are_halo2_roots_to_the_exponent() {
        // (r − 1) / 2^28 as u64 limbs, little-endian.
        let t = [
            0x9b97_0914_3e1f_593f,
            0x1815_85d2_833e_8487,
            0x131a_029b_8504_5b68,
            0x3_0644_e72e,
        ];
        let snarkjs_root = Fr::from(5).pow_vartime(t);
        assert_eq!(
            omega(28).pow_vartime([SNARKJS_OMEGA_EXPONENT]),
            snarkjs_root
        );
        // ffjavascript's Fr.w[5] for bn128, printed by snarkjs 0.7.6.
        let w5 = Fr::from_str_vartime(
            "4419234939496763621076330863786513495701855246241724391626358375488475697872",
        );
        assert_eq!(
            Some(omega(5).pow_vartime([SNARKJS_OMEGA_EXPONENT & 31])),
            w5
        );
    }
}
