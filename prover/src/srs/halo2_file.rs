//! halo2 KZG parameter files (`ParamsKZG::write_custom`), uncompressed or compressed.
//!
//! Layout for a file of `K` (`N = 2^K`): `K` as u32 LE (4 bytes), `N` G1 powers, `N`
//! Lagrange points, `G2`, `[s]G2`; points as in [`super::encoding`]. Only the first `2^k`
//! powers are read; the Lagrange points are read when `k = K` and otherwise recomputed
//! (those of a larger domain are of no use for a smaller one).

use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;

use super::check::{Parts, PointDefect, SrsPart};
use super::encoding::PointEncoding;
use super::{SrsFile, SrsFormat, SrsInfo};
use crate::error::{ProverError, Result};

/// Points decoded per read, to bound the buffer.
const CHUNK_POINTS: usize = 1 << 16;

/// Reads the parts of a halo2 parameter file for `k` (`k <= info.k`, length checked).
pub(crate) fn read(file: &mut SrsFile<'_>, info: SrsInfo, k: u32) -> Result<Parts> {
    let enc = match info.format {
        SrsFormat::Halo2Compressed => PointEncoding::Compressed,
        _ => PointEncoding::Raw,
    };
    let file_n = 1u64 << info.k;
    let n = 1usize << k;
    let g1 = enc.g1_len() as u64;
    let g = read_g1s(file, enc, 4, n, SrsPart::G1Power)?;
    let g_lagrange = if k == info.k {
        Some(read_g1s(file, enc, 4 + file_n * g1, n, SrsPart::Lagrange)?)
    } else {
        None
    };
    let g2_at = 4 + 2 * file_n * g1;
    let mut buf = vec![0u8; 2 * enc.g2_len()];
    file.read_at(g2_at, &mut buf)?;
    let (g2, s_g2) = buf.split_at(enc.g2_len());
    let point = |part, index, bytes| {
        enc.g2(bytes)
            .map_err(|defect| point_error(file, part, index, defect))
    };
    Ok(Parts {
        k,
        g,
        g_lagrange,
        g2: point(SrsPart::G2, 0, g2)?,
        s_g2: point(SrsPart::SG2, 1, s_g2)?,
    })
}

/// Reads and decodes `count` G1 points starting at byte `offset`, in chunks.
pub(crate) fn read_g1s(
    file: &mut SrsFile<'_>,
    enc: PointEncoding,
    offset: u64,
    count: usize,
    part: SrsPart,
) -> Result<Vec<G1Affine>> {
    let size = enc.g1_len();
    let mut out = Vec::with_capacity(count);
    let mut buf = vec![0u8; CHUNK_POINTS.min(count) * size];
    while out.len() < count {
        let take = CHUNK_POINTS.min(count - out.len());
        let bytes = &mut buf[..take * size];
        file.read_at(offset + (out.len() * size) as u64, bytes)?;
        let points = enc
            .g1_many(bytes)
            .map_err(|(i, defect)| point_error(file, part, out.len() + i, defect))?;
        out.extend(points);
    }
    Ok(out)
}

fn point_error(
    file: &SrsFile<'_>,
    part: SrsPart,
    index: usize,
    defect: PointDefect,
) -> ProverError {
    ProverError::SrsPoint {
        path: file.path.to_path_buf(),
        part,
        index: index as u64,
        defect,
    }
}
