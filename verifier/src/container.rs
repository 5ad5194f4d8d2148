//! The binary container every zkinfer key file uses.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "ZKIF"
//! 4       1     artifact kind (see ArtifactKind)
//! 5       4     format version of that kind, u32 little-endian
//! 9       8     payload length in bytes, u64 little-endian
//! 17      32    sha256 of the payload
//! 49      ...   payload (exactly `payload length` bytes, nothing after it)
//! ```
//!
//! The checksum catches truncated or corrupted files before any halo2 parser sees them
//! (several of halo2's readers panic on short input).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use thiserror::Error;

/// The four magic bytes at the start of every zkinfer binary artifact.
pub const MAGIC: [u8; 4] = *b"ZKIF";
/// Size of the container header in bytes.
pub const HEADER_LEN: usize = 4 + 1 + 4 + 8 + 32;

/// What a container holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A halo2 proving key (`pk.bin`), read by the prover.
    ProvingKey,
    /// A verifying key with its public-instance count and circuit configuration (`vk.bin`).
    VerifyingKey,
    /// The KZG parameters the verifier needs (`srs-verifier.bin`).
    VerifierParams,
    /// A full KZG parameter set of exactly the circuit's size (`srs-prover.bin`).
    ProverParams,
}

impl ArtifactKind {
    /// The byte stored in the header.
    pub fn code(self) -> u8 {
        match self {
            ArtifactKind::ProvingKey => 1,
            ArtifactKind::VerifyingKey => 2,
            ArtifactKind::VerifierParams => 3,
            ArtifactKind::ProverParams => 4,
        }
    }

    /// The kind stored as `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(ArtifactKind::ProvingKey),
            2 => Some(ArtifactKind::VerifyingKey),
            3 => Some(ArtifactKind::VerifierParams),
            4 => Some(ArtifactKind::ProverParams),
            _ => None,
        }
    }

    /// Human-readable name, used in error messages.
    pub fn describe(self) -> &'static str {
        match self {
            ArtifactKind::ProvingKey => "proving key",
            ArtifactKind::VerifyingKey => "verifying key",
            ArtifactKind::VerifierParams => "verifier SRS parameters",
            ArtifactKind::ProverParams => "prover SRS parameters",
        }
    }
}

/// Why a container could not be opened.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ContainerError {
    /// Fewer bytes than a header.
    #[error("file is {len} bytes, shorter than the {HEADER_LEN}-byte zkinfer header")]
    TooShort {
        /// Bytes present.
        len: usize,
    },
    /// The file does not start with `ZKIF`.
    #[error("not a zkinfer artifact (missing \"ZKIF\" magic bytes)")]
    BadMagic,
    /// The header names another kind of artifact.
    #[error("this file is a {found}, expected a {expected}")]
    WrongKind {
        /// What the file says it is.
        found: String,
        /// What the caller asked for.
        expected: &'static str,
    },
    /// The header carries a format version this code does not read.
    #[error("format version {found}, this build reads version {expected}")]
    Version {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// The payload is shorter or longer than the header says.
    #[error(
        "payload is {actual} bytes but the header declares {declared} (truncated or padded file)"
    )]
    Length {
        /// Length declared in the header.
        declared: u64,
        /// Bytes actually present after the header.
        actual: usize,
    },
    /// The payload does not match its checksum.
    #[error("payload checksum mismatch (corrupted file)")]
    Checksum,
    /// A proving-key payload whose break-point section is cut short or not a list of lists.
    #[error("proving key payload: {what}")]
    PkPayload {
        /// What is wrong with it.
        what: String,
    },
}

/// Wraps `payload` in a container header.
pub fn encode(kind: ArtifactKind, version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.push(kind.code());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(payload));
    out.extend_from_slice(payload);
    out
}

/// Checks the header of `bytes` (magic, kind, version, length, checksum) and returns the
/// payload.
pub fn decode(bytes: &[u8], kind: ArtifactKind, version: u32) -> Result<&[u8], ContainerError> {
    if bytes.len() < HEADER_LEN {
        return Err(ContainerError::TooShort { len: bytes.len() });
    }
    let (header, payload) = bytes.split_at(HEADER_LEN);
    if header[..4] != MAGIC {
        return Err(ContainerError::BadMagic);
    }
    if header[4] != kind.code() {
        let found = ArtifactKind::from_code(header[4]).map_or_else(
            || format!("unknown artifact (kind {})", header[4]),
            |k| k.describe().into(),
        );
        return Err(ContainerError::WrongKind {
            found,
            expected: kind.describe(),
        });
    }
    let found = u32::from_le_bytes([header[5], header[6], header[7], header[8]]);
    if found != version {
        return Err(ContainerError::Version {
            found,
            expected: version,
        });
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&header[9..17]);
    let declared = u64::from_le_bytes(len);
    if declared != payload.len() as u64 {
        return Err(ContainerError::Length {
            declared,
            actual: payload.len(),
        });
    }
    if Sha256::digest(payload).as_slice() != &header[17..49] {
        return Err(ContainerError::Checksum);
    }
    Ok(payload)
}

/// A bounds-checked little-endian reader over a byte slice.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next `n` bytes, or `None` if fewer remain.
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// The head of a proving-key payload (`pk.bin`, the model's and the aggregation's): `len`
/// (u32 little-endian) then the break points as `len` bytes of JSON. The halo2
/// `ProvingKey` bytes follow it.
pub fn pk_payload_head(break_points: &[Vec<usize>]) -> Result<Vec<u8>, ContainerError> {
    let bp = serde_json::to_vec(break_points).map_err(|e| ContainerError::PkPayload {
        what: e.to_string(),
    })?;
    let len = u32::try_from(bp.len()).map_err(|_| ContainerError::PkPayload {
        what: "too many break points".into(),
    })?;
    let mut head = Vec::with_capacity(4 + bp.len());
    head.extend_from_slice(&len.to_le_bytes());
    head.extend_from_slice(&bp);
    Ok(head)
}

/// Splits a proving-key payload ([`pk_payload_head`] then the halo2 key) into the break
/// points and the halo2 key bytes.
pub fn split_pk_payload(payload: &[u8]) -> Result<(Vec<Vec<usize>>, &[u8]), ContainerError> {
    let short = || ContainerError::PkPayload {
        what: "truncated".into(),
    };
    let (len, rest) = payload.split_at_checked(4).ok_or_else(short)?;
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let (bp, halo2) = rest.split_at_checked(len).ok_or_else(short)?;
    let break_points = serde_json::from_slice(bp).map_err(|e| ContainerError::PkPayload {
        what: format!("break points: {e}"),
    })?;
    Ok((break_points, halo2))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk, then renamed over `path`, so a crash or a full disk never leaves a
/// half-written artifact under the final name. Every zkinfer artifact is written this way.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "artifact".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: the temporary file is garbage either way.
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let c = encode(ArtifactKind::VerifyingKey, 1, b"hello");
        assert_eq!(decode(&c, ArtifactKind::VerifyingKey, 1), Ok(&b"hello"[..]));
        assert!(matches!(
            decode(&c, ArtifactKind::ProvingKey, 1),
            Err(ContainerError::WrongKind { .. })
        ));
        assert_eq!(
            decode(&c, ArtifactKind::VerifyingKey, 2),
            Err(ContainerError::Version {
                found: 1,
                expected: 2
            })
        );
        assert!(matches!(
            decode(&c[..c.len() - 1], ArtifactKind::VerifyingKey, 1),
            Err(ContainerError::Length { .. })
        ));
        let mut bad = c.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            decode(&bad, ArtifactKind::VerifyingKey, 1),
            Err(ContainerError::Checksum)
        );
        assert_eq!(
            decode(b"ZKI", ArtifactKind::VerifyingKey, 1),
            Err(ContainerError::TooShort { len: 3 })
        );
    }

    #[test]
    fn pk_payload_round_trips_and_refuses_truncation() {
        let bp = vec![vec![3, 9], vec![]];
        let mut payload = pk_payload_head(&bp).unwrap();
        payload.extend_from_slice(b"halo2");
        let (got, rest) = split_pk_payload(&payload).unwrap();
        assert_eq!((got, rest), (bp, &b"halo2"[..]));
        for cut in [0, 3, 6] {
            assert!(matches!(
                split_pk_payload(&payload[..cut]),
                Err(ContainerError::PkPayload { .. })
            ));
        }
    }
}
