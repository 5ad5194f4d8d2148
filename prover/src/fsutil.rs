//! File helpers: every artifact is written atomically, so a crash or a full disk never
//! leaves a half-written file under the final name.

use std::fs;
use std::path::Path;

use crate::error::{ProverError, Result};

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk, then renamed over `path`.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    verifier::container::write_atomic(path, bytes).map_err(|source| ProverError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Lowercase hex sha256 of `bytes` (model and key digests).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| ProverError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        let missing = dir.path().join("no/such/dir/x");
        assert!(matches!(
            atomic_write(&missing, b"x"),
            Err(ProverError::Io { .. })
        ));
    }
}
